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
/// batch-1 chunk from a zero state: the plain teacher-forced pass the optimized paths
/// (generator priming, the scorer's prediction) are checked against.
func teacherForcedHeadOutputs(_ model: TrainedModel, _ samples: [Float]) -> (outputs: [Float], frames: Int) {
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
    return (workspace.headOutputs, frames)
}
