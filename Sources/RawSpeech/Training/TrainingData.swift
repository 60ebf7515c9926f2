// The recordings a run trains and validates on, normalized with the training split's
// statistics (as every model trained on a data folder is). From a data folder of stores
// they stay in the mapped files (RecordingSet); only version-1 shard folders, tests and
// benchmarks hold them in memory.
import RawSpeechCore
import RawSpeechCorpus
import Foundation

/// Normalized recordings of a data folder's train and valid splits.
public struct TrainingData: Sendable {
    public var train: RecordingSet
    public var valid: RecordingSet
    public var normalization: Normalization
    public var sampleRate: Int
    public var frame: FrameSpec
    /// A music folder's piano rolls (nil for audio): the run trains on whole chorales
    /// (MusicBatches) and `train`/`valid` are empty.
    public var music: MusicRolls?

    public init(train: RecordingSet, valid: RecordingSet, normalization: Normalization,
                sampleRate: Int, frame: FrameSpec) {
        self.train = train
        self.valid = valid
        self.normalization = normalization
        self.sampleRate = sampleRate
        self.frame = frame
    }

    /// Recordings already normalized, in memory.
    public init(train: [[Float]], valid: [[Float]], normalization: Normalization,
                sampleRate: Int, frame: FrameSpec) {
        self.init(train: RecordingSet(train), valid: RecordingSet(valid), normalization: normalization,
                  sampleRate: sampleRate, frame: frame)
    }
}

extension TrainingData {
    /// A music run's data: the rolls, and the frame and units a music model records (D notes
    /// in and out, one step per frame, no normalization; "sample rate" 1: one step, the
    /// tempo being the listener's choice).
    public init(music: MusicRolls) {
        self.init(train: RecordingSet([]), valid: RecordingSet([]), normalization: Normalization(mean: 0, std: 1),
                  sampleRate: 1, frame: FrameSpec(input: music.notes, target: music.notes, hop: 1))
        self.music = music
    }

    /// The train and valid splits of a preprocessed folder, normalized with the training
    /// split's mean and standard deviation from summary.json: mapped from its stores, or
    /// (a version-1 folder of shards) read into memory.
    public static func load(_ folder: DataFolder) throws -> TrainingData {
        let summary = folder.summary
        guard summary.trainStd > 0 else {
            throw TrainingError.silentTrainingSplit(folder: folder.url.path, std: summary.trainStd)
        }
        let normalization = Normalization(mean: summary.trainMean, std: summary.trainStd)
        func recordings(_ split: Split) throws -> RecordingSet {
            if let store = folder.stores[split] { return RecordingSet(store: store, normalization: normalization) }
            if !folder.isShardFolder { return RecordingSet([]) }
            return RecordingSet(try folder.recordings(split: split).map { $0.samples.map(normalization.normalize) })
        }
        let train = try recordings(.train)
        let valid = try recordings(.valid)
        guard !valid.isEmpty else {
            throw TrainingError.emptyValidSplit(folder: folder.url.path)
        }
        return TrainingData(train: train, valid: valid, normalization: normalization,
                            sampleRate: summary.sampleRate, frame: summary.frame)
    }
}
