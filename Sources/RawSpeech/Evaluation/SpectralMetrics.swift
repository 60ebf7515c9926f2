// How far an estimated waveform is from the reference: log-spectral distance, spectral
// convergence, SNR and segmental SNR, accumulated over streams of sample-aligned blocks in
// constant memory (one STFT frame and one SNR segment of state). It measures waveforms
// only; it does not know models, files or what produced the estimate (for `score` it is the
// network's teacher-forced block prediction laid end to end).
//
// Definitions (r = reference, e = estimate, both in waveform units; STFT as in STFT.swift):
// - Log-spectral distance, dB: for each STFT frame t,
//     LSD_t = sqrt( mean_k ( 10 log10( max(P_r[t,k], ε) / max(P_e[t,k], ε) ) )² )
//   over all N/2+1 bins k (DC to Nyquist), and LSD = mean_t LSD_t. ε = 1e-10 (-100 dB relative
//   to a full-scale sinusoid's A²/4 = 0.25 per bin) keeps silent bins finite; a floor rather
//   than an added constant, so e = r/2 gives exactly 20 log10 2 = 6.02 dB wherever r is
//   above the floor.
// - Spectral convergence: ‖ |S_r| - |S_e| ‖_F / ‖ |S_r| ‖_F over all frames and bins
//   (magnitudes, not power); 0/0 (both silent) is 0, x/0 is +∞.
// - SNR, dB: 10 log10( Σ r² / Σ (r - e)² ) over all samples: +∞ when the estimate is exact
//   (including silent reference and estimate), -∞ when the reference is silent and the
//   estimate is not.
// - Segmental SNR, dB: the same ratio on non-overlapping segments of 16 ms (256 samples at
//   16 kHz, rounded at other rates), each clamped to [-10, 35] dB before averaging, as is
//   usual (Quackenbush et al. 1988): silent or perfectly predicted segments would otherwise
//   dominate the mean. A segment with zero error counts as 35 dB; a silent reference segment
//   with some error as -10 dB. Only complete segments count.
// tools/make-eval-fixtures.py computes the same figures with numpy/scipy.
import Foundation

/// The four figures for one reference/estimate pair.
public struct SpectralScores: Codable, Equatable, Sendable {
    /// Mean per-frame log-spectral distance, dB.
    public var lsdDB: Double
    /// ‖|S_ref| - |S_est|‖_F / ‖S_ref‖_F.
    public var spectralConvergence: Double
    /// Whole-signal SNR in dB; +∞ when the estimate is exact.
    public var snrDB: Double
    /// Mean of per-segment SNRs clamped to [-10, 35] dB.
    public var segmentalSNRDB: Double
    /// STFT frames the spectral figures average over.
    public var stftFrames: Int
    /// Samples the SNR covers.
    public var samples: Int
    /// Root mean square of the reference over those samples (its level: near-silent
    /// references make SNR and spectral convergence meaningless, see Scores.nearSilentDBFS).
    public var referenceRMS: Double

    public init(lsdDB: Double, spectralConvergence: Double, snrDB: Double,
                segmentalSNRDB: Double, stftFrames: Int, samples: Int, referenceRMS: Double = .nan) {
        self.lsdDB = lsdDB
        self.spectralConvergence = spectralConvergence
        self.snrDB = snrDB
        self.segmentalSNRDB = segmentalSNRDB
        self.stftFrames = stftFrames
        self.samples = samples
        self.referenceRMS = referenceRMS
    }
}

/// Errors of the evaluator's measurements.
public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    /// Fewer samples than one STFT frame: no spectral figure exists.
    case tooShort(samples: Int, needed: Int)
    /// A NaN or infinite sample (at `index`): no spectrum of it means anything.
    case nonFinite(index: Int)

    public var description: String {
        switch self {
        case let .tooShort(samples, needed):
            return "recording too short: \(samples) samples, the spectral measures need at least \(needed) (one STFT frame)"
        case let .nonFinite(index):
            return "sample \(index) is NaN or infinite: no spectrum drawn"
        }
    }
}

/// Accumulates LSD, spectral convergence, SNR and segmental SNR over aligned streams.
///
///     let metrics = SpectralMetrics(sampleRate: 16_000)
///     for (truth, prediction) in blocks { metrics.append(reference: truth, estimate: prediction) }
///     let scores = try metrics.result()
public final class SpectralMetrics {
    /// Power floor ε of the log-spectral distance (power units of `STFT`).
    public static let powerFloor: Double = 1e-10
    /// The range each segment's SNR is clamped to, dB.
    public static let segmentSNRRange: ClosedRange<Double> = -10 ... 35

    public let stft: STFT
    /// Samples per segmental-SNR segment.
    public let segmentLength: Int

