// The music head (D Bernoulli notes) and the mask of padded rows: finite differences in
// Double for every cell with some rows masked, masked rows that contribute exactly nothing,
// a padded batch that equals its sequences run alone, PyTorch's autograd on the same
// weights (tools/make-music-fixtures.py), and configs from before the head still loading.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork

/// A small music problem: rolls of 0/1 notes, inputs the previous step, rolls of unequal
/// length padded and masked (sequence b has `lengths[b]` real steps).
struct MaskedNotesProblem {
    static let notes = 6, units = 5
    static let lengths = [4, 2, 3]
    let model: RecurrentMDN<Double>
    var parameters: [Double]
    var inputs: [Double]
    var targets: [Double]
    let mask: [Double]
    let steps = 4, batch = 3

    init(cell: Cell, layers: Int = 1, seed: UInt64 = 5) {
        let config = ModelConfig(cell: cell, units: Self.units, layers: layers, inputSize: Self.notes,
                                 targetSize: Self.notes, output: .bernoulli)
        model = RecurrentMDN<Double>(config: config)
        var rng = SeededGenerator(seed: seed)
        parameters = (0 ..< model.parameterCount).map { _ in rng.nextUniform() - 0.5 }
        let rolls = Self.lengths.map { length in
            (0 ..< length * Self.notes).map { _ in Float(rng.nextUniform() < 0.4 ? 1 : 0) }
        }
        var x = [Float](repeating: 0, count: 4 * 3 * Self.notes), y = x, m = [Float](repeating: 0, count: 12)
        PianoRollBatch.fill(rolls.map { $0[...] }, notes: Self.notes, batch: 3, steps: 4, inputs: &x, targets: &y, mask: &m)
        inputs = x.map(Double.init)
        targets = y.map(Double.init)
        // Padded targets set to 1 rather than 0: a mask that leaked would change the loss.
        for row in 0 ..< 12 where m[row] == 0 {
            for j in 0 ..< Self.notes { targets[row * Self.notes + j] = 1 }
        }
        mask = m.map(Double.init)
    }

    func loss(parameters: [Double]? = nil, inputs: [Double]? = nil, targets: [Double]? = nil,
              workspace: RecurrentMDN<Double>.Workspace) -> Double {
        var state = [Double](repeating: 0, count: batch * model.stateSize)
        return model.forward(parameters: parameters ?? self.parameters, inputs: inputs ?? self.inputs,
                             targets: targets ?? self.targets, state: &state, workspace: workspace,
                             steps: steps, mask: mask)
    }
}

@Suite struct NetworkBernoulliHeadTests {
    @Test(arguments: ["tanh", "gru", "lstm", "lstm-2-layers"])
    func maskedGradientMatchesFiniteDifferences(name: String) {
        let cell = Cell(rawValue: String(name.prefix { $0 != "-" }))!
        let problem = MaskedNotesProblem(cell: cell, layers: name.hasSuffix("2-layers") ? 2 : 1)
        let model = problem.model
        let workspace = model.makeWorkspace(batch: problem.batch, steps: problem.steps)
        _ = problem.loss(workspace: workspace)
        var gradient = [Double](repeating: 0, count: model.parameterCount)
        model.backward(parameters: problem.parameters, gradient: &gradient, workspace: workspace)
        let inputGradient = workspace.inputGradient

        let (analytic, check) = NetworkGradientCheckTests.sampledCheck(
            namedRanges: model.layout.namedRanges, gradient: gradient, inputCount: problem.inputs.count,
            inputGradient: { inputGradient[$0] }, seed: 12,
            lossAtParameter: { index, step in
                var p = problem.parameters
                p[index] += step
                return problem.loss(parameters: p, workspace: workspace)
            },
            lossAtInput: { coordinate, step in
                var x = problem.inputs
                x[coordinate] += step
                return problem.loss(inputs: x, workspace: workspace)
            })
        #expect(check.worst < 1e-6, "\(name): \(check)")
        #expect(analytic.filter { abs($0) > 1e-4 }.count > analytic.count / 2, "\(name): gradients mostly ~0")
    }

