// Issue 10: with the same seed, a primed and an unprimed run agree after about 0.1 s. These
// tests tell the two explanations apart. If the generator dropped the primed state, the
// state after priming would differ from the teacher-forced one, or the generator's draws
// would differ from a reference loop that carries the state by hand. If instead the model
// forgets, two states fed the same inputs converge by themselves, and the free runs agree
// exactly when (and because) their states have met, not while the states still differ.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork
@testable import RawSpeechTraining
@testable import RawSpeechEvaluation

extension EvaluationTests {
    @Suite struct GeneratorMemoryTests {
        /// The model under study: the small trained GRU, or RAWSPEECH_MEMORY_MODEL (a model
        /// file, e.g. runs/gru/model.ckpt) to measure a real one (prints its figures).
        static func model() throws -> TrainedModel {
            if let path = ProcessInfo.processInfo.environment["RAWSPEECH_MEMORY_MODEL"] {
                return try Checkpoint.loadModel(from: URL(fileURLWithPath: path))
            }
            return ScoringModels.gru
        }

        static func primer(_ model: TrainedModel) -> [Float] {
            Array(ScoringModels.waveform(seconds: 0.2, seed: 91)[..<3_000])   // (3000 - 20) % 10 == 0
        }

        /// The recurrent state after the frames of `samples` whose inputs end by its last 10
        /// samples, from a zero state, teacher-forced in one chunk through the network's forward.
        /// (The frames whose targets fit, (count - 20) / 10 of them: FrameSpec's frame count.)
        static func teacherForcedState(_ model: TrainedModel, _ samples: [Float]) -> [Float] {
            teacherForcedPass(model, samples).state
        }

        @Test func primingLeavesTheTeacherForcedState() throws {
            let model = try Self.model()
            let primer = Self.primer(model)
            let generator = try Generator(model: model)
            _ = generator.generate(samples: 0, prime: primer, seed: 1)
            let stream = try #require(generator.stream as? RecurrentPredictor.Stream)
            // Every frame whose input ends by the primer's last 10 samples: the last 20 are the
            // first draw's context.
            let expected = Self.teacherForcedState(model, primer)
            let worst = zip(stream.state, expected).map { abs($0 - $1) }.max() ?? 1
            #expect(worst < 1e-5, "state after priming differs from teacher forcing by \(worst)")
            #expect(expected.map(abs).max()! > 0.05, "the primer leaves a real state")
        }

        @Test func generatorCarriesTheStateThroughEveryDraw() throws {
            // A reference loop written out here (what the generator ran before its own step):
            // the network's forward at T = 1 with the state carried by hand from the warmed
            // one (checked against teacher forcing above), the mixture's collection `sample`.
            // The generator's output must be the same samples, exactly.
            let model = try Self.model()
            let primer = Self.primer(model)
            let count = 2_000
            let network = RecurrentMDN<Float>(config: model.config)
            let workspace = network.makeWorkspace(batch: 1, steps: 1)
            let mixture = MixtureDensity(config: model.config)
            let warmed = try Generator(model: model)
            _ = warmed.generate(samples: 0, prime: primer, seed: 1)
            var state = try #require(warmed.stream as? RecurrentPredictor.Stream).state
            var context = primer.suffix(20).map(model.normalization.normalize)
            var rng = SeededGenerator(seed: 4)
            var expected: [Float] = []
            while expected.count < count {
                _ = network.forward(parameters: model.parameters, inputs: context, targets: [Float](repeating: 0, count: 10),
                                    state: &state, workspace: workspace, steps: 1)
                let draw = mixture.sample(outputs: workspace.headOutputs, temperature: 1, rng: &rng)
                context = Array(context.dropFirst(10)) + draw
                expected += draw.map { min(1, max(-1, model.normalization.denormalize($0))) }
            }
            let generated = try Generator(model: model).generate(samples: count, prime: primer, seed: 4)
            let differing = zip(generated, expected).filter { $0 != $1 }.count
            #expect(generated.count == count && differing == 0, "\(differing) of \(count) samples differ")
        }

