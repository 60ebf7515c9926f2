// A preprocessed data folder as the later stages see it: summary.json plus one shard per
// recording. Opening checks the summary and every shard's header against it; loading a
// split reads the shards and verifies their SHA-256, so training never runs on a stale or
// damaged file. Samples are at `summary.sampleRate`, not normalized (train_mean/std are
// in the summary for the trainer to apply).
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

    public let url: URL
    public let summary: DataSummary

    /// Opens `url`, reading summary.json and checking each listed shard's header.
    public init(url: URL) throws {
        self.url = url
        let summaryURL = url.appendingPathComponent(DataFolder.summaryFile)
        guard let data = FileManager.default.contents(atPath: summaryURL.path) else {
            throw CorpusError.badDataFolder(path: url.path, reason: "no \(DataFolder.summaryFile)")
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