    /// Padded rows: NLL 0, output gradient and every layer's d loss/d h and gate gradient
    /// exactly 0, and their targets and inputs change nothing.
    @Test(arguments: [Cell.tanh, .gru, .lstm])
    func maskedRowsContributeNothing(cell: Cell) {
        let problem = MaskedNotesProblem(cell: cell)
        let model = problem.model
        let workspace = model.makeWorkspace(batch: problem.batch, steps: problem.steps)
        let loss = problem.loss(workspace: workspace)
        var gradient = [Double](repeating: 0, count: model.parameterCount)
        model.backward(parameters: problem.parameters, gradient: &gradient, workspace: workspace)
        let (D, H, G) = (MaskedNotesProblem.notes, MaskedNotesProblem.units, model.gateWidth)
        let padded = problem.mask.indices.filter { problem.mask[$0] == 0 }
        #expect(padded.count == 3, "the problem has padded rows")
        let frames = workspace.frameNLL
        for row in padded {
            #expect(frames[row] == 0)
            #expect((0 ..< D).allSatisfy { workspace.outputGradient.pointer[row * D + $0] == 0 }, "row \(row)")
            let layer = workspace.layers[0]
            #expect((0 ..< H).allSatisfy { layer.outputGradient.pointer[row * H + $0] == 0 }, "row \(row) dh")
            #expect((0 ..< G).allSatisfy { layer.gateGradient.pointer[row * G + $0] == 0 }, "row \(row) gates")
        }
        // Other targets and inputs on the padded rows: the same loss and gradient, bit for bit.
        var targets = problem.targets, inputs = problem.inputs
        for row in padded {
            for j in 0 ..< D { targets[row * D + j] = 1 - targets[row * D + j]; inputs[row * D + j] = 0.7 }
        }
        let other = model.makeWorkspace(batch: problem.batch, steps: problem.steps)
        let loss2 = problem.loss(inputs: inputs, targets: targets, workspace: other)
        var gradient2 = [Double](repeating: 0, count: model.parameterCount)
        model.backward(parameters: problem.parameters, gradient: &gradient2, workspace: other)
        #expect(loss2 == loss)
        #expect(gradient2 == gradient)
    }

    /// The padded batch's loss and gradient are its sequences' run one by one, each with
    /// its own length, weighted by steps: padding is invisible.
    @Test(arguments: [Cell.tanh, .gru, .lstm])
    func paddedBatchEqualsSequencesAlone(cell: Cell) {
        let problem = MaskedNotesProblem(cell: cell)
        let model = problem.model
        let D = MaskedNotesProblem.notes
        let workspace = model.makeWorkspace(batch: problem.batch, steps: problem.steps)
        let batchLoss = problem.loss(workspace: workspace)
        var batchGradient = [Double](repeating: 0, count: model.parameterCount)
        model.backward(parameters: problem.parameters, gradient: &batchGradient, workspace: workspace)

        var lossSum = 0.0, gradientSum = [Double](repeating: 0, count: model.parameterCount)
        let total = Double(MaskedNotesProblem.lengths.reduce(0, +))
        for (b, length) in MaskedNotesProblem.lengths.enumerated() {
            var x: [Double] = [], y: [Double] = []
            for t in 0 ..< length {
                let row = t * problem.batch + b
                x += problem.inputs[row * D ..< (row + 1) * D]
                y += problem.targets[row * D ..< (row + 1) * D]
            }
            let alone = model.makeWorkspace(batch: 1, steps: length)
            var state = [Double](repeating: 0, count: model.stateSize)
            let loss = model.forward(parameters: problem.parameters, inputs: x, targets: y, state: &state,
                                     workspace: alone, steps: length)
            lossSum += loss * Double(length)
            var g = [Double](repeating: 0, count: model.parameterCount)
            model.backward(parameters: problem.parameters, gradient: &g, workspace: alone)
            for i in g.indices { gradientSum[i] += g[i] * Double(length) / total }
        }
        #expect(abs(batchLoss - lossSum / total) < 1e-12)
        let check = Discrepancy(batchGradient, gradientSum, floor: 1e-8)
        #expect(check.worst < 1e-10, "\(check)")
    }

