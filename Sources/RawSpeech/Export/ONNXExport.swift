// A trained predictor as one ONNX graph (opset 17, IR version 8): raw waveform frames in,
// the model's normalization applied as graph constants, the stacked cells as ONNX's own
// RNN / GRU / LSTM operators, and the mixture head's raw outputs out. The names and shapes
// are a contract (docs/EXPORT.md):
//   inputs   frames (T, B, I) float32, waveform units; initial_state (B, S) float32
//   outputs  mixture_logits (T, B, K), means (T, B, K, D), log_stds (T, B, K, D), all in
//            normalized units (sigma = sigma_floor + exp(log_std)), final_state (B, S)
// S is the model's carried state per sequence: for each layer h (H), then c (H) for the LSTM.
// The linear baseline exports as a one-component "mixture" with S = 0.
//
// ONNX's conventions differ from the paper's, and the weights are rearranged to match:
// - matrices: ours are (fan-in, G*H) for x W; ONNX's W and R are (G*H, fan-in) for x W^T.
// - GRU: ONNX mixes H_t = (1 - z) h~ + z H_{t-1}; the paper's GRU mixes (1 - z) h_{t-1} + z h~.
//   ONNX's z is the paper's 1 - z = sigmoid(-a), so the paper GRU's update-gate rows of W, R
//   and its bias are negated. The paper GRU is linear_before_reset = 0 (reset before the
//   recurrent matrix); the cuDNN form, which already mixes as ONNX does, is = 1 and keeps
//   its recurrent bias as ONNX's Rb.
// - gate order: ours [z | r | c] and [i | f | c | o]; ONNX [z | r | h] and [i | o | f | c];
//   LSTM peepholes ours [i | f | o], ONNX P [i | o | f]. The output gate reads the new cell
//   state in both (Graves 2013).
// I = inputs (20), D = predicted samples (10), H = units, K = components, G = gate blocks.
import Foundation
import RawSpeechCore
import RawSpeechNetwork
import SwiftProtobuf

public enum ONNXExportError: Error, Sendable, CustomStringConvertible, LocalizedError {
    case unsupported(String)

    public var description: String {
        switch self {
        case .unsupported(let what): return "cannot export: \(what)"
        }
    }

    public var errorDescription: String? { description }
}

public enum ONNXExport {
    /// The operator set the graph is written for (RNN, GRU, LSTM 14; Split, Squeeze,
    /// Unsqueeze with axes as inputs: 13). onnxruntime 1.14 and later run it.
    public static let opsetVersion = 17
    /// The ONNX IR version that goes with opset 17.
    public static let irVersion = 8

    /// The serialized ModelProto of `model`; `revision` is the rawspeech build's git revision.
    public static func serialize(_ model: TrainedModel, revision: String) throws -> Data {
        try makeModel(model, revision: revision).serializedData()
    }

    /// Writes the ONNX file atomically (a temporary name, then renamed into place).
    public static func write(_ model: TrainedModel, to url: URL, revision: String) throws {
        try AtomicFile.write(try serialize(model, revision: revision), to: url)
    }

