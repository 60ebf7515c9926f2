// RUNDIR/config.json: the resolved configuration of a run, with the counts and provenance
// a reader needs to compare runs (field names are read by `report` and `compare`).
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechNetwork
import Foundation

public struct RunDescription: Codable, Sendable {
    public var cell: String
    public var units: Int
    public var layers: Int
    public var components: Int
    public var recurrentParams: Int
    public var totalParams: Int
    public var learningRate: Double
    public var seed: UInt64
    public var normalization: Normalization
    public var sampleRate: Int
    public var frame: FrameSpec
    public var training: TrainingConfig
    public var data: String
    public var summary: DataSummary?
    public var gitRevision: String
    public var blasCore: String
    /// Processes (MPI ranks) that trained the run together; absent for one process.
    public var ranks: Int?

    package enum CodingKeys: String, CodingKey {
        case cell, units, layers, components, recurrentParams = "recurrent_params"
        case totalParams = "total_params", learningRate = "learning_rate", seed, normalization
        case sampleRate = "sample_rate", frame, training, data, summary
        case gitRevision = "git_revision", blasCore = "blas_core", ranks
    }

    public init(config: TrainingConfig, parameterCount: Int, recurrentParameterCount: Int,
                normalization: Normalization, sampleRate: Int, frame: FrameSpec, data: String,
                summary: DataSummary?, gitRevision: String) {
        cell = config.linear ? "linear" : config.model.cell.rawValue
        units = config.linear ? 0 : config.model.units
        layers = config.linear ? 0 : config.model.layers
        components = config.linear ? 1 : config.model.components
        recurrentParams = recurrentParameterCount
        totalParams = parameterCount
        learningRate = config.learningRate
        seed = config.seed
        self.normalization = normalization
        self.sampleRate = sampleRate
        self.frame = frame
        training = config
        self.data = data
        self.summary = summary
        self.gitRevision = gitRevision
        blasCore = BLASRuntime.coreName
    }

    /// The revision of the source tree this binary was built from, recorded at build time
    /// (Plugins/BuildRevision); rawspeech never runs git itself.
    public static func gitRevision() -> String { BuildRevision.revision }
}
