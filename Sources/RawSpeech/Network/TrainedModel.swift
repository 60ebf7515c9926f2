// A trained predictor as plain values: what a checkpoint holds and what scoring and
// generation need. Reading and writing it is Training's job (Checkpoint); this type knows
// no files.

/// Maps waveform samples to the model's normalized units and back.
public struct Normalization: Codable, Equatable, Sendable {
    public var mean: Double
    public var std: Double

    public init(mean: Double, std: Double) {
        self.mean = mean
        self.std = std
    }

    public func normalize(_ x: Float) -> Float { Float((Double(x) - mean) / std) }
    public func denormalize(_ x: Float) -> Float { Float(Double(x) * std + mean) }

    /// What to add to a per-frame NLL in normalized units to get it in waveform units:
    /// the Jacobian of the affine map, `dimensions * log(std)`.
    public func nllOffset(dimensions: Int) -> Double { Double(dimensions) * Foundation.log(std) }
}

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

import Foundation
