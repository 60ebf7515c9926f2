// A split's sample store: every recording of the split back to back in one large file
// (`<split>.samples`, memory-mapped for reading) plus its index (`<split>.index`: names,
// offsets, counts, checksums), as nanoGPT and Megatron keep tokens. One file and one mapping
// per split, not per recording, so a 960-hour corpus is six files, opening it reads only
// the index, and the page cache (not the process) holds what training touches.
//
// Integrity without reading everything at every start: the index carries a SHA-256 per
// 1 MiB block of samples, and a block is verified the first time anything reads from it,
// so a flipped bit is an error before its samples reach a gradient or a score;
// `verifyAll` (`rawspeech verify`) checks every block. The header and the index are
// checksummed, and each names the other's digest, so a mismatched pair is refused at open.
// Layout in docs/DATA.md. This file reads; SampleStoreWriter writes.
import RawSpeechCore
import Foundation

/// One recording inside a split's store.
public struct StoredRecording: Equatable, Sendable {
    /// As in summary.json ("cards/001").
    public var name: String
    /// Manifest line it came from.
    public var line: Int
    /// First sample, counted in samples from the start of the split's samples.
    public var offset: Int
    public var count: Int
    /// SHA-256 of this recording's stored bytes (summary.json's `sha256`).
    public var sha256: [UInt8]
    /// SHA-256 of the source audio from the manifest (zeros if it had none).
    public var sourceSHA256: [UInt8]
    /// Sum and sum of squares of its samples (as Float, accumulated in Double): a rerun
    /// rebuilds train_mean/std without reading the samples again.
    public var statistics: ShardStatistics

    public init(name: String, line: Int, offset: Int, count: Int, sha256: [UInt8], sourceSHA256: [UInt8],
                statistics: ShardStatistics) {
        self.name = name
        self.line = line
        self.offset = offset
        self.count = count
        self.sha256 = sha256
        self.sourceSHA256 = sourceSHA256
        self.statistics = statistics
    }

    public static func == (a: StoredRecording, b: StoredRecording) -> Bool {
        a.name == b.name && a.line == b.line && a.offset == b.offset && a.count == b.count && a.sha256 == b.sha256
            && a.sourceSHA256 == b.sourceSHA256 && a.statistics.count == b.statistics.count
            && a.statistics.sum.bitPattern == b.statistics.sum.bitPattern
            && a.statistics.sumOfSquares.bitPattern == b.statistics.sumOfSquares.bitPattern
    }
}

/// What a store's index says (everything but the samples).
public struct StoreIndex: Sendable {
    public static let magic = "RSPINDEX"
    public static let version: UInt32 = 1

    public var split: Split
    public var sampleRate: Int
    public var format: SampleFormat
    public var sampleCount: Int
    /// Bytes per checksummed block of samples (the last block may be shorter).
    public var blockBytes: Int
    public var recordings: [StoredRecording]
    /// SHA-256 per block, 32 bytes each, laid end to end.
    public var blockDigests: [UInt8]

    public var blockCount: Int { blockDigests.count / 32 }
    /// SHA-256 of `blockDigests`: names the whole payload; the samples file's header repeats it.
    public var payloadDigest: [UInt8] { SHA256.digest(blockDigests) }
    public var payloadBytes: Int { sampleCount * format.bytesPerSample }
}

/// The header of `<split>.samples` (4096 bytes, so the samples start page-aligned).
struct StoreHeader: Equatable {
    static let magic: [UInt8] = Array("RSPSTORE".utf8)
    static let version: UInt32 = 1
    static let size = 4096
    /// Bytes covered by the header's own SHA-256 (which follows them).
    static let checkedBytes = 72

    var sampleRate: Int
    var format: SampleFormat
    var sampleCount: Int
    var blockBytes: Int
    var recordingCount: Int
    var payloadDigest: [UInt8]

