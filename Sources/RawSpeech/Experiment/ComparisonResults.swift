// The comparison's table: every finished run measured on the data folder's three splits
// (NLL per frame, normalized units, clean weights) and the test split's evaluator scores,
// then summarized per cell as mean and spread over seeds. Written as results.json (field
// names are a contract) and results.md (the paper's Table 2 for this data). Every run's
// compute (updates, CPU and wall seconds) is recorded, the table says on what basis the
// cells were compared, and each run's learning curve is also read at the updates and seconds
// every run reached, the paper's per-update and per-second views. Each table keeps to one
// unit system, and every column names its units.
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
    /// Training seconds as the trainer counted them (outcome.json).
    public var seconds: Double?
    /// CPU and wall-clock seconds of the training processes, and their threads (compute.json).
    public var cpuSeconds: Double?
    public var wallSeconds: Double?
    public var threads: Int?
    /// Best valid NLL (normalized nats per frame) by the updates / seconds every kept run
    /// reached (ComparisonResults' `equal_updates`, `equal_seconds`).
    public var validNLLAtEqualUpdates: Double?
    public var validNLLAtEqualSeconds: Double?

    package enum CodingKeys: String, CodingKey {
        case folder, cell, learningRate = "learning_rate", seed
        case trainNLL = "train_nll", validNLL = "valid_nll", testNLL = "test_nll"
        case testBitsPerSample = "test_bits_per_sample", testLSD = "test_lsd_db", testSNR = "test_snr_db"
        case trainStepsPerSecond = "train_steps_per_second", updates, seconds
        case cpuSeconds = "cpu_seconds", wallSeconds = "wall_seconds", threads
        case validNLLAtEqualUpdates = "valid_nll_at_equal_updates", validNLLAtEqualSeconds = "valid_nll_at_equal_seconds"
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
    /// Means over seeds of each run's updates, CPU seconds and wall seconds.
    public var updates: Double?
    public var cpuSeconds: Double?
    public var wallSeconds: Double?
    public var validNLLAtEqualUpdates: Double?
    public var validNLLAtEqualSeconds: Double?
    /// Number of seeds summarized (NLL figures are their mean).
    public var seeds: Int
    /// Sample standard deviations over seeds (0 with one seed).
    public var trainNLLStd: Double
    public var validNLLStd: Double
    public var testNLLStd: Double
    public var runs: [RunMeasurement]
    /// Music: the recurrent parameters as `--params` counts them (with
    /// ModelConfig.musicBudgetInputs inputs; `recurrent_params` is the real count with 88).
    public var budgetParams: Int?

    package enum CodingKeys: String, CodingKey {
        case cell, units, recurrentParams = "recurrent_params", learningRate = "learning_rate"
        case trainNLL = "train_nll", validNLL = "valid_nll", testNLL = "test_nll"
        case testBitsPerSample = "test_bits_per_sample", testLSD = "test_lsd_db", testSNR = "test_snr_db"
        case trainStepsPerSecond = "train_steps_per_second", seeds
        case updates, cpuSeconds = "cpu_seconds", wallSeconds = "wall_seconds"
        case validNLLAtEqualUpdates = "valid_nll_at_equal_updates", validNLLAtEqualSeconds = "valid_nll_at_equal_seconds"
        case trainNLLStd = "train_nll_std", validNLLStd = "valid_nll_std", testNLLStd = "test_nll_std", runs
        case budgetParams = "budget_params"
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
        updates = meanOptional(runs.map { $0.updates.map(Double.init) })
        cpuSeconds = meanOptional(runs.map(\.cpuSeconds))
        wallSeconds = meanOptional(runs.map(\.wallSeconds))
        validNLLAtEqualUpdates = meanOptional(runs.map(\.validNLLAtEqualUpdates))
        validNLLAtEqualSeconds = meanOptional(runs.map(\.validNLLAtEqualSeconds))
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
    /// What every run got the same amount of: "updates" or "minutes", and the caption the
    /// tables carry ("equal updates: 2000 each").
    public var basis: String
    public var basisCaption: String
    /// The updates and training seconds every kept recurrent run's curve reached: the
    /// budgets of the `valid_nll_at_equal_*` figures (nil without curves).
    public var equalUpdates: Int?
    public var equalSeconds: Double?
    /// Samples predicted per frame: what "per frame" means in the NLL columns.
    public var samplesPerFrame: Int
    /// Set when the kept recurrent runs' CPU seconds differ by more than `computeTolerance`
    /// (on the time basis a run that trained alone, or beside less load, got more): says so
    /// and which columns still compare like with like.
    public var computeWarning: String?
    /// 20 %: more than timing noise between runs of one comparison.
    public static let computeTolerance = 0.2

    package enum CodingKeys: String, CodingKey {
        case cells, plan, waveformOffset = "waveform_nll_offset", trials
        case basis, basisCaption = "basis_caption", equalUpdates = "equal_updates", equalSeconds = "equal_seconds"
        case samplesPerFrame = "samples_per_frame", computeWarning = "compute_warning"
    }

    /// `threads`: each run's threads on the time basis, for the caption.
    public init(cells: [CellSummary], plan: ComparisonPlan, waveformOffset: Double, trials: [RunMeasurement],
                threads: Int? = nil, samplesPerFrame: Int = FrameSpec.paper.target) {
        self.samplesPerFrame = samplesPerFrame
        self.cells = cells
        self.plan = plan
        self.waveformOffset = waveformOffset
        self.trials = trials
        basis = plan.basis.name
        basisCaption = plan.basis.caption(threads: threads, patience: plan.patience)
        let cpu = cells.filter { $0.cell != "linear" }.flatMap(\.runs).compactMap(\.cpuSeconds)
        if let low = cpu.min(), let high = cpu.max(), low > 0, high > low * (1 + Self.computeTolerance) {
            computeWarning = String(format: "the runs' CPU seconds differ (%.0f to %.0f s): ", low, high)
                + (plan.isMusic ? "music runs stop early, each at its own update; compare the \"at equal updates\" and \"at equal seconds\" figures for equal compute"
                   : plan.basis.waves ? "on the time basis the runs got unequal compute; compare the \"at equal updates\" column, or rerun with --updates"
                                    : "the updates were equal, the time they took was not")
        }
    }

    /// Fills every recurrent run's `valid_nll_at_equal_*` from its learning curve
    /// (`curves[run folder]`), at the updates and seconds all of them reached, and the cells'
    /// means; the linear baseline has no curve.
    public mutating func readCurves(_ curves: [String: [MetricsLine]]) {
        let recurrent = cells.filter { $0.cell != "linear" }
        guard let reach = LearningCurve.commonReach(recurrent.flatMap(\.runs).map { curves[$0.folder] ?? [] }) else { return }
        equalUpdates = reach.updates
        equalSeconds = reach.seconds
        for index in cells.indices where cells[index].cell != "linear" {
            var runs = cells[index].runs
            for r in runs.indices {
                let curve = curves[runs[r].folder] ?? []
                runs[r].validNLLAtEqualUpdates = LearningCurve.bestValidNLL(curve, byUpdate: reach.updates)
                runs[r].validNLLAtEqualSeconds = LearningCurve.bestValidNLL(curve, bySeconds: reach.seconds)
            }
            var summary = CellSummary(cell: cells[index].cell, units: cells[index].units,
                                      recurrentParams: cells[index].recurrentParams, runs: runs)
            summary.budgetParams = cells[index].budgetParams
            cells[index] = summary
        }
    }

    public func write(to folder: URL) throws {
        try RunFolder.writeJSON(self, to: folder.appendingPathComponent("results.json"))
        try AtomicFile.write(Data(markdown().utf8), to: folder.appendingPathComponent("results.md"))
    }

    /// The table as Markdown, with the paper's figures for reference.
    public func markdown() -> String {
        if plan.isMusic { return musicMarkdown() }  // MusicResultsTable.swift
        func f(_ value: Double?, _ digits: Int = 2) -> String {
            guard let value else { return "-" }
            if value.isInfinite { return value > 0 ? "inf" : "-inf" }
            return String(format: "%.\(digits)f", value)
        }
        func pm(_ value: Double, _ spread: Double, _ seeds: Int) -> String {
            seeds > 1 ? "\(f(value)) ± \(f(spread))" : f(value)
        }
        func seconds(_ value: Double?) -> String { value.map { String(format: "%.0f", $0) } ?? "-" }
        var lines = ["# rawspeech compare: results", ""]
        lines.append("Compared on **\(basisCaption)**.")
        lines.append("")
        if let computeWarning {
            lines.append("**Warning:** \(computeWarning).")
            lines.append("")
        }
        let budget = plan.updates.map { "\($0) updates per run" } ?? plan.minutes.map { "\(String(format: "%g", $0)) min per run" } ?? ""
        lines.append("Data: `\(plan.data)`; budget \(plan.budget) recurrent parameters; "
            + "\(plan.learningRates.count) learning rate(s) per cell (\(plan.learningRates.map { String(format: "%.2e", $0) }.joined(separator: ", "))), "
            + "\(budget), weight noise \(plan.weightNoise), B = \(plan.batch), T = \(plan.steps), patience \(plan.patience), "
            + "\(plan.seeds) seed(s)" + (plan.preset.map { " — preset \"\($0)\"" } ?? "") + ".")
        lines.append("")
        lines.append("Likelihood in normalized units: NLL in nats per frame of \(samplesPerFrame) samples, on samples "
            + "normalized by the training split's mean and std (lower is better); mean ± sample std over seeds. "
            + "The last two columns read each run's learning curve (metrics.jsonl) at the budget every run reached: "
            + "the best valid NLL by \(equalUpdates.map { "\($0) updates" } ?? "-") and by \(equalSeconds.map { String(format: "%.0f s", $0) } ?? "-") of training.")
        lines.append("")
        lines.append("| cell | units | recurrent params | learning rate | updates | CPU s | wall s "
            + "| train NLL (nats/frame, normalized) | valid NLL (nats/frame, normalized) | test NLL (nats/frame, normalized) "
            + "| valid NLL at \(equalUpdates.map { "\($0) updates" } ?? "equal updates") (nats/frame, normalized) "
            + "| valid NLL at \(equalSeconds.map { String(format: "%.0f s", $0) } ?? "equal seconds") (nats/frame, normalized) |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for c in cells {
            lines.append("| \(c.cell) | \(c.cell == "linear" ? "-" : "\(c.units)") | \(c.recurrentParams) "
                + "| \(c.cell == "linear" ? "closed form" : String(format: "%.2e", c.learningRate)) "
                + "| \(c.cell == "linear" ? "-" : seconds(c.updates)) | \(seconds(c.cpuSeconds)) | \(seconds(c.wallSeconds)) "
                + "| \(pm(c.trainNLL, c.trainNLLStd, c.seeds)) | \(pm(c.validNLL, c.validNLLStd, c.seeds)) | \(pm(c.testNLL, c.testNLLStd, c.seeds)) "
                + "| \(f(c.validNLLAtEqualUpdates)) | \(f(c.validNLLAtEqualSeconds)) |")
        }
        lines.append("")
        lines.append("The test split in the waveform's own units (samples in [-1, 1]; NLL = normalized NLL + \(f(waveformOffset))):")
        lines.append("")
        lines.append("| cell | test NLL (nats/frame, waveform) | test bits/sample (waveform) | test LSD (dB) | test SNR (dB) | train speed (steps/s) |")
        lines.append("|---|---|---|---|---|---|")
        for c in cells {
            lines.append("| \(c.cell) | \(f(c.testNLL + waveformOffset)) | \(f(c.testBitsPerSample, 3)) | \(f(c.testLSD)) | \(f(c.testSNR)) "
                + "| \(c.trainStepsPerSecond.map { String(format: "%.0f", $0) } ?? "-") |")
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
            lines.append("| run | learning rate | best valid NLL (nats/frame, normalized) | updates | CPU s |")
            lines.append("|---|---|---|---|---|")
            for t in trials {
                lines.append("| \(t.folder) | \(String(format: "%.2e", t.learningRate)) | \(f(t.validNLL)) | \(t.updates.map(String.init) ?? "-") | \(seconds(t.cpuSeconds)) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
