// What a generated waveform's level says at a glance: how much of it sits at full scale
// (the free-running loop ran away and the output was clipped) and its RMS, next to the RMS
// of the data the model was trained on (from its normalization: sqrt(mean^2 + std^2)).
// Numbers only; `rawspeech generate` prints them.
import RawSpeechCore

/// Level figures of generated audio (waveform units, after denormalization and clipping).
public struct GenerationStatistics: Equatable, Sendable {
    /// Samples with |x| >= `clipLevel`: at full scale, i.e. clipped (or about to be).
    public var clippedFraction: Double
    public var rms: Double
    /// The training data's RMS, when the model's normalization gives it.
    public var trainingRMS: Double?

    /// |x| at or above this counts as clipped (16-bit full scale is 32767/32768 = 0.99997).
    public static let clipLevel: Float = 0.999

    public init(_ audio: [Float], normalization: Normalization? = nil) {
        var clipped = 0, sumOfSquares = 0.0
        for x in audio {
            if abs(x) >= Self.clipLevel { clipped += 1 }
            sumOfSquares += Double(x) * Double(x)
        }
        clippedFraction = audio.isEmpty ? 0 : Double(clipped) / Double(audio.count)
        rms = audio.isEmpty ? 0 : (sumOfSquares / Double(audio.count)).squareRoot()
        trainingRMS = normalization.map { ($0.mean * $0.mean + $0.std * $0.std).squareRoot() }
    }
}
