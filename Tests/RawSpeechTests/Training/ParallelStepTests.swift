import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork
@testable import RawSpeechTraining

/// The batch split across threads computes the whole batch's loss, gradient and final state
/// to float rounding, and the same bits every time.
@Suite struct ParallelStepTests {
    struct Chunk {
        var parameters: [Float], inputs: [Float], targets: [Float], state: [Float]
    }

    func chunk(_ model: RecurrentMDN<Float>, batch: Int, steps: Int) -> Chunk {
        var rng = SeededGenerator(seed: 7)
        var parameters: [Float] = []
        model.initializeParameters(&parameters, using: &rng)
        let rows = batch * steps
        let inputs = (0 ..< rows * model.config.inputSize).map { _ in Float(rng.nextGaussian()) }
        let targets = (0 ..< rows * model.config.targetSize).map { _ in Float(rng.nextGaussian()) }
        let state = (0 ..< batch * model.stateSize).map { _ in Float(0.5 * rng.nextGaussian()) }
        return Chunk(parameters: parameters, inputs: inputs, targets: targets, state: state)
    }

    func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        var difference = 0.0, norm = 0.0
        for i in a.indices {
            difference += Double(a[i] - b[i]) * Double(a[i] - b[i])
            norm += Double(b[i]) * Double(b[i])
        }
        return (difference / max(norm, 1e-30)).squareRoot()
    }

    // Small models, an odd batch, and the paper's sizes at B = 32 (the AVX-512 packed
    // recurrent kernels and OpenBLAS called from both threads at once).
    @Test(arguments: [(Cell.tanh, 24, 8), (.gru, 24, 8), (.lstm, 24, 8), (.gru, 24, 7),
                      (.tanh, 400, 32), (.gru, 227, 32), (.lstm, 195, 32)])
    func splitMatchesWholeBatch(cell: Cell, units: Int, batch: Int) {
        let model = RecurrentMDN<Float>(config: ModelConfig(cell: cell, units: units, components: units > 24 ? 20 : 4))
        let steps = 12
        let c = chunk(model, batch: batch, steps: steps)

        var wholeState = c.state
        let workspace = model.makeWorkspace(batch: batch, steps: steps)
        let wholeLoss = model.forward(parameters: c.parameters, inputs: c.inputs, targets: c.targets,
                                      state: &wholeState, workspace: workspace, steps: steps)
        var wholeGradient = [Float](repeating: 0, count: model.parameterCount)
        model.backward(parameters: c.parameters, gradient: &wholeGradient, workspace: workspace)

        let split = ParallelStep(network: model, batch: batch, steps: steps, parts: 2)
        #expect(split.partCount == 2)
        var results: [(loss: Float, gradient: [Float], state: [Float])] = []
        for _ in 0 ..< 3 {
            var state = c.state
            var gradient = [Float](repeating: .nan, count: model.parameterCount)  // overwritten
            let loss = split.run(parameters: c.parameters, inputs: c.inputs, targets: c.targets,
                                 state: &state, gradient: &gradient)
            results.append((loss, gradient, state))
        }
        let first = results[0]
        #expect(abs(Double(first.loss - wholeLoss)) <= 1e-5 * max(1, abs(Double(wholeLoss))), "\(first.loss) vs \(wholeLoss)")
        #expect(relativeError(first.gradient, wholeGradient) < 1e-5, "gradient rel. error \(relativeError(first.gradient, wholeGradient))")
        #expect(relativeError(first.state, wholeState) < 1e-5)
        // Deterministic: bitwise the same on every run.
        for other in results.dropFirst() {
            #expect(other.loss.bitPattern == first.loss.bitPattern)
            #expect(other.gradient.map(\.bitPattern) == first.gradient.map(\.bitPattern))
            #expect(other.state.map(\.bitPattern) == first.state.map(\.bitPattern))
        }
    }
}
