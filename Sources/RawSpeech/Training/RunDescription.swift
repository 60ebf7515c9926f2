// RUNDIR/config.json: the resolved configuration of a run, with the counts and provenance
// a reader needs to compare runs (field names are read by `report` and `compare`). The data
// folder is referenced, not copied: its summary.json's path and SHA-256, plus the few
// figures a reader of the run needs (rate, band, framing, normalization, split sizes). A
// linear run says so and carries no recurrent model or optimizer settings.
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechNetwork
import Foundation

/// The data folder a run was trained on, as config.json's "summary" records it.
public struct DataReference: Codable, Equatable, Sendable {
    /// DATADIR/summary.json as the run read it, and the SHA-256 of its bytes then (nil when
    /// it could not be read back): a changed or remade data folder no longer matches.
    public var path: String
    public var sha256: String?
    public var sampleRate: Int
    /// Distinct rates of the source recordings, and half the lowest (the band the data has).
    public var sourceRates: [Int]
    public var bandwidthHz: Double
    public var frame: FrameSpec
    public var trainMean: Double
    public var trainStd: Double
    public var splits: [String: SplitSummary]
    public var recordings: Int
    public var skipped: Int

    package enum CodingKeys: String, CodingKey {
        case path, sha256, sampleRate = "sample_rate", sourceRates = "source_rates", bandwidthHz = "bandwidth_hz"
        case frame, trainMean = "train_mean", trainStd = "train_std", splits, recordings, skipped
    }

    /// The reference to `summary`, read from `folder` (its summary.json is hashed now).
    public init(summary: DataSummary, folder: String) {
        let file = URL(fileURLWithPath: folder).appendingPathComponent(DataFolder.summaryFile)
        path = file.path
        sha256 = try? SHA256.hexDigest(ofFile: file)
        sampleRate = summary.sampleRate
        sourceRates = summary.sourceRates
        bandwidthHz = summary.bandwidthHz
        frame = summary.frame
        trainMean = summary.trainMean
        trainStd = summary.trainStd
        splits = summary.splits
        recordings = summary.recordings.count
        skipped = summary.skipped.count
    }
}

/// config.json. Written, never read back whole: readers take the fields they need.
public struct RunDescription: Encodable, Sendable {
    public var cell: String
    /// nil for the linear baseline (it has no units, layers or mixture).
    public var units: Int?
    public var layers: Int?
    public var components: Int?
    public var recurrentParams: Int
    public var totalParams: Int
    /// nil for the linear baseline (fitted in closed form).
    public var learningRate: Double?
    public var seed: UInt64
    public var normalization: Normalization
    public var sampleRate: Int
    /// The band the training data really has (the data folder's bandwidth_hz).
    public var bandwidthHz: Double
    public var sourceRates: [Int]
    public var frame: FrameSpec
    public var training: TrainingConfig
    public var data: String
    public var summary: DataReference?
    /// Hex SHA-256 of the data folder's summary.json (the folder `--resume` must find again).
    public var dataSummarySHA256: String?
    public var gitRevision: String
    public var blasCore: String
    /// Processes (MPI ranks) that trained the run together; absent for one process.
    public var ranks: Int?
    /// "pianoroll" for a music run (absent: audio); such a run's `summary` is absent and
    /// `budget_params` gives its recurrent parameters as `--params` counts them.
    public var dataKind: String?
    public var budgetParams: Int?

    package enum CodingKeys: String, CodingKey {
        case cell, units, layers, components, recurrentParams = "recurrent_params"
        case totalParams = "total_params", learningRate = "learning_rate", seed, normalization
        case sampleRate = "sample_rate", bandwidthHz = "bandwidth_hz", sourceRates = "source_rates"
        case frame, training, data, summary
        case dataSummarySHA256 = "data_summary_sha256"
        case gitRevision = "git_revision", blasCore = "blas_core", ranks
        case dataKind = "data_kind", budgetParams = "budget_params"
    }

    public init(config: TrainingConfig, parameterCount: Int, recurrentParameterCount: Int,
                normalization: Normalization, sampleRate: Int, frame: FrameSpec, data: String,
                summary: DataSummary?, gitRevision: String, dataSummarySHA256: String? = nil) {
        cell = config.linear ? "linear" : config.model.cell.rawValue
        units = config.linear ? nil : config.model.units
        layers = config.linear ? nil : config.model.layers
        components = config.linear ? nil : config.model.components
        recurrentParams = recurrentParameterCount
        totalParams = parameterCount
        learningRate = config.linear ? nil : config.learningRate
        seed = config.seed
        self.normalization = normalization
        self.sampleRate = sampleRate
        bandwidthHz = summary?.bandwidthHz ?? Double(sampleRate) / 2
        sourceRates = summary?.sourceRates ?? []
        self.frame = frame
        training = config
        self.data = data
        self.summary = summary.map { DataReference(summary: $0, folder: data) }
        self.dataSummarySHA256 = dataSummarySHA256
        self.gitRevision = gitRevision
        blasCore = BLASRuntime.coreName
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(cell, forKey: .cell)
        try c.encodeIfPresent(units, forKey: .units)
        try c.encodeIfPresent(layers, forKey: .layers)
        try c.encodeIfPresent(components, forKey: .components)
        try c.encode(recurrentParams, forKey: .recurrentParams)
        try c.encode(totalParams, forKey: .totalParams)
        try c.encodeIfPresent(learningRate, forKey: .learningRate)
        try c.encode(seed, forKey: .seed)
        try c.encode(normalization, forKey: .normalization)
        try c.encode(sampleRate, forKey: .sampleRate)
        try c.encode(bandwidthHz, forKey: .bandwidthHz)
        try c.encode(sourceRates, forKey: .sourceRates)
        try c.encode(frame, forKey: .frame)
        if training.linear {
            // The closed-form fit uses none of the recurrent model's or the optimizer's settings.
            try c.encode(LinearTraining(seed: training.seed), forKey: .training)
        } else {
            try c.encode(training, forKey: .training)
        }
        try c.encode(data, forKey: .data)
        try c.encodeIfPresent(summary, forKey: .summary)
        try c.encodeIfPresent(dataSummarySHA256, forKey: .dataSummarySHA256)
        try c.encodeIfPresent(ranks, forKey: .ranks)
        try c.encodeIfPresent(dataKind, forKey: .dataKind)
        try c.encodeIfPresent(budgetParams, forKey: .budgetParams)
        try c.encode(gitRevision, forKey: .gitRevision)
        try c.encode(blasCore, forKey: .blasCore)
    }

    /// config.json's "training" for the linear baseline.
    struct LinearTraining: Encodable {
        var linear = true
        var seed: UInt64
    }

    /// The revision of the source tree this binary was built from, recorded at build time
    /// (Plugins/BuildRevision); rawspeech never runs git itself.
    public static func gitRevision() -> String { BuildRevision.revision }
}
