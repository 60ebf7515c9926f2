// Energy an input has above the band a model was trained on. A model trained on upsampled
// recordings (8 kHz audio in a 16 kHz data folder: config.json's bandwidth_hz 4000) has only
// seen an empty band above 4 kHz and predicts it with almost no variance, so real energy
// there sends its NLL to absurd values (402,643,030 nats per frame on a 16 kHz file). This
// measures the fraction of an input's spectral energy above the band with the evaluator's
// STFT, streaming, so `score` can flag the input rather than print such a figure bare.
// It measures and reports; it does not refuse or filter.
import RawSpeechCore
import Foundation

/// The fraction of a signal's power (summed over STFT frames) in bins above a frequency.
public final class BandMeter {
    public let bandwidthHz: Double
    private let stft: STFT
    /// The first bin counted as above the band: past the frequency by the Hann window's
    /// main-lobe half width (2 bins), so a tone at the band's edge does not leak into it.
    private let firstBin: Int
    private var above = 0.0
    private var total = 0.0

    public init(sampleRate: Int, bandwidthHz: Double) {
        self.bandwidthHz = bandwidthHz
        stft = STFT(sampleRate: sampleRate)
        let binHz = Double(sampleRate) / Double(stft.configuration.frameLength)
        firstBin = min(stft.configuration.bins, Int((bandwidthHz / binHz).rounded(.down)) + 3)
    }

    public func append(_ samples: [Float]) {
        stft.append(samples) { power in
            for k in 0 ..< power.count {
                total += Double(power[k])
                if k >= firstBin { above += Double(power[k]) }
            }
        }
    }

    /// Above-band power over all power; nil before one complete STFT frame, or for silence.
    public var fraction: Double? { total > 0 ? above / total : nil }
}

/// One input's share of energy above the trained band.
public struct OutOfBandFile: Codable, Equatable, Sendable {
    public var path: String
    public var outOfBandEnergy: Double
    /// Above `BandCheck.threshold`: the model's figures on this file are not to be trusted.
    public var warning: Bool

    package enum CodingKeys: String, CodingKey {
        case path, outOfBandEnergy = "out_of_band_energy", warning
    }
}

/// score.json's "out_of_band": the band the model was trained on and each input's energy
/// above it (present only when the band is narrower than the model's Nyquist frequency).
public struct BandCheck: Codable, Equatable, Sendable {
    /// 0.1 % of the energy (-30 dB): a band the model saw empty gets a near-zero variance,
    /// so even this much energy there dominates the NLL.
    public static let threshold = 1e-3

    public var trainedBandwidthHz: Double
    public var threshold: Double
    public var files: [OutOfBandFile]

    package enum CodingKeys: String, CodingKey {
        case trainedBandwidthHz = "trained_bandwidth_hz", threshold, files
    }

    public init(trainedBandwidthHz: Double, files: [(path: String, fraction: Double)]) {
        self.trainedBandwidthHz = trainedBandwidthHz
        threshold = Self.threshold
        self.files = files.map { OutOfBandFile(path: $0.path, outOfBandEnergy: $0.fraction, warning: $0.fraction > Self.threshold) }
    }

    /// The files with substantial energy above the band.
    public var warnings: [OutOfBandFile] { files.filter(\.warning) }

    /// The band the run's training data had (config.json's bandwidth_hz); nil for runs
    /// that did not record it, or when there is no config.json.
    public static func trainedBandwidth(run: RunFolder) -> Double? {
        struct Band: Decodable {
            var bandwidthHz: Double?
            enum CodingKeys: String, CodingKey { case bandwidthHz = "bandwidth_hz" }
        }
        return (try? run.readConfig(Band.self))??.bandwidthHz
    }
}
