// A shard: one recording's samples after preprocessing, as little-endian float32 or int16
// behind a fixed 128-byte header (magic, format version, sample rate, sample encoding,
// sample count, SHA-256 of the samples, SHA-256 of the source file). Written in blocks to a
// temporary name and renamed when complete, so a shard under its real name is always whole.
// Layout in docs/DATA.md. Data folders of version 1 kept one float32 shard per recording
// (read for compatibility); today shards are only `preprocess`'s per-recording pieces,
// concatenated into a split's SampleStore once the split is complete and then removed.
import RawSpeechCore
import Foundation

/// What a shard's header says.
public struct ShardHeader: Equatable, Sendable {
    public static let magic: [UInt8] = Array("RSPSHARD".utf8)
    /// Version 1: float32 LE samples, 128-byte header.
    public static let version: UInt32 = 1
    public static let size = 128

    public var sampleRate: Int
    public var sampleCount: Int
    public var payloadSHA256: [UInt8]
    /// The source file's SHA-256 from the manifest (zeros if the manifest had none): a
    /// rerun reuses the shard only if the manifest still names the same bytes.
    public var sourceSHA256: [UInt8]
    /// How the samples are stored (version 1 data folders: always float32).
    public var format: SampleFormat = .float32
    /// The sums its writer accumulated (in the reserved bytes; nil in version-1 data
    /// folders): a store built from pieces gets the same train_mean/std as the samples'
    /// first pass, however a later reader blocks them.
    public var statistics: ShardStatistics? = nil

    package func encoded() -> [UInt8] {
        var bytes = Self.magic
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
        put(Self.version)
        put(UInt32(Self.size))
        put(UInt32(sampleRate))
        put(format.code) // sample encoding: 1 = float32, 2 = int16, little-endian
        put(UInt64(sampleCount))
        bytes += payloadSHA256 + sourceSHA256
        if let statistics {
            put(statistics.sum.bitPattern)
            put(statistics.sumOfSquares.bitPattern)
            put(UInt32(1))
        }
        bytes += [UInt8](repeating: 0, count: Self.size - bytes.count)
        return bytes
    }

    package static func decode(_ bytes: [UInt8], path: String) throws -> ShardHeader {
        func fail(_ reason: String) -> CorpusError { .badShard(path: path, reason: reason) }
        guard bytes.count == size else { throw fail("shorter than its \(size)-byte header") }
        guard Array(bytes[0 ..< 8]) == magic else { throw fail("not a rawspeech shard (bad magic)") }
        func get<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            bytes[offset ..< offset + MemoryLayout<T>.size].withUnsafeBytes { T(littleEndian: $0.loadUnaligned(as: T.self)) }
        }
        let version = get(8, UInt32.self)
        guard version == Self.version else {
            throw fail("shard format version \(version), this build reads \(Self.version)")
        }
        guard get(12, UInt32.self) == UInt32(size), let format = SampleFormat(code: get(20, UInt32.self)) else {
            throw fail("unknown header layout")
        }
        // Counts come from the file: bound them before they become Ints or byte sizes
        // (a crafted header must give an error, never a trap). 2^40 samples is 2 years at 16 kHz.
        let count = get(24, UInt64.self)
        guard count <= 1 << 40 else { throw fail("header claims \(count) samples, more than any recording") }
        var statistics: ShardStatistics?
        if get(112, UInt32.self) == 1 {
            statistics = ShardStatistics(count: Int(count), sum: Double(bitPattern: get(96, UInt64.self)),
                                         sumOfSquares: Double(bitPattern: get(104, UInt64.self)))
        }
        return ShardHeader(sampleRate: Int(get(16, UInt32.self)), sampleCount: Int(count),
                           payloadSHA256: Array(bytes[32 ..< 64]), sourceSHA256: Array(bytes[64 ..< 96]), format: format,
                           statistics: statistics)
    }
}

/// Sample totals gathered while writing or verifying a shard (for train_mean/std).
public struct ShardStatistics: Equatable, Sendable {
    public init() {}

