// How a data folder stores its samples: 16-bit integers (the default: half the bytes, and
// exact for the 16-bit sources most speech corpora are) or 32-bit floats (for sources with
// more resolution or with peaks past full scale). Recorded in summary.json as
// `sample_format`; readers always hand out Float in [-1, 1) units.

/// The on-disk encoding of a data folder's samples.
public enum SampleFormat: String, Codable, CaseIterable, Sendable {
    /// Little-endian Int16, x * 32768 rounded to nearest and clamped to [-32768, 32767]:
    /// a 16-bit source's samples (libsndfile gives s / 32768) round-trip exactly.
    case int16
    /// Little-endian IEEE float32, as the reader produced them.
    case float32

    public var bytesPerSample: Int { self == .int16 ? 2 : 4 }

    /// The code in shard and store headers (1 was version 1's only encoding, float32).
    package var code: UInt32 { self == .int16 ? 2 : 1 }

    package init?(code: UInt32) {
        switch code {
        case 1: self = .float32
        case 2: self = .int16
        default: return nil
        }
    }

    /// The Int16 that stores `x` (NaN, which no reader produces, stores as 0).
    @inline(__always)
    package static func quantize(_ x: Float) -> Int16 {
        let scaled = (x * 32768).rounded()
        guard !scaled.isNaN else { return 0 }
        return Int16(Swift.max(-32768, Swift.min(32767, scaled)))
    }

    /// Raw little-endian samples of this format -> Float.
    @inline(__always)
    package func decode(_ bytes: UnsafeRawPointer, count: Int, into output: UnsafeMutablePointer<Float>) {
        switch self {
        case .int16:
            for i in 0 ..< count {
                output[i] = Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) * (1 / 32768)
            }
        case .float32:
            // Little-endian on every machine this runs on (x86-64, arm64).
            UnsafeMutableRawPointer(output).copyMemory(from: bytes, byteCount: 4 * count)
        }
    }
}
