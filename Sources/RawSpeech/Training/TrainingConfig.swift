// The resolved configuration of one training run: every default with its reason. It is
// written to RUNDIR/config.json and into every checkpoint, so a run can be reproduced and
// resumed exactly.
import RawSpeechNetwork

/// How a model is trained (paper.md's recipe by default).
public struct TrainingConfig: Codable, Equatable, Sendable {
    /// The model: cell, units, layers, mixture components.
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
    /// Sequences per batch (B).
    public var batch: Int = 32
    /// Time steps per truncated-BPTT chunk (T).
    public var steps: Int = 100
    /// Stop after this many updates (nil: no limit).
    public var updates: Int? = nil
    /// Stop after this many minutes of wall clock (nil: no limit).
    public var minutes: Double? = nil
    /// Updates between validation evaluations (and metrics.jsonl lines).
    public var evalEvery: Int = 100
    /// Evaluations without a new best validation NLL before stopping early (0: never).
    public var patience: Int = 10
    /// Updates between checkpoints (a checkpoint is also written at the end).
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
        case evalEvery = "eval_every", patience, checkpointEvery = "checkpoint_every", seed
        case rollbackLearningRateFactor = "rollback_learning_rate_factor"
    }
}
