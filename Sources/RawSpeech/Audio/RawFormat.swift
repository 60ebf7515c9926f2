// Sample encodings, and the description of a headerless (raw) file. A raw file has no
// header to say how to read it, so the manifest says it: sample rate, encoding, channels.
// Encoding names follow FFmpeg's (`pcm_s16le`, ...), which most people already know.
import CSndfile

/// Sample encodings rawspeech names, for headerless files and for writing.
public enum RawEncoding: String, CaseIterable, Codable, Sendable {
    case pcm_u8, pcm_s8
    case pcm_s16le, pcm_s16be, pcm_s24le, pcm_s24be, pcm_s32le, pcm_s32be
    case pcm_f32le, pcm_f32be, pcm_f64le, pcm_f64be
    case ulaw, alaw

    /// libsndfile's subtype and endianness bits for this encoding.
    package var sndfileBits: Int32 {
        let subtype: Int
        var endian = Int(SF_ENDIAN_LITTLE)
        switch self {
        // Single bytes have no endianness; some containers refuse the flag.
        case .pcm_u8: subtype = Int(SF_FORMAT_PCM_U8); endian = 0
        case .pcm_s8: subtype = Int(SF_FORMAT_PCM_S8); endian = 0
        case .pcm_s16le: subtype = Int(SF_FORMAT_PCM_16)
        case .pcm_s16be: subtype = Int(SF_FORMAT_PCM_16); endian = Int(SF_ENDIAN_BIG)
        case .pcm_s24le: subtype = Int(SF_FORMAT_PCM_24)
        case .pcm_s24be: subtype = Int(SF_FORMAT_PCM_24); endian = Int(SF_ENDIAN_BIG)
        case .pcm_s32le: subtype = Int(SF_FORMAT_PCM_32)
        case .pcm_s32be: subtype = Int(SF_FORMAT_PCM_32); endian = Int(SF_ENDIAN_BIG)
        case .pcm_f32le: subtype = Int(SF_FORMAT_FLOAT)
        case .pcm_f32be: subtype = Int(SF_FORMAT_FLOAT); endian = Int(SF_ENDIAN_BIG)
        case .pcm_f64le: subtype = Int(SF_FORMAT_DOUBLE)
        case .pcm_f64be: subtype = Int(SF_FORMAT_DOUBLE); endian = Int(SF_ENDIAN_BIG)
        case .ulaw: subtype = Int(SF_FORMAT_ULAW); endian = 0
        case .alaw: subtype = Int(SF_FORMAT_ALAW); endian = 0
        }
        return Int32(subtype | endian)
    }
}

/// How to read a headerless file: what its header would have said.
public struct RawFormat: Codable, Equatable, Hashable, Sendable {
    public var sampleRate: Int
    public var encoding: RawEncoding
    public var channels: Int

    public init(sampleRate: Int, encoding: RawEncoding = .pcm_s16le, channels: Int = 1) {
        self.sampleRate = sampleRate
        self.encoding = encoding
        self.channels = channels
    }

    /// The SF_INFO libsndfile needs to open such a file (SF_FORMAT_RAW).
    package var sndfileInfo: SF_INFO {
        var info = SF_INFO()
        // Clamped, not trapped; SoundFile refuses values outside AudioLimits before this.
        info.samplerate = Int32(clamping: sampleRate)
        info.channels = Int32(clamping: channels)
        info.format = Int32(SF_FORMAT_RAW) | encoding.sndfileBits
        return info
    }
}