    func encoded() -> [UInt8] {
        var bytes = Self.magic
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        put(Self.version)
        put(UInt32(Self.size))
        put(UInt32(sampleRate))
        put(format.code)
        put(UInt64(sampleCount))
        put(UInt32(blockBytes))
        put(UInt32(recordingCount))
        bytes += payloadDigest
        precondition(bytes.count == Self.checkedBytes)
        bytes += SHA256.digest(bytes)
        return bytes + [UInt8](repeating: 0, count: Self.size - bytes.count)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, path: String) throws -> StoreHeader {
        func fail(_ reason: String) -> CorpusError { .badStore(path: path, reason: reason) }
        guard bytes.count >= checkedBytes + 32 else { throw fail("shorter than its header") }
        guard Array(bytes[0 ..< 8]) == magic else { throw fail("not a rawspeech sample store (bad magic)") }
        func get<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        let version = get(8, UInt32.self)
        guard version == Self.version else {
            throw fail("sample store version \(version), this build reads \(Self.version)")
        }
        guard SHA256.digest(Array(bytes[0 ..< checkedBytes])) == Array(bytes[checkedBytes ..< checkedBytes + 32]) else {
            throw fail("header checksum mismatch")
        }
        guard get(12, UInt32.self) == UInt32(size), let format = SampleFormat(code: get(20, UInt32.self)) else {
            throw fail("unknown header layout")
        }
        let count = get(24, UInt64.self)
        guard count <= 1 << 44 else { throw fail("header claims \(count) samples") }
        return StoreHeader(sampleRate: Int(get(16, UInt32.self)), format: format, sampleCount: Int(count),
                           blockBytes: Int(get(32, UInt32.self)), recordingCount: Int(get(36, UInt32.self)),
                           payloadDigest: Array(bytes[40 ..< 72]))
    }
}

/// A split's samples, mapped read-only; blocks are checked against the index when first read.
public final class SampleStore: @unchecked Sendable {
    public static func samplesName(_ split: Split) -> String { "\(split.rawValue).samples" }
    public static func indexName(_ split: Split) -> String { "\(split.rawValue).index" }

    public let samplesURL: URL
    public let indexURL: URL
    public let index: StoreIndex
    private let mapping: UnsafeRawPointer?
    private let mappedBytes: Int
    // Which blocks have been verified; guarded by `lock` (readers on several threads).
    private let lock = NSLock()
    private var verified: [Bool]
    private let positions: [String: Int]

    public var split: Split { index.split }
    public var recordings: [StoredRecording] { index.recordings }
    public var sampleRate: Int { index.sampleRate }
    public var format: SampleFormat { index.format }

