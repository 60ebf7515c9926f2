// The long-term average spectrum (LTAS) of one or many recordings, and the distance between
// two of them in dB: how `generate` says whether free-running synthesis has the spectral
// balance of real speech (its training data) without any sample-level alignment. It streams
// like `STFT` (constant memory); it is not a per-frame comparison (that is SpectralMetrics).
//
// Definition: LTAS[k] = mean over all STFT frames (of every recording added) of P[t,k], the
// power spectrum of `STFT`. The distance is the log-spectral distance of the two averages,
//     D = sqrt( mean_k ( 10 log10( max(A[k], ε) / max(B[k], ε) ) )² )  dB,
// over all N/2+1 bins, ε = SpectralMetrics.powerFloor. It includes level: a signal and the
// same signal at half amplitude are 20 log10 2 = 6.02 dB apart.
import RawSpeechCorpus
import Foundation

/// Why a signal cannot be compared with a data folder's spectrum.
public enum LongTermSpectrumError: Error, Equatable, CustomStringConvertible {
    case sampleRateMismatch(path: String, dataRate: Int, signalRate: Int)

    public var description: String {
        switch self {
        case let .sampleRateMismatch(path, dataRate, signalRate):
            "\(path) is at \(dataRate) Hz, the model at \(signalRate) Hz"
        }
    }
}

/// A streaming long-term average power spectrum.
public final class LongTermSpectrum {
    public let stft: STFT
    private var powerSum: [Double]   // (bins)
    /// STFT frames averaged so far.
    public private(set) var frames = 0

    public init(_ configuration: STFTConfiguration) {
        stft = STFT(configuration)
        powerSum = [Double](repeating: 0, count: configuration.bins)
    }

    /// The evaluator's STFT at `sampleRate`.
    public convenience init(sampleRate: Int) {
        self.init(STFTConfiguration(sampleRate: sampleRate))
    }

    /// Adds the next block of the current recording.
    public func append(_ samples: [Float]) {
        stft.append(samples) { power in
            for k in power.indices { powerSum[k] += Double(power[k]) }
            frames += 1
        }
    }

    /// Ends the current recording, so no frame spans it and the next one.
    public func endRecording() {
        stft.reset()
    }

    /// Adds a whole recording.
    public func add(recording samples: [Float]) {
        append(samples)
        endRecording()
    }

    /// Mean power per bin, DC to Nyquist; throws `tooShort` before the first frame.
    public func averagePower() throws -> [Double] {
        guard frames > 0 else {
            throw EvaluationError.tooShort(samples: 0, needed: stft.configuration.frameLength)
        }
        return powerSum.map { $0 / Double(frames) }
    }

    /// The LTAS distance between two accumulated spectra of the same STFT, dB.
    public static func distanceDB(_ a: LongTermSpectrum, _ b: LongTermSpectrum) throws -> Double {
        precondition(a.stft.configuration == b.stft.configuration,
                     "LTAS of different STFT configurations cannot be compared")
        return distanceDB(try a.averagePower(), try b.averagePower())
    }

    /// The LTAS distance between two whole signals at the same sample rate, dB.
    public static func distanceDB(_ a: [Float], _ b: [Float], sampleRate: Int) throws -> Double {
        let first = LongTermSpectrum(sampleRate: sampleRate)
        let second = LongTermSpectrum(sampleRate: sampleRate)
        first.add(recording: a)
        second.add(recording: b)
        return try distanceDB(first, second)
    }

    /// RMS over bins of the dB difference of two average power spectra (see the header).
    public static func distanceDB(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count && !a.isEmpty, "spectra of \(a.count) and \(b.count) bins")
        let floor = SpectralMetrics.powerFloor
        var sum = 0.0
        for k in a.indices {
            let db = 10 * log10(max(a[k], floor) / max(b[k], floor))
            sum += db * db
        }
        return (sum / Double(a.count)).squareRoot()
    }

    /// The LTAS distance, dB, of `signal` (at `sampleRate`) from all the recordings of one
    /// split of a data folder at the same rate: how far generated audio is from its
    /// training data in spectral balance.
    public static func distanceDB(_ signal: [Float], sampleRate: Int, to folder: DataFolder,
                                  split: Split = .train) throws -> Double {
        guard folder.summary.sampleRate == sampleRate else {
            throw LongTermSpectrumError.sampleRateMismatch(path: folder.url.path, dataRate: folder.summary.sampleRate,
                                                           signalRate: sampleRate)
        }
        let real = LongTermSpectrum(sampleRate: sampleRate)
        try folder.forEachRecording(split: split) { real.add(recording: $0.samples) }
        let generated = LongTermSpectrum(sampleRate: sampleRate)
        generated.add(recording: signal)
        return try distanceDB(generated, real)
    }
}
