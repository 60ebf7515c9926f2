// The comparison's table: every finished run measured on the data folder's three splits
// (NLL per frame, normalized units, clean weights) and the test split's evaluator scores,
// then summarized per cell as mean and spread over seeds. Written as results.json (field
// names are a contract) and results.md (the paper's Table 2 for this data).
import RawSpeechCore
import Foundation

/// Figures of one finished run.
public struct RunMeasurement: Codable, Sendable {
    public var folder: String
    public var cell: String
    public var learningRate: Double
    public var seed: UInt64
    public var trainNLL: Double
    public var validNLL: Double
    public var testNLL: Double
    public var testBitsPerSample: Double?
    public var testLSD: Double?
    public var testSNR: Double?
    public var trainStepsPerSecond: Double?
    public var updates: Int?
    public var seconds: Double?

    package enum CodingKeys: String, CodingKey {
        case folder, cell, learningRate = "learning_rate", seed
        case trainNLL = "train_nll", validNLL = "valid_nll", testNLL = "test_nll"
        case testBitsPerSample = "test_bits_per_sample", testLSD = "test_lsd_db", testSNR = "test_snr_db"
        case trainStepsPerSecond = "train_steps_per_second", updates, seconds
    }

    public init(folder: String, cell: String, learningRate: Double, seed: UInt64,
                trainNLL: Double, validNLL: Double, testNLL: Double) {
        self.folder = folder
        self.cell = cell
        self.learningRate = learningRate
        self.seed = seed
        self.trainNLL = trainNLL
        self.validNLL = validNLL
        self.testNLL = testNLL
    }
}

/// One row of results.json: a cell at its chosen learning rate, over its seeds.
public struct CellSummary: Codable, Sendable {
    public var cell: String
    public var units: Int
    public var recurrentParams: Int
    public var learningRate: Double
    public var trainNLL: Double
    public var validNLL: Double
    public var testNLL: Double
    public var testBitsPerSample: Double?
    public var testLSD: Double?
    public var testSNR: Double?
    public var trainStepsPerSecond: Double?
    /// Number of seeds summarized (NLL figures are their mean).
    public var seeds: Int
    /// Sample standard deviations over seeds (0 with one seed).
    public var trainNLLStd: Double
    public var validNLLStd: Double
    public var testNLLStd: Double
    public var runs: [RunMeasurement]

    package enum CodingKeys: String, CodingKey {
        case cell, units, recurrentParams = "recurrent_params", learningRate = "learning_rate"
        case trainNLL = "train_nll", validNLL = "valid_nll", testNLL = "test_nll"
        case testBitsPerSample = "test_bits_per_sample", testLSD = "test_lsd_db", testSNR = "test_snr_db"
        case trainStepsPerSecond = "train_steps_per_second", seeds
        case trainNLLStd = "train_nll_std", validNLLStd = "valid_nll_std", testNLLStd = "test_nll_std", runs
    }

    /// Mean and spread of `runs` (the same cell and learning rate, different seeds).
    public init(cell: String, units: Int, recurrentParams: Int, runs: [RunMeasurement]) {
        precondition(!runs.isEmpty)
        self.cell = cell
        self.units = units
        self.recurrentParams = recurrentParams
        learningRate = runs[0].learningRate
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        func meanOptional(_ values: [Double?]) -> Double? {
            let present = values.compactMap { $0 }
            return present.count == values.count ? mean(present) : nil
        }
        func spread(_ values: [Double]) -> Double {
            guard values.count > 1 else { return 0 }
            let m = mean(values)
            return (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
        }
        trainNLL = mean(runs.map(\.trainNLL))
        validNLL = mean(runs.map(\.validNLL))
        testNLL = mean(runs.map(\.testNLL))
        trainNLLStd = spread(runs.map(\.trainNLL))
        validNLLStd = spread(runs.map(\.validNLL))
        testNLLStd = spread(runs.map(\.testNLL))
        testBitsPerSample = meanOptional(runs.map(\.testBitsPerSample))
        testLSD = meanOptional(runs.map(\.testLSD))
        testSNR = meanOptional(runs.map(\.testSNR))
        trainStepsPerSecond = meanOptional(runs.map(\.trainStepsPerSecond))
        seeds = runs.count
        self.runs = runs
    }
}

/// results.json.
public struct ComparisonResults: Codable, Sendable {
    public var cells: [CellSummary]
    public var plan: ComparisonPlan
    /// Add to a normalized NLL per frame to get it in the waveform's own units.
    public var waveformOffset: Double
    /// Every learning-rate trial: the search the chosen rates came from.
    public var trials: [RunMeasurement]