    /// Opens the split's store in `folder`: reads and checks the index and the samples
    /// file's header against each other, and maps the samples. Reads no samples.
    public init(folder: URL, split: Split) throws {
        indexURL = folder.appendingPathComponent(Self.indexName(split))
        samplesURL = folder.appendingPathComponent(Self.samplesName(split))
        index = try Self.readIndex(indexURL, split: split)
        let path = samplesURL.path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CorpusError.badStore(path: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CorpusError.badStore(path: path, reason: "cannot stat") }
        let expected = StoreHeader.size + index.payloadBytes
        guard Int(info.st_size) == expected else {
            throw CorpusError.badStore(path: path, reason: "\(info.st_size) bytes, its index says \(expected) (truncated, or from another run)")
        }
        var headerBytes = [UInt8](repeating: 0, count: StoreHeader.size)
        guard pread(fd, &headerBytes, StoreHeader.size, 0) == StoreHeader.size else {
            throw CorpusError.badStore(path: path, reason: "cannot read its header")
        }
        let header = try headerBytes.withUnsafeBytes { try StoreHeader.decode($0, path: path) }
        guard header == StoreHeader(sampleRate: index.sampleRate, format: index.format, sampleCount: index.sampleCount,
                                    blockBytes: index.blockBytes, recordingCount: index.recordings.count,
                                    payloadDigest: index.payloadDigest) else {
            throw CorpusError.badStore(path: path, reason: "does not match \(indexURL.lastPathComponent) (a run was interrupted between writing the two?)")
        }
        mappedBytes = expected
        if index.payloadBytes > 0 {
            guard let base = mmap(nil, expected, PROT_READ, MAP_SHARED, fd, 0), base != MAP_FAILED else {
                throw CorpusError.badStore(path: path, reason: "cannot map: \(String(cString: strerror(errno)))")
            }
            mapping = UnsafeRawPointer(base)
        } else {
            mapping = nil
        }
        verified = [Bool](repeating: false, count: index.blockCount)
        positions = Dictionary(index.recordings.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Where the recording called `name` is, if the store holds it.
    public func position(of name: String) -> Int? { positions[name] }

    public func recording(named name: String) -> StoredRecording? { positions[name].map { index.recordings[$0] } }

    deinit {
        if let mapping { munmap(UnsafeMutableRawPointer(mutating: mapping), mappedBytes) }
    }

    /// Copies `count` samples of recording `recording` from sample `start` on into `output`
    /// as Float, after verifying every block they touch that has not been verified yet.
    public func read(_ recording: Int, from start: Int, count: Int, into output: UnsafeMutablePointer<Float>) throws {
        let entry = index.recordings[recording]
        precondition(start >= 0 && count >= 0 && start + count <= entry.count,
                     "samples \(start)..<\(start + count) of a recording of \(entry.count)")
        guard count > 0, let mapping else { return }
        let width = index.format.bytesPerSample
        let first = (entry.offset + start) * width
        try verify(bytes: first ..< first + count * width)
        index.format.decode(mapping + StoreHeader.size + first, count: count, into: output)
    }

    /// One whole recording as Float.
    public func samples(_ recording: Int) throws -> [Float] {
        let count = index.recordings[recording].count
        return try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            try read(recording, from: 0, count: count, into: buffer.baseAddress!)
            initialized = count
        }
    }

    /// Verifies every block not verified yet, in order; `progress` gets blocks done and the total.
    public func verifyAll(progress: (Int, Int) -> Void = { _, _ in }) throws {
        let blocks = index.blockCount
        for block in 0 ..< blocks {
            try verify(blocks: block ..< block + 1)
            if block % 64 == 63 || block == blocks - 1 { progress(block + 1, blocks) }
        }
    }

    /// Blocks verified so far (for tests and `verify`'s report).
    public var verifiedBlockCount: Int {
        lock.lock(); defer { lock.unlock() }
        return verified.filter { $0 }.count
    }

    private func verify(bytes: Range<Int>) throws {
        try verify(blocks: bytes.lowerBound / index.blockBytes ..< (bytes.upperBound - 1) / index.blockBytes + 1)
    }

    private func verify(blocks: Range<Int>) throws {
        lock.lock()
        defer { lock.unlock() }
        for block in blocks where !verified[block] {
            let start = block * index.blockBytes
            let length = min(index.blockBytes, index.payloadBytes - start)
            let digest = SHA256()
            digest.update(UnsafeRawBufferPointer(start: mapping! + StoreHeader.size + start, count: length))
            guard digest.finish()[...] == index.blockDigests[block * 32 ..< block * 32 + 32] else {
                let byte = StoreHeader.size + start
                throw CorpusError.badStore(path: samplesURL.path,
                    reason: "block \(block) (bytes \(byte)..<\(byte + length)) does not match its SHA-256 in \(indexURL.lastPathComponent): the file is damaged")
            }
            verified[block] = true
        }
    }
}

// MARK: - The index file

extension StoreIndex {
    /// Bytes per recording in the "recordings" record: offset, count, line, sum and sum of
    /// squares (u64 / f64 bit patterns), then the recording's and the source's SHA-256.
    static let recordBytes = 5 * 8 + 64

    private struct Header: Codable {
        var split: Split
        var sampleRate: Int
        var sampleFormat: SampleFormat
        var samples: Int
        var blockBytes: Int
        var recordings: Int
        enum CodingKeys: String, CodingKey {
            case split, sampleRate = "sample_rate", sampleFormat = "sample_format", samples
            case blockBytes = "block_bytes", recordings
        }
    }

