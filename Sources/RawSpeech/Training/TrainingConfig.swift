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
        case clip, weightNoise = "weight_noise", batch, steps, updates, minutes
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
            (.seed, "\(seed)", "\(saved.seed)"),
            // The validation subset: a resumed run's best NLL must compare with its earlier ones.
            (.validSeconds, validSeconds.map { "\($0)" } ?? "the whole split",
             saved.validSeconds.map { "\($0)" } ?? "the whole split"),
        ]
        return pairs.first { $0.1 != $0.2 }.map { (setting: $0.0, value: $0.1, saved: $0.2) }
    }
}
