// Errors of the Audio stage. Each one names the file it concerns, so the command line can
// print it as is; the Corpus stage adds the manifest line on top.
import Foundation

/// Why a recording could not be read or written.
public enum AudioError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingFile(path: String)
    case emptyFile(path: String)
    /// libsndfile does not recognise the bytes as any audio format it reads.
    case notAudio(path: String, reason: String)
    /// A valid header but no samples after it.
    case noSamples(path: String)
    /// Fewer samples than the header promised, or a decoder error part-way through.
    case truncated(path: String, expectedFrames: Int, readFrames: Int)
    /// The header's data chunk runs past the end of the file.
    case truncatedData(path: String, promisedBytes: Int, presentBytes: Int)
    /// A float file holding NaN or an infinity (found at source frame `frame`).
    case nonFiniteSample(path: String, frame: Int)
    case unsupportedEncoding(String)
    case readFailed(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    case resampler(reason: String)
    /// A sample rate outside `AudioLimits.sampleRates` (a damaged header, or a wrong manifest).
    case implausibleSampleRate(path: String, rate: Int)
    /// Resampling that would make more than `AudioLimits.maxResamplingGrowth` output samples per input sample.
    case excessiveResampling(path: String, sourceRate: Int, targetRate: Int)
    /// A headerless file's description that libsndfile cannot take (channels out of range, ...).
    case badRawFormat(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path): return "\(path): file not found"
        case .emptyFile(let path): return "\(path): empty file (0 bytes)"
        case .notAudio(let path, let reason): return "\(path): not an audio file libsndfile reads (\(reason))"
        case .noSamples(let path): return "\(path): header only, no samples"
        case .truncated(let path, let expected, let read):
            return "\(path): truncated: header says \(expected) frames, only \(read) could be read"
        case .truncatedData(let path, let promised, let present):
            return "\(path): truncated: header promises \(promised) bytes of samples, the file holds \(present)"
        case .nonFiniteSample(let path, let frame): return "\(path): NaN or infinite sample at frame \(frame)"
        case .unsupportedEncoding(let name):
            return "unknown encoding \"\(name)\" (known: \(RawEncoding.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .readFailed(let path, let reason): return "\(path): read error: \(reason)"
        case .writeFailed(let path, let reason): return "\(path): write error: \(reason)"
        case .resampler(let reason): return "resampler error: \(reason)"
        case .implausibleSampleRate(let path, let rate):
            return "\(path): implausible sample rate \(rate) Hz (rawspeech reads \(AudioLimits.sampleRates.lowerBound)"
                + "...\(AudioLimits.sampleRates.upperBound) Hz; a damaged header, or a wrong sample_rate in the manifest?)"
        case .excessiveResampling(let path, let source, let target):
            return "\(path): resampling \(source) Hz to \(target) Hz would make \(target / max(1, source))x as many samples "
                + "(at most \(AudioLimits.maxResamplingGrowth)x: is the file's rate right?)"
        case .badRawFormat(let path, let reason): return "\(path): cannot read as headerless audio: \(reason)"
        }
    }
}

extension AudioError: LocalizedError {
    public var errorDescription: String? { description }
}
