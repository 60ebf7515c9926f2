// DATADIR/summary.json: what `rawspeech preprocess` made, read by train, score and compare.
// Field names are a contract with other tools: keep them (add new ones freely).

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

    enum CodingKeys: String, CodingKey {
        case sampleRate = "sample_rate", frame, splits
        case trainMean = "train_mean", trainStd = "train_std", skipped
    }

    public init(sampleRate: Int, frame: FrameSpec, splits: [String: SplitSummary],
                trainMean: Double, trainStd: Double, skipped: [SkippedFile]) {
        self.sampleRate = sampleRate
        self.frame = frame
        self.splits = splits
        self.trainMean = trainMean
        self.trainStd = trainStd
        self.skipped = skipped
    }
}
