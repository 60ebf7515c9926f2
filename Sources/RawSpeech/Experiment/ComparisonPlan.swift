// The paper's experiment as a plan: for each cell at one recurrent-parameter budget, a
// learning-rate search (trials drawn log-uniformly with log(lr) in [-12, -6], the same
// draws for every cell), then the best rate retrained with further seeds. The plan names
// every run folder, so an interrupted comparison resumes where it stopped. Running the
// plan's trainings is the CLI's job (they are separate processes, in parallel).
import RawSpeechCore
import RawSpeechNetwork
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
    public var minutes: Double
    public var weightNoise: Double
    public var batch: Int
    public var steps: Int
    public var patience: Int
    public var evalEvery: Int
    /// Preset name when the plan came from one (e.g. "quick"), for the results' caption.
    public var preset: String?

    package enum CodingKeys: String, CodingKey {
        case data, cells, budget, learningRates = "learning_rates", seeds, minutes
        case weightNoise = "weight_noise", batch, steps, patience, evalEvery = "eval_every", preset
    }

    public init(data: String, cells: [Cell], budget: Int, learningRates: [Double], seeds: Int,
                minutes: Double, weightNoise: Double, batch: Int = 32, steps: Int = 100,
                patience: Int = 10, evalEvery: Int = 100, preset: String? = nil) {
        self.data = data
        self.cells = cells
        self.budget = budget
        self.learningRates = learningRates
        self.seeds = seeds
        self.minutes = minutes
        self.weightNoise = weightNoise
        self.batch = batch
        self.steps = steps
        self.patience = patience
        self.evalEvery = evalEvery
        self.preset = preset
    }

    /// `count` learning rates with log(lr) uniform in [-12, -6] (the paper's search range),
    /// sorted, from `seed`.
    public static func sampleLearningRates(count: Int, seed: UInt64) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        return (0 ..< count).map { _ in exp(-12 + 6 * rng.nextUniform()) }.sorted()
    }

    /// Units of `cell` at this plan's budget.
    public func units(for cell: Cell) -> Int {
        ModelConfig.units(for: cell, budget: budget)
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

    /// `rawspeech train` arguments for one run (the data folder and output folder first);
    /// `threads` is each run's share of the cores.
    public func trainArguments(_ run: PlannedRun, output: URL, threads: Int = 1) -> [String] {
        [data, "--output", output.appendingPathComponent(run.folder).path,
         "--cell", run.cell.rawValue, "--units", "\(run.units)",
         "--learning-rate", "\(run.learningRate)", "--seed", "\(run.seed)",
         "--minutes", "\(minutes)", "--weight-noise", "\(weightNoise)",
         "--batch", "\(batch)", "--steps", "\(steps)",
         "--patience", "\(patience)", "--eval-every", "\(evalEvery)", "--threads", "\(threads)"]
    }
}
