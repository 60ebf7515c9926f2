// What a caller chose explicitly for a run, each setting nil when it was not chosen: a new
// run fills the rest from TrainingConfig's defaults, a resumed run from its own recorded
// configuration. Resuming keeps the model's shape, the batch layout and the seed (a change
// is refused by name), and applies a new stopping rule, schedule or optimizer setting.
// The command line builds one from its flags; `compare` builds one per planned run.
import RawSpeechCore
import RawSpeechNetwork

/// A setting of a run, as errors name it (the command line words it as its flag).
public enum TrainingSetting: String, Sendable, CaseIterable {
    case cell, units, layers, components, gruForm, sigmaFloor, frame, batch, steps, accumulate, seed, validSeconds
}

/// The settings a caller chose; nil: not chosen.
public struct TrainingSettings: Equatable, Sendable {
    /// A recurrent cell, or nil; `linear` chooses the closed-form baseline instead.
    public var cell: Cell?
    public var linear = false
    public var units: Int?
    /// Recurrent-parameter budget from which the units are computed (when `units` is nil).
    public var budget: Int?
    public var layers: Int?
    public var components: Int?
    public var gruForm: GRUForm?
    public var sigmaFloor: Float?
    public var learningRate: Double?
    public var clip: Double?
    public var weightNoise: Double?
    public var batch: Int?
    public var steps: Int?
    /// Micro-batches per update (K).
    public var accumulate: Int?
    public var updates: Int?
    public var minutes: Double?
    public var evalEvery: Int?
    /// Seconds of the valid split each evaluation scores (0: all of it).
    public var validSeconds: Double?
    public var patience: Int?
    public var checkpointEvery: Int?
    public var seed: UInt64?

    public init() {}

    /// A new run's configuration for frames of `frame`: each chosen setting, else its default.
    public func newConfig(frame: FrameSpec = .paper) -> TrainingConfig {
        let defaults = TrainingConfig.defaults
        let cell = self.cell ?? TrainingConfig.defaultCell
        let layers = self.layers ?? defaults.model.layers
        let gruForm = self.gruForm ?? defaults.model.gruForm
        let units = self.units ?? ModelConfig.units(for: cell, budget: budget ?? TrainingConfig.defaultBudget,
                                                    layers: layers, inputSize: frame.input, gruForm: gruForm)
        var config = TrainingConfig(model: ModelConfig(
            cell: cell, units: units, layers: layers, components: components ?? defaults.model.components,
            inputSize: frame.input, targetSize: frame.target, gruForm: gruForm,
            sigmaFloor: sigmaFloor ?? defaults.model.sigmaFloor))
        config.linear = linear
        apply(to: &config)
        return config
    }

    /// The configuration of a run resumed from `saved`: the chosen stopping rules, schedule
    /// and optimizer settings replace the recorded ones; a chosen model shape, batch layout
    /// or seed must equal the recorded one, else `TrainingError.resumeConflict` names it.
    public func resumed(_ saved: TrainingConfig) throws -> TrainingConfig {
        var config = saved
        if linear { config.linear = true }
        if let cell { config.model.cell = cell }
        if let layers { config.model.layers = layers }
        if let components { config.model.components = components }
        if let gruForm { config.model.gruForm = gruForm }
        if let sigmaFloor { config.model.sigmaFloor = sigmaFloor }
        if let units {
            config.model.units = units
        } else if let budget {
            let m = config.model
            config.model.units = ModelConfig.units(for: m.cell, budget: budget, layers: m.layers,
                                                   inputSize: m.budgetInputSize, gruForm: m.gruForm)
        }
        apply(to: &config)
        if let difference = config.shapeDifference(from: saved) {
            throw TrainingError.resumeConflict(setting: difference.setting, value: difference.value,
                                               saved: difference.saved)
        }
        return config
    }

    /// Writes the chosen settings other than the model's into `config`.
    private func apply(to config: inout TrainingConfig) {
        if let learningRate { config.learningRate = learningRate }
        if let clip { config.clip = clip }
        if let weightNoise { config.weightNoise = weightNoise }
        if let batch { config.batch = batch }
        if let steps { config.steps = steps }
        if let accumulate { config.accumulate = accumulate == 1 ? nil : accumulate }
        if let updates { config.updates = updates }
        if let minutes { config.minutes = minutes }
        if let evalEvery { config.evalEvery = evalEvery }
        if let validSeconds { config.validSeconds = validSeconds }
        if let patience { config.patience = patience }
        if let checkpointEvery { config.checkpointEvery = checkpointEvery }
        if let seed { config.seed = seed }
    }
}