    @Test(arguments: ["tanh", "gru", "lstm"])
    func matchesPyTorch(name: String) throws {
        let fixture = try NetworkFixture(file: "music-\(name).bin")
        let c = fixture["config"].map { Int($0) }
        let config = ModelConfig(cell: Cell(rawValue: name)!, units: c[1], layers: c[0], inputSize: c[2],
                                 targetSize: c[2], output: .bernoulli)
        let (batch, steps) = (c[3], c[4])
        func check<Scalar: BLASScalar>(_ type: Scalar.Type, tolerance: Double) {
            let model = RecurrentMDN<Scalar>(config: config)
            let parameters = fixture["parameters"].map { Scalar($0) }
            #expect(parameters.count == model.parameterCount)
            let workspace = model.makeWorkspace(batch: batch, steps: steps)
            var state = [Scalar](repeating: 0, count: batch * model.stateSize)
            let loss = model.forward(parameters: parameters, inputs: fixture["inputs"].map { Scalar($0) },
                                     targets: fixture["targets"].map { Scalar($0) }, state: &state,
                                     workspace: workspace, steps: steps, mask: fixture["mask"].map { Scalar($0) })
            var gradient = [Scalar](repeating: 0, count: model.parameterCount)
            model.backward(parameters: parameters, gradient: &gradient, workspace: workspace)
            let scale = fixture["gradient"].map(abs).max()!
            let comparisons: [(String, Discrepancy)] = [
                ("loss", Discrepancy([loss], fixture["loss"], floor: 1)),
                ("frame NLL", Discrepancy(workspace.frameNLL, fixture["frame_nll"], floor: 1)),
                ("head outputs", Discrepancy(workspace.headOutputs, fixture["head_outputs"], floor: 1)),
                ("gradient", Discrepancy(gradient, fixture["gradient"], floor: scale)),
                ("input gradient", Discrepancy(workspace.inputGradient, fixture["input_gradient"], floor: scale)),
            ]
            for (what, discrepancy) in comparisons {
                #expect(discrepancy.worst < tolerance, "\(name) \(Scalar.self) \(what): \(discrepancy)")
            }
        }
        check(Double.self, tolerance: 1e-10)
        check(Float.self, tolerance: 1e-5)
    }

    /// The head's size, and the stable loss at extreme logits (no log of 0, no overflow).
    @Test func headShapeAndExtremeLogits() {
        let config = ModelConfig(cell: .gru, units: 46, inputSize: 88, targetSize: 88, output: .bernoulli)
        #expect(config.headOutputs == 88)
        #expect(config.headParameterCount == 88 * 47)
        let nll = BernoulliNotes.nll(logits: [200, -200, 200, -200, 0], target: [1, 0, 0, 1, 1])
        #expect(abs(nll - (400 + log(2.0))) < 1e-9)
        let p = BernoulliNotes.probabilities([0, 100, -100])
        #expect(p[0] == 0.5 && p[1] == 1 && p[2] > 0 && p[2] < 1e-40)
    }

    /// A config.json or checkpoint header from before `output` existed decodes as the
    /// mixture, and a speech config encodes without the key (its bytes are unchanged).
    @Test func outputKindDecodingAndEncoding() throws {
        let old = #"{"cell":"gru","units":227,"layers":1,"components":20,"inputSize":20,"targetSize":10,"gruForm":"paper","sigmaFloor":0.001}"#
        let decoded = try JSONDecoder().decode(ModelConfig.self, from: Data(old.utf8))
        #expect(decoded.output == .mixture)
        #expect(decoded == ModelConfig(cell: .gru, units: 227))
        let speech = String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self)
        #expect(!speech.contains("output"))
        var music = decoded
        music.output = .bernoulli
        let back = try JSONDecoder().decode(ModelConfig.self, from: try JSONEncoder().encode(music))
        #expect(back.output == .bernoulli)
    }
}
