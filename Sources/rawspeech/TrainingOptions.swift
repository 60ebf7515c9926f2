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
        try check("--learning-rate", learningRate, in: TrainingLimits.learningRate, "positive, at most 1")
        try check("--clip", clip, in: TrainingLimits.clip, "0 (off) or positive, at most 1000000")
        try check("--weight-noise", weightNoise, in: FlagBounds.weightNoise, FlagBounds.weightNoiseRule)
    }
}

/// The shape of a training batch: B sequences of T steps (`train`, `compare`, `bench train`).
struct ChunkOptions: ParsableArguments {
    @Option(help: .text("Sequences per batch (B; on a music folder whole pieces, default \(TrainingConfig.musicDefaultBatch)).", default: defaults.batch))
    var batch: Int?

    @Option(help: .text("Time steps per truncated-BPTT chunk (T; on a music folder the longest training piece, no truncation).", default: defaults.steps))
    var steps: Int?

    @Option(help: .text("""
        Micro-batches per update (K): each update averages the loss and gradient of K micro-batches of \
        --batch sequences (K x B streams, each carrying its own state; one weight-noise draw, one allreduce \
        with ranks, one clipped RMSProp step). Memory stays that of one micro-batch. Fixed for a run.
        """, default: 1))
    var accumulate: Int?

    func validate() throws {
        try check("--batch", batch, in: TrainingLimits.batch)
        try check("--steps", steps, in: TrainingLimits.steps)
        try check("--accumulate", accumulate, in: TrainingLimits.accumulate)
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
        // 0: the whole split; at most ~116 days of audio.
        try check("--valid-seconds", validSeconds, in: 0 ... 10_000_000, "0 (the whole split) to 10000000")
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
        try check("--minutes", minutes, in: FlagBounds.minutes, FlagBounds.minutesRule)
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
        settings.accumulate = chunks.accumulate
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
        case .accumulate: "--accumulate"
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
        add("--accumulate", accumulate)
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

/// Refuses a model and batch whose buffers would not fit TrainingLimits.memoryBytes, naming the flags.
func checkMemory(_ config: TrainingConfig, threads: Int = 1) throws {
    guard !config.linear else { return }
    let bytes = config.estimatedBytes(threads: threads)
    if bytes > TrainingLimits.memoryBytes {
        throw ValidationError(memoryMessage(config, bytes: bytes))
    }
}

private func memoryMessage(_ config: TrainingConfig, bytes: Double) -> String {
    let m = config.model
    let accumulate = config.microBatches > 1 ? " --accumulate \(config.microBatches)" : ""
    return String(format: "a %@-%d model of %d layer(s) and %d components (%.3g parameters) with --batch %d --steps %d%@ "
                  + "needs about %.1f GB (limit %.0f GB): lower --units (or --params), --layers, --components, --batch, --steps or --accumulate",
                  m.cell.rawValue, m.units, m.layers, m.components, Double(m.parameterCount), config.batch, config.steps,
                  accumulate, bytes / 1e9, TrainingLimits.memoryBytes / 1e9)
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
    case .tooLarge:
        return "\(error): lower --units (or --params), --layers, --components, --batch, --steps or --accumulate"
    case let .invalidConfig(field, reason):
        let flags = ["learning_rate": "--learning-rate", "clip": "--clip", "weight_noise": "--weight-noise",
                     "minutes": "--minutes", "units": "--units", "layers": "--layers", "components": "--components",
                     "batch": "--batch", "steps": "--steps", "accumulate": "--accumulate", "sigma_floor": "--sigma-floor", "eval_every": "--eval-every",
                     "checkpoint_every": "--checkpoint-every"]
        return "\(flags[field] ?? field) \(reason)"
    case .emptyValidSplit:
        return "\(error) (rawspeech manifest --valid)"
    default:
        return "\(error)"
    }
}
