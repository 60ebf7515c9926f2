// Where each tensor of a recurrent MDN lives in its one flat parameter vector (llm.c's
// ParameterTensors). Gradients, RMSProp state, weight noise and checkpoints share this
// layout, so each of them is one loop over one array. Recurrent layers come first, in
// order, then the mixture head: the first `recurrentParameterCount` floats are exactly the
// paper's Table 1 budget.
//
// B = batch, T = steps, I = inputs (20), H = units, K = components, D = predicted samples (10)
// G = weight blocks per unit (tanh 1, GRU 3, LSTM 4), In = a layer's inputs (I, then H),
// O = K(1 + 2D) head outputs.
//
// Gate order inside every G*H block (named as column ranges by the cells: TanhGates,
// GRUGates, LSTMGates in Cells/):
//   tanh: [candidate]
//   GRU:  [updateGate | resetGate | candidate]
//   LSTM: [inputGate | forgetGate | candidate | outputGate]
// Matrices are stored (fan-in, fan-out) row-major, so `x W` is a plain GEMM of time-major
// activations (T*B, In) by (In, G*H) with no transposition, and the same for `h U`.

/// Named ranges of one recurrent layer's parameters.
public struct LayerLayout: Equatable, Sendable {
    /// The layer's inputs per step: I for the first layer, H above it.
    public var inputs: Int
    public var inputWeights: Range<Int>      // W: (In, G*H)
    public var recurrentWeights: Range<Int>  // U: (H, G*H)
    public var bias: Range<Int>              // b: (G*H)
    /// The cuDNN GRU's bias inside r * (U h + b_h): [updateGate | resetGate | candidate], (3H).
    public var recurrentBias: Range<Int>?
    /// LSTM diagonal peepholes V: [inputGate | forgetGate | outputGate], (3H).
    public var peepholes: Range<Int>?
}

/// Named ranges of all parameters of a `RecurrentMDN`.
public struct ParameterLayout: Equatable, Sendable {
    public var layers: [LayerLayout]
    public var headWeights: Range<Int>  // (H, O)
    public var headBias: Range<Int>     // (O)
    /// Total parameters; equals `ModelConfig.parameterCount`.
    public var count: Int

    public init(config: ModelConfig) {
        let units = config.units
        let width = ModelConfig.gateCount(config.cell) * units
        var offset = 0
        func take(_ count: Int) -> Range<Int> {
            defer { offset += count }
            return offset ..< offset + count
        }
        var layers: [LayerLayout] = []
        for index in 0 ..< config.layers {
            let inputs = index == 0 ? config.inputSize : units
            let inputWeights = take(inputs * width)
            let recurrentWeights = take(units * width)
            let bias = take(width)
            let recurrentBias = config.cell == .gru && config.gruForm == .cudnn ? take(3 * units) : nil
            let peepholes = config.cell == .lstm ? take(3 * units) : nil
            layers.append(LayerLayout(inputs: inputs, inputWeights: inputWeights,
                                      recurrentWeights: recurrentWeights, bias: bias,
                                      recurrentBias: recurrentBias, peepholes: peepholes))
        }
        self.layers = layers
        headWeights = take(units * config.headOutputs)
        headBias = take(config.headOutputs)
        count = offset
    }

    /// The weight matrices (W, U, the LSTM's diagonal peepholes V, and the head's weights),
    /// without biases: what weight noise perturbs.
    public var weightRanges: [Range<Int>] {
        layers.flatMap { [$0.inputWeights, $0.recurrentWeights] + ($0.peepholes.map { [$0] } ?? []) }
            + [headWeights]
    }

    /// Every tensor with a readable name ("layer0.inputWeights", ..., "head.bias"), in
    /// storage order: for per-tensor reports, gradient checks and debugging.
    public var namedRanges: [(name: String, range: Range<Int>)] {
        var result: [(name: String, range: Range<Int>)] = []
        for (index, layer) in layers.enumerated() {
            result.append(("layer\(index).inputWeights", layer.inputWeights))
            result.append(("layer\(index).recurrentWeights", layer.recurrentWeights))
            result.append(("layer\(index).bias", layer.bias))
            if let range = layer.recurrentBias { result.append(("layer\(index).recurrentBias", range)) }
            if let range = layer.peepholes { result.append(("layer\(index).peepholes", range)) }
        }
        result.append(("head.weights", headWeights))
        result.append(("head.bias", headBias))
        return result
    }
}
