// The optimized forward pass (chunk GEMMs, fused gate loops, fast Float exp/tanh) against
// the plain-loop reference beside it, in Double and in Float; state carried across chunks;
// and Float against Double for the loss and the gradient.
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork

@Suite struct NetworkForwardReferenceTests {
    @Test(arguments: SmallShapes.all.map(\.name))
    func optimizedMatchesNaiveInDouble(name: String) {
        let config = SmallShapes.all.first { $0.name == name }!.config
        let problem = RandomProblem<Double>(config: config, batch: 3, steps: 5)
        let workspace = problem.model.makeWorkspace(batch: 3, steps: 5)
        var state = problem.state
        let loss = problem.model.forward(parameters: problem.parameters, inputs: problem.inputs,
                                         targets: problem.targets, state: &state, workspace: workspace, steps: 5)
        let reference = problem.model.naiveForward(parameters: problem.parameters, inputs: problem.inputs,
                                                   targets: problem.targets, state: problem.state, batch: 3, steps: 5)
        #expect(abs(loss - reference.meanNLL) < 1e-12)
        let outputs = Discrepancy(workspace.headOutputs, reference.headOutputs, floor: 1e-6)
        let frames = Discrepancy(workspace.frameNLL, reference.frameNLL, floor: 1e-6)
        let finalState = Discrepancy(state, reference.finalState, floor: 1e-6)
        #expect(outputs.worst < 1e-12, "head outputs: \(outputs)")
        #expect(frames.worst < 1e-12, "frame NLL: \(frames)")
        #expect(finalState.worst < 1e-12, "final state: \(finalState)")
    }

    @Test(arguments: SmallShapes.all.map(\.name))
    func floatMatchesDouble(name: String) {
        let config = SmallShapes.all.first { $0.name == name }!.config
        let double = RandomProblem<Double>(config: config)
        let float = RandomProblem<Float>(config: config)  // same seed: same numbers, rounded
        let doubleWorkspace = double.model.makeWorkspace(batch: double.batch, steps: double.steps)
        let floatWorkspace = float.model.makeWorkspace(batch: float.batch, steps: float.steps)
        let doubleLoss = double.loss(workspace: doubleWorkspace)
        let floatLoss = float.loss(workspace: floatWorkspace)
        #expect(abs(Double(floatLoss) - doubleLoss) < 1e-5 * max(1, abs(doubleLoss)))
        var doubleGradient = [Double](repeating: 0, count: double.model.parameterCount)
        var floatGradient = [Float](repeating: 0, count: float.model.parameterCount)
        double.model.backward(parameters: double.parameters, gradient: &doubleGradient, workspace: doubleWorkspace)
        float.model.backward(parameters: float.parameters, gradient: &floatGradient, workspace: floatWorkspace)
        // Relative to the gradient's scale: Float carries ~7 digits through T steps.
        let scale = doubleGradient.map(abs).max()!
        let check = Discrepancy(floatGradient, doubleGradient, floor: scale)
        #expect(check.worst < 1e-5, "\(name): \(check)")
    }

    /// Two chunks of T/2 with the state carried equal one chunk of T; a workspace made for
    /// more steps runs shorter chunks.
    @Test(arguments: [Cell.gru, .lstm])
    func stateCarriesAcrossChunks(cell: Cell) {
        let config = SmallShapes.config(cell, layers: 2)
        let problem = RandomProblem<Double>(config: config, batch: 2, steps: 6)
        let model = problem.model
        let whole = model.makeWorkspace(batch: 2, steps: 6), half = model.makeWorkspace(batch: 2, steps: 8)
        var wholeState = problem.state, halfState = problem.state
        let wholeLoss = model.forward(parameters: problem.parameters, inputs: problem.inputs, targets: problem.targets,
                                      state: &wholeState, workspace: whole, steps: 6)
        let rowsIn = 3 * 2 * config.inputSize, rowsOut = 3 * 2 * config.targetSize
        let first = model.forward(parameters: problem.parameters, inputs: Array(problem.inputs[..<rowsIn]),
                                  targets: Array(problem.targets[..<rowsOut]), state: &halfState, workspace: half, steps: 3)
        let firstOutputs = half.headOutputs
        let second = model.forward(parameters: problem.parameters, inputs: Array(problem.inputs[rowsIn...]),
                                   targets: Array(problem.targets[rowsOut...]), state: &halfState, workspace: half, steps: 3)
        #expect(abs((first + second) / 2 - wholeLoss) < 1e-12)
        #expect(Discrepancy(halfState, wholeState, floor: 1e-6).worst < 1e-12)
        #expect(Discrepancy(firstOutputs + half.headOutputs, whole.headOutputs, floor: 1e-6).worst < 1e-12)
    }