    public init(count: Int, sum: Double, sumOfSquares: Double) {
        self.count = count
        self.sum = sum
        self.sumOfSquares = sumOfSquares
    }

    public var count = 0
    public var sum = 0.0
    public var sumOfSquares = 0.0

    package mutating func add(_ block: UnsafeBufferPointer<Float>) {
        // Double per sample, so the totals do not depend on how the samples were blocked
        // (a fresh run and a resumed one give the same train_mean and train_std).
        var s = 0.0, s2 = 0.0
        for x in block { let d = Double(x); s += d; s2 += d * d }
        count += block.count
        sum += s
        sumOfSquares += s2
    }

    public mutating func merge(_ other: ShardStatistics) {
        count += other.count
        sum += other.sum
        sumOfSquares += other.sumOfSquares
    }
}

/// Streams samples into a new shard; `finish` publishes it, dropping the writer removes it.
package final class ShardWriter {
    package let url: URL
    private let pending: AtomicFile.Pending
    private var temp: URL { pending.temporaryURL }
    private var file: UnsafeMutablePointer<FILE>?
    private let hasher = SHA256()
    package private(set) var statistics = ShardStatistics()
    /// Sums to record instead of the ones accumulated here (a recording copied from a
    /// store keeps its first pass's, so train_mean/std do not depend on where it came from).
    package var recordedStatistics: ShardStatistics?
    private let sampleRate: Int
    private let sourceSHA256: [UInt8]
    private let format: SampleFormat
    private var quantized: [Int16] = []
    private var dequantized: [Float] = []

    package init(url: URL, sampleRate: Int, sourceSHA256: [UInt8], format: SampleFormat = .float32) throws {
        self.url = url
        self.format = format
        self.sampleRate = sampleRate
        self.sourceSHA256 = sourceSHA256
        pending = AtomicFile.Pending(url)
        guard let f = fopen(temp.path, "wb") else {
            throw FileError.writeFailed(path: temp.path, reason: String(cString: strerror(errno)))
        }
        file = f
        let placeholder = [UInt8](repeating: 0, count: ShardHeader.size)
        try write(placeholder.withUnsafeBytes { $0 })
    }

    deinit {
        if let file { fclose(file) }  // `pending` then removes the unfinished shard
    }

    /// The temporary name of a shard being written (AtomicFile's scheme).
    package static func temporaryName(for name: String, pid: Int32 = getpid()) -> String {
        AtomicFile.temporaryName(for: name, pid: pid)
    }

    /// The writer's pid if `name` is a temporary file (AtomicFile's scheme, or version 1's
    /// `.<name>.shard.<pid>.tmp`).
    package static func temporaryOwner(_ name: String) -> Int32? { AtomicFile.temporaryOwner(name) }

    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.count > 0, fwrite(bytes.baseAddress, 1, bytes.count, file) != bytes.count {
            throw FileError.writeFailed(path: temp.path, reason: String(cString: strerror(errno)))
        }
    }

    package func append(_ samples: [Float]) throws {
        if format == .int16 { return try appendQuantized(samples) }
        // Shards are little-endian; so is every machine this runs on (x86-64, arm64).
        try samples.withUnsafeBufferPointer { block in
            statistics.add(block)
            hasher.update(block)
            try write(UnsafeRawBufferPointer(block))
        }
    }

    /// int16: the statistics are those of the stored values (as a reader will see them), so
    /// train_mean/std describe exactly the samples training reads.
    private func appendQuantized(_ samples: [Float]) throws {
        let n = samples.count
        if quantized.count < n {
            quantized = [Int16](repeating: 0, count: n)
            dequantized = [Float](repeating: 0, count: n)
        }
        // One pass over raw buffers: appending element by element to the class's arrays paid
        // an exclusivity check per sample (half of preprocessing's time, measured with perf).
        quantized.withUnsafeMutableBufferPointer { q in
            dequantized.withUnsafeMutableBufferPointer { d in
                samples.withUnsafeBufferPointer { x in
                    for i in 0 ..< n {
                        let value = SampleFormat.quantize(x[i])
                        q[i] = value
                        d[i] = Float(value) * (1 / 32768)
                    }
                }
            }
        }
        dequantized.withUnsafeBufferPointer { statistics.add(UnsafeBufferPointer(rebasing: $0[0 ..< n])) }
        try quantized.withUnsafeBytes { bytes in
            let part = UnsafeRawBufferPointer(rebasing: bytes[0 ..< n * MemoryLayout<Int16>.size])
            hasher.update(part)
            try write(part)
        }
    }

    /// Writes the real header and renames the shard into place.
    package func finish() throws -> ShardHeader {
        let header = ShardHeader(sampleRate: sampleRate, sampleCount: statistics.count,
                                 payloadSHA256: hasher.finish(), sourceSHA256: sourceSHA256, format: format,
                                 statistics: recordedStatistics ?? statistics)
        fseek(file, 0, SEEK_SET)
        try write(header.encoded().withUnsafeBytes { $0 })
        let closed = fclose(file)
        file = nil
        guard closed == 0 else {
            let reason = String(cString: strerror(errno))
            pending.discard()
            throw FileError.writeFailed(path: url.path, reason: reason)
        }
        do {
            try pending.commit()
        } catch let error as RecordFileError {
            throw FileError.writeFailed(path: url.path, reason: error.reason)
        }
        return header
    }
}

