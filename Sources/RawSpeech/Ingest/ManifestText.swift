// The bytes of a manifest file as numbered lines: gzip-compressed or not (told by the magic
// bytes 1f 8b, not the name), with or without a UTF-8 byte-order mark, LF or CRLF line ends.
// Lines are split on the LF byte before any decoding, so a line number is what an editor
// shows, and one line that is not UTF-8 spoils only itself. It is not a JSON parser: each
// line goes to Manifest.parse as text.
import CZlib
import Foundation

package enum ManifestText {
    /// A manifest larger than this after decompression is refused: 256 MB is millions of
    /// lines, and the bound keeps a small gzip bomb from filling memory.
    package static let maxBytes = 256 << 20

    /// One line: its 1-based number and its text (nil if the bytes are not UTF-8).
    package struct Line {
        package var number: Int
        package var text: String?
    }

    /// Splits `bytes` (decompressed first if gzip) into lines without their CR/LF; a BOM
    /// at the start is dropped. Throws a reason for a bad gzip stream or an oversized file.
    package static func lines(of bytes: [UInt8]) throws(ReasonError) -> [Line] {
        var text = bytes.starts(with: [0x1F, 0x8B]) ? try gunzip(bytes) : bytes
        if text.count > maxBytes { throw ReasonError("larger than \(maxBytes >> 20) MB") }
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text.removeFirst(3) }
        var lines: [Line] = []
        var start = 0
        func add(_ end: Int) {
            var slice = text[start ..< end]
            if slice.last == 0x0D { slice = slice.dropLast() }
            lines.append(Line(number: lines.count + 1, text: String(bytes: slice, encoding: .utf8)))
        }
        for (index, byte) in text.enumerated() where byte == 0x0A {
            add(index)
            start = index + 1
        }
        if start < text.count { add(text.count) }
        return lines
    }

    /// Inflates a gzip file (one member or several concatenated, as `cat a.gz b.gz` makes),
    /// at most `maxBytes` of output.
    package static func gunzip(_ input: [UInt8]) throws(ReasonError) -> [UInt8] {
        var stream = z_stream()
        // 16 + MAX_WBITS: expect the gzip wrapper, not zlib's.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ReasonError("zlib cannot start inflating")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var consumed = 0
        var failure: String? = nil
        input.withUnsafeBufferPointer { source in
            while failure == nil {
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress! + consumed)
                stream.avail_in = uInt(source.count - consumed)
                let code = chunk.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                consumed = source.count - Int(stream.avail_in)
                output += chunk[0 ..< produced]
                if output.count > maxBytes { failure = "larger than \(maxBytes >> 20) MB once decompressed"; break }
                switch code {
                case Z_STREAM_END:
                    // Another member may follow; trailing zero padding is allowed and ends it.
                    if consumed >= source.count || source[consumed...].allSatisfy({ $0 == 0 }) { return }
                    if inflateReset(&stream) != Z_OK { failure = "zlib cannot restart" }
                case Z_OK:
                    if produced == 0 && consumed >= source.count { failure = "gzip data ends early (truncated?)" }
                case Z_BUF_ERROR:
                    failure = "gzip data ends early (truncated?)"
                default:
                    failure = "not valid gzip data (zlib error \(code))"
                }
            }
        }
        if let failure { throw ReasonError(failure) }
        return output
    }
}

/// A reason in words, for errors the caller wraps with the file's name.
package struct ReasonError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