        @Test func primedAndUnprimedRunsMeetBecauseTheirStatesMeet() throws {
            let model = try Self.model()
            let normalization = model.normalization
            let predictor = try model.makePredictor()
            let primer = Self.primer(model).map(normalization.normalize)
            // Two streams with the same seed: one warmed on the primer, one from zero.
            let primed = try Generator(model: model), cold = try Generator(model: model)
            _ = primed.generate(samples: 0, prime: Self.primer(model), seed: 1)
            _ = cold.generate(samples: 0, seed: 1)
            let a = primed.stream as! RecurrentPredictor.Stream, b = cold.stream as! RecurrentPredictor.Stream
            var contextA = Array(primer.suffix(20)), contextB = [Float](repeating: normalization.normalize(0), count: 20)
            var rngA = SeededGenerator(seed: 1), rngB = SeededGenerator(seed: 1)
            var drawA = [Float](repeating: 0, count: 10), drawB = drawA
            // A third stream from zero fed the primed run's own samples: the same inputs as
            // the primed stream, so its distance to it is the model's own forgetting.
            let forced = try Generator(model: model)
            _ = forced.generate(samples: 0, seed: 1)
            let c = forced.stream as! RecurrentPredictor.Stream
            var rngC = SeededGenerator(seed: 1), drawC = drawA
            var stateDistance: [Float] = [], forcedDistance: [Float] = [], drawsEqual: [Bool] = []
            func distance(_ x: [Float], _ y: [Float]) -> Float { zip(x, y).map { abs($0 - $1) }.max() ?? 0 }
            let steps = 400   // 0.25 s at 16 kHz
            for _ in 0 ..< steps {
                contextA.withUnsafeBufferPointer { x in drawA.withUnsafeMutableBufferPointer {
                    a.sample(input: x.baseAddress!, settings: .model, rng: &rngA, into: $0.baseAddress!) } }
                contextB.withUnsafeBufferPointer { x in drawB.withUnsafeMutableBufferPointer {
                    b.sample(input: x.baseAddress!, settings: .model, rng: &rngB, into: $0.baseAddress!) } }
                contextA.withUnsafeBufferPointer { x in drawC.withUnsafeMutableBufferPointer {
                    c.sample(input: x.baseAddress!, settings: .model, rng: &rngC, into: $0.baseAddress!) } }
                stateDistance.append(distance(a.state, b.state))
                forcedDistance.append(distance(a.state, c.state))
                drawsEqual.append(drawA == drawB)
                contextA = Array(contextA.dropFirst(10)) + drawA
                contextB = Array(contextB.dropFirst(10)) + drawB
            }
            // Same inputs, two states: how fast the model itself forgets (teacher-forced on
            // the primed run's own draws, from the primed state and from zero).
            let met = drawsEqual.firstIndex { $0 }.map { first in (first ..< steps).allSatisfy { drawsEqual[$0] } ? first : nil } ?? nil
            if ProcessInfo.processInfo.environment["RAWSPEECH_MEMORY_MEASURE"] != nil {
                let marks = [0, 10, 20, 40, 60, 80, 100, 150, 200, 300, 399]
                print("memory: free runs, state distance at steps \(marks): \(marks.map { stateDistance[$0] })")
                print("memory: same inputs, state distance at steps \(marks): \(marks.map { forcedDistance[$0] })")
                print("memory: draws equal from step \(met.map(String.init) ?? "never") on (of \(steps))")
            }
            // Where the draws agree, the states agree: the noise is the same sequence, and it
            // is the state, not the noise, that decides the draw.
            for n in 0 ..< steps where drawsEqual[n] && n + 1 < steps {
                #expect(stateDistance[n] < 1e-4, "draws equal at step \(n) with states \(stateDistance[n]) apart")
            }
            #expect(predictor.stateSize > 0 && stateDistance[0] > 1e-2, "the primer starts the states apart")
            // Fed the same inputs, the two states meet within 100 frames (62 ms): the model's
            // memory of the primer is short (GRU-227 after 3 minutes: 1e-6 after 80 frames).
            #expect(forcedDistance[100] < 1e-3 * forcedDistance[0], "\(forcedDistance[100]) vs \(forcedDistance[0])")
        }
    }
}
