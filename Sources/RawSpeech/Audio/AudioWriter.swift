// Streaming writer: float blocks in, a WAV/FLAC/OGG/... file out through libsndfile, for
// audio too long to hold (generated speech, long renders). Like shards, the file is built
// under a temporary name and renamed by `finish` (Core's AtomicFile.Pending); a writer
// dropped unfinished removes it.
import RawSpeechCore
import CSndfile
import Foundation

/// Writes float samples (interleaved if several channels) to `url` block by block.
public final class AudioWriter {
    public let url: URL
    public let sampleRate: Int
    public let channels: Int
    private let pending: AtomicFile.Pending
    private var file: SoundFile?

    /// PCM encodings clip out-of-range samples rather than wrap them.
    public init(url: URL, sampleRate: Int, channels: Int = 1, format: AudioFormat = .wav16) throws {
        self.url = url
        self.sampleRate = sampleRate
        self.channels = channels
        pending = AtomicFile.Pending(url)
        let file = try SoundFile(writing: pending.temporaryURL, format: format.sndfileBits, sampleRate: sampleRate, channels: channels)
        sf_command(file.handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        self.file = file
    }

    deinit {
        file = nil  // closed before `pending` removes it
    }

    /// Appends whole frames of float samples.
    public func write(_ samples: [Float]) throws {
        guard let file else { throw AudioError.writeFailed(path: url.path, reason: "writer already finished") }
        let frames = samples.count / channels
        let wrote = samples.withUnsafeBufferPointer { sf_writef_float(file.handle, $0.baseAddress, sf_count_t(frames)) }
        if Int(wrote) != frames { throw AudioError.writeFailed(path: url.path, reason: file.errorText ?? "short write") }
    }

    /// Appends whole frames of integers left-justified in 32 bits (16-bit s as s << 16),
    /// so PCM files hold exactly these values.
    public func write(pcm samples: [Int32]) throws {
        guard let file else { throw AudioError.writeFailed(path: url.path, reason: "writer already finished") }
        let frames = samples.count / channels
        let wrote = samples.withUnsafeBufferPointer { sf_writef_int(file.handle, $0.baseAddress, sf_count_t(frames)) }
        if Int(wrote) != frames { throw AudioError.writeFailed(path: url.path, reason: file.errorText ?? "short write") }
    }

    /// Closes the file (libsndfile writes the final header sizes) and renames it into place.
    public func finish() throws {
        guard file != nil else { return }
        file = nil // deinit of SoundFile closes it
        do {
            try pending.commit()
        } catch let error as RecordFileError {
            throw AudioError.writeFailed(path: url.path, reason: error.reason)
        }
    }
}