    /// Writes the index (a RecordFile: magic, version, named records, SHA-256; atomically).
    package func write(to url: URL) throws {
        var file = RecordFile()
        try file.append("store", json: Header(split: split, sampleRate: sampleRate, sampleFormat: format,
                                               samples: sampleCount, blockBytes: blockBytes, recordings: recordings.count))
        var names: [UInt8] = []
        var table: [UInt8] = []
        table.reserveCapacity(recordings.count * Self.recordBytes)
        func put<T: FixedWidthInteger>(_ value: T, _ bytes: inout [UInt8]) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        for r in recordings {
            let name = Array(r.name.utf8)
            put(UInt32(name.count), &names)
            names += name
            put(UInt64(r.offset), &table)
            put(UInt64(r.count), &table)
            put(UInt64(r.line), &table)
            put(r.statistics.sum.bitPattern, &table)
            put(r.statistics.sumOfSquares.bitPattern, &table)
            table += r.sha256 + r.sourceSHA256
        }
        file.append("names", bytes: Data(names))
        file.append("recordings", bytes: Data(table))
        file.append("blocks", bytes: Data(blockDigests))
        try file.write(to: url, magic: Self.magic, version: Self.version)
    }
}

extension SampleStore {
    static func readIndex(_ url: URL, split: Split) throws -> StoreIndex {
        let path = url.path
        func fail(_ reason: String) -> CorpusError { .badStore(path: path, reason: reason) }
        let file: RecordFile
        do {
            file = try RecordFile.read(from: url, magic: StoreIndex.magic, version: StoreIndex.version, kind: "sample store index")
        } catch let error as RecordFileError {
            throw fail(error.reason)
        }
        let header: StoreIndexHeaderView
        do { header = try file.json(StoreIndexHeaderView.self, "store", path: path) } catch let error as RecordFileError {
            throw fail(error.reason)
        }
        guard header.split == split.rawValue, let format = SampleFormat(rawValue: header.sample_format),
              header.samples >= 0, header.recordings >= 0, header.block_bytes > 0 else {
            throw fail("its header is not that of a \(split.rawValue) store")
        }
        let names = [UInt8](try file.bytes("names", path: path))
        let table = [UInt8](try file.bytes("recordings", path: path))
        let blocks = [UInt8](try file.bytes("blocks", path: path))
        let payload = header.samples * format.bytesPerSample
        guard table.count == header.recordings * StoreIndex.recordBytes,
              blocks.count == 32 * ((payload + header.block_bytes - 1) / header.block_bytes) else {
            throw fail("its records do not match its header")
        }
        var recordings: [StoredRecording] = []
        recordings.reserveCapacity(header.recordings)
        var nameOffset = 0
        var nextSample = 0
        try table.withUnsafeBytes { t in
            func get(_ offset: Int) -> UInt64 { UInt64(littleEndian: t.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
            for i in 0 ..< header.recordings {
                guard nameOffset + 4 <= names.count else { throw fail("names run short") }
                let length = Int(names[nameOffset ..< nameOffset + 4].withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) })
                guard nameOffset + 4 + length <= names.count else { throw fail("names run short") }
                let name = String(decoding: names[nameOffset + 4 ..< nameOffset + 4 + length], as: UTF8.self)
                nameOffset += 4 + length
                let base = i * StoreIndex.recordBytes
                let (offset, count, line) = (get(base), get(base + 8), get(base + 16))
                // Recordings lie back to back in order: anything else is a damaged index.
                guard offset == UInt64(nextSample), count <= UInt64(header.samples - nextSample), line < 1 << 40 else {
                    throw fail("recording \(i) lies outside the samples")
                }
                nextSample += Int(count)
                var statistics = ShardStatistics()
                statistics.count = Int(count)
                statistics.sum = Double(bitPattern: get(base + 24))
                statistics.sumOfSquares = Double(bitPattern: get(base + 32))
                recordings.append(StoredRecording(name: name, line: Int(line), offset: Int(offset), count: Int(count),
                                                  sha256: Array(table[base + 40 ..< base + 72]),
                                                  sourceSHA256: Array(table[base + 72 ..< base + 104]),
                                                  statistics: statistics))
            }
        }
        guard nextSample == header.samples else { throw fail("its recordings do not cover its samples") }
        return StoreIndex(split: split, sampleRate: header.sample_rate, format: format, sampleCount: header.samples,
                          blockBytes: header.block_bytes, recordings: recordings, blockDigests: blocks)
    }
}

/// The "store" record as read (field names as written).
private struct StoreIndexHeaderView: Decodable {
    var split: String
    var sample_rate: Int
    var sample_format: String
    var samples: Int
    var block_bytes: Int
    var recordings: Int
}
