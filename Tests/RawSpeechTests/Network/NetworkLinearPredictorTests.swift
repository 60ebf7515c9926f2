// The closed-form linear baseline: recovers a known linear map and noise level, streams,
// scores with the Gaussian NLL, and reports too little data clearly.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork

@Suite struct NetworkLinearPredictorTests {
    @Test func recoversKnownLinearMap() throws {
        let I = 4, D = 2
        let A: [[Double]] = [[0.5, -1, 0, 2], [0, 0.25, 1, -0.5]], c = [0.1, -0.3], noise = [0.2, 0.05]
        var rng = SeededGenerator(seed: 9)
        var accumulator = LinearPredictor.Accumulator(inputSize: I, targetSize: D)
        var frames: [([Float], [Float])] = []
        for _ in 0 ..< 20_000 {
            let x = (0 ..< I).map { _ in rng.nextGaussian() }
            let y = (0 ..< D).map { d in (0 ..< I).reduce(c[d]) { $0 + A[d][$1] * x[$1] } + noise[d] * rng.nextGaussian() }
            frames.append((x.map(Float.init), y.map(Float.init)))
            accumulator.add(input: frames.last!.0, target: frames.last!.1)
        }
        let predictor = try accumulator.fit()
        for d in 0 ..< D {
            for i in 0 ..< I { #expect(abs(Double(predictor.parameters[d * I + i]) - A[d][i]) < 0.01) }
            #expect(abs(Double(predictor.parameters[D * I + d]) - c[d]) < 0.01)
            #expect(abs(Double(predictor.parameters[D * I + D + d]) / noise[d] - 1) < 0.02)
        }
        // Mean NLL approaches the noise's own entropy.
        let entropy = (0 ..< D).reduce(0.0) { $0 + 0.5 * log(2 * Double.pi * M_E * noise[$1] * noise[$1]) }
        let nll = frames.reduce(0.0) { $0 + Double(predictor.nll(input: $1.0, target: $1.1)) } / Double(frames.count)
        #expect(abs(nll - entropy) < 0.02, "nll \(nll) vs entropy \(entropy)")
        #expect(predictor.predict(input: [Float](repeating: 0, count: I)).enumerated().allSatisfy { abs(Double($1) - c[$0]) < 0.01 })
    }

    @Test func tooFewFramesIsAClearError() {
        var accumulator = LinearPredictor.Accumulator(inputSize: 20, targetSize: 10)
        accumulator.add(input: [Float](repeating: 1, count: 20), target: [Float](repeating: 0, count: 10))
        #expect(throws: LinearPredictorError.notEnoughFrames(have: 1, need: 21)) { try accumulator.fit() }
    }

    @Test func parametersRoundTripThroughTrainedModel() throws {
        var accumulator = LinearPredictor.Accumulator()
        var rng = SeededGenerator(seed: 2)
        for _ in 0 ..< 100 {
            accumulator.add(input: (0 ..< 20).map { _ in Float(rng.nextGaussian()) },
                            target: (0 ..< 10).map { _ in Float(rng.nextGaussian()) })
        }
        let predictor = try accumulator.fit()
        #expect(predictor.parameters.count == LinearPredictor.parameterCount(inputSize: 20, targetSize: 10))
        let restored = LinearPredictor(parameters: predictor.parameters)
        #expect(restored == predictor)
    }
}
