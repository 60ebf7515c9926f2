// The resolved configuration of one training run: every default with its reason, written
// once here (the command line shows these in its help and fills unset flags from them). It
// is written to RUNDIR/config.json and into every checkpoint, so a run can be reproduced
// and resumed exactly. What a caller chose explicitly is TrainingSettings.
import Foundation
import RawSpeechNetwork

/// How a model is trained (paper.md's recipe by default).
public struct TrainingConfig: Codable, Equatable, Sendable {
    /// The model: cell, units, layers, mixture components. Its shape defaults (1 layer, the
    /// paper's 20 components, the paper's GRU equations, a 1e-3 sigma floor) are
    /// ModelConfig's; the cell and the width are `defaultCell` and `defaultBudget` below.
    public var model: ModelConfig
    /// Train the closed-form linear baseline instead of a recurrent model.
    public var linear: Bool = false
    /// RMSProp step size. The paper picks the best of 10 log-uniform draws in [e^-12, e^-6];
    /// 1e-3 was the better of 1e-3 and 3e-4 in the PyTorch reference run.
    public var learningRate: Double = 1e-3
    /// RMSProp's decay of the squared-gradient average (PyTorch's default alpha).
    public var rmsDecay: Double = 0.99
    /// RMSProp's denominator floor (PyTorch's default).
    public var rmsEpsilon: Double = 1e-8
    /// Gradient norm above which the gradient is rescaled to this norm (paper: 1).
    public var clip: Double = 1
    /// Standard deviation of Gaussian noise added to the weights at each update (paper: 0.075).
    public var weightNoise: Double = 0.075
    /// Sequences per batch (B): the PyTorch reference run's; 32 rows keep the per-step GEMMs efficient.
    public var batch: Int = 32
    /// Time steps per truncated-BPTT chunk (T): 100 frames are 1,000 samples, 62.5 ms at 16 kHz.
    public var steps: Int = 100
    /// Micro-batches per update (K, `--accumulate`; nil: 1): each update averages the
    /// gradients of K micro-batches of `batch` sequences, K x B streams in all, before one
    /// clipped RMSProp step (and, across processes, one allreduce). nil rather than 1 so a
    /// run's config.json and checkpoints without accumulation read and write as before.
    public var accumulate: Int? = nil
    /// Stop after this many updates (nil: no limit; early stopping or --minutes ends the run).
    public var updates: Int? = nil
    /// Stop after this many minutes of wall clock (nil: no limit).
    public var minutes: Double? = nil
    /// Updates between validation evaluations (and metrics.jsonl lines): a few seconds of
    /// training at the paper's size, so the curve is fine-grained and evaluation is ~10% of the time.
    public var evalEvery: Int = 100
    /// Seconds of valid audio each evaluation scores: a fixed, seeded subset of the valid
    /// split (ValidationSet), so evaluation costs the same on any corpus size; 5 minutes
    /// keep the NLL's noise well below the differences between models. nil or 0: the whole
    /// split (and nil is what runs from before subsets resume with).
    public var validSeconds: Double? = 300
    /// Evaluations without a new best validation NLL before stopping early (0: never);
    /// 10 rides out the noise that weight noise puts into the validation curve.
    public var patience: Int = 10
    /// Updates between checkpoints (a checkpoint is also written at the end): a kill loses
    /// at most a minute or so of training at the paper's size.
    public var checkpointEvery: Int = 500
    /// Seed of every random draw: initialization, batches, weight noise.
    public var seed: UInt64 = 1
    /// Factor applied to the learning rate after a non-finite loss forces a rollback.
    public var rollbackLearningRateFactor: Double = 0.5

    public init(model: ModelConfig) {
        self.model = model
    }

    package enum CodingKeys: String, CodingKey {
        case model, linear
        case learningRate = "learning_rate", rmsDecay = "rms_decay", rmsEpsilon = "rms_epsilon"
        case clip, weightNoise = "weight_noise", batch, steps, accumulate, updates, minutes
        case evalEvery = "eval_every", validSeconds = "valid_seconds", patience, checkpointEvery = "checkpoint_every", seed
        case rollbackLearningRateFactor = "rollback_learning_rate_factor"
    }
}

