// A small binary container for checkpoints: magic, format version, named records, and a
// SHA-256 of everything before it. Written to a temporary name and renamed, so a crash
// never leaves a half-written file under the real name; verified whole on load.
import Foundation

/// Why a record file could not be read or written; every message names the file.
public struct RecordFileError: Error, CustomStringConvertible, LocalizedError, Sendable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
    public var errorDescription: String? { description }

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// Named byte records in one checksummed file.
public struct RecordFile: Sendable {
    public var records: [(name: String, bytes: Data)] = []

    public init() {}

    public mutating func append(_ name: String, bytes: Data) { records.append((name, bytes)) }

    public mutating func append(_ name: String, floats: [Float]) {
        append(name, bytes: floats.withUnsafeBufferPointer { Data(buffer: $0) })
    }

    public mutating func append<T: Encodable>(_ name: String, json value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        append(name, bytes: try encoder.encode(value))
    }

    public func bytes(_ name: String, path: String) throws -> Data {
        guard let record = records.first(where: { $0.name == name }) else {
            throw RecordFileError(path: path, reason: "record '\(name)' is missing")
        }
        return record.bytes
    }

    public func floats(_ name: String, path: String) throws -> [Float] {
        let data = try bytes(name, path: path)
        guard data.count % MemoryLayout<Float>.size == 0 else {
            throw RecordFileError(path: path, reason: "record '\(name)' is not a whole number of floats")
        }
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    public func json<T: Decodable>(_ type: T.Type, _ name: String, path: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: try bytes(name, path: path))
        } catch let error as RecordFileError {
            throw error
        } catch {
            throw RecordFileError(path: path, reason: "record '\(name)' does not decode: \(error)")
        }
    }

    /// Serializes with `magic` (8 bytes) and `version`, writes atomically.
    public func write(to url: URL, magic: String, version: UInt32) throws {
        var data = Data(magic.utf8.prefix(8))
        precondition(data.count == 8, "magic must be 8 ASCII bytes")
        appendInteger(&data, version)
        appendInteger(&data, UInt32(records.count))
        for record in records {
            let name = Data(record.name.utf8)
            appendInteger(&data, UInt16(name.count))
            data.append(name)
            appendInteger(&data, UInt64(record.bytes.count))
            data.append(record.bytes)
        }
        data.append(contentsOf: SHA256.digest(data))
        try AtomicFile.write(data, to: url)
    }

    /// Reads and verifies a file written by `write(to:magic:version:)`.
    public static func read(from url: URL, magic: String, version: UInt32, kind: String) throws -> RecordFile {
        let path = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw RecordFileError(path: path, reason: "cannot read \(kind): \(error.localizedDescription)")
        }
        guard data.count >= 16 + 32, data.prefix(8) == Data(magic.utf8) else {
            throw RecordFileError(path: path, reason: "not a rawspeech \(kind) (wrong magic or too short)")
        }
        let body = data.prefix(data.count - 32)
        guard SHA256.digest(body) == Array(data.suffix(32)) else {
            throw RecordFileError(path: path, reason: "\(kind) checksum mismatch: the file is corrupt or truncated")
        }
        var reader = ByteReader(data: body, offset: 8)
        let fileVersion: UInt32 = try reader.integer(path)
        guard fileVersion == version else {
            throw RecordFileError(path: path, reason: "\(kind) format version \(fileVersion), this build reads \(version): retrain, or use the rawspeech release that wrote it")
        }
        var file = RecordFile()
        let count: UInt32 = try reader.integer(path)
        for _ in 0 ..< count {
            let nameLength: UInt16 = try reader.integer(path)
            let name = String(decoding: try reader.take(Int(nameLength), path), as: UTF8.self)
            let byteCount: UInt64 = try reader.integer(path)
            // The length comes from the file: compare it as UInt64 before it becomes an Int
            // (a crafted length past Int.max must give an error, never a trap).
            guard byteCount <= UInt64(reader.remaining) else {
                throw RecordFileError(path: path, reason: "record '\(name)' claims \(byteCount) bytes, more than the file holds")
            }
            file.append(name, bytes: try reader.take(Int(byteCount), path))
        }
        return file
    }
}

private func appendInteger<T: FixedWidthInteger>(_ data: inout Data, _ value: T) {
    withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) }
}

private struct ByteReader {
    let data: Data
    var offset: Int

    var remaining: Int { data.count - offset }

    mutating func take(_ count: Int, _ path: String) throws -> Data {
        guard count >= 0, count <= remaining else {
            throw RecordFileError(path: path, reason: "record runs past the end of the file")
        }
        let start = data.startIndex + offset
        offset += count
        return Data(data[start ..< start + count])
    }

    mutating func integer<T: FixedWidthInteger>(_ path: String) throws -> T {
        let bytes = try take(MemoryLayout<T>.size, path)
        return T(littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(as: T.self) })
    }
}
