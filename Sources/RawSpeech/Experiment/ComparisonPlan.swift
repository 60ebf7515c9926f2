// The paper's experiment as a plan: for each cell at one recurrent-parameter budget, a
// learning-rate search (trials drawn log-uniformly with log(lr) in [-12, -6], the same
// draws for every cell), then the best rate retrained with further seeds. The plan names
// every run folder, so an interrupted comparison resumes where it stopped. Each run is a
// TrainingSettings value; running the plan's trainings is the CLI's job (they are separate
// `rawspeech train` processes, in parallel).
//
// Every run gets the same compute, on one of two bases (`ComparisonBasis`): the same number
// of updates (`updates`, exact whatever else the machine does), or the same wall-clock
// minutes with an equal share of the cores (`minutes`: every run the same threads, started
// in waves so that no run trains alone while others shared the machine).
import RawSpeechCore
import RawSpeechNetwork
import RawSpeechTraining
import Foundation

/// One training run of a comparison.
public struct PlannedRun: Codable, Equatable, Sendable {
    public var cell: Cell
    public var units: Int
    public var learningRate: Double
    public var seed: UInt64
    /// Folder relative to the comparison's output folder, e.g. "gru/trial-3".
    public var folder: String

    package enum CodingKeys: String, CodingKey {
        case cell, units, learningRate = "learning_rate", seed, folder
    }
}

/// What `rawspeech compare` was asked to do; saved as DIR/plan.json.
public struct ComparisonPlan: Codable, Equatable, Sendable {
    public var data: String
    public var cells: [Cell]
    public var budget: Int
    public var learningRates: [Double]
    public var seeds: Int
    /// Wall-clock minutes per run (the equal-time basis); nil when `updates` is the budget.
    public var minutes: Double?
    /// Updates per run (the equal-updates basis): early stopping is then off unless asked for.
    public var updates: Int?
    public var weightNoise: Double
    public var batch: Int
    public var steps: Int
    /// Micro-batches per update (`--accumulate`; nil: 1, and absent from plans made before it).
    public var accumulate: Int?
    public var patience: Int
    public var evalEvery: Int
    /// Preset name when the plan came from one (e.g. "quick"), for the results' caption.
    public var preset: String?
    /// "pianoroll" for a music comparison (absent: audio): units are then counted with
    /// ModelConfig.musicBudgetInputs, and the runs have the Bernoulli head.
    public var dataKind: String?

    package enum CodingKeys: String, CodingKey {
        case data, cells, budget, learningRates = "learning_rates", seeds, minutes, updates
        case weightNoise = "weight_noise", batch, steps, accumulate, patience, evalEvery = "eval_every", preset
        case dataKind = "data_kind"
    }

    /// Learning rates drawn per cell: the paper's 10.
    public static let defaultTrials = 10
    /// Minutes per run: enough for the 169K models to pass their steepest descent on the
    /// default corpus while a 3-cell, 10-trial comparison fits in an afternoon on 2 cores.
    public static let defaultMinutes = 5.0
    /// The `quick` preset (demos): one learning rate, no weight noise, 3 minutes per run.
    public static let quickLearningRates = [1e-3]
    public static let quickWeightNoise = 0.0
    public static let quickMinutes = 3.0

    public init(data: String, cells: [Cell], budget: Int, learningRates: [Double], seeds: Int,
                minutes: Double?, updates: Int? = nil, weightNoise: Double,
                batch: Int = TrainingConfig.defaults.batch, steps: Int = TrainingConfig.defaults.steps,
                patience: Int = TrainingConfig.defaults.patience, evalEvery: Int = TrainingConfig.defaults.evalEvery,
                preset: String? = nil, accumulate: Int? = nil) {
        self.data = data
        self.cells = cells
        self.budget = budget
        self.learningRates = learningRates
        self.seeds = seeds
        self.minutes = minutes
        self.updates = updates
        self.weightNoise = weightNoise
        self.batch = batch
        self.steps = steps
        self.accumulate = accumulate == 1 ? nil : accumulate
        self.patience = patience
        self.evalEvery = evalEvery
        self.preset = preset
    }

    /// The plan for what a caller chose, each nil taking its default: learning rates drawn
    /// (`trials` of them, from `rateSeed`) unless given, and with `quick` the quick preset's
    /// rates, weight noise and minutes; batch, steps, patience and evaluation interval as
    /// `train`'s. With `updates` (and no `minutes`) every run trains exactly that many
    /// updates: early stopping is off (patience 0) unless `patience` is given.
    public static func choosing(data: String, cells: [Cell], budget: Int? = nil, learningRates: [Double]? = nil,
                                trials: Int = defaultTrials, rateSeed: UInt64 = 1, seeds: Int = 1, quick: Bool = false,
                                minutes: Double? = nil, updates: Int? = nil, weightNoise: Double? = nil, batch: Int? = nil,
                                steps: Int? = nil, accumulate: Int? = nil, patience: Int? = nil,
                                evalEvery: Int? = nil) -> ComparisonPlan {
        let defaults = TrainingConfig.defaults
        let rates = learningRates ?? (quick ? quickLearningRates : sampleLearningRates(count: trials, seed: rateSeed))
        return ComparisonPlan(
            data: data, cells: cells, budget: budget ?? TrainingConfig.defaultBudget, learningRates: rates, seeds: seeds,
            minutes: minutes ?? (updates != nil ? nil : quick ? quickMinutes : defaultMinutes), updates: updates,
            weightNoise: weightNoise ?? (quick ? quickWeightNoise : defaults.weightNoise),
            batch: batch ?? defaults.batch, steps: steps ?? defaults.steps,
            patience: patience ?? (updates != nil ? 0 : defaults.patience), evalEvery: evalEvery ?? defaults.evalEvery,
            preset: quick ? "quick" : nil, accumulate: accumulate)
    }

