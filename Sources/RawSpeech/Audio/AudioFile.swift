// Whole-file conveniences on top of AudioReader and AudioWriter, and the format names.
// Use these for short files (tests, generated audio, scoring); preprocessing streams with
// AudioReader instead.
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
    case wav, flac, ogg, aiff, au, caf, raw

    package var sndfileBits: Int32 {
        switch self {
        case .wav: return Int32(SF_FORMAT_WAV)
        case .flac: return Int32(SF_FORMAT_FLAC)
        case .ogg: return Int32(SF_FORMAT_OGG)
        case .aiff: return Int32(SF_FORMAT_AIFF)
        case .au: return Int32(SF_FORMAT_AU)
        case .caf: return Int32(SF_FORMAT_CAF)
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

    /// File-name extensions (lowercase, no dot) and the format each one gets: the
    /// container the extension names, with 16-bit PCM in its usual byte order (OGG: Vorbis).
    public static let byExtension: [(extension: String, format: AudioFormat)] = [
        ("wav", .wav16), ("wave", .wav16), ("flac", .flac16), ("ogg", .vorbis), ("oga", .vorbis),
        ("aiff", AudioFormat(.aiff, .pcm_s16be)), ("aif", AudioFormat(.aiff, .pcm_s16be)),
        ("au", AudioFormat(.au, .pcm_s16be)), ("snd", AudioFormat(.au, .pcm_s16be)),
        ("caf", AudioFormat(.caf, .pcm_s16le)), ("raw", AudioFormat(.raw, .pcm_s16le)),
    ]

    /// The format a file name's extension names (any case), or nil for one rawspeech does
    /// not write (or none).
    public init?(forExtension pathExtension: String) {
        let key = pathExtension.lowercased()
        guard let entry = Self.byExtension.first(where: { $0.extension == key }) else { return nil }
        self = entry.format
    }

    /// The format `url`'s extension names; throws `AudioFormatError.unknownExtension` naming the
    /// file and the extensions rawspeech knows.
    public static func forOutput(_ url: URL) throws -> AudioFormat {
        guard let format = AudioFormat(forExtension: url.pathExtension) else {
            throw AudioFormatError.unknownExtension(path: url.path, extension: url.pathExtension)
        }
        return format
    }

    package var sndfileBits: Int32 {
        switch (container, encoding) {
        case (.ogg, _): return container.sndfileBits | Int32(SF_FORMAT_VORBIS)
        case (.flac, let e): // FLAC stores 8, 16 or 24-bit integers; endianness does not apply.
            let subtype = (e?.sndfileBits ?? Int32(SF_FORMAT_PCM_16)) & Int32(SF_FORMAT_SUBMASK)
            return container.sndfileBits | subtype
        case (.aiff, let e?) where e.sndfileBits & Int32(SF_FORMAT_ENDMASK) == Int32(SF_ENDIAN_BIG):
            // AIFF's own byte order: asked for explicitly, libsndfile writes AIFC instead.
            return container.sndfileBits | (e.sndfileBits & Int32(SF_FORMAT_SUBMASK))
        case (_, let e): return container.sndfileBits | (e ?? .pcm_s16le).sndfileBits
        }
    }
}

/// A file name that does not say which format to write.
public enum AudioFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownExtension(path: String, extension: String)

    public var description: String {
        switch self {
        case .unknownExtension(let path, let ext):
            let known = AudioFormat.byExtension.map { "." + $0.extension }.joined(separator: ", ")
            return "\(path): " + (ext.isEmpty ? "no extension" : "unknown extension .\(ext)")
                + " (rawspeech writes \(known))"
        }
    }
}

/// What `AudioFile.probe` learns about a file without keeping its samples.
public struct AudioProbe: Sendable, Equatable {
    public var sampleRate: Int
    public var channels: Int
    /// From the header if believable, else counted by decoding the whole file.
    public var frames: Int

    public var seconds: Double { Double(frames) / Double(sampleRate) }
}

public enum AudioFile {
    /// Rate, channels and length of a file libsndfile recognises by its bytes; nil if it
    /// does not (not audio, or empty). Throws for audio it recognises but rawspeech would
    /// refuse to read (implausible rate, truncated data chunk, no samples), naming the file.
    /// Headerless files are never recognised: their bytes say nothing.
    public static func probe(_ url: URL) throws -> AudioProbe? {
        let file: SoundFile
        do { file = try SoundFile(reading: url, raw: nil) } catch let error as AudioError {
            switch error {
            case .notAudio, .emptyFile: return nil
            default: throw error
            }
        }
        var frames = file.frames ?? 0
        if file.frames == nil {
            // The header's count is not believable: count what decodes.
            let block = 4096
            var buffer = [Float](repeating: 0, count: block * file.channels)
            while true {
                let got = buffer.withUnsafeMutableBufferPointer {
                    Int(sf_readf_float(file.handle, $0.baseAddress, sf_count_t(block)))
                }
                if got <= 0 { break }
                frames += got
            }
        }
        if frames == 0 { throw AudioError.noSamples(path: url.path) }
        return AudioProbe(sampleRate: file.sampleRate, channels: file.channels, frames: frames)
    }

    /// The container libsndfile finds in a file's header (nil: not one rawspeech writes,
    /// or not audio): to check that a file is what its name says.
    package static func container(of url: URL) throws -> AudioContainer? {
        let major = try SoundFile(reading: url, raw: nil).info.format & Int32(SF_FORMAT_TYPEMASK)
        return AudioContainer.allCases.first { $0.sndfileBits == major }
    }

    /// Reads a whole file as mono at `sampleRate` (nil: the file's own rate).
    public static func readMono(_ url: URL, sampleRate: Int? = nil, raw: RawFormat? = nil) throws -> MonoAudio {
        let reader = try AudioReader(url: url, raw: raw, sampleRate: sampleRate)
        var samples: [Float] = []
        samples.reserveCapacity(reader.knownExpectedSamples ?? 0)
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
        let writer = try AudioWriter(url: url, sampleRate: sampleRate, channels: channels, format: format)
        try writer.write(samples)
        try writer.finish()
    }

    /// Writes interleaved integer frames, left-justified in 32 bits (a 16-bit sample s is
    /// s << 16), so PCM files hold exactly the values given.
    public static func write(pcm samples: [Int32], channels: Int, sampleRate: Int,
                             to url: URL, format: AudioFormat) throws {
        let writer = try AudioWriter(url: url, sampleRate: sampleRate, channels: channels, format: format)
        try writer.write(pcm: samples)
        try writer.finish()
    }
}