    static func makeModel(_ model: TrainedModel, revision: String) throws -> Onnx_ModelProto {
        if model.kind == .recurrent && model.config.output == .bernoulli {
            throw ONNXExportError.unsupported("music models (Bernoulli note outputs) are not exportable yet")
        }
        var graph = ONNXGraph(name: "rawspeech")
        let frame = model.frame
        let isLinear = model.kind == .linear
        let stateSize = isLinear ? 0 : RecurrentMDN<Float>(config: model.config).stateSize
        graph.input("frames", [.dynamic("T"), .dynamic("B"), .fixed(frame.input)])
        graph.input("initial_state", [.dynamic("B"), .fixed(stateSize)])

        // Normalization as constants: (x - mean) / std, in float32.
        let mean = graph.constant("train_mean", [Float(model.normalization.mean)], dims: [])
        let std = graph.constant("train_std", [Float(model.normalization.std)], dims: [])
        let centered = graph.apply("Sub", ["frames", mean], "centered")
        let normalized = graph.apply("Div", [centered, std], "normalized")

        let components: Int
        if isLinear {
            components = 1
            try linearHead(&graph, model, input: normalized)
        } else {
            components = model.config.components
            let top = recurrentLayers(&graph, model, input: normalized)
            mixtureHead(&graph, model, input: top)
        }
        let D = frame.target
        graph.output("mixture_logits", [.dynamic("T"), .dynamic("B"), .fixed(components)])
        graph.output("means", [.dynamic("T"), .dynamic("B"), .fixed(components), .fixed(D)])
        graph.output("log_stds", [.dynamic("T"), .dynamic("B"), .fixed(components), .fixed(D)])
        graph.output("final_state", [.dynamic("B"), .fixed(stateSize)])

        var proto = Onnx_ModelProto()
        proto.irVersion = Int64(irVersion)
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = Int64(opsetVersion)
        proto.opsetImport = [opset]
        proto.producerName = "rawspeech"
        proto.producerVersion = revision
        proto.docString = "rawspeech \(isLinear ? "linear baseline" : "\(model.config.cell.rawValue)-\(model.config.units)") predictor: frames of \(frame.input) waveform samples in, a \(components)-component Gaussian mixture over the next \(D) samples (normalized units) out"
        proto.graph = graph.graph
        proto.metadataProps = metadata(model, components: components, stateSize: stateSize, revision: revision).map { key, value in
            var entry = Onnx_StringStringEntryProto()
            entry.key = key
            entry.value = value
            return entry
        }
        return proto
    }

    /// What a reader needs beside the graph; `train_mean`, `train_std` and `sigma_floor`
    /// are a contract.
    static func metadata(_ model: TrainedModel, components: Int, stateSize: Int, revision: String) -> [(String, String)] {
        let isLinear = model.kind == .linear
        return [
            ("cell", isLinear ? "linear" : model.config.cell.rawValue),
            ("units", "\(isLinear ? 0 : model.config.units)"),
            ("layers", "\(isLinear ? 0 : model.config.layers)"),
            ("components", "\(components)"),
            ("gru_form", isLinear || model.config.cell != .gru ? "" : model.config.gruForm.rawValue),
            ("frame_input", "\(model.frame.input)"),
            ("frame_target", "\(model.frame.target)"),
            ("frame_hop", "\(model.frame.hop)"),
            ("sample_rate", "\(model.sampleRate)"),
            ("train_mean", "\(model.normalization.mean)"),
            ("train_std", "\(model.normalization.std)"),
            ("sigma_floor", "\(isLinear ? 0 : model.config.sigmaFloor)"),
            ("state_size", "\(stateSize)"),
            ("state_layout", isLinear ? "none" : model.config.cell == .lstm ? "per layer: h (units), c (units)" : "per layer: h (units)"),
            ("rawspeech_revision", revision),
        ]
    }

    // MARK: - Recurrent layers

