// Shared pieces of the network tests: small models with every parameter random and
// nonzero, random chunks, and a comparison helper that says what it measures and, on
// failure, shows the worst pairs.
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork

/// Small shapes where every code path runs but a gradient check takes milliseconds.
enum SmallShapes {
    static let inputSize = 4, targetSize = 3, units = 5, components = 3, batch = 2, steps = 4

    static func config(_ cell: Cell, gruForm: GRUForm = .paper, layers: Int = 1) -> ModelConfig {
        ModelConfig(cell: cell, units: units, layers: layers, components: components,
                    inputSize: inputSize, targetSize: targetSize, gruForm: gruForm, sigmaFloor: 0.05)
    }

    /// Every configuration the brief names: each cell, both GRU forms, and a stack.
    static let all: [(name: String, config: ModelConfig)] = [
        ("tanh", config(.tanh)),
        ("gru-paper", config(.gru)),
        ("gru-cudnn", config(.gru, gruForm: .cudnn)),
        ("lstm", config(.lstm)),
        ("gru-2-layers", config(.gru, layers: 2)),
        ("lstm-2-layers", config(.lstm, layers: 2)),
    ]
}

/// A model, parameters, one chunk and an initial state, all drawn from `seed`.
struct RandomProblem<Scalar: BLASScalar> {
    let model: RecurrentMDN<Scalar>
    var parameters: [Scalar]
    var inputs: [Scalar]
    var targets: [Scalar]
    var state: [Scalar]
    let batch: Int
    let steps: Int

    init(config: ModelConfig, batch: Int = SmallShapes.batch, steps: Int = SmallShapes.steps, seed: UInt64 = 7) {
        model = RecurrentMDN<Scalar>(config: config)
        self.batch = batch
        self.steps = steps
        var rng = SeededGenerator(seed: seed)
        func gaussian(_ count: Int, _ scale: Double) -> [Scalar] {
            (0 ..< count).map { _ in Scalar(rng.nextGaussian() * scale) }
        }
        // Uniform +-0.5 everywhere (biases, peepholes and the cuDNN bias included), so no
        // term of the backward pass hides behind a zero.
        parameters = (0 ..< model.parameterCount).map { _ in Scalar(rng.nextUniform() - 0.5) }
        inputs = gaussian(steps * batch * config.inputSize, 1)
        targets = gaussian(steps * batch * config.targetSize, 1)
        state = gaussian(batch * model.stateSize, 0.5)
    }

    /// Mean NLL of the chunk from the fixed initial state.
    func loss(parameters: [Scalar]? = nil, inputs: [Scalar]? = nil, workspace: RecurrentMDN<Scalar>.Workspace) -> Scalar {
        var state = self.state
        return model.forward(parameters: parameters ?? self.parameters, inputs: inputs ?? self.inputs,
                             targets: targets, state: &state, workspace: workspace, steps: steps)
    }
}

/// The largest discrepancy between two arrays, measured as |a - b| / max(|a|, |b|, floor):
/// relative for values well above `floor`, absolute (scaled by 1/floor) near zero, so
/// values that are both ~0 do not produce a meaningless huge ratio.
struct Discrepancy: CustomStringConvertible {
    var worst: Double = 0
    var pairs: [(label: String, a: Double, b: Double, error: Double)] = []

    init<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ a: [A], _ b: [B], floor: Double, labels: [String]? = nil) {
        precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
        for index in a.indices {
            let x = Double(a[index]), y = Double(b[index])
            let error = abs(x - y) / max(abs(x), abs(y), floor)
            let isBad = error.isNaN || !x.isFinite || !y.isFinite
            pairs.append((labels?[index] ?? "[\(index)]", x, y, isBad ? .infinity : error))
            worst = max(worst, isBad ? .infinity : error)
        }
        pairs.sort { $0.error > $1.error }
    }

    var description: String {
        "max error \(worst); worst: " + pairs.prefix(4).map { "\($0.label) \($0.a) vs \($0.b)" }.joined(separator: ", ")
    }
}

/// The closeness the per-step pass tests (GRU, LSTM) ask of a CKernels pass against its
/// Swift loops.
/// Float rounding: relative 1e-5 above 1% of the values' scale (or of `scale`: the size of
/// the terms a value is a sum of), absolute below it (FMA contraction and a few reordered
/// products move the last bits).
func expectPassClose(_ a: [Float], _ b: [Float], _ what: String, scale: Double? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) {
    let scale = scale ?? Double(b.map(abs).max() ?? 1)
    let check = Discrepancy(a, b, floor: max(scale * 1e-2, 1e-30))
    #expect(check.worst < 1e-5, "\(what): \(check)", sourceLocation: sourceLocation)
}
