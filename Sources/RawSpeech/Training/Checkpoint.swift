// Checkpoints and model files. A model file (RUNDIR/model.ckpt) holds a TrainedModel: what
// scoring and generation need. A training checkpoint (RUNDIR/checkpoint.ckpt) adds all that
// resuming needs to continue bit for bit: optimizer state, RNG state, batch cursors, the
// hidden state carried between chunks, the best weights so far, and the loop's counters.
import RawSpeechCore
import RawSpeechNetwork
import Foundation

/// The loop's counters, saved with every checkpoint.
public struct TrainingProgress: Codable, Equatable, Sendable {
    public var update: Int = 0
    public var learningRate: Double
    /// Wall-clock seconds spent training, summed over resumed sessions.
    public var seconds: Double = 0
    public var bestValidNLL: Double = .infinity
    public var bestUpdate: Int = 0
    public var evaluationsSinceBest: Int = 0
    /// Training loss accumulated since the last evaluation (for metrics.jsonl's train_nll).
    public var trainLossSum: Double = 0
    public var trainLossCount: Int = 0
    public var rollbacks: Int = 0

    public init(learningRate: Double) { self.learningRate = learningRate }

    package enum CodingKeys: String, CodingKey {
        case update, learningRate = "learning_rate", seconds
        case bestValidNLL = "best_valid_nll", bestUpdate = "best_update"
        case evaluationsSinceBest = "evaluations_since_best"
        case trainLossSum = "train_loss_sum", trainLossCount = "train_loss_count", rollbacks
    }

    // JSON has no infinity: an unset best is stored as null.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(update, forKey: .update)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(bestValidNLL.isFinite ? bestValidNLL : nil, forKey: .bestValidNLL)
        try c.encode(bestUpdate, forKey: .bestUpdate)
        try c.encode(evaluationsSinceBest, forKey: .evaluationsSinceBest)
        try c.encode(trainLossSum, forKey: .trainLossSum)
        try c.encode(trainLossCount, forKey: .trainLossCount)
        try c.encode(rollbacks, forKey: .rollbacks)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        update = try c.decode(Int.self, forKey: .update)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        seconds = try c.decode(Double.self, forKey: .seconds)
        bestValidNLL = try c.decodeIfPresent(Double.self, forKey: .bestValidNLL) ?? .infinity
        bestUpdate = try c.decode(Int.self, forKey: .bestUpdate)
        evaluationsSinceBest = try c.decode(Int.self, forKey: .evaluationsSinceBest)
        trainLossSum = try c.decode(Double.self, forKey: .trainLossSum)
        trainLossCount = try c.decode(Int.self, forKey: .trainLossCount)
        rollbacks = try c.decode(Int.self, forKey: .rollbacks)
    }
}

/// Everything a resumed run needs.
public struct TrainingState: Sendable {
    public var config: TrainingConfig
    /// The model being trained (its `parameters` are the current weights).
    public var model: TrainedModel
    public var bestParameters: [Float]
    public var optimizer: RMSProp
    public var rng: SeededGenerator
    public var sampler: BatchSampler
    /// Hidden state carried into the next chunk: (K x B, stateSize) (K: --accumulate).
    public var carriedState: [Float]
    public var progress: TrainingProgress
    /// Hex SHA-256 of the data folder's summary.json when the run started (nil in checkpoints
    /// written before it was recorded): a resumed run must find the same folder.
    public var dataSummarySHA256: String? = nil
}

/// The checkpoint's "data" record: which data folder the run trains on.
private struct DataRecord: Codable {
    var summarySHA256: String

    enum CodingKeys: String, CodingKey { case summarySHA256 = "summary_sha256" }
}

/// Model without weights, as JSON inside a model file.
private struct ModelHeader: Codable {
    var kind: PredictorKind
    var config: ModelConfig
    var normalization: Normalization
    var sampleRate: Int
    var frame: FrameSpec

    enum CodingKeys: String, CodingKey {
        case kind, config, normalization, sampleRate = "sample_rate", frame
    }
}

/// Reads and writes model files and training checkpoints.
public enum Checkpoint {
    package static let modelMagic = "RSMODEL\u{1}"
    package static let stateMagic = "RSCKPT\u{1}\u{1}"
    /// Bump when the layout of either file changes; old files are then refused with advice.
    public static let version: UInt32 = 1

    public static func writeModel(_ model: TrainedModel, to url: URL) throws {
        var file = RecordFile()
        try appendModel(model, to: &file)
        try file.write(to: url, magic: modelMagic, version: version)
    }

    /// Loads a model from a model file, a training checkpoint, or a run folder (its model.ckpt).
    public static func loadModel(from url: URL) throws -> TrainedModel {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            let inside = url.appendingPathComponent("model.ckpt")
            guard FileManager.default.fileExists(atPath: inside.path) else {
                throw RecordFileError(path: url.path, reason: "not a run folder: it has no model.ckpt (train one with `rawspeech train`)")
            }
            return try loadModel(from: inside)
        }
        if let magic = try? FileHandle(forReadingFrom: url).read(upToCount: 8),
           magic == Data(stateMagic.utf8) {
            return try readState(from: url).model
        }
        let file = try RecordFile.read(from: url, magic: modelMagic, version: version, kind: "model file")
        return try readModel(file, path: url.path)
    }

    public static func writeState(_ state: TrainingState, to url: URL) throws {
        var file = RecordFile()
        try appendModel(state.model, to: &file)
        try file.append("training", json: state.config)
        try file.append("progress", json: state.progress)
        try file.append("rng", json: state.rng)
        try file.append("sampler", json: state.sampler)
        file.append("best_parameters", floats: state.bestParameters)
        file.append("rms_mean_square", floats: state.optimizer.meanSquare)
        file.append("carried_state", floats: state.carriedState)
        if let sha = state.dataSummarySHA256 { try file.append("data", json: DataRecord(summarySHA256: sha)) }
        try file.write(to: url, magic: stateMagic, version: version)
    }

    public static func readState(from url: URL) throws -> TrainingState {
        let path = url.path
        let file = try RecordFile.read(from: url, magic: stateMagic, version: version, kind: "training checkpoint")
        var optimizer = RMSProp(parameterCount: 0)
        optimizer.meanSquare = try file.floats("rms_mean_square", path: path)
        let data = file.records.contains { $0.name == "data" }
            ? try file.json(DataRecord.self, "data", path: path).summarySHA256 : nil
        return TrainingState(
            config: try file.json(TrainingConfig.self, "training", path: path),
            model: try readModel(file, path: path),
            bestParameters: try file.floats("best_parameters", path: path),
            optimizer: optimizer,
            rng: try file.json(SeededGenerator.self, "rng", path: path),
            sampler: try file.json(BatchSampler.self, "sampler", path: path),
            carriedState: try file.floats("carried_state", path: path),
            progress: try file.json(TrainingProgress.self, "progress", path: path),
            dataSummarySHA256: data)
    }

    private static func appendModel(_ model: TrainedModel, to file: inout RecordFile) throws {
        try file.append("model", json: ModelHeader(kind: model.kind, config: model.config,
                                                   normalization: model.normalization,
                                                   sampleRate: model.sampleRate, frame: model.frame))
        file.append("parameters", floats: model.parameters)
    }

    private static func readModel(_ file: RecordFile, path: String) throws -> TrainedModel {
        let header = try file.json(ModelHeader.self, "model", path: path)
        return TrainedModel(kind: header.kind, config: header.config,
                            parameters: try file.floats("parameters", path: path),
                            normalization: header.normalization, sampleRate: header.sampleRate,
                            frame: header.frame)
    }
}