    /// The stacked cells; returns the top layer's outputs (T, B, H) and appends final_state.
    static func recurrentLayers(_ graph: inout ONNXGraph, _ model: TrainedModel, input: String) -> String {
        let config = model.config, H = config.units
        let network = RecurrentMDN<Float>(config: config)
        let perLayer = config.cell == .lstm ? 2 * H : H
        let p = model.parameters
        var x = input
        var finalStates: [String] = []
        let axis0 = graph.integers("axis0", [0]), axis1 = graph.integers("axis1", [1])
        for (index, layer) in network.layout.layers.enumerated() {
            let name = "layer\(index)"
            let W = Array(p[layer.inputWeights]), U = Array(p[layer.recurrentWeights]), b = Array(p[layer.bias])
            let G = ModelConfig.gateCount(config.cell)
            // Our gate block for each ONNX gate block, and whether its rows are negated.
            let order: [(ours: Int, negate: Bool)]
            switch config.cell {
            case .tanh: order = [(0, false)]
            case .gru: order = [(0, config.gruForm == .paper), (1, false), (2, false)]
            case .lstm: order = [(0, false), (3, false), (1, false), (2, false)]
            }
            let onnxW = rearranged(W, fanIn: layer.inputs, units: H, gates: G, order: order)
            let onnxR = rearranged(U, fanIn: H, units: H, gates: G, order: order)
            var recurrentBias = [Float](repeating: 0, count: G * H)
            if let range = layer.recurrentBias { recurrentBias = Array(p[range]) }
            let bias = reorderedVector(b, units: H, order: order) + reorderedVector(recurrentBias, units: H, order: order)
            let wName = graph.constant("\(name).W", onnxW, dims: [1, G * H, layer.inputs])
            let rName = graph.constant("\(name).R", onnxR, dims: [1, G * H, H])
            let bName = graph.constant("\(name).B", bias, dims: [1, 2 * G * H])

            // This layer's slice of initial_state: h at index * perLayer, c right after it.
            func stateSlice(_ offset: Int, _ stem: String) -> String {
                let starts = graph.integers(graph.fresh("\(name).\(stem).start"), [offset])
                let ends = graph.integers(graph.fresh("\(name).\(stem).end"), [offset + H])
                let slice = graph.apply("Slice", ["initial_state", starts, ends, axis1], "\(name).\(stem)")
                return graph.apply("Unsqueeze", [slice, axis0], "\(name).\(stem)")
            }
            let h0 = stateSlice(index * perLayer, "h0")
            let y = graph.fresh("\(name).Y"), yh = graph.fresh("\(name).Y_h")
            switch config.cell {
            case .tanh:
                graph.node("RNN", [x, wName, rName, bName, "", h0], [y, yh], ints: ["hidden_size": H],
                           strings: ["activations": ["Tanh"]])
            case .gru:
                graph.node("GRU", [x, wName, rName, bName, "", h0], [y, yh],
                           ints: ["hidden_size": H, "linear_before_reset": config.gruForm == .paper ? 0 : 1])
            case .lstm:
                let c0 = stateSlice(index * perLayer + H, "c0")
                let V = Array(p[layer.peepholes!])
                // ours [i | f | o] -> ONNX [i | o | f]
                let P = Array(V[0 ..< H]) + Array(V[2 * H ..< 3 * H]) + Array(V[H ..< 2 * H])
                let pName = graph.constant("\(name).P", P, dims: [1, 3 * H])
                let yc = graph.fresh("\(name).Y_c")
                graph.node("LSTM", [x, wName, rName, bName, "", h0, c0, pName], [y, yh, yc], ints: ["hidden_size": H])
                finalStates.append(graph.apply("Squeeze", [yh, axis0], "\(name).h"))
                finalStates.append(graph.apply("Squeeze", [yc, axis0], "\(name).c"))
            }
            if config.cell != .lstm { finalStates.append(graph.apply("Squeeze", [yh, axis0], "\(name).h")) }
            // Y is (T, directions = 1, B, H): the next layer's input is (T, B, H).
            x = graph.apply("Squeeze", [y, axis1], "\(name).output")
        }
        graph.node("Concat", finalStates, ["final_state"], ints: ["axis": 1])
        return x
    }

    /// (fanIn, G*H) row-major, ours -> (G*H, fanIn) row-major in ONNX's gate order.
    static func rearranged(_ matrix: [Float], fanIn: Int, units H: Int, gates G: Int,
                           order: [(ours: Int, negate: Bool)]) -> [Float] {
        var out = [Float](repeating: 0, count: G * H * fanIn)
        for (onnxGate, source) in order.enumerated() {
            let sign: Float = source.negate ? -1 : 1
            for j in 0 ..< H {
                let row = (onnxGate * H + j) * fanIn, column = source.ours * H + j
                for k in 0 ..< fanIn { out[row + k] = sign * matrix[k * G * H + column] }
            }
        }
        return out
    }