public enum Shard {
    /// Reads and checks a shard's header, and that the file is exactly as long as it says.
    public static func header(_ url: URL) throws -> ShardHeader {
        guard let data = FileHandle(forReadingAtPath: url.path) else {
            throw CorpusError.badShard(path: url.path, reason: "missing")
        }
        defer { try? data.close() }
        let bytes = [UInt8](data.readData(ofLength: ShardHeader.size))
        let header = try ShardHeader.decode(bytes, path: url.path)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? -1
        guard size == ShardHeader.size + header.format.bytesPerSample * header.sampleCount else {
            throw CorpusError.badShard(path: url.path, reason: "\(size) bytes, header says \(header.sampleCount) samples")
        }
        return header
    }

    /// Reads a whole shard in blocks, checking its SHA-256 (`keepSamples` false: only verify and sum).
    @discardableResult
    public static func read(_ url: URL, keepSamples: Bool = true) throws -> (header: ShardHeader, samples: [Float], statistics: ShardStatistics) {
        let header = try self.header(url)
        guard let file = fopen(url.path, "rb") else { throw CorpusError.badShard(path: url.path, reason: "cannot open") }
        defer { fclose(file) }
        fseek(file, ShardHeader.size, SEEK_SET)
        let hasher = SHA256()
        var statistics = ShardStatistics()
        var samples: [Float] = []
        if keepSamples { samples.reserveCapacity(header.sampleCount) }
        let width = header.format.bytesPerSample
        var raw = [UInt8](repeating: 0, count: width << 16)
        var block = [Float](repeating: 0, count: 1 << 16)
        var remaining = header.sampleCount
        while remaining > 0 {
            let want = min(remaining, block.count)
            let got = raw.withUnsafeMutableBytes { fread($0.baseAddress, width, want, file) }
            guard got == want else { throw CorpusError.badShard(path: url.path, reason: "short read") }
            raw.withUnsafeBytes { bytes in
                hasher.update(UnsafeRawBufferPointer(rebasing: bytes[0 ..< got * width]))
                block.withUnsafeMutableBufferPointer {
                    header.format.decode(bytes.baseAddress!, count: got, into: $0.baseAddress!)
                    statistics.add(UnsafeBufferPointer(rebasing: $0[0 ..< got]))
                }
            }
            if keepSamples { samples.append(contentsOf: block[0 ..< got]) }
            remaining -= got
        }
        guard hasher.finish() == header.payloadSHA256 else {
            throw CorpusError.badShard(path: url.path, reason: "SHA-256 of the samples does not match the header")
        }
        return (header, samples, statistics)
    }
}