    package enum CodingKeys: String, CodingKey {
        case cells, plan, waveformOffset = "waveform_nll_offset", trials
    }

    public init(cells: [CellSummary], plan: ComparisonPlan, waveformOffset: Double, trials: [RunMeasurement]) {
        self.cells = cells
        self.plan = plan
        self.waveformOffset = waveformOffset
        self.trials = trials
    }

    public func write(to folder: URL) throws {
        try RunFolder.writeJSON(self, to: folder.appendingPathComponent("results.json"))
        try AtomicFile.write(Data(markdown().utf8), to: folder.appendingPathComponent("results.md"))
    }

    /// The table as Markdown, with the paper's figures for reference.
    public func markdown() -> String {
        func f(_ value: Double?, _ digits: Int = 2) -> String {
            guard let value else { return "-" }
            if value.isInfinite { return value > 0 ? "inf" : "-inf" }
            return String(format: "%.\(digits)f", value)
        }
        func pm(_ value: Double, _ spread: Double, _ seeds: Int) -> String {
            seeds > 1 ? "\(f(value)) ± \(f(spread))" : f(value)
        }
        var lines = ["# rawspeech compare: results", ""]
        lines.append("Data: `\(plan.data)`; budget \(plan.budget) recurrent parameters; "
            + "\(plan.learningRates.count) learning rate(s) per cell (\(plan.learningRates.map { String(format: "%.2e", $0) }.joined(separator: ", "))), "
            + "\(plan.minutes) min per run, weight noise \(plan.weightNoise), B = \(plan.batch), T = \(plan.steps), "
            + "\(plan.seeds) seed(s)" + (plan.preset.map { " — preset \"\($0)\"" } ?? "") + ".")
        lines.append("")
        lines.append("NLL: nats per frame of 10 samples, normalized units (lower is better); "
            + "add \(f(waveformOffset)) for the waveform's own units. Mean ± sample std over seeds.")
        lines.append("")
        lines.append("| cell | units | recurrent params | learning rate | train NLL | valid NLL | test NLL | test bits/sample | test LSD dB | test SNR dB | train steps/s |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for c in cells {
            lines.append("| \(c.cell) | \(c.units) | \(c.recurrentParams) | \(c.cell == "linear" ? "closed form" : String(format: "%.2e", c.learningRate)) "
                + "| \(pm(c.trainNLL, c.trainNLLStd, c.seeds)) | \(pm(c.validNLL, c.validNLLStd, c.seeds)) | \(pm(c.testNLL, c.testNLLStd, c.seeds)) "
                + "| \(f(c.testBitsPerSample, 3)) | \(f(c.testLSD)) | \(f(c.testSNR)) | \(c.trainStepsPerSecond.map { String(format: "%.0f", $0) } ?? "-") |")
        }
        lines.append("")
        lines.append("The paper's Table 2 (speech, its own normalization; not comparable in absolute terms):")
        lines.append("")
        lines.append("| dataset | tanh train / test | GRU train / test | LSTM train / test |")
        lines.append("|---|---|---|---|")
        lines.append("| Ubisoft A | 6.29 / 6.44 | 2.31 / 3.59 | 1.44 / 2.70 |")
        lines.append("| Ubisoft B | 7.61 / 7.62 | 0.38 / 0.88 | 0.80 / 1.26 |")
        if !trials.isEmpty {
            lines.append("")
            lines.append("Learning-rate search (seed 1; the run with the lowest valid NLL per cell was kept):")
            lines.append("")
            lines.append("| run | learning rate | valid NLL | updates |")
            lines.append("|---|---|---|---|")
            for t in trials {
                lines.append("| \(t.folder) | \(String(format: "%.2e", t.learningRate)) | \(f(t.validNLL)) | \(t.updates.map(String.init) ?? "-") |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
