// Free-running synthesis: length and range, determinism for a seed, that priming really
// warms the model (its continuation follows the primer's waveform) and that temperature 0
// of the linear model is its noiseless prediction.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork
@testable import RawSpeechEvaluation

extension EvaluationTests {
    @Suite struct GeneratorTests {
        @Test func lengthRangeAndDeterminism() throws {
            let generator = try Generator(model: ScoringModels.gru)
            let a = generator.generate(samples: 1_234, seed: 5)
            let b = generator.generate(samples: 1_234, seed: 5)
            let c = generator.generate(samples: 1_234, seed: 6)
            #expect(a.count == 1_234)
            #expect(a == b, "same seed, same samples (the generator resets its state)")
            #expect(a != c)
            #expect(a.allSatisfy { $0.isFinite && abs($0) <= 1 })
            #expect(Signals.rms(a[...]) > 1e-3, "not silent")
        }

        @Test func primingContinuesTheRecording() throws {
            // The linear model fitted on these sines, primed with a recording's head at
            // temperature 0, must continue it: its first 10 samples close to the true ones
            // (measured: 1% of its power; the recurrent warm-up is checked exactly by the next test).
            let recording = ScoringModels.waveform(seconds: 0.3, seed: 77)
            let split = 4_003   // not a multiple of the hop: the warm-up aligns frames to the end
            let truth = Array(recording[split ..< split + 10])
            let generator = try Generator(model: ScoringModels.linear)
            func meanSquare(_ x: [Float], _ y: [Float]) -> Double {
                zip(x, y).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) } / Double(x.count)
            }
            let primed = generator.generate(samples: 10, prime: Array(recording[..<split]), temperature: 0, seed: 1)
            let cold = generator.generate(samples: 10, temperature: 0, seed: 1)
            let power = meanSquare(truth, [Float](repeating: 0, count: 10))
            #expect(meanSquare(primed, truth) < 0.05 * power, "primed \(primed) vs true \(truth)")
            #expect(meanSquare(cold, truth) > 0.1 * power, "unprimed output does not know the recording")
        }

        @Test func primedStateMatchesTeacherForcing() throws {
            // After warming up on the primer, the first step's most likely component mean must
            // be what the scorer's teacher-forced pass computes for the frame that ends there.
            let model = ScoringModels.gru
            let recording = ScoringModels.waveform(seconds: 0.2, seed: 78)
            let primer = Array(recording[..<2_000])   // (2000 - 20) % 10 == 0: frames end at the primer's end
            let first = try Generator(model: model).generate(samples: 10, prime: primer, temperature: 0, seed: 1)
            // The last frame of 2010 samples predicts 2000..<2010.
            let (headOutputs, frames) = teacherForcedHeadOutputs(model, Array(recording[..<2_010]))
            let O = model.config.headOutputs
            let outputs = Array(headOutputs[(frames - 1) * O ..< frames * O])
            var rng = SeededGenerator(seed: 1)
            let expected = MixtureDensity(config: model.config).sample(outputs: outputs, temperature: 0, rng: &rng)
                .map { min(1, max(-1, model.normalization.denormalize($0))) }
            for (a, b) in zip(first, expected) { #expect(abs(a - b) < 1e-5, "\(first) vs \(expected)") }
        }

        @Test func samplingSettingsAnchors() {
            // Two components over D = 2: logits favour component 1; sigma = floor + exp(logstd).
            let mixture = MixtureDensity(components: 2, dimensions: 2, sigmaFloor: 0)
            let outputs: [Float] = [0, 1, /* means */ -5, -5, 5, 5, /* log-stds */ 0, 0, log(0.5), log(0.5)]
            var rng = SeededGenerator(seed: 2)
            // Sigma scale 0: the chosen component's mean exactly, whichever it is.
            let means = (0 ..< 200).map { _ in mixture.sample(outputs: outputs, settings: SamplingSettings(sigmaScale: 0), rng: &rng) }
            #expect(means.allSatisfy { $0 == [-5, -5] || $0 == [5, 5] })
            let share = Double(means.filter { $0 == [5, 5] }.count) / 200
            #expect(abs(share - Double(1 / (1 + exp(-1.0)))) < 0.1, "component 1's weight sigmoid(1) = 0.73: \(share)")
            // Component temperature 0: always the likeliest, with its own noise (sigma 0.5).
            let likeliest = (0 ..< 2000).map { _ in mixture.sample(outputs: outputs, settings: SamplingSettings(componentTemperature: 0), rng: &rng)[0] }
            #expect(likeliest.allSatisfy { $0 > 2 })
            let sd = (likeliest.map { Double(($0 - 5) * ($0 - 5)) }.reduce(0, +) / 2000).squareRoot()
            #expect(abs(sd - 0.5) < 0.05, "sigma 0.5: \(sd)")
            // Sigma scale 0.2 scales the spread and nothing else.
            let narrow = (0 ..< 2000).map { _ in mixture.sample(outputs: outputs, settings: SamplingSettings(componentTemperature: 0, sigmaScale: 0.2), rng: &rng)[0] }
            let sdNarrow = (narrow.map { Double(($0 - 5) * ($0 - 5)) }.reduce(0, +) / 2000).squareRoot()
            #expect(abs(sdNarrow - 0.1) < 0.01, "0.2 x 0.5: \(sdNarrow)")
            // One temperature is both axes: (tau, sqrt(tau)).
            #expect(SamplingSettings(temperature: 0.25) == SamplingSettings(componentTemperature: 0.25, sigmaScale: 0.5))
            #expect(SamplingSettings(temperature: 0) == SamplingSettings(componentTemperature: 0, sigmaScale: 0))
        }

        @Test func lowerSigmaScaleLowersTheLevel() throws {
            let generator = try Generator(model: ScoringModels.gru)
            let full = GenerationStatistics(generator.generate(samples: 8_000, seed: 3), normalization: ScoringModels.gru.normalization)
            let calm = GenerationStatistics(generator.generate(samples: 8_000, settings: SamplingSettings(sigmaScale: 0.3), seed: 3))
            #expect(calm.rms < full.rms, "\(calm.rms) vs \(full.rms)")
            let n = ScoringModels.gru.normalization
            #expect(full.trainingRMS == (n.mean * n.mean + n.std * n.std).squareRoot())
            let stats = GenerationStatistics([0.5, -1, 0.9995, 0.2], normalization: nil)
            #expect(stats.clippedFraction == 0.5 && stats.trainingRMS == nil)
            #expect(abs(stats.rms - ((0.25 + 1 + 0.999 + 0.04) / 4).squareRoot()) < 1e-3)
        }

        @Test func linearAtTemperatureZeroIsItsPrediction() throws {
            let model = ScoringModels.linear
            let primer = ScoringModels.waveform(seconds: 0.05, seed: 3)
            let out = try Generator(model: model).generate(samples: 10, prime: primer, temperature: 0, seed: 9)
            let predictor = LinearPredictor(parameters: model.parameters)
            let expected = predictor.predict(input: primer.suffix(20).map(model.normalization.normalize))
                .map(model.normalization.denormalize)
            for (a, b) in zip(out, expected) { #expect(abs(a - b) < 1e-6) }
        }
    }
}

