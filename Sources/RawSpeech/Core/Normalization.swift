// The affine map between waveform samples and the networks' normalized units (the training
// split's mean and standard deviation), shared by training, scoring and generation.
import Foundation

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