    @Test func layoutMatchesModelConfig() {
        for (_, config) in SmallShapes.all {
            let model = RecurrentMDN<Float>(config: config)
            #expect(model.parameterCount == config.parameterCount)
            let ranges = model.layout.namedRanges.map(\.range)
            #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == config.parameterCount)
            #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            #expect(model.layout.headWeights.lowerBound == config.recurrentParameterCount)
        }
        #expect(RecurrentMDN<Float>(config: ModelConfig(cell: .lstm, units: 195)).stateSize == 390)
        #expect(RecurrentMDN<Float>(config: ModelConfig(cell: .gru, units: 227, layers: 2)).stateSize == 454)
    }

    @Test func initializationIsSeededAndSensible() {
        let model = RecurrentMDN<Float>(config: ModelConfig(cell: .lstm, units: 16))
        var a: [Float] = [], b: [Float] = []
        var rng1 = SeededGenerator(seed: 3), rng2 = SeededGenerator(seed: 3)
        model.initializeParameters(&a, using: &rng1)
        model.initializeParameters(&b, using: &rng2)
        #expect(a == b && a.count == model.parameterCount)
        let bias = model.layout.layers[0].bias
        #expect(a[bias.lowerBound + 16 ..< bias.lowerBound + 32].allSatisfy { $0 == 1 })  // forget gate
        #expect(a[model.layout.layers[0].inputWeights].allSatisfy { abs($0) <= 1 / Float(20).squareRoot() })
        // A fresh model predicts unit-ish Gaussians: its loss on N(0,1) targets is near
        // the unit Gaussian's 10 * 1.419 nats, not wildly off.
        let workspace = model.makeWorkspace(batch: 2, steps: 3)
        var rng = SeededGenerator(seed: 5)
        let inputs = (0 ..< 120).map { _ in Float(rng.nextGaussian()) }
        let targets = (0 ..< 60).map { _ in Float(rng.nextGaussian()) }
        var state = [Float](repeating: 0, count: 2 * model.stateSize)
        let loss = model.forward(parameters: a, inputs: inputs, targets: targets, state: &state, workspace: workspace, steps: 3)
        #expect(loss > 10 && loss < 25, "initial loss \(loss)")
    }
}

/// Batch 1 takes another BLAS route in Float (GEMV instead of GEMM for the per-step
/// products): check it against the naive reference and against Double.
@Suite struct NetworkBatchOneTests {
    @Test(arguments: SmallShapes.all.map(\.name))
    func batchOneFloatMatchesReferenceAndDouble(name: String) {
        let config = SmallShapes.all.first { $0.name == name }!.config
        let float = RandomProblem<Float>(config: config, batch: 1, steps: 6)
        let double = RandomProblem<Double>(config: config, batch: 1, steps: 6)
        let floatWorkspace = float.model.makeWorkspace(batch: 1, steps: 6)
        let doubleWorkspace = double.model.makeWorkspace(batch: 1, steps: 6)
        var state = float.state
        let loss = float.model.forward(parameters: float.parameters, inputs: float.inputs, targets: float.targets,
                                       state: &state, workspace: floatWorkspace, steps: 6)
        let reference = double.model.naiveForward(parameters: double.parameters, inputs: double.inputs,
                                                  targets: double.targets, state: double.state, batch: 1, steps: 6)
        #expect(abs(Double(loss) - reference.meanNLL) < 1e-5 * max(1, abs(reference.meanNLL)))
        #expect(Discrepancy(state, reference.finalState, floor: 1).worst < 1e-5)
        #expect(Discrepancy(floatWorkspace.headOutputs, reference.headOutputs, floor: 1).worst < 1e-5)
        _ = double.loss(workspace: doubleWorkspace)
        var floatGradient = [Float](repeating: 0, count: float.model.parameterCount)
        var doubleGradient = [Double](repeating: 0, count: double.model.parameterCount)
        float.model.backward(parameters: float.parameters, gradient: &floatGradient, workspace: floatWorkspace)
        double.model.backward(parameters: double.parameters, gradient: &doubleGradient, workspace: doubleWorkspace)
        let check = Discrepancy(floatGradient, doubleGradient, floor: doubleGradient.map(abs).max()!)
        #expect(check.worst < 1e-5, "\(name): \(check)")
        let inputCheck = Discrepancy(floatWorkspace.inputGradient, doubleWorkspace.inputGradient,
                                     floor: doubleWorkspace.inputGradient.map(abs).max()!)
        #expect(inputCheck.worst < 1e-5, "\(name) inputs: \(inputCheck)")
    }
}