    private var frames: SlidingFrames
    private var referencePower: [Float]
    private var estimatePower: [Float]
    // Sums in Double: a long recording adds millions of terms.
    private var lsdSum = 0.0, stftFrames = 0
    private var magnitudeErrorSquared = 0.0, referenceMagnitudeSquared = 0.0
    private var referenceEnergy = 0.0, errorEnergy = 0.0, samples = 0
    private var segmentReference = 0.0, segmentError = 0.0, segmentFill = 0
    private var segmentSNRSum = 0.0, segments = 0

    /// The settings at `sampleRate`: STFT as `STFTConfiguration(sampleRate:)`,
    /// segments of 16 ms.
    public convenience init(sampleRate: Int) {
        self.init(stft: STFTConfiguration(sampleRate: sampleRate),
                  segmentLength: SpectralMetrics.segmentLength(sampleRate: sampleRate))
    }

    public init(stft configuration: STFTConfiguration, segmentLength: Int) {
        precondition(segmentLength >= 1, "segment length \(segmentLength)")
        stft = STFT(configuration)
        self.segmentLength = segmentLength
        frames = SlidingFrames(frameLength: configuration.frameLength, hop: configuration.hop, channels: 2)
        referencePower = [Float](repeating: 0, count: configuration.bins)
        estimatePower = referencePower
    }

    /// 16 ms in samples, rounded (256 at 16 kHz).
    public static func segmentLength(sampleRate: Int) -> Int {
        max(1, Int((Double(sampleRate) * 0.016).rounded()))
    }

    /// Adds the next aligned blocks of both streams (equal lengths; any block size).
    public func append(reference: [Float], estimate: [Float]) {
        precondition(reference.count == estimate.count,
                     "reference block \(reference.count) vs estimate block \(estimate.count)")
        accumulateSNR(reference: reference, estimate: estimate)
        frames.append([reference, estimate]) { pair in
            stft.powerSpectrum(of: pair[0], into: &referencePower)
            stft.powerSpectrum(of: pair[1], into: &estimatePower)
            accumulateSpectra()
        }
    }

    /// The figures so far; throws `tooShort` before the first complete STFT frame.
    public func result() throws -> SpectralScores {
        guard stftFrames > 0 else {
            throw EvaluationError.tooShort(samples: samples, needed: stft.configuration.frameLength)
        }
        let convergence: Double
        if referenceMagnitudeSquared > 0 {
            convergence = (magnitudeErrorSquared / referenceMagnitudeSquared).squareRoot()
        } else {
            convergence = magnitudeErrorSquared == 0 ? 0 : .infinity
        }
        return SpectralScores(
            lsdDB: lsdSum / Double(stftFrames),
            spectralConvergence: convergence,
            snrDB: SpectralMetrics.snrDB(signal: referenceEnergy, error: errorEnergy),
            segmentalSNRDB: segments > 0 ? segmentSNRSum / Double(segments) : .nan,
            stftFrames: stftFrames,
            samples: samples,
            referenceRMS: (referenceEnergy / Double(max(samples, 1))).squareRoot())
    }

    /// All four figures for two whole signals of equal length.
    public static func measure(reference: [Float], estimate: [Float], sampleRate: Int) throws -> SpectralScores {
        let metrics = SpectralMetrics(sampleRate: sampleRate)
        metrics.append(reference: reference, estimate: estimate)
        return try metrics.result()
    }

    package static func snrDB(signal: Double, error: Double) -> Double {
        if error == 0 { return .infinity }
        return 10 * log10(signal / error)   // signal 0 gives -∞, as it should
    }

    private func accumulateSNR(reference: [Float], estimate: [Float]) {
        for i in reference.indices {
            let r = Double(reference[i])
            let d = r - Double(estimate[i])
            referenceEnergy += r * r
            errorEnergy += d * d
            segmentReference += r * r
            segmentError += d * d
            segmentFill += 1
            if segmentFill == segmentLength {
                let snr = SpectralMetrics.snrDB(signal: segmentReference, error: segmentError)
                let range = SpectralMetrics.segmentSNRRange
                segmentSNRSum += min(max(snr, range.lowerBound), range.upperBound)
                segments += 1
                segmentReference = 0
                segmentError = 0
                segmentFill = 0
            }
        }
        samples += reference.count
    }

    private func accumulateSpectra() {
        let floor = SpectralMetrics.powerFloor
        var squaredDB = 0.0
        for k in referencePower.indices {
            let pr = Double(referencePower[k]), pe = Double(estimatePower[k])
            let db = 10 * log10(max(pr, floor) / max(pe, floor))
            squaredDB += db * db
            let difference = pr.squareRoot() - pe.squareRoot()
            magnitudeErrorSquared += difference * difference
            referenceMagnitudeSquared += pr
        }
        lsdSum += (squaredDB / Double(referencePower.count)).squareRoot()
        stftFrames += 1
    }
}
