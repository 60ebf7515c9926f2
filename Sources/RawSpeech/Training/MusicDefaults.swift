// The defaults of a music run (a piano-roll data folder), each with its reason, next to
// TrainingConfig's speech defaults: the paper's music sizes, whole chorales per batch, and
// the whole (small) valid split at every evaluation.
import RawSpeechCore
import RawSpeechNetwork

extension TrainingConfig {
    /// The recurrent budget of a music run: `--params 20.3k` counted with
    /// ModelConfig.musicBudgetInputs gives the paper's music sizes, tanh 100 / GRU 46 / LSTM 36.
    public static let musicDefaultBudget = 20_300
    /// Chorales per batch: 16 of JSB's 229 training chorales, ~14 updates an epoch; enough
    /// rows per step (16) for the GEMMs, few enough that an update is a few milliseconds.
    public static let musicDefaultBatch = 16
    /// Updates between evaluations of a music run: about 1.4 epochs of JSB, and the whole
    /// valid split (4,602 steps) costs about one update's time.
    public static let musicDefaultEvalEvery = 20
    /// Evaluations without a new best before a music run stops: 20 (~28 epochs of JSB), as
    /// weight noise makes the small valid split's curve jitter by more than the gains late on.
    public static let musicDefaultPatience = 20
}

extension TrainingSettings {
    /// A new music run's configuration for rolls of `notes` notes whose longest training
    /// chorale has `longest` steps: each chosen setting, else the music defaults (GRU at the
    /// 20.3k budget, Bernoulli head, B = 16 whole chorales, T = the longest chorale, the
    /// whole valid split), else TrainingConfig's.
    /// Without a chosen batch, a folder of fewer than 16 `pieces` gets a batch of all of them.
    public func newMusicConfig(notes: Int, longest: Int, pieces: Int? = nil) -> TrainingConfig {
        var settings = self
        settings.budget = budget ?? TrainingConfig.musicDefaultBudget
        settings.batch = batch ?? min(TrainingConfig.musicDefaultBatch, max(1, pieces ?? .max))
        settings.evalEvery = evalEvery ?? TrainingConfig.musicDefaultEvalEvery
        settings.patience = patience ?? TrainingConfig.musicDefaultPatience
        settings.steps = steps ?? longest
        let cell = cell ?? TrainingConfig.defaultCell
        let layers = self.layers ?? 1
        let gruForm = self.gruForm ?? .paper
        settings.units = units ?? ModelConfig.units(for: cell, budget: settings.budget!, layers: layers,
                                                    inputSize: ModelConfig.musicBudgetInputs, gruForm: gruForm)
        var config = settings.newConfig(frame: FrameSpec(input: notes, target: notes, hop: 1))
        config.model.output = .bernoulli
        config.validSeconds = nil
        return config
    }
}
