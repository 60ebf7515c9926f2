// A preprocessed data folder as the later stages see it: summary.json plus, per split, one
// memory-mapped SampleStore (`<split>.samples` + `<split>.index`). Opening reads the
// summary and each split's index and checks them against each other; samples are verified
// block by block as they are first read (SampleStore), so training never runs on a stale
// or damaged file and no start-up pass reads the whole corpus. Samples are at
// `summary.sampleRate`, not normalized (train_mean/std are in the summary for the trainer).
//
// Version-1 folders (one float32 shard per recording, no `sample_format` in the summary)
// are still read, shard by shard with each shard's SHA-256 checked on load, as before.
// summary.json itself is checked against summary.sha256 (written beside it by preprocess, in
// `sha256sum -c` form): a flipped bit in train_mean silently changes every model trained on
// the folder. A folder without the sidecar (made before it existed, or by hand) is read, and
// `summaryVerified` says so.
import RawSpeechCore
import Foundation

/// One recording's samples, ready for framing.
public struct Recording: Sendable {
    /// Path relative to the corpus folder, without extension ("cards/001").
    public let name: String
    public let split: Split
    public let sampleRate: Int
    public let samples: [Float]

    public init(name: String, split: Split, sampleRate: Int, samples: [Float]) {
        self.name = name
        self.split = split
        self.sampleRate = sampleRate
        self.samples = samples
    }

    /// The recording seen as (input, target) windows; a view, not a copy.
    public func framed(_ spec: FrameSpec) -> FramedSamples { FramedSamples(samples: samples, spec: spec) }
}

public struct DataFolder: Sendable {
    /// The name of the summary inside a data folder.
    public static let summaryFile = "summary.json"
    /// The checksum of summary.json: `<64 hex digits>  summary.json`, as `sha256sum` writes it.
    public static let checksumFile = "summary.sha256"

    public let url: URL
    public let summary: DataSummary
    /// Hex SHA-256 of summary.json's bytes: what a run records to know its data folder again.
    public let summarySHA256: String
    /// Whether summary.sha256 was there and matched (false: a folder without the sidecar).
    public let summaryVerified: Bool

    /// Writes `summary` as summary.json with its summary.sha256 into `folder`: the checksum
    /// first, so a crash between the two leaves no summary.json, never an unchecked one.
    public static func writeSummary<Summary: Encodable>(_ summary: Summary, to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let bytes = try encoder.encode(summary)
        let line = "\(SHA256.hex(SHA256.digest(Array(bytes))))  \(summaryFile)\n"
        try AtomicFile.write(Data(line.utf8), to: folder.appendingPathComponent(checksumFile))
        try AtomicFile.write(bytes, to: folder.appendingPathComponent(summaryFile))
    }
    /// The split stores (absent for a version-1 folder, and for splits with no recordings).
    public let stores: [Split: SampleStore]

    /// Version 1: one shard per recording (read into memory, as before stores existed).
    public var isShardFolder: Bool { summary.sampleFormat == nil }

    /// Opens `url`, reading summary.json and checking it against each split's store index
    /// (or, in a version-1 folder, each listed shard's header).
    public init(url: URL) throws {
        self.url = url
        let checked = try DataFolder.readSummary(folder: url)
        let data = checked.bytes
        summarySHA256 = checked.sha256
        summaryVerified = checked.verified
        let summaryURL = url.appendingPathComponent(DataFolder.summaryFile)
        let kind = try DataKind.of(summary: data, path: summaryURL.path)
        guard kind == .audio else { throw CorpusError.wrongDataKind(path: url.path, found: kind, expected: .audio) }
        do { summary = try JSONDecoder().decode(DataSummary.self, from: data) } catch {
            throw CorpusError.badDataFolder(path: summaryURL.path, reason: "unreadable summary: \(error)")
        }
        guard let format = summary.sampleFormat else {
            stores = [:]
            try checkShards()
            return
        }
        var stores: [Split: SampleStore] = [:]
        for split in Split.allCases {
            let listed = summary.recordings.filter { $0.split == split }
            guard !listed.isEmpty else { continue }
            let store = try SampleStore(folder: url, split: split)
            let matches = store.sampleRate == summary.sampleRate && store.format == format
                && store.recordings.count == listed.count
                && zip(store.recordings, listed).allSatisfy { stored, entry in
                    stored.name == entry.name && stored.count == entry.samples && stored.offset == entry.offset
                        && hexString(stored.sha256) == entry.sha256
                }
            guard matches else {
                throw CorpusError.badStore(path: store.indexURL.path,
                                          reason: "does not match \(DataFolder.summaryFile) (a later run rewrote it?)")
            }
            stores[split] = store
        }
        self.stores = stores
    }

