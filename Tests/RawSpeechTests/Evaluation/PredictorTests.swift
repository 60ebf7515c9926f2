// The one interface evaluation runs models through (Network's Predictor) and the frame view
// it fills its buffers from: a stream fed chunk by chunk gives every frame the NLL and mean
// of the batched pass, for the recurrent model and the linear baseline; the frame view's
// copies and the stitched one-step prediction land each sample where FrameSpec says.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork

extension EvaluationTests {
    @Suite struct PredictorTests {
        @Test func streamMatchesTheBatchedPass() throws {
            let recordings = [0.21, 0.13, 0.3].enumerated().map { index, seconds in
                ScoringModels.waveform(seconds: seconds, seed: UInt64(60 + index)).map(ScoringModels.gru.normalization.normalize)
            }
            for model in [ScoringModels.gru, ScoringModels.linear] {
                let predictor = try model.makePredictor()
                #expect((predictor.stateSize > 0) == (model.kind == .recurrent))
                let batched = predictor.frames(of: recordings, batch: 2, steps: 11)
                let stream = predictor.makeStream(steps: 9)
                let D = predictor.frame.target
                for (recording, expected) in zip(recordings, batched) {
                    let framed = FramedSamples(samples: recording, spec: predictor.frame)
                    #expect(expected.nll.count == framed.count && expected.means.count == framed.count * D)
                    var nll = [Float](repeating: .nan, count: framed.count)
                    var means = [Float](repeating: .nan, count: framed.count * D)
                    stream.reset()
                    var first = 0
                    while first < framed.count {
                        let chunk = min(stream.steps, framed.count - first)
                        nll.withUnsafeMutableBufferPointer { n in
                            means.withUnsafeMutableBufferPointer { m in
                                stream.advance(framed, frames: first ..< first + chunk,
                                               nll: n.baseAddress! + first, means: m.baseAddress! + first * D)
                            }
                        }
                        first += chunk
                    }
                    // Batch rows differ from B = 1 in the last bits of the GEMMs only.
                    let tolerance: Double = model.kind == .linear ? 0 : 1e-5
                    EvalCheck.expectClose(nll.map(Double.init), expected.nll.map(Double.init),
                                          relative: tolerance, absolute: tolerance, "\(model.kind) NLL per frame")
                    EvalCheck.expectClose(means.map(Double.init), expected.means.map(Double.init),
                                          relative: tolerance, absolute: tolerance, "\(model.kind) means per frame")
                }
            }
        }

        @Test func linearPredictorIsTheClosedForm() throws {
            let model = ScoringModels.linear
            let predictor = try model.makePredictor()
            let recording = ScoringModels.waveform(seconds: 0.05, seed: 3).map(model.normalization.normalize)
            let result = predictor.frames(of: [recording], batch: 1, steps: 1)[0]
            let linear = LinearPredictor(parameters: model.parameters)
            let framed = FramedSamples(samples: recording, spec: model.frame)
            for t in [0, framed.count / 2, framed.count - 1] {
                #expect(result.nll[t] == linear.nll(input: framed.input(t), target: framed.target(t)))
                #expect(Array(result.means[t * 10 ..< (t + 1) * 10]) == linear.predict(input: framed.input(t)))
            }
        }

        @Test func inconsistentModelsAreRefused() {
            var model = ScoringModels.linear
            model.parameters.removeLast()
            #expect(throws: TrainedModelError.self) { try model.makePredictor() }
            var recurrent = ScoringModels.gru
            recurrent.sampleRate = 0
            #expect(throws: TrainedModelError.inconsistent("sample rate 0 Hz")) { try recurrent.makePredictor() }
        }

        @Test func frameViewCopiesAndStitches() {
            let spec = FrameSpec(input: 4, target: 3, hop: 2)
            let samples = (0 ..< 15).map(Float.init)
            let framed = FramedSamples(samples: samples, spec: spec)
            #expect(framed.count == 5)   // (15 - 7) / 2 + 1
            var input = [Float](repeating: -1, count: 4), target = [Float](repeating: -1, count: 3)
            input.withUnsafeMutableBufferPointer { x in
                target.withUnsafeMutableBufferPointer { y in framed.copy(frame: 3, input: x.baseAddress!, target: y.baseAddress!) }
            }
            #expect(input == [6, 7, 8, 9] && target == [10, 11, 12])
            // Each frame's "prediction" is its own target: stitched, it is the recording from
            // targetStart(0) on, each sample once.
            let perFrame = (0 ..< framed.count).flatMap { Array(framed.target($0)) }
            let closed = spec.stitchTargets(perFrame, frames: framed.count, closing: true)
            #expect(closed == Array(samples[spec.targetStart(0) ..< spec.samplesSpanned(frames: framed.count)]))
            let open = spec.stitchTargets(perFrame, frames: framed.count, closing: false)
            #expect(open == Array(samples[4 ..< 4 + 2 * framed.count]))
        }
    }
}
