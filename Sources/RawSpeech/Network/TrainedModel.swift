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
