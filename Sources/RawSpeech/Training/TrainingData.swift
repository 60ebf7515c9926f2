// The recordings a run trains and validates on, already normalized with the training
// split's statistics (as every model trained on a data folder is).
import RawSpeechCore
import RawSpeechCorpus
import Foundation

/// Normalized recordings of a data folder's train and valid splits.
public struct TrainingData: Sendable {
    public var train: [[Float]]
    public var valid: [[Float]]
    public var normalization: Normalization
    public var sampleRate: Int
    public var frame: FrameSpec

    public init(train: [[Float]], valid: [[Float]], normalization: Normalization,
                sampleRate: Int, frame: FrameSpec) {
        self.train = train
        self.valid = valid
        self.normalization = normalization
        self.sampleRate = sampleRate
        self.frame = frame
    }
}

extension TrainingData {
    /// The train and valid splits of a preprocessed folder, normalized with the training
    /// split's mean and standard deviation from summary.json.
    public static func load(_ folder: DataFolder) throws -> TrainingData {
        let summary = folder.summary
        guard summary.trainStd > 0 else {
            throw TrainingError.silentTrainingSplit(folder: folder.url.path, std: summary.trainStd)
        }
        let normalization = Normalization(mean: summary.trainMean, std: summary.trainStd)
        func normalized(_ split: Split) throws -> [[Float]] {
            try folder.recordings(split: split).map { $0.samples.map(normalization.normalize) }
        }
        let train = try normalized(.train)
        let valid = try normalized(.valid)
        guard !valid.isEmpty else {
            throw TrainingError.emptyValidSplit(folder: folder.url.path)
        }
        return TrainingData(train: train, valid: valid, normalization: normalization,
                            sampleRate: summary.sampleRate, frame: summary.frame)
    }
}
