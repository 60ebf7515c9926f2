// A trained predictor as plain values: what a checkpoint holds and what scoring and
// generation need. Reading and writing it is Training's job (Checkpoint); this type knows
// no files.

/// The kind of predictor: a recurrent MDN, or the closed-form linear baseline.
public enum PredictorKind: String, Codable, Sendable {
    case recurrent, linear
}

/// Everything needed to run a trained predictor on new audio.
public struct TrainedModel: Codable, Sendable {
    public var kind: PredictorKind
    /// The recurrent model's shape (for the linear baseline: cell is ignored, units 0).
    public var config: ModelConfig
    /// Flat parameters in the layout of `RecurrentMDN(config:)` or `LinearPredictor`.
    public var parameters: [Float]
    public var normalization: Normalization
    public var sampleRate: Int
    public var frame: FrameSpec

    public init(kind: PredictorKind, config: ModelConfig, parameters: [Float],
                normalization: Normalization, sampleRate: Int, frame: FrameSpec) {
        self.kind = kind
        self.config = config
        self.parameters = parameters
        self.normalization = normalization
        self.sampleRate = sampleRate
        self.frame = frame
    }
}

import RawSpeechCore
import Foundation

/// Why a trained model's values do not make a predictor (a hand-edited or foreign file).
public enum TrainedModelError: Error, Equatable, CustomStringConvertible {
    case inconsistent(String)

    public var description: String {
        switch self {
        case .inconsistent(let reason): reason
        }
    }
}

extension TrainedModel {
    /// "gru-227", "lstm-195x2", "linear": how a model is named when no path is given.
    public var name: String {
        switch kind {
        case .linear: return "linear"
        case .recurrent:
            let layers = config.layers > 1 ? "x\(config.layers)" : ""
            return "\(config.cell.rawValue)-\(config.units)\(layers)"
        }
    }

    /// Throws unless frames, rate, normalization and parameters hold together.
    public func validate() throws(TrainedModelError) {
        func fail(_ reason: String) -> TrainedModelError { .inconsistent(reason) }
        let spec = frame
        guard spec.input >= 1, spec.target >= 1, spec.hop >= 1 else { throw fail("frame sizes must be positive") }
        guard spec.input == config.inputSize, spec.target == config.targetSize else {
            throw fail("frames \(spec.input)->\(spec.target) disagree with the network's \(config.inputSize)->\(config.targetSize)")
        }
        guard sampleRate > 0 else { throw fail("sample rate \(sampleRate) Hz") }
        guard normalization.std > 0, normalization.std.isFinite, normalization.mean.isFinite else {
            throw fail("normalization std \(normalization.std)")
        }
        switch kind {
        case .recurrent:
            guard config.units > 0, config.layers > 0, config.components > 0 else {
                throw fail("units, layers and components must be positive")
            }
            guard config.output == .mixture || config.inputSize == config.targetSize else {
                throw fail("a music model reads the notes it predicts: inputs \(config.inputSize), notes \(config.targetSize)")
            }
            guard parameters.count == config.parameterCount else {
                throw fail("\(parameters.count) parameters, its configuration needs \(config.parameterCount)")
            }
        case .linear:
            let needed = LinearPredictor.parameterCount(inputSize: spec.input, targetSize: spec.target)
            guard parameters.count == needed else {
                throw fail("\(parameters.count) parameters, a linear predictor needs \(needed)")
            }
        }
    }
}
