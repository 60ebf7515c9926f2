// The option groups of a training run, shared by `train`, `compare` and `bench train`, and
// the way back: a TrainingSettings value as `rawspeech train` arguments (how `compare`
// launches its runs), and training errors worded with flag names. Every option is nil
// unless given; the defaults shown in the help are TrainingConfig's.
import ArgumentParser
import Foundation
import RawSpeechCore
import RawSpeechTraining

private let defaults = TrainingConfig.defaults

/// The optimizer: RMSProp's step, clipping and weight noise (`train`).
struct RecipeOptions: ParsableArguments {
    @Option(name: .customLong("learning-rate"), help: .text("RMSProp step size.", default: defaults.learningRate))
    var learningRate: Double?

    @Option(help: .text("Rescale the gradient to this norm when it is larger (0: never).", default: defaults.clip))
    var clip: Double?

    @Option(name: .customLong("weight-noise"),
            help: .text("Std of Gaussian noise on the weights at each update (0: off).", default: defaults.weightNoise))
    var weightNoise: Double?

    func validate() throws {
        if let learningRate, !(learningRate > 0) { throw ValidationError("--learning-rate must be positive (got \(learningRate))") }
        if let clip, clip < 0 { throw ValidationError("--clip must be 0 (off) or positive (got \(clip))") }
        if let weightNoise, weightNoise < 0 { throw ValidationError("--weight-noise must be 0 (off) or positive (got \(weightNoise))") }
    }
}

/// The shape of a training batch: B sequences of T steps (`train`, `compare`, `bench train`).
struct ChunkOptions: ParsableArguments {
    @Option(help: .text("Sequences per batch (B).", default: defaults.batch))
    var batch: Int?

    @Option(help: .text("Time steps per truncated-BPTT chunk (T).", default: defaults.steps))
    var steps: Int?

    func validate() throws {
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1 (got \(batch))") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1 (got \(steps))") }
    }
}

/// Validation and early stopping (`train`, `compare`).
struct EvaluationOptions: ParsableArguments {
    @Option(name: .customLong("eval-every"), help: .text("Updates between validation evaluations.", default: defaults.evalEvery))
    var evalEvery: Int?

    @Option(name: .customLong("valid-seconds"),
            help: .text("Seconds of valid audio each evaluation scores (a fixed seeded subset; 0: the whole split, also measured at the end).",
                        default: defaults.validSeconds ?? 0))
    var validSeconds: Double?

    @Option(help: .text("Evaluations without improvement before stopping early (0: never).", default: defaults.patience))
    var patience: Int?

    func validate() throws {
        if let evalEvery, evalEvery < 1 { throw ValidationError("--eval-every must be at least 1 (got \(evalEvery))") }
        if let validSeconds, !(validSeconds >= 0) || !validSeconds.isFinite {
            throw ValidationError("--valid-seconds must be 0 (the whole split) or more (got \(validSeconds))")
        }
        if let patience, patience < 0 { throw ValidationError("--patience must be 0 or more (got \(patience))") }
    }
}

/// When a run stops and how often it saves (`train`).
struct StoppingOptions: ParsableArguments {
    @Option(help: "Stop after this many updates.")
    var updates: Int?

    @Option(help: "Stop after this many minutes of training.")
    var minutes: Double?

    @Option(name: .customLong("checkpoint-every"), help: .text("Updates between checkpoints.", default: defaults.checkpointEvery))
    var checkpointEvery: Int?

    func validate() throws {
        if let updates, updates < 0 { throw ValidationError("--updates must be 0 or more (got \(updates))") }
        if let minutes, !(minutes > 0) { throw ValidationError("--minutes must be positive (got \(minutes))") }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be at least 1 (got \(checkpointEvery))") }
    }
}

/// Every setting of one training run (`train`): the groups above and the seed, built once
/// into the TrainingSettings the library resolves (a new run) or checks (a resumed one).
struct TrainingOptions: ParsableArguments {
    @OptionGroup var model: ModelOptions
    @OptionGroup var recipe: RecipeOptions
    @OptionGroup var chunks: ChunkOptions
    @OptionGroup var evaluation: EvaluationOptions
    @OptionGroup var stopping: StoppingOptions

    @Option(help: .text("Seed of initialization, batch order and weight noise.", default: defaults.seed))
    var seed: UInt64?

    var settings: TrainingSettings {
        var settings = TrainingSettings()
        model.apply(to: &settings)
        settings.learningRate = recipe.learningRate
        settings.clip = recipe.clip
        settings.weightNoise = recipe.weightNoise
        settings.batch = chunks.batch
        settings.steps = chunks.steps
        settings.evalEvery = evaluation.evalEvery
        settings.validSeconds = evaluation.validSeconds
        settings.patience = evaluation.patience
        settings.updates = stopping.updates
        settings.minutes = stopping.minutes
        settings.checkpointEvery = stopping.checkpointEvery
        settings.seed = seed
        return settings
    }
}

extension TrainingSetting {
    /// The `train` flag that sets it.
    var flag: String {
        switch self {
        case .cell: "--cell"
        case .units: "--units"
        case .layers: "--layers"
        case .components: "--components"
        case .gruForm: "--gru-form"
        case .sigmaFloor: "--sigma-floor"
        case .frame: "the data folder's frames"
        case .batch: "--batch"
        case .steps: "--steps"
        case .seed: "--seed"
        case .validSeconds: "--valid-seconds"
        }
    }
}

extension TrainingSettings {
    /// The `rawspeech train` flags that give exactly these settings (TrainingOptions parses
    /// them back into an equal value; `compare` checks that before it launches a run).
    var arguments: [String] {
        var flags: [String] = []
        func add(_ flag: String, _ value: (some CustomStringConvertible)?) {
            if let value { flags += [flag, value.description] }
        }
        add("--cell", linear ? "linear" : cell?.rawValue)
        add("--units", units)
        add("--params", budget)
        add("--layers", layers)
        add("--components", components)
        add("--gru-form", gruForm?.rawValue)
        add("--sigma-floor", sigmaFloor)
        add("--learning-rate", learningRate)
        add("--clip", clip)
        add("--weight-noise", weightNoise)
        add("--batch", batch)
        add("--steps", steps)
        add("--eval-every", evalEvery)
        add("--valid-seconds", validSeconds)
        add("--patience", patience)
        add("--updates", updates)
        add("--minutes", minutes)
        add("--checkpoint-every", checkpointEvery)
        add("--seed", seed)
        return flags
    }
}

/// A training error in the command line's words: what went wrong and which flag to change.
func describe(_ error: Error, given settings: TrainingSettings = TrainingSettings()) -> String {
    guard let error = error as? TrainingError else { return "\(error)" }
    switch error {
    case .noChunks(let steps):
        return "\(error): lower --steps (now \(steps)) or use longer recordings"
    case let .resumeConflict(setting, value, saved):
        let flag = setting == .units && settings.units == nil && settings.budget != nil
            ? "--params \(settings.budget.map { "\(ParameterBudget(value: $0))" } ?? "") gives --units \(value), which"
            : setting == .frame ? "the data folder's frames \(value)" : "\(setting.flag) \(value)"
        return "\(flag) differs from the run's \(saved); start a new --output or drop the flag"
    case .diverged:
        return "\(error): start again with a lower --learning-rate"
    case .emptyValidSplit:
        return "\(error) (rawspeech manifest --valid)"
    default:
        return "\(error)"
    }
}
