// Writes a split's sample store from its recordings' pieces (shards in the store's sample
// format, one per recording, written in parallel by `preprocess`), concatenated in manifest
// order. Each piece's SHA-256 is checked while it is copied, so a damaged piece is an error
// here rather than a store with fresh checksums over bad samples. The samples file and then
// the index are written under temporary names and renamed; a kill between the two renames
// leaves a pair whose digests disagree, which SampleStore refuses and `preprocess` rebuilds
// (the pieces are removed only after both are in place). Constant memory: one 1 MiB buffer.
import RawSpeechCore
import Foundation

/// One recording to put into a store: its piece on disk, its name and manifest line.
package struct StorePiece: Sendable {
    package var name: String
    package var line: Int
    package var url: URL

    package init(name: String, line: Int, url: URL) {
        self.name = name
        self.line = line
        self.url = url
    }
}

package enum SampleStoreWriter {
    /// 1 MiB: a block is verified in well under a millisecond (SHA-256 at ~2 GB/s), and a
    /// 100-hour int16 corpus needs 11,000 of them (350 KB of digests in its index).
    package static let defaultBlockBytes = 1 << 20

    /// Concatenates `pieces` into `<split>.samples` and `<split>.index` in `folder`.
    @discardableResult
    package static func write(split: Split, pieces: [StorePiece], folder: URL, sampleRate: Int,
                              format: SampleFormat, blockBytes: Int = defaultBlockBytes) throws -> StoreIndex {
        let samplesURL = folder.appendingPathComponent(SampleStore.samplesName(split))
        let pending = AtomicFile.Pending(samplesURL)
        let tempPath = pending.temporaryURL.path
        guard let output = fopen(tempPath, "wb") else {
            throw FileError.writeFailed(path: tempPath, reason: String(cString: strerror(errno)))
        }
        var closed = false
        defer { if !closed { fclose(output) } }
        func write(_ bytes: UnsafeRawBufferPointer) throws {
            if bytes.count > 0, fwrite(bytes.baseAddress, 1, bytes.count, output) != bytes.count {
                throw FileError.writeFailed(path: tempPath, reason: String(cString: strerror(errno)))
            }
        }
        try [UInt8](repeating: 0, count: StoreHeader.size).withUnsafeBytes { try write($0) }

        var blocks = BlockDigests(blockBytes: blockBytes)
        var recordings: [StoredRecording] = []
        recordings.reserveCapacity(pieces.count)
        var offset = 0
        let width = format.bytesPerSample
        var buffer = [UInt8](repeating: 0, count: blockBytes)
        var floats = [Float](repeating: 0, count: blockBytes / width)
        for piece in pieces {
            let header = try Shard.header(piece.url)
            guard header.format == format, header.sampleRate == sampleRate else {
                throw CorpusError.badShard(path: piece.url.path, reason: "\(header.format.rawValue) at \(header.sampleRate) Hz, the store is \(format.rawValue) at \(sampleRate) Hz")
            }
            guard let input = fopen(piece.url.path, "rb") else {
                throw CorpusError.badShard(path: piece.url.path, reason: "cannot open")
            }
            defer { fclose(input) }
            fseek(input, ShardHeader.size, SEEK_SET)
            let hasher = SHA256()
            var statistics = ShardStatistics()
            var remaining = header.sampleCount
            while remaining > 0 {
                let want = min(remaining, floats.count)
                let got = buffer.withUnsafeMutableBytes { fread($0.baseAddress, width, want, input) }
                guard got == want else { throw CorpusError.badShard(path: piece.url.path, reason: "short read") }
                try buffer.withUnsafeBytes { all in
                    let bytes = UnsafeRawBufferPointer(rebasing: all[0 ..< got * width])
                    hasher.update(bytes)
                    floats.withUnsafeMutableBufferPointer {
                        format.decode(bytes.baseAddress!, count: got, into: $0.baseAddress!)
                        statistics.add(UnsafeBufferPointer(rebasing: $0[0 ..< got]))
                    }
                    blocks.add(bytes)
                    try write(bytes)
                }
                remaining -= got
            }
            let digest = hasher.finish()
            guard digest == header.payloadSHA256 else {
                throw CorpusError.badShard(path: piece.url.path, reason: "SHA-256 of the samples does not match the header")
            }
            // The writer's own sums (blocked as the audio reader delivered the samples) are
            // kept, so a store's train_mean/std equal a first pass's to the last bit; they
            // must agree with the ones just recomputed up to rounding.
            if let recorded = header.statistics {
                func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(1, abs(b)) }
                guard close(recorded.sum, statistics.sum), close(recorded.sumOfSquares, statistics.sumOfSquares) else {
                    throw CorpusError.badShard(path: piece.url.path, reason: "its recorded sums do not match its samples")
                }
                statistics = recorded
            }
            recordings.append(StoredRecording(name: piece.name, line: piece.line, offset: offset, count: header.sampleCount,
                                              sha256: digest, sourceSHA256: header.sourceSHA256, statistics: statistics))
            offset += header.sampleCount
        }
        let index = StoreIndex(split: split, sampleRate: sampleRate, format: format, sampleCount: offset,
                               blockBytes: blockBytes, recordings: recordings, blockDigests: blocks.finish())
        let header = StoreHeader(sampleRate: sampleRate, format: format, sampleCount: offset, blockBytes: blockBytes,
                                 recordingCount: recordings.count, payloadDigest: index.payloadDigest)
        fseek(output, 0, SEEK_SET)
        try header.encoded().withUnsafeBytes { try write($0) }
        closed = true
        guard fclose(output) == 0 else {
            throw FileError.writeFailed(path: tempPath, reason: String(cString: strerror(errno)))
        }
        do {
            try pending.commit()
            try index.write(to: folder.appendingPathComponent(SampleStore.indexName(split)))
        } catch let error as RecordFileError {
            throw FileError.writeFailed(path: error.path, reason: error.reason)
        }
        return index
    }
}

/// SHA-256 of each `blockBytes` of a byte stream fed in arbitrary pieces.
struct BlockDigests {
    let blockBytes: Int
    private var digests: [UInt8] = []
    private var current = SHA256()
    private var filled = 0

    init(blockBytes: Int) { self.blockBytes = blockBytes }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty {
            let take = min(rest.count, blockBytes - filled)
            current.update(UnsafeRawBufferPointer(rebasing: rest[0 ..< take]))
            filled += take
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            if filled == blockBytes {
                digests += current.finish()
                current = SHA256()
                filled = 0
            }
        }
    }

    mutating func finish() -> [UInt8] {
        if filled > 0 { digests += current.finish() }
        filled = 0
        return digests
    }
}