    /// summary.json's bytes in `folder`, checked against summary.sha256 when it is there
    /// (`verified` false: no sidecar). Shared by audio and piano-roll folders.
    package static func readSummary(folder url: URL) throws -> (bytes: Data, sha256: String, verified: Bool) {
        let summaryURL = url.appendingPathComponent(DataFolder.summaryFile)
        guard let data = FileManager.default.contents(atPath: summaryURL.path) else {
            throw CorpusError.badDataFolder(path: url.path, reason: "no \(DataFolder.summaryFile)")
        }
        let sha256 = SHA256.hex(SHA256.digest(Array(data)))
        let checksumURL = url.appendingPathComponent(DataFolder.checksumFile)
        guard let sidecar = FileManager.default.contents(atPath: checksumURL.path) else { return (data, sha256, false) }
        let recorded = String(decoding: sidecar, as: UTF8.self).split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
        guard recorded.lowercased() == sha256 else {
            throw CorpusError.badDataFolder(
                path: summaryURL.path,
                reason: "its SHA-256 is not the one in \(DataFolder.checksumFile) (changed or damaged since preprocess wrote it; re-run preprocess)")
        }
        return (data, sha256, true)
    }

    private func checkShards() throws {
        for entry in summary.recordings {
            let header = try Shard.header(url.appendingPathComponent(entry.shard))
            guard header.sampleRate == summary.sampleRate, header.sampleCount == entry.samples,
                  SHA256.hex(header.payloadSHA256) == entry.sha256 else {
                throw CorpusError.badShard(path: url.appendingPathComponent(entry.shard).path,
                                          reason: "does not match \(DataFolder.summaryFile) (a later run rewrote it?)")
            }
        }
    }

    /// The names and sample counts of one split's recordings, in manifest order.
    public func entries(split: Split) -> [ShardEntry] { summary.recordings.filter { $0.split == split } }

    /// Calls `body` with each recording of a split in manifest order, one in memory at a time.
    public func forEachRecording(split: Split, _ body: (Recording) throws -> Void) throws {
        if let store = stores[split] {
            for (i, stored) in store.recordings.enumerated() {
                try body(Recording(name: stored.name, split: split, sampleRate: summary.sampleRate, samples: try store.samples(i)))
            }
            return
        }
        for entry in entries(split: split) {
            let (_, samples, _) = try Shard.read(url.appendingPathComponent(entry.shard))
            try body(Recording(name: entry.name, split: split, sampleRate: summary.sampleRate, samples: samples))
        }
    }

    /// The recordings of one split, in manifest order, checksums verified: the whole split
    /// in memory (use `forEachRecording` or `stores` for large splits).
    public func recordings(split: Split) throws -> [Recording] {
        var recordings: [Recording] = []
        try forEachRecording(split: split) { recordings.append($0) }
        return recordings
    }

    /// Same, by split name ("train", "valid", "test").
    public func recordings(split name: String) throws -> [Recording] {
        guard let split = Split(rawValue: name) else {
            throw CorpusError.badDataFolder(path: url.path, reason: "unknown split \"\(name)\"")
        }
        return try recordings(split: split)
    }

    /// Verifies every block of every store (or every shard of a version-1 folder);
    /// `progress` gets bytes checked so far and the total.
    public func verifyAll(progress: (Int, Int) -> Void = { _, _ in }) throws {
        if isShardFolder {
            let total = summary.recordings.reduce(0) { $0 + 4 * $1.samples }
            var done = 0
            for entry in summary.recordings {
                try Shard.read(url.appendingPathComponent(entry.shard), keepSamples: false)
                done += 4 * entry.samples
                progress(done, total)
            }
            return
        }
        let ordered = Split.allCases.compactMap { stores[$0] }
        let total = ordered.reduce(0) { $0 + $1.index.payloadBytes }
        var before = 0
        for store in ordered {
            let bytes = store.index.payloadBytes
            let blockBytes = store.index.blockBytes
            try store.verifyAll { done, _ in progress(before + min(bytes, done * blockBytes), total) }
            before += bytes
        }
    }
}

/// Lower-case hex of `bytes` (SHA256.hex formats byte by byte, too slow for 100,000 entries).
package func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(2 * bytes.count)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 15)])
    }
    return String(decoding: text, as: UTF8.self)
}
