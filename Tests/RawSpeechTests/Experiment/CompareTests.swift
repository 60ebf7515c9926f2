// The comparison: its learning-rate draws follow the paper's range, its plan names every
// run, and `rawspeech compare` end to end writes results.json with the contract's fields,
// then resumes without redoing finished runs.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork
@testable import RawSpeechTraining
@testable import RawSpeechExperiment

@Suite struct CompareTests {
    @Test func learningRatesAreLogUniformInThePapersRange() {
        let rates = ComparisonPlan.sampleLearningRates(count: 2000, seed: 4)
        #expect(rates == ComparisonPlan.sampleLearningRates(count: 2000, seed: 4))
        #expect(rates != ComparisonPlan.sampleLearningRates(count: 2000, seed: 5))
        #expect(rates.allSatisfy { $0 >= exp(-12) && $0 <= exp(-6) })
        // Log-uniform: each third of [-12, -6] in log space holds about a third of the draws.
        let thirds = [-12.0, -10, -8, -6]
        for i in 0 ..< 3 {
            let share = Double(rates.filter { log($0) >= thirds[i] && log($0) < thirds[i + 1] }.count) / 2000
            #expect(abs(share - 1.0 / 3) < 0.05, "share \(share) in [\(thirds[i]), \(thirds[i + 1]))")
        }
    }