    /// A (G*H) vector, ours -> ONNX's gate order.
    static func reorderedVector(_ vector: [Float], units H: Int, order: [(ours: Int, negate: Bool)]) -> [Float] {
        order.flatMap { source in
            vector[source.ours * H ..< (source.ours + 1) * H].map { source.negate ? -$0 : $0 }
        }
    }

    // MARK: - Heads

    /// The dense mixture head on (T, B, H): logits, means, log-stds, component-major.
    static func mixtureHead(_ graph: inout ONNXGraph, _ model: TrainedModel, input: String) {
        let config = model.config, K = config.components, D = config.targetSize, H = config.units
        let network = RecurrentMDN<Float>(config: config)
        let O = K * (1 + 2 * D)
        let weights = graph.constant("head.weights", Array(model.parameters[network.layout.headWeights]), dims: [H, O])
        let bias = graph.constant("head.bias", Array(model.parameters[network.layout.headBias]), dims: [O])
        let product = graph.apply("MatMul", [input, weights], "head.product")
        let outputs = graph.apply("Add", [product, bias], "head.outputs")
        let sizes = graph.integers("head.split", [K, K * D, K * D])
        let meansFlat = graph.fresh("head.means"), logStdsFlat = graph.fresh("head.log_stds")
        graph.node("Split", [outputs, sizes], ["mixture_logits", meansFlat, logStdsFlat], ints: ["axis": 2])
        let shape = graph.integers("head.shape", [0, 0, K, D])
        graph.node("Reshape", [meansFlat, shape], ["means"])
        graph.node("Reshape", [logStdsFlat, shape], ["log_stds"])
    }

    /// The linear baseline: means = x A^T + c as one component, logits 0, log-stds log sigma.
    static func linearHead(_ graph: inout ONNXGraph, _ model: TrainedModel, input: String) throws {
        let I = model.frame.input, D = model.frame.target
        guard model.parameters.count == LinearPredictor.parameterCount(inputSize: I, targetSize: D) else {
            throw ONNXExportError.unsupported("a linear model with \(model.parameters.count) parameters, expected \(LinearPredictor.parameterCount(inputSize: I, targetSize: D))")
        }
        let p = model.parameters
        var transposed = [Float](repeating: 0, count: I * D)  // (I, D) for x A^T
        for d in 0 ..< D { for i in 0 ..< I { transposed[i * D + d] = p[d * I + i] } }
        let weights = graph.constant("linear.weights", transposed, dims: [I, D])
        let bias = graph.constant("linear.bias", Array(p[D * I ..< D * I + D]), dims: [D])
        let logStds = graph.constant("linear.log_stds", p[D * I + D ..< D * I + 2 * D].map { Foundation.log($0) }, dims: [D])
        let product = graph.apply("MatMul", [input, weights], "linear.product")
        let prediction = graph.apply("Add", [product, bias], "linear.prediction")  // (T, B, D)
        let axis2 = graph.integers("axis2", [2])
        graph.node("Unsqueeze", [prediction, axis2], ["means"])  // (T, B, 1, D)
        // Zeros and constants of the right dynamic shape, derived from the prediction.
        let zero = graph.constant("zero", [0], dims: [])
        let zeros = graph.apply("Mul", ["means", zero], "linear.zeros")  // (T, B, 1, D)
        graph.node("Add", [zeros, logStds], ["log_stds"])
        let axis3 = graph.integers("axis3", [3])
        graph.node("ReduceSum", [zeros, axis3], ["mixture_logits"], ints: ["keepdims": 0])  // (T, B, 1)
        graph.node("Identity", ["initial_state"], ["final_state"])
    }
}
