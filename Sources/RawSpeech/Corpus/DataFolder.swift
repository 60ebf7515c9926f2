// A preprocessed data folder as the later stages see it: summary.json plus one shard per
// recording. Opening checks the summary and every shard's header against it; loading a
// split reads the shards and verifies their SHA-256, so training never runs on a stale or
// damaged file. Samples are at `summary.sampleRate`, not normalized (train_mean/std are
// in the summary for the trainer to apply). summary.json itself is checked against
// summary.sha256 (written beside it by preprocess, in `sha256sum -c` form): a flipped bit in
// train_mean silently changes every model trained on the folder. A folder without the
// sidecar (made before it existed, or by hand) is read, and `summaryVerified` says so.
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
    public static func writeSummary(_ summary: DataSummary, to folder: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let bytes = try encoder.encode(summary)
        let line = "\(SHA256.hex(SHA256.digest(Array(bytes))))  \(summaryFile)\n"
        try AtomicFile.write(Data(line.utf8), to: folder.appendingPathComponent(checksumFile))
        try AtomicFile.write(bytes, to: folder.appendingPathComponent(summaryFile))
    }

    /// Opens `url`, reading summary.json and checking each listed shard's header.
    public init(url: URL) throws {
        self.url = url
        let summaryURL = url.appendingPathComponent(DataFolder.summaryFile)
        guard let data = FileManager.default.contents(atPath: summaryURL.path) else {
            throw CorpusError.badDataFolder(path: url.path, reason: "no \(DataFolder.summaryFile)")
        }
        summarySHA256 = SHA256.hex(SHA256.digest(Array(data)))
        let checksumURL = url.appendingPathComponent(DataFolder.checksumFile)
        if let sidecar = FileManager.default.contents(atPath: checksumURL.path) {
            let recorded = String(decoding: sidecar, as: UTF8.self).split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
            guard recorded.lowercased() == summarySHA256 else {
                throw CorpusError.badDataFolder(
                    path: summaryURL.path,
                    reason: "its SHA-256 is not the one in \(DataFolder.checksumFile) (changed or damaged since preprocess wrote it; re-run preprocess)")
            }
            summaryVerified = true
        } else {
            summaryVerified = false
        }
        do { summary = try JSONDecoder().decode(DataSummary.self, from: data) } catch {
            throw CorpusError.badDataFolder(path: summaryURL.path, reason: "unreadable summary: \(error)")
        }
        for entry in summary.recordings {
            let header = try Shard.header(url.appendingPathComponent(entry.shard))
            guard header.sampleRate == summary.sampleRate, header.sampleCount == entry.samples,
                  SHA256.hex(header.payloadSHA256) == entry.sha256 else {
                throw CorpusError.badShard(path: url.appendingPathComponent(entry.shard).path,
                                          reason: "does not match \(DataFolder.summaryFile) (a later run rewrote it?)")
            }
        }
    }

    /// The recordings of one split, in manifest order, checksums verified.
    public func recordings(split: Split) throws -> [Recording] {
        try summary.recordings.filter { $0.split == split }.map { entry in
            let (_, samples, _) = try Shard.read(url.appendingPathComponent(entry.shard))
            return Recording(name: entry.name, split: split, sampleRate: summary.sampleRate, samples: samples)
        }
    }

    /// Same, by split name ("train", "valid", "test").
    public func recordings(split name: String) throws -> [Recording] {
        guard let split = Split(rawValue: name) else {
            throw CorpusError.badDataFolder(path: url.path, reason: "unknown split \"\(name)\"")
        }
        return try recordings(split: split)
    }
}
