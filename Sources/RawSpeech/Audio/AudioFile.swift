// Whole-file conveniences on top of AudioReader, and the writer. Use these for short
// files (tests, generated audio, scoring); preprocessing streams with AudioReader instead.
import CSndfile
import Foundation

/// A recording held in memory: mono samples and their rate.
public struct MonoAudio: Sendable, Equatable {
    public var samples: [Float]
    public var sampleRate: Int

    public init(samples: [Float], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    public var seconds: Double { Double(samples.count) / Double(sampleRate) }
}

/// Container formats rawspeech writes (all through libsndfile).
public enum AudioContainer: String, CaseIterable, Sendable {
    case wav, flac, ogg, aiff, au, raw

    var sndfileBits: Int32 {
        switch self {
        case .wav: return Int32(SF_FORMAT_WAV)
        case .flac: return Int32(SF_FORMAT_FLAC)
        case .ogg: return Int32(SF_FORMAT_OGG)
        case .aiff: return Int32(SF_FORMAT_AIFF)
        case .au: return Int32(SF_FORMAT_AU)
        case .raw: return Int32(SF_FORMAT_RAW)
        }
    }
}

/// A container plus an encoding, e.g. WAV with 16-bit PCM, or OGG with Vorbis.
public struct AudioFormat: Equatable, Sendable {
    public var container: AudioContainer
    /// nil means the container's own codec (FLAC's, Vorbis for OGG).
    public var encoding: RawEncoding?

    public init(_ container: AudioContainer, _ encoding: RawEncoding? = nil) {
        self.container = container
        self.encoding = encoding
    }

    public static let wav16 = AudioFormat(.wav, .pcm_s16le)
    public static let wavFloat = AudioFormat(.wav, .pcm_f32le)
    public static let flac16 = AudioFormat(.flac, .pcm_s16le)
    public static let vorbis = AudioFormat(.ogg, nil)

    var sndfileBits: Int32 {
        switch (container, encoding) {
        case (.ogg, _): return container.sndfileBits | Int32(SF_FORMAT_VORBIS)
        case (.flac, let e): // FLAC stores 8, 16 or 24-bit integers; endianness does not apply.
            let subtype = (e?.sndfileBits ?? Int32(SF_FORMAT_PCM_16)) & Int32(SF_FORMAT_SUBMASK)
            return container.sndfileBits | subtype
        case (_, let e): return container.sndfileBits | (e ?? .pcm_s16le).sndfileBits
        }
    }
}

public enum AudioFile {
    /// Reads a whole file as mono at `sampleRate` (nil: the file's own rate).
    public static func readMono(_ url: URL, sampleRate: Int? = nil, raw: RawFormat? = nil) throws -> MonoAudio {
        let reader = try AudioReader(url: url, raw: raw, sampleRate: sampleRate)
        var samples: [Float] = []
        samples.reserveCapacity(reader.expectedSamples)
        try reader.forEachBlock { samples.append(contentsOf: $0) }
        return MonoAudio(samples: samples, sampleRate: reader.sampleRate)
    }

    /// Writes mono `samples` (nominally in [-1, 1]) to `url`; PCM encodings clip rather
    /// than wrap. The file appears under its name only once complete (temp name, rename).
    public static func write(_ samples: [Float], sampleRate: Int, to url: URL,
                             format: AudioFormat = .wav16) throws {
        try write(interleaved: samples, channels: 1, sampleRate: sampleRate, to: url, format: format)
    }

    /// Writes interleaved multi-channel float frames.
    public static func write(interleaved samples: [Float], channels: Int, sampleRate: Int,
                             to url: URL, format: AudioFormat = .wav16) throws {
        try atomically(url) { temp in
            let file = try SoundFile(writing: temp, format: format.sndfileBits, sampleRate: sampleRate, channels: channels)
            sf_command(file.handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
            let frames = samples.count / channels
            let wrote = samples.withUnsafeBufferPointer { sf_writef_float(file.handle, $0.baseAddress, sf_count_t(frames)) }
            if Int(wrote) != frames { throw AudioError.writeFailed(path: url.path, reason: file.errorText ?? "short write") }
        }
    }

    /// Writes interleaved integer frames, left-justified in 32 bits (a 16-bit sample s is
    /// s << 16), so PCM files hold exactly the values given.
    public static func write(pcm samples: [Int32], channels: Int, sampleRate: Int,
                             to url: URL, format: AudioFormat) throws {
        try atomically(url) { temp in
            let file = try SoundFile(writing: temp, format: format.sndfileBits, sampleRate: sampleRate, channels: channels)
            let frames = samples.count / channels
            let wrote = samples.withUnsafeBufferPointer { sf_writef_int(file.handle, $0.baseAddress, sf_count_t(frames)) }
            if Int(wrote) != frames { throw AudioError.writeFailed(path: url.path, reason: file.errorText ?? "short write") }
        }
    }

    /// Runs `body` on a temporary sibling of `url`, then renames it into place; on error the
    /// temporary file is removed, so a reader never sees half a file.
    static func atomically(_ url: URL, _ body: (URL) throws -> Void) throws {
        let temp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0 ... .max)).tmp")
        do {
            try body(temp) // the SoundFile closes when body returns, before the rename
            if rename(temp.path, url.path) != 0 {
                throw AudioError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
            }
        } catch {
            unlink(temp.path)
            throw error
        }
    }
}