    /// `count` learning rates with log(lr) uniform in [-12, -6] (the paper's search range),
    /// sorted, from `seed`.
    public static func sampleLearningRates(count: Int, seed: UInt64) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        return (0 ..< count).map { _ in exp(-12 + 6 * rng.nextUniform()) }.sorted()
    }

    /// Whether this compares music models (a piano-roll folder).
    public var isMusic: Bool { dataKind == "pianoroll" }

    /// Units of `cell` at this plan's budget.
    public func units(for cell: Cell) -> Int {
        isMusic ? ModelConfig.units(for: cell, budget: budget, inputSize: ModelConfig.musicBudgetInputs)
                : ModelConfig.units(for: cell, budget: budget)
    }

    /// The learning-rate search: every cell at every rate, seed 1.
    public var trialRuns: [PlannedRun] {
        cells.flatMap { cell in
            learningRates.enumerated().map { index, rate in
                PlannedRun(cell: cell, units: units(for: cell), learningRate: rate, seed: 1,
                           folder: "\(cell.rawValue)/trial-\(index + 1)")
            }
        }
    }

    /// Seeds 2...seeds at the rate that won the search (`best[cell]`).
    public func seedRuns(bestRates: [Cell: Double]) -> [PlannedRun] {
        guard seeds > 1 else { return [] }
        return cells.flatMap { cell -> [PlannedRun] in
            guard let rate = bestRates[cell] else { return [] }
            return (2 ... seeds).map { seed in
                PlannedRun(cell: cell, units: units(for: cell), learningRate: rate, seed: UInt64(seed),
                           folder: "\(cell.rawValue)/seed-\(seed)")
            }
        }
    }

    /// The settings of one run (threads aside: each run's share of the cores is the
    /// scheduler's business).
    public func settings(for run: PlannedRun) -> TrainingSettings {
        var settings = TrainingSettings()
        settings.cell = run.cell
        settings.units = run.units
        settings.learningRate = run.learningRate
        settings.seed = run.seed
        settings.minutes = minutes
        settings.updates = updates
        settings.weightNoise = weightNoise
        settings.batch = batch
        settings.steps = steps
        settings.accumulate = accumulate
        settings.patience = patience
        settings.evalEvery = evalEvery
        return settings
    }

    /// The settings of the linear baseline run (it has no learning rate or schedule).
    public var linearSettings: TrainingSettings {
        var settings = TrainingSettings()
        settings.linear = true
        return settings
    }

    /// What every run was given the same amount of.
    public var basis: ComparisonBasis {
        if let updates, minutes == nil { return .updates(updates) }
        return .minutes(minutes ?? Self.defaultMinutes)
    }

    /// Each cell's winning trial of the learning-rate search: the lowest best validation
    /// NLL among `trials` (runs paired with their outcomes); non-finite results never win,
    /// and the earlier trial wins a tie.
    public func bestTrials(_ trials: [(run: PlannedRun, outcome: RunOutcome)]) throws -> [Cell: PlannedRun] {
        var best: [Cell: PlannedRun] = [:]
        for cell in cells {
            let candidates = trials.filter { $0.run.cell == cell && $0.outcome.bestValidNLL.isFinite }
            guard let winner = candidates.min(by: { $0.outcome.bestValidNLL < $1.outcome.bestValidNLL }) else {
                throw ComparisonError.noFiniteTrial(cell: cell)
            }
            best[cell] = winner.run
        }
        return best
    }
}

/// The compute every run of a comparison gets the same amount of.
public enum ComparisonBasis: Equatable, Sendable {
    /// The same number of updates (batches of B x T steps) per run.
    case updates(Int)
    /// The same wall-clock minutes per run, each with the same threads, in waves (see
    /// `waves`), so no run trains with the machine to itself while others shared it.
    case minutes(Double)

    /// "updates" or "minutes": results.json's `basis`.
    public var name: String {
        switch self { case .updates: "updates"; case .minutes: "minutes" }
    }

    /// Runs start in waves (a wave only when the previous one has finished) on the time
    /// basis; on the updates basis contention changes no run's budget, so they start as
    /// soon as a slot is free.
    public var waves: Bool {
        if case .minutes = self { return true }
        return false
    }

    /// The table's caption: "equal updates: 2000 each", "equal wall time: 3 min each, 1 thread each".
    /// With early stopping (`patience` > 0) an updates budget is a cap, and the caption says so.
    public func caption(threads: Int?, patience: Int = 0) -> String {
        switch self {
        case .updates(let n) where patience > 0:
            return "at most \(n) updates each, early stopping on valid (patience \(patience) evaluations)"
        case .updates(let n): return "equal updates: \(n) each"
        case .minutes(let m):
            let each = threads.map { ", \($0) thread\($0 == 1 ? "" : "s") each, run in waves" } ?? ""
            return "equal wall time: \(String(format: "%g", m)) min each\(each)"
        }
    }
}

/// Why a comparison cannot go on.
public enum ComparisonError: Error, Equatable, CustomStringConvertible {
    /// No trial of `cell` reached a finite validation NLL.
    case noFiniteTrial(cell: Cell)

    public var description: String {
        switch self {
        case .noFiniteTrial(let cell): "no \(cell.rawValue) run reached a finite validation NLL"
        }
    }
}