extension TrainingConfig {
    /// The cell when none is named: a gated unit (the paper's speech results favour them),
    /// and of the two the cheaper per update.
    public static let defaultCell: Cell = .gru
    /// The recurrent-parameter budget when neither units nor a budget is given: the
    /// paper's "about 169K" (tanh 400, GRU 227, LSTM 195 units).
    public static let defaultBudget = 169_000
    /// Threads splitting each batch: one per core, at most 2 (~1.8x faster at B = 32 on two
    /// cores; beyond that the per-thread GEMMs get too small to gain).
    public static var defaultThreads: Int { min(2, ProcessInfo.processInfo.activeProcessorCount) }

    /// K: micro-batches per update (1 without `--accumulate`).
    public var microBatches: Int { accumulate ?? 1 }
    /// Sequences (streams) one update trains on: K x B.
    public var sequencesPerUpdate: Int { microBatches * batch }

    /// Every default: the paper's GRU at the 169K budget for frames of 20 -> 10 samples.
    public static let defaults = TrainingConfig(
        model: ModelConfig(cell: defaultCell, units: ModelConfig.units(for: defaultCell, budget: defaultBudget)))

    /// The first setting of the model's shape, the batch layout, the seed or the validation
    /// subset in which this
    /// configuration differs from `saved`: what a resumed run cannot change.
    public func shapeDifference(from saved: TrainingConfig) -> (setting: TrainingSetting, value: String, saved: String)? {
        func name(_ config: TrainingConfig) -> String { config.linear ? "linear" : config.model.cell.rawValue }
        let (a, b) = (model, saved.model)
        let pairs: [(TrainingSetting, String, String)] = [
            (.cell, name(self), name(saved)),
            (.units, "\(a.units)", "\(b.units)"),
            (.layers, "\(a.layers)", "\(b.layers)"),
            (.components, "\(a.components)", "\(b.components)"),
            (.gruForm, a.gruForm.rawValue, b.gruForm.rawValue),
            (.sigmaFloor, "\(a.sigmaFloor)", "\(b.sigmaFloor)"),
            (.frame, "\(a.inputSize)->\(a.targetSize)", "\(b.inputSize)->\(b.targetSize)"),
            (.batch, "\(batch)", "\(saved.batch)"),
            (.steps, "\(steps)", "\(saved.steps)"),
            // K x B streams are carried in the checkpoint: another K would be another batch layout.
            (.accumulate, "\(microBatches)", "\(saved.microBatches)"),
            (.seed, "\(seed)", "\(saved.seed)"),
            // The validation subset: a resumed run's best NLL must compare with its earlier ones.
            (.validSeconds, validSeconds.map { "\($0)" } ?? "the whole split",
             saved.validSeconds.map { "\($0)" } ?? "the whole split"),
        ]
        return pairs.first { $0.1 != $0.2 }.map { (setting: $0.0, value: $0.1, saved: $0.2) }
    }
}

/// What one run may ask for. Beyond these a setting is a typo or a hostile script, not an
/// experiment: the command line refuses such flags by name, and `TrainingConfig.check()`
/// refuses such a configuration before anything is allocated (a `--units 2147483648` model
/// would overflow its parameter count; `--layers 2147483648` asked for 7 GB).
public enum TrainingLimits {
    public static let units = 1 ... 65_536
    public static let layers = 1 ... 64
    public static let components = 1 ... 1_024
    public static let batch = 1 ... 65_536
    public static let steps = 1 ... 100_000
    /// Micro-batches per update (`--accumulate`): past a thousand an update is minutes long.
    public static let accumulate = 1 ... 1_024
    /// Recurrent-parameter budgets (`--params`): a billion parameters are 4 GB of weights.
    public static let budget = 1 ... 1_000_000_000
    /// RMSProp step sizes: (0, 1] (the paper searches [e^-12, e^-6]).
    public static let learningRate = Double.leastNonzeroMagnitude ... 1
    /// Gradient-norm clip (0: off); finite, or JSON could not record it.
    public static let clip = 0.0 ... 1_000_000
    public static let weightNoise = 0.0 ... 1
    public static let minutes = Double.leastNonzeroMagnitude ... 1_000_000
    public static let sigmaFloor = Float.leastNonzeroMagnitude ... 10
    /// The most memory a run's weights, optimizer state and workspaces may need: a few GB,
    /// so a mistyped flag fails at once instead of swapping the machine to a halt.
    public static let memoryBytes = 4e9
}

