// The store half of `rawspeech preprocess`: where pieces go, which splits a rerun can keep
// whole, and the concatenation of each split's pieces into its SampleStore once every
// recording of the split is done. Pieces (shards under DATADIR/.pieces/<split>/) are
// removed only after their split's store and index are both in place, so a kill at any
// moment leaves either the pieces or a complete store, and the rerun finishes the same
// bytes (docs/DATA.md, "Resume").
import RawSpeechCore
import RawSpeechCorpus
import Foundation

extension Preprocessor {
    /// The folder of in-progress pieces inside a data folder.
    package static let piecesFolder = ".pieces"

    /// A recording's piece, relative to the data folder.
    package static func pieceName(split: Split, name: String) -> String {
        "\(piecesFolder)/\(split.rawValue)/\(name).shard"
    }

    /// The stores an earlier run left, for the splits whose rate and format are this run's.
    package static func previousStores(in output: URL, options: PreprocessOptions) -> [Split: SampleStore] {
        var stores: [Split: SampleStore] = [:]
        for split in Split.allCases {
            if let store = try? SampleStore(folder: output, split: split),
               store.sampleRate == options.rate, store.format == options.sampleFormat {
                stores[split] = store
            }
        }
        return stores
    }

    /// Splits whose previous store holds exactly the manifest's recordings of that split
    /// (names, lines, source SHA-256s, in order) and passes a full check of its blocks:
    /// kept as they are, read once and not written. (A damaged store is rebuilt, its intact
    /// recordings copied from it, the rest decoded again.)
    package static func keptSplits(_ previous: [Split: SampleStore], manifest: Manifest, names: [String]) -> Set<Split> {
        var kept: Set<Split> = []
        for (split, store) in previous {
            let wanted = manifest.entries.indices.filter { manifest.entries[$0].split == split }
            let same = wanted.count == store.recordings.count
                && zip(wanted, store.recordings).allSatisfy { index, stored in
                    let entry = manifest.entries[index]
                    return names[index] == stored.name && entry.line == stored.line
                        && (entry.sha256.map(hexBytes) ?? [UInt8](repeating: 0, count: 32)) == stored.sourceSHA256
                }
            if same, (try? store.verifyAll()) != nil { kept.insert(split) }
        }
        return kept
    }

    /// Writes the store of every split not kept from its done entries (manifest order),
    /// then removes its pieces; a split with none loses its old store. Returns each split's index.
    package static func writeStores(done: [Int], kept: Set<Split>, previous: [Split: SampleStore], manifest: Manifest,
                                    names: [String], output: URL, options: PreprocessOptions) throws -> [Split: StoreIndex] {
        var indexes: [Split: StoreIndex] = [:]
        for split in Split.allCases {
            let splitPieces = output.appendingPathComponent("\(piecesFolder)/\(split.rawValue)")
            if kept.contains(split), let store = previous[split] {
                indexes[split] = store.index
                try? FileManager.default.removeItem(at: splitPieces)   // left by a run killed before it
                continue
            }
            let pieces = done.filter { manifest.entries[$0].split == split }.map { index in
                StorePiece(name: names[index], line: manifest.entries[index].line,
                           url: output.appendingPathComponent(pieceName(split: split, name: names[index])))
            }
            if pieces.isEmpty {
                for name in [SampleStore.samplesName(split), SampleStore.indexName(split)] {
                    try? FileManager.default.removeItem(at: output.appendingPathComponent(name))
                }
            } else {
                indexes[split] = try SampleStoreWriter.write(split: split, pieces: pieces, folder: output,
                                                             sampleRate: options.rate, format: options.sampleFormat,
                                                             blockBytes: options.blockBytes ?? SampleStoreWriter.defaultBlockBytes)
            }
            try? FileManager.default.removeItem(at: splitPieces)
        }
        let pieces = output.appendingPathComponent(piecesFolder)
        if (try? FileManager.default.contentsOfDirectory(atPath: pieces.path))?.isEmpty == true {
            try? FileManager.default.removeItem(at: pieces)
        }
        return indexes
    }

    /// A piece made from a recording of the previous store (its samples verified as read).
    static func copy(_ stored: StoredRecording, from store: SampleStore, to url: URL, relative: String,
                     options: PreprocessOptions) throws -> FileResult {
        let writer = try ShardWriter(url: url, sampleRate: options.rate, sourceSHA256: stored.sourceSHA256,
                                     format: options.sampleFormat)
        writer.recordedStatistics = stored.statistics
        guard let position = store.position(of: stored.name) else { preconditionFailure("looked up by name") }
        let block = 1 << 16
        var samples = [Float](repeating: 0, count: block)
        var start = 0
        while start < stored.count {
            let count = min(block, stored.count - start)
            if samples.count != count { samples = [Float](repeating: 0, count: count) }
            try samples.withUnsafeMutableBufferPointer { try store.read(position, from: start, count: count, into: $0.baseAddress!) }
            try writer.append(samples)
            start += count
        }
        let header = try writer.finish()
        return FileResult(shard: relative, samples: header.sampleCount, sha256: SHA256.hex(header.payloadSHA256),
                          statistics: stored.statistics, reused: true)
    }
}

extension Preprocessor.FileResult {
    /// A recording kept in its split's store.
    init(_ stored: StoredRecording) {
        self.init(shard: "", samples: stored.count, sha256: "", statistics: stored.statistics, reused: true)
    }
}