    @Test func planNamesEveryRunAtTheSharedBudget() {
        let plan = ComparisonPlan(data: "/d", cells: [.tanh, .gru, .lstm], budget: 169_000,
                                  learningRates: [1e-4, 1e-3], seeds: 3, minutes: 1, weightNoise: 0.075)
        #expect(plan.trialRuns.map(\.folder) == ["tanh/trial-1", "tanh/trial-2", "gru/trial-1",
                                                 "gru/trial-2", "lstm/trial-1", "lstm/trial-2"])
        #expect(plan.trialRuns.map(\.units) == [400, 400, 227, 227, 195, 195])
        let seeds = plan.seedRuns(bestRates: [.tanh: 1e-4, .gru: 1e-3, .lstm: 1e-3])
        #expect(seeds.map(\.folder) == ["tanh/seed-2", "tanh/seed-3", "gru/seed-2", "gru/seed-3",
                                        "lstm/seed-2", "lstm/seed-3"])
        #expect(seeds.first?.learningRate == 1e-4)
    }

    @Test func eachRunIsTypedSettingsThatResolveToThePlannedConfig() {
        let plan = ComparisonPlan(data: "/d", cells: [.tanh, .lstm], budget: 169_000, learningRates: [2e-4],
                                  seeds: 1, minutes: 2.5, weightNoise: 0, batch: 16, steps: 50,
                                  patience: 3, evalEvery: 25)
        let run = plan.trialRuns[1]
        let config = plan.settings(for: run).newConfig(frame: .paper)
        #expect(config.model.cell == .lstm && config.model.units == 195 && !config.linear)
        #expect(config.learningRate == 2e-4 && config.seed == 1 && config.minutes == 2.5 && config.weightNoise == 0)
        #expect(config.batch == 16 && config.steps == 50 && config.patience == 3 && config.evalEvery == 25)
        // What the plan does not set is the trainer's default.
        #expect(config.clip == TrainingConfig.defaults.clip && config.updates == nil)
        #expect(config.checkpointEvery == TrainingConfig.defaults.checkpointEvery)
        #expect(plan.linearSettings.newConfig().linear)
        // A plan's own defaults are the trainer's.
        let plain = ComparisonPlan(data: "/d", cells: [.gru], budget: 1000, learningRates: [1e-3], seeds: 1,
                                   minutes: 1, weightNoise: 0)
        #expect(plain.batch == TrainingConfig.defaults.batch && plain.steps == TrainingConfig.defaults.steps)
        #expect(plain.patience == TrainingConfig.defaults.patience && plain.evalEvery == TrainingConfig.defaults.evalEvery)
    }

    @Test func choicesNotMadeTakeTheDefaultsOrThePresets() {
        let plain = ComparisonPlan.choosing(data: "/d", cells: [.gru], trials: 4, rateSeed: 9)
        #expect(plain.learningRates == ComparisonPlan.sampleLearningRates(count: 4, seed: 9))
        #expect(plain.budget == 169_000 && plain.minutes == ComparisonPlan.defaultMinutes)
        #expect(plain.weightNoise == TrainingConfig.defaults.weightNoise && plain.preset == nil)
        let quick = ComparisonPlan.choosing(data: "/d", cells: [.gru], quick: true, batch: 8)
        #expect(quick.learningRates == ComparisonPlan.quickLearningRates && quick.weightNoise == ComparisonPlan.quickWeightNoise)
        #expect(quick.minutes == ComparisonPlan.quickMinutes && quick.preset == "quick" && quick.batch == 8)
        // What is given wins over the preset.
        let given = ComparisonPlan.choosing(data: "/d", cells: [.gru], learningRates: [3e-4], quick: true,
                                            minutes: 1, weightNoise: 0.05)
        #expect(given.learningRates == [3e-4] && given.minutes == 1 && given.weightNoise == 0.05)
    }

    static func outcome(_ nll: Double) -> RunOutcome {
        RunOutcome(reason: .minutes, updates: 10, seconds: 1, bestValidNLL: nll, bestUpdate: 10, rollbacks: 0,
                   trainStepsPerSecond: 1)
    }

    @Test func bestTrialIsTheLowestFiniteValidationNLLPerCell() throws {
        let plan = ComparisonPlan(data: "/d", cells: [.tanh, .gru], budget: 169_000,
                                  learningRates: [1e-4, 1e-3, 1e-2], seeds: 2, minutes: 1, weightNoise: 0)
        let runs = plan.trialRuns
        // tanh: the middle rate wins; gru: the best is NaN (diverged) and must not win, and
        // of two equal results the earlier trial does.
        let nlls: [Double] = [-1.0, -3.0, -2.0, .nan, -0.5, -0.5]
        let best = try plan.bestTrials(Array(zip(runs, nlls.map(Self.outcome))).map { (run: $0.0, outcome: $0.1) })
        #expect(best[.tanh]?.folder == "tanh/trial-2" && best[.tanh]?.learningRate == 1e-3)
        #expect(best[.gru]?.folder == "gru/trial-2")
        #expect(plan.seedRuns(bestRates: best.mapValues(\.learningRate)).map(\.learningRate) == [1e-3, 1e-3])

        let diverged = zip(runs, [-1.0, -2.0, -3.0, .nan, .infinity, .nan].map(Self.outcome)).map { (run: $0.0, outcome: $0.1) }
        #expect(throws: ComparisonError.noFiniteTrial(cell: .gru)) { try plan.bestTrials(diverged) }
    }

    @Test func compareEndToEndAndResume() throws {
        let scratch = ScratchFolder()
        let data = try TrainCommandTests.makeData(scratch, name: "data")
        let out = scratch.file("cmp").path
        let arguments = ["compare", data, "--cells", "tanh,gru", "--params", "3k", "--learning-rates", "1e-3,3e-3",
                         "--seeds", "2", "--minutes", "0.01", "--batch", "4", "--steps", "10",
                         "--eval-every", "10", "--jobs", "2", "--output", out]
        let first = try TrainCommandTests.command(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))) as! [String: Any]
        let cells = json["cells"] as! [[String: Any]]
        #expect(cells.map { $0["cell"] as! String } == ["tanh", "gru", "linear"])
        for key in ["cell", "units", "recurrent_params", "learning_rate", "train_nll", "valid_nll", "test_nll",
                    "test_bits_per_sample", "train_steps_per_second", "seeds"] {
            #expect(cells[0][key] != nil, "results.json lacks \(key)")
        }
        #expect(cells[0]["seeds"] as? Int == 2)
        #expect(FileManager.default.fileExists(atPath: out + "/results.md"))
        #expect(FileManager.default.fileExists(atPath: out + "/report/index.html"))

        // Same command again: every run is finished, none is started.
        let second = try TrainCommandTests.command(arguments)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(!second.stderr.contains("started"), "\(second.stderr)")
        // Another plan in the same folder is refused.
        let other = try TrainCommandTests.command(arguments.map { $0 == "3k" ? "4k" : $0 })
        #expect(other.status != 0 && other.stderr.contains("another plan"))
    }

    @Test func updatesBudgetGivesEveryRunTheSameUpdatesAndNoEarlyStopping() {
        let plan = ComparisonPlan.choosing(data: "/d", cells: [.gru, .lstm], learningRates: [1e-3], updates: 2000)
        #expect(plan.updates == 2000 && plan.minutes == nil && plan.patience == 0)
        #expect(plan.basis == .updates(2000) && plan.basis.caption(threads: 1) == "equal updates: 2000 each")
        // With early stopping the updates are a cap, and the caption must not claim equal updates.
        #expect(plan.basis.caption(threads: 1, patience: 20) == "at most 2000 updates each, early stopping on valid (patience 20 evaluations)")
        #expect(!plan.basis.waves)
        for run in plan.trialRuns {
            let config = plan.settings(for: run).newConfig()
            #expect(config.updates == 2000 && config.minutes == nil && config.patience == 0)
        }
        // Early stopping only when asked for; the time basis stays the default, in waves.
        #expect(ComparisonPlan.choosing(data: "/d", cells: [.gru], updates: 100, patience: 4).patience == 4)
        let timed = ComparisonPlan.choosing(data: "/d", cells: [.gru], minutes: 3)
        #expect(timed.basis == .minutes(3) && timed.basis.waves && timed.updates == nil)
        #expect(timed.basis.caption(threads: 1) == "equal wall time: 3 min each, 1 thread each, run in waves")
    }

    static func curve(_ points: [(update: Int, seconds: Double, valid: Double)]) -> [MetricsLine] {
        points.map { MetricsLine(update: $0.update, seconds: $0.seconds, trainNLL: 0, validNLL: $0.valid,
                                 validNLLWaveform: 0, learningRate: 1e-3) }
    }

    @Test func learningCurvesAreReadAtTheBudgetEveryRunReached() {
        // LSTM ran alone and got 3000 updates in the time GRU got 2000: at 2000 updates GRU leads.
        let gru = Self.curve([(0, 0, 5), (1000, 90, 3), (2000, 180, 2.0)])
        let lstm = Self.curve([(0, 0, 5), (1000, 60, 3.5), (2000, 120, 2.5), (3000, 180, 1.5)])
        #expect(LearningCurve.commonReach([gru, lstm])! == (2000, 180))
        #expect(LearningCurve.bestValidNLL(lstm, byUpdate: 2000) == 2.5)
        #expect(LearningCurve.bestValidNLL(gru, byUpdate: 2000) == 2.0)
        #expect(LearningCurve.bestValidNLL(lstm, bySeconds: 100) == 3.5)
        #expect(LearningCurve.bestValidNLL(Self.curve([(0, 0, .nan)]), byUpdate: 10) == nil)

        func run(_ folder: String, _ cell: String) -> RunMeasurement {
            RunMeasurement(folder: folder, cell: cell, learningRate: 1e-3, seed: 1, trainNLL: 1, validNLL: 1, testNLL: 1)
        }
        let plan = ComparisonPlan(data: "/d", cells: [.gru, .lstm], budget: 1000, learningRates: [1e-3], seeds: 1,
                                  minutes: 3, weightNoise: 0)
        var results = ComparisonResults(
            cells: [CellSummary(cell: "gru", units: 10, recurrentParams: 1, runs: [run("gru/trial-1", "gru")]),
                    CellSummary(cell: "lstm", units: 9, recurrentParams: 1, runs: [run("lstm/trial-1", "lstm")]),
                    CellSummary(cell: "linear", units: 0, recurrentParams: 0, runs: [run("linear", "linear")])],
            plan: plan, waveformOffset: -1, trials: [], threads: 1)
        results.readCurves(["gru/trial-1": gru, "lstm/trial-1": lstm])
        #expect(results.equalUpdates == 2000 && results.equalSeconds == 180)
        #expect(results.cells.map(\.validNLLAtEqualUpdates) == [2.0, 2.5, nil])
        #expect(results.cells.map(\.validNLLAtEqualSeconds) == [2.0, 1.5, nil])
        let markdown = results.markdown()
        #expect(markdown.contains("Compared on **equal wall time: 3 min each, 1 thread each, run in waves**"))
        #expect(results.computeWarning == nil, "no CPU seconds recorded: nothing to compare")

        // The lone LSTM of the last wave got twice the CPU: the table says so.
        var gruRun = run("gru/trial-1", "gru"), lstmRun = run("lstm/trial-1", "lstm")
        gruRun.cpuSeconds = 6
        lstmRun.cpuSeconds = 13
        let unequal = ComparisonResults(
            cells: [CellSummary(cell: "gru", units: 10, recurrentParams: 1, runs: [gruRun]),
                    CellSummary(cell: "lstm", units: 9, recurrentParams: 1, runs: [lstmRun])],
            plan: plan, waveformOffset: -1, trials: [], threads: 1)
        #expect(unequal.computeWarning?.contains("CPU seconds differ (6 to 13 s)") == true, "\(unequal.computeWarning ?? "nil")")
        #expect(unequal.markdown().contains("**Warning:** the runs' CPU seconds differ"))
        lstmRun.cpuSeconds = 6.5
        #expect(ComparisonResults(cells: [CellSummary(cell: "gru", units: 10, recurrentParams: 1, runs: [gruRun]),
                                          CellSummary(cell: "lstm", units: 9, recurrentParams: 1, runs: [lstmRun])],
                                  plan: plan, waveformOffset: -1, trials: []).computeWarning == nil, "within 20 %")
        #expect(markdown.contains("valid NLL at 2000 updates (nats/frame, normalized)"))
    }

    /// Every column of each table names its units, and one table keeps to one unit system.
    @Test func tablesStateTheirUnitsAndDoNotMixThem() {
        let plan = ComparisonPlan(data: "/d", cells: [.gru], budget: 1000, learningRates: [1e-3], seeds: 1,
                                  minutes: nil, updates: 50, weightNoise: 0)
        var measured = RunMeasurement(folder: "gru/trial-1", cell: "gru", learningRate: 1e-3, seed: 1,
                                      trainNLL: 1, validNLL: 2, testNLL: 3)
        measured.testBitsPerSample = 4.5
        let results = ComparisonResults(cells: [CellSummary(cell: "gru", units: 10, recurrentParams: 1, runs: [measured])],
                                        plan: plan, waveformOffset: -10, trials: [])
        let tables = results.markdown().components(separatedBy: "\n").filter { $0.hasPrefix("| cell |") }
        #expect(tables.count == 2)
        let likelihood = tables[0], waveform = tables[1]
        #expect(likelihood.contains("train NLL (nats/frame, normalized)") && !likelihood.contains("bits") && !likelihood.contains("waveform"))
        #expect(waveform.contains("test NLL (nats/frame, waveform)") && waveform.contains("test bits/sample (waveform)")
                && !waveform.contains("normalized"))
        #expect(results.markdown().contains("| gru | -7.00 | 4.500 |"), "test NLL in waveform units: 3 + (-10)")
        // This plan stops early (patience 10), so its 50 updates are a cap, not equal compute.
        #expect(results.markdown().contains("Compared on **at most 50 updates each, early stopping on valid (patience 10 evaluations)**"))
    }

    @Test func compareWithAnUpdatesBudgetRecordsEachRunsCompute() throws {
        let scratch = ScratchFolder()
        let data = try TrainCommandTests.makeData(scratch, name: "data")
        let out = scratch.file("cmp").path
        let done = try TrainCommandTests.command(["compare", data, "--cells", "tanh,gru", "--params", "3k", "--learning-rates", "1e-3",
                                                  "--updates", "30", "--batch", "4", "--steps", "10", "--eval-every", "10",
                                                  "--jobs", "2", "--output", out])
        #expect(done.status == 0, "\(done.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))) as! [String: Any]
        #expect(json["basis"] as? String == "updates" && json["basis_caption"] as? String == "equal updates: 30 each")
        #expect(json["equal_updates"] as? Int == 30)
        let cells = json["cells"] as! [[String: Any]]
        for cell in cells where cell["cell"] as? String != "linear" {
            let run = (cell["runs"] as! [[String: Any]])[0]
            #expect(run["updates"] as? Int == 30, "\(run)")
            #expect((run["cpu_seconds"] as? Double ?? 0) > 0 && (run["wall_seconds"] as? Double ?? 0) > 0, "\(run)")
            #expect(run["valid_nll_at_equal_updates"] as? Double != nil)
        }
        #expect(done.stdout.contains("equal updates: 30 each"), "the terminal's table says its basis")
        let markdown = try String(contentsOfFile: out + "/results.md", encoding: .utf8)
        #expect(markdown.contains("equal updates: 30 each"))
        #expect(markdown.contains("CPU s"))
    }

    /// On the time basis the linear baseline trains first on its own, and a run starts only
    /// when the whole previous wave has finished: none trains alone after sharing.
    @Test func timedComparisonRunsInWaves() throws {
        let scratch = ScratchFolder()
        let data = try TrainCommandTests.makeData(scratch, name: "data")
        let out = scratch.file("cmp").path
        let done = try TrainCommandTests.command(["compare", data, "--cells", "tanh,gru,lstm", "--params", "3k",
                                                  "--learning-rates", "1e-3", "--minutes", "0.02", "--batch", "4",
                                                  "--steps", "10", "--eval-every", "10", "--jobs", "2", "--output", out])
        #expect(done.status == 0, "\(done.stderr)")
        let events = done.stderr.split(separator: "\n").filter { $0.contains("] started") || $0.contains("] finished") }
        func index(_ verb: String, _ label: String) -> Int? { events.firstIndex { $0.contains("] \(verb) \(label)") } }
        let linearDone = try #require(index("finished", "linear"))
        for cell in ["tanh", "gru", "lstm"] { #expect(try #require(index("started", cell)) > linearDone, "\(events)") }
        #expect(try #require(index("started", "lstm")) > max(try #require(index("finished", "tanh")), try #require(index("finished", "gru"))),
                "\(events)")
    }
}
