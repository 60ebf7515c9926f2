// A minimal PNG encoder on zlib, for the spectrograms the HTML report embeds: 8-bit RGB,
// no interlacing, one IDAT chunk. It exists so the report needs no image library; it is not
// a general PNG writer (no palette, alpha, 16-bit or text chunks) and it does not decode.
// Format: PNG specification (W3C, 2003), sections 5 (datastream) and 11.2 (IHDR).
import CZlib
import Foundation

/// Errors while building the report's files.
public enum ReportError: Error, CustomStringConvertible {
    case compression(code: Int32)
    case notARunFolder(path: String, reason: String)
    case badFile(path: String, reason: String)

    public var description: String {
        switch self {
        case let .compression(code):
            return "zlib could not compress an image (code \(code))"
        case let .notARunFolder(path, reason):
            return "\(path): not a run folder (\(reason)); give folders written by `rawspeech train`"
        case let .badFile(path, reason):
            return "\(path): \(reason)"
        }
    }
}

/// PNG encoding of 8-bit RGB images.
public enum PNG {
    package static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// A PNG file of `pixels` (height rows of width RGB triples, top row first).
    public static func encodeRGB(width: Int, height: Int, pixels: [UInt8]) throws -> [UInt8] {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3,
                     "\(pixels.count) bytes for a \(width)x\(height) RGB image")
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]   // bit depth 8, colour type 2 (RGB), deflate, filter 0, no interlace

        // Each row is prefixed by its filter type. Filter 1 (Sub: difference from the pixel to
        // the left) shrinks smooth spectrogram rows several-fold for one subtraction a byte.
        let rowBytes = width * 3
        var filtered = [UInt8](repeating: 0, count: height * (rowBytes + 1))
        for y in 0 ..< height {
            let source = y * rowBytes, target = y * (rowBytes + 1)
            filtered[target] = 1
            for i in 0 ..< rowBytes {
                let left = i >= 3 ? pixels[source + i - 3] : 0
                filtered[target + 1 + i] = pixels[source + i] &- left
            }
        }
        var png = signature
        png += chunk("IHDR", header)
        png += chunk("IDAT", try deflate(filtered))
        png += chunk("IEND", [])
        return png
    }

    /// zlib-wrapped deflate (what IDAT holds), at the best compression: images are small.
    package static func deflate(_ bytes: [UInt8]) throws -> [UInt8] {
        var capacity = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let code = output.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &capacity, input.baseAddress, uLong(input.count), Z_BEST_COMPRESSION)
            }
        }
        guard code == Z_OK else { throw ReportError.compression(code: code) }
        return Array(output.prefix(Int(capacity)))
    }

    /// length, type, data, CRC-32 of type and data.
    package static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        var result: [UInt8] = []
        result.appendBigEndian(UInt32(data.count))
        result += typeBytes
        result += data
        let body = typeBytes + data
        let crc = body.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        result.appendBigEndian(UInt32(crc))
        return result
    }
}

extension [UInt8] {
    package mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF),
                            UInt8(value & 0xFF)])
    }
}