extension TrainingConfig {
    /// Bytes a run of this configuration allocates, roughly (Double: no overflow whatever the
    /// values): ten copies of the parameters (weights, best weights, noisy weights, gradient,
    /// RMSProp state, the rollback copy of all three, the checkpoint being written) and two
    /// workspaces of B x T rows (training, validation), each row holding every layer's gates
    /// and their gradients, the hidden states and the head's outputs.
    public func estimatedBytes(threads: Int = 1) -> Double {
        let m = model
        // A Bernoulli (music) head has one output per note and no mixture buffers: counting
        // the unused `components` made a music run of long pieces look ~10x its real size.
        let mixture = m.output == .mixture
        let (H, L, K) = (Double(m.units), Double(m.layers), mixture ? Double(m.components) : 0)
        let (I, D) = (Double(m.inputSize), Double(m.targetSize))
        let G = Double(ModelConfig.gateCount(m.cell))
        let recurrent = (0 ..< max(0, min(m.layers, TrainingLimits.layers.upperBound))).reduce(0.0) { total, layer in
            total + G * ((layer == 0 ? I : H) * H + H * H + H) + 6 * H
        }
        let headOutputs = mixture ? K * (1 + 2 * D) : D
        let parameters = recurrent + headOutputs * (H + 1)
        let row = L * (2 * G * H + 8 * H) + 2 * headOutputs + 2 * I + D + K * D + K + 1
        let rows = Double(batch) * Double(steps) + Double(max(1, threads)) * Double(steps)
        // With --accumulate, the other (K - 1) x B streams' chunk (inputs and targets) and carried state.
        let streams = Double(microBatches - 1) * Double(batch)
        let carried = streams * (Double(steps) * (I + D) + L * 2 * H)
        return 4 * (10 * parameters + 2 * rows * row + carried)
    }

    /// Refuses a configuration no run should start with: a setting outside TrainingLimits, a
    /// non-finite optimizer setting, or buffers beyond TrainingLimits.memoryBytes.
    public func check(threads: Int = 1) throws {
        func within<T: Comparable>(_ field: String, _ value: T, _ range: ClosedRange<T>) throws {
            guard range.contains(value) else {
                throw TrainingError.invalidConfig(field: field, reason: "must be in \(range.lowerBound)...\(range.upperBound) (got \(value))")
            }
        }
        try within("learning_rate", learningRate, TrainingLimits.learningRate)
        try within("clip", clip, TrainingLimits.clip)
        try within("weight_noise", weightNoise, TrainingLimits.weightNoise)
        if let minutes { try within("minutes", minutes, TrainingLimits.minutes) }
        try within("batch", batch, TrainingLimits.batch)
        try within("steps", steps, TrainingLimits.steps)
        try within("accumulate", microBatches, TrainingLimits.accumulate)
        try within("eval_every", evalEvery, 1 ... Int.max)
        try within("checkpoint_every", checkpointEvery, 1 ... Int.max)
        guard !linear else { return }
        try within("units", model.units, TrainingLimits.units)
        try within("layers", model.layers, TrainingLimits.layers)
        try within("components", model.components, TrainingLimits.components)
        try within("sigma_floor", model.sigmaFloor, TrainingLimits.sigmaFloor)
        let bytes = estimatedBytes(threads: threads)
        if bytes > TrainingLimits.memoryBytes {
            throw TrainingError.tooLarge(bytes: bytes, limit: TrainingLimits.memoryBytes)
        }
    }
}