/// The head's raw outputs (frames, K(1+2D)) of `model` run over a whole recording in one
/// batch-1 chunk from a zero state, and the state it ends in: the plain teacher-forced pass
/// the optimized paths (generator priming, the scorer's prediction) are checked against.
func teacherForcedPass(_ model: TrainedModel, _ samples: [Float]) -> (outputs: [Float], frames: Int, state: [Float]) {
    let normalized = samples.map(model.normalization.normalize)
    let frames = FrameSpec.paper.frameCount(samples: normalized.count)
    let network = RecurrentMDN<Float>(config: model.config)
    let workspace = network.makeWorkspace(batch: 1, steps: frames)
    var inputs: [Float] = [], targets: [Float] = []
    for t in 0 ..< frames {
        inputs += normalized[10 * t ..< 10 * t + 20]
        targets += normalized[10 * t + 20 ..< 10 * t + 30]
    }
    var state = [Float](repeating: 0, count: network.stateSize)
    _ = network.forward(parameters: model.parameters, inputs: inputs, targets: targets, state: &state,
                        workspace: workspace, steps: frames)
    return (workspace.headOutputs, frames, state)
}

func teacherForcedHeadOutputs(_ model: TrainedModel, _ samples: [Float]) -> (outputs: [Float], frames: Int) {
    let pass = teacherForcedPass(model, samples)
    return (pass.outputs, pass.frames)
}
