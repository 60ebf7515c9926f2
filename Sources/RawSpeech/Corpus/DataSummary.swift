// DATADIR/summary.json: what `rawspeech preprocess` made, read by train, score and compare.
// Field names are a contract with other tools: keep them (add new ones freely).
import RawSpeechCore

/// Per-split totals of a preprocessed data folder.
public struct SplitSummary: Codable, Equatable, Sendable {
    public var files: Int
    public var seconds: Double
    public var samples: Int
    public var frames: Int

    public init(files: Int = 0, seconds: Double = 0, samples: Int = 0, frames: Int = 0) {
        self.files = files
        self.seconds = seconds
        self.samples = samples
        self.frames = frames
    }
}

/// A manifest entry that `--skip-bad` left out, and why.
public struct SkippedFile: Codable, Equatable, Sendable {
    public var path: String
    public var line: Int?
    public var error: String

    public init(path: String, line: Int?, error: String) {
        self.path = path
        self.line = line
        self.error = error
    }
}

/// One recording, as listed in summary.json (`recordings`), so readers need not scan
/// folders and can tell a stale file from the one this summary describes.
public struct ShardEntry: Codable, Equatable, Sendable {
    public var name: String
    public var split: Split
    /// The file holding its samples, relative to the data folder: its split's store
    /// ("train.samples"), or in version-1 folders its own shard ("train/cards/001.shard").
    public var shard: String
    public var samples: Int
    /// Hex SHA-256 of the recording's stored sample bytes.
    public var sha256: String
    /// The manifest line it came from.
    public var line: Int
    /// The file's own rate before resampling (absent in summaries written before it was recorded).
    public var sourceRate: Int?

    package enum CodingKeys: String, CodingKey {
        case name, split, shard, samples, sha256, line, sourceRate = "source_rate", offset
    }
    /// In a store: where its samples start, counted in samples (nil in version-1 folders).
    public var offset: Int?

    public init(name: String, split: Split, shard: String, samples: Int, sha256: String, line: Int, offset: Int? = nil) {
        self.name = name
        self.split = split
        self.shard = shard
        self.samples = samples
        self.sha256 = sha256
        self.line = line
        self.offset = offset
    }
}

/// The contents of summary.json.
public struct DataSummary: Codable, Equatable, Sendable {
    public var sampleRate: Int
    public var frame: FrameSpec
    public var splits: [String: SplitSummary]
    /// Mean and standard deviation of the training split's samples: the normalization
    /// every model trained on this folder stores in its checkpoint.
    public var trainMean: Double
    public var trainStd: Double
    public var skipped: [SkippedFile]
    /// Every recording in the folder, in manifest order (absent in hand-written summaries).
    public var recordings: [ShardEntry]
    /// The distinct rates of the source files, before resampling (empty when unknown).
    public var sourceRates: [Int]
    /// The highest frequency the data can contain: half the lowest source rate (at most half
    /// `sampleRate`). Below `sampleRate / 2` when recordings were upsampled: the band above
    /// is empty, and a model trained here has learned nothing about it.
    public var bandwidthHz: Double
    /// How the samples are stored, in one SampleStore per split; nil: a version-1 folder
    /// (one float32 shard per recording, written before stores existed).
    public var sampleFormat: SampleFormat?

    package enum CodingKeys: String, CodingKey {
        case sampleRate = "sample_rate", frame, splits
        case trainMean = "train_mean", trainStd = "train_std", skipped, recordings
        case sourceRates = "source_rates", bandwidthHz = "bandwidth_hz"
        case sampleFormat = "sample_format"
    }

    public init(sampleRate: Int, frame: FrameSpec, splits: [String: SplitSummary],
                trainMean: Double, trainStd: Double, skipped: [SkippedFile],
                recordings: [ShardEntry] = [], sampleFormat: SampleFormat? = nil) {
        self.sampleFormat = sampleFormat
        self.sampleRate = sampleRate
        self.frame = frame
        self.splits = splits
        self.trainMean = trainMean
        self.trainStd = trainStd
        self.skipped = skipped
        self.recordings = recordings
        sourceRates = []
        bandwidthHz = Double(sampleRate) / 2
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sampleRate = try c.decode(Int.self, forKey: .sampleRate)
        frame = try c.decode(FrameSpec.self, forKey: .frame)
        splits = try c.decode([String: SplitSummary].self, forKey: .splits)
        trainMean = try c.decode(Double.self, forKey: .trainMean)
        trainStd = try c.decode(Double.self, forKey: .trainStd)
        skipped = try c.decodeIfPresent([SkippedFile].self, forKey: .skipped) ?? []
        recordings = try c.decodeIfPresent([ShardEntry].self, forKey: .recordings) ?? []
        sourceRates = try c.decodeIfPresent([Int].self, forKey: .sourceRates) ?? []
        bandwidthHz = try c.decodeIfPresent(Double.self, forKey: .bandwidthHz) ?? Double(sampleRate) / 2
        sampleFormat = try c.decodeIfPresent(SampleFormat.self, forKey: .sampleFormat)
    }
}
