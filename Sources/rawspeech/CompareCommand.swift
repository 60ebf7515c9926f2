// `rawspeech compare DATADIR --cells tanh,gru,lstm --output DIR`: the paper's experiment.
// Plans the runs (Experiment/ComparisonPlan), trains them as parallel child processes
// (RunScheduler), measures the kept ones (Experiment/RunMeasurer) and writes results.json,
// results.md and the report. Rerunning the same command resumes: finished runs are kept.
import ArgumentParser
import Foundation
import RawSpeechCore
import RawSpeechAudio
import RawSpeechCorpus
import RawSpeechDistributed
import RawSpeechNetwork
import RawSpeechTraining
import RawSpeechEvaluation
import RawSpeechExperiment

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare tanh, GRU and LSTM at an equal parameter budget (the paper's experiment).",
        discussion: """
        For each cell: a learning-rate search (--trials values with log(lr) uniform in [-12, -6], \
        the same for every cell), the best rate retrained with --seeds seeds, and the linear \
        baseline alongside. --quick is a short preset: learning rate \
        \(ComparisonPlan.quickLearningRates.map(\.formatted).joined(separator: ", ")), weight noise \
        \(ComparisonPlan.quickWeightNoise.formatted), \(ComparisonPlan.quickMinutes.formatted) minutes per run. \
        Every run gets the same compute: --updates N trains each for exactly N updates (early \
        stopping off unless --patience is given); --minutes gives each the same wall-clock time \
        and the same threads, runs starting in waves of --jobs so that none trains alone while \
        others shared the cores. results.json records each run's updates, CPU and wall seconds, \
        and the table reads every learning curve at the updates and seconds all runs reached. \
        Writes DIR/results.md, DIR/results.json and DIR/report/.
        """)

    @Argument(help: "A data folder made by `rawspeech preprocess`.")
    var dataFolder: String

    @Option(help: "Cells to compare, comma-separated.")
    var cells = "tanh,gru,lstm"

    @Option(help: .text("Recurrent-parameter budget shared by every cell (the paper's 169k; on a music folder "
                        + "\(ParameterBudget(value: TrainingConfig.musicDefaultBudget)): tanh 100, GRU 46, LSTM 36, see docs/TRAINING.md).",
                        default: ParameterBudget(value: TrainingConfig.defaultBudget)))
    var params: ParameterBudget?

    @Option(help: "Learning rates tried per cell, drawn log-uniformly (the paper's 10).")
    var trials = ComparisonPlan.defaultTrials

    @Option(name: .customLong("learning-rates"), help: "Explicit learning rates, comma-separated (instead of --trials draws).")
    var learningRates: String?

    @Option(help: "Seeds of the best learning rate, for the spread between runs.")
    var seeds = 1

    @Option(help: "Minutes of training per run (default \(ComparisonPlan.defaultMinutes.formatted); \(ComparisonPlan.quickMinutes.formatted) with --quick).")
    var minutes: Double?

    @Option(help: "Updates per run, the same for every run (instead of --minutes): equal compute whatever else runs on the machine.")
    var updates: Int?

    @Option(name: .customLong("weight-noise"),
            help: "Weight noise std (the paper's \(TrainingConfig.defaults.weightNoise.formatted); \(ComparisonPlan.quickWeightNoise.formatted) with --quick).")
    var weightNoise: Double?

    @OptionGroup var chunks: ChunkOptions
    @OptionGroup var evaluation: EvaluationOptions

    @Option(help: "Training runs at once (default: one per core).")
    var jobs = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Seed of the learning-rate draws.")
    var seed: UInt64 = 1

    @Flag(help: "Short preset for demos: lr \(ComparisonPlan.quickLearningRates.map(\.formatted).joined(separator: ", ")) only, weight noise \(ComparisonPlan.quickWeightNoise.formatted), \(ComparisonPlan.quickMinutes.formatted) minutes per run.")
    var quick = false

    @Option(name: .shortAndLong, help: "Folder for the runs, results and report.")
    var output: String

    func parsedCells() throws -> [Cell] {
        try cells.split(separator: ",").map { name in
            guard let cell = Cell(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--cells: '\(name)' is not one of tanh, gru, lstm")
            }
            return cell
        }
    }

    func parsedRates() throws -> [Double]? {
        try learningRates?.split(separator: ",").map {
            guard let rate = Double($0.trimmingCharacters(in: .whitespaces)), TrainingLimits.learningRate.contains(rate) else {
                throw ValidationError("--learning-rates: '\($0)' is not a number in (0, 1]")
            }
            return rate
        }
    }

    func validate() throws {
        if try parsedCells().isEmpty { throw ValidationError("--cells: give at least one cell") }
        _ = try parsedRates()
        // Runs are planned up front: --seeds 2147483648 planned (and allocated) 2^31 of them.
        try check("--trials", trials, in: 1 ... 1_000)
        try check("--seeds", seeds, in: 1 ... 1_000)
        try check("--minutes", minutes, in: FlagBounds.minutes, FlagBounds.minutesRule)
        try check("--updates", updates, in: 1 ... 100_000_000)
        if minutes != nil && updates != nil { throw ValidationError("--minutes and --updates: give one budget, not both") }
        try check("--weight-noise", weightNoise, in: FlagBounds.weightNoise, FlagBounds.weightNoiseRule)
        try check("--jobs", jobs, in: FlagBounds.threads)
        // Speech shapes only: a music comparison's runs are checked by their Trainer (music sizes, whole pieces).
        let music = (try? DataKind.of(folder: URL(fileURLWithPath: dataFolder))) == .pianoroll
        for cell in try parsedCells() where !music {
            var settings = TrainingSettings()
            settings.cell = cell
            settings.budget = params?.value
            settings.batch = chunks.batch
            settings.steps = chunks.steps
            settings.accumulate = chunks.accumulate
            try checkMemory(settings.newConfig())
        }
    }

    func plan() throws -> ComparisonPlan {
        ComparisonPlan.choosing(
            data: URL(fileURLWithPath: dataFolder).standardizedFileURL.path, cells: try parsedCells(),
            budget: params?.value, learningRates: try parsedRates(), trials: trials, rateSeed: seed, seeds: seeds,
            quick: quick, minutes: minutes, updates: updates, weightNoise: weightNoise, batch: chunks.batch, steps: chunks.steps,
            accumulate: chunks.accumulate, patience: evaluation.patience, evalEvery: evaluation.evalEvery)
    }

    func run() throws {
        noteSlowerKernels()
        do {
            try compare()
        } catch let error as ExitCode {
            throw error
        } catch {
            printError("rawspeech compare: \(error)")
            throw ExitCode.failure
        }
    }

    func compare() throws {
        if (try? DataKind.of(folder: URL(fileURLWithPath: dataFolder))) == .pianoroll { return try compareMusic() }  // CompareMusic.swift
        // Under mpirun: each rank runs its share of every phase's runs (run i on rank i % N),
        // all ranks wait for the phase to end, and rank 0 alone measures and writes the results.
        let job = try MPIWorld.job()
        let plan = try plan()
        let folder = try DataFolder(url: URL(fileURLWithPath: plan.data))
        let out = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        // One comparison per folder at a time (each run below also locks its own run folder);
        // under mpirun rank 0 holds it for the job.
        let lock = (job?.rank ?? 0) == 0 ? try FolderLock(folder: out, purpose: "compare") : nil
        defer { lock?.release() }
        let planURL = out.appendingPathComponent("plan.json")
        if let saved = try? JSONDecoder().decode(ComparisonPlan.self, from: Data(contentsOf: planURL)), saved != plan {
            throw ValidationError("\(output) holds a comparison with another plan (\(planURL.path)): choose another --output, or repeat its flags")
        }
        if (job?.rank ?? 0) == 0 { try RunFolder.writeJSON(plan, to: planURL) }

        let interrupt = InterruptFlag()
        interrupt.install()
        let scheduler = RunScheduler(jobs: jobs, waves: plan.basis.waves, interrupt: interrupt)
        let units = plan.cells.map { "\($0.rawValue)-\(plan.units(for: $0))" }.joined(separator: ", ")
        printError("comparing \(units) on \(plan.data): \(plan.learningRates.count) learning rate(s), "
            + "\(plan.seeds) seed(s), \(plan.basis.caption(threads: threads, patience: plan.patience)), \(jobs) at a time")

        // Phase 1: the linear baseline (closed form, on no budget: before the timed runs, so
        // it shares no wave with them) and the learning-rate search.
        let linear = out.appendingPathComponent("linear")
        if !FileManager.default.fileExists(atPath: linear.appendingPathComponent("model.ckpt").path) {
            try runAll([.init(label: "linear",
                              arguments: try RunScheduler.trainArguments(plan.data, output: linear, settings: plan.linearSettings),
                              log: linear.appendingPathComponent("train.log"))], scheduler: scheduler, job: job)
        }
        try runAll(try jobsFor(plan.trialRuns, plan: plan, out: out), scheduler: scheduler, job: job)
        if interrupt.isRequested { throw stopped() }

        // Phase 2: more seeds at each cell's best rate.
        let trials = try finishedTrials(plan, out: out)
        let bestTrial = try plan.bestTrials(trials)
        let bestRates = bestTrial.mapValues(\.learningRate)
        let seedRuns = plan.seedRuns(bestRates: bestRates)
        try runAll(try jobsFor(seedRuns, plan: plan, out: out), scheduler: scheduler, job: job)
        if interrupt.isRequested { throw stopped() }
        if let job, job.rank > 0 { return }

        // Measure the kept runs and write the table and the report.
        printError("measuring the kept runs on train, valid and test")
        let measurer = try RunMeasurer(folder: folder)
        let linearModel = try Checkpoint.loadModel(from: linear)
        func measure(_ name: String, learningRate: Double, seed: UInt64) throws -> RunMeasurement {
            let runURL = out.appendingPathComponent(name)
            let model = try Checkpoint.loadModel(from: runURL)
            var measured = try measurer.measure(model, runFolder: runURL, name: name, learningRate: learningRate, seed: seed)
            try scoreTestSplit(model, runURL, folder, baseline: linearModel, into: &measured)
            return measured
        }
        var summaries: [CellSummary] = []
        for cell in plan.cells {
            let kept = [bestTrial[cell]!] + seedRuns.filter { $0.cell == cell }
            let measured = try kept.map { try measure($0.folder, learningRate: $0.learningRate, seed: $0.seed) }
            summaries.append(CellSummary(cell: cell.rawValue, units: plan.units(for: cell),
                                         recurrentParams: ModelConfig(cell: cell, units: plan.units(for: cell)).recurrentParameterCount,
                                         runs: measured))
            try generateSample(out.appendingPathComponent(bestTrial[cell]!.folder),
                               wav: out.appendingPathComponent("\(cell.rawValue)-generated.wav"))
        }
        let linearMeasured = try measure("linear", learningRate: 0, seed: 0)
        summaries.append(CellSummary(cell: "linear", units: 0, recurrentParams: 0, runs: [linearMeasured]))
        let trialRows = self.trialRows(trials, out: out)
        let offset = Normalization(mean: folder.summary.trainMean, std: folder.summary.trainStd)
            .nllOffset(dimensions: folder.summary.frame.target)
        var results = ComparisonResults(cells: summaries, plan: plan, waveformOffset: offset, trials: trialRows,
                                        threads: threads, samplesPerFrame: folder.summary.frame.target)
        try writeResults(&results, summaries: summaries, bestTrial: bestTrial, plan: plan, out: out, title: "rawspeech compare")
    }

    /// The search's rows of results.json: each trial's best valid NLL, updates, speed and
    /// compute (train and test are measured for the kept runs only).
    func trialRows(_ trials: [(run: PlannedRun, outcome: RunOutcome)], out: URL) -> [RunMeasurement] {
        trials.map { run, outcome in
            var row = RunMeasurement(folder: run.folder, cell: run.cell.rawValue, learningRate: run.learningRate,
                                     seed: run.seed, trainNLL: .nan, validNLL: outcome.bestValidNLL, testNLL: .nan)
            row.updates = outcome.updates
            row.seconds = outcome.seconds
            row.trainStepsPerSecond = outcome.trainStepsPerSecond
            if let compute = RunCompute.read(in: out.appendingPathComponent(run.folder)) {
                row.cpuSeconds = compute.cpuSeconds
                row.wallSeconds = compute.wallSeconds
                row.threads = compute.threads
            }
            return row
        }
    }

    /// Each trial run of `plan` with its outcome; a run without one did not finish.
    func finishedTrials(_ plan: ComparisonPlan, out: URL) throws -> [(run: PlannedRun, outcome: RunOutcome)] {
        try plan.trialRuns.map { run in
            let folder = RunFolder(url: out.appendingPathComponent(run.folder))
            guard let outcome = try folder.readOutcome() else {
                throw ValidationError("\(folder.url.path) did not finish; see its train.log")
            }
            return (run, outcome)
        }
    }

    /// Reads every kept run's learning curve into `results`, writes results.json and
    /// results.md, and the report of each cell's winning trial (its curves against updates
    /// and against seconds: the paper's Figure 2 layout); prints the table and where they are.
    func writeResults(_ results: inout ComparisonResults, summaries: [CellSummary], bestTrial: [Cell: PlannedRun],
                      plan: ComparisonPlan, out: URL, title: String) throws {
        var curves: [String: [MetricsLine]] = [:]
        for run in summaries.flatMap(\.runs) where run.cell != "linear" {
            curves[run.folder] = try RunMeasurer.curve(out.appendingPathComponent(run.folder))
        }
        results.readCurves(curves)
        try results.write(to: out)
        var records: [RunRecord] = []
        for cell in plan.cells {
            var record = try Report.loadRun(at: out.appendingPathComponent(bestTrial[cell]!.folder))
            record.name = cell.rawValue
            records.append(record)
        }
        let reportFiles = try Report.write(Report.document(runs: records, title: title), to: out.appendingPathComponent("report"))
        print(results.markdown())
        print("results: \(out.appendingPathComponent("results.md").path)")
        if let page = reportFiles.first(where: { $0.pathExtension == "html" }) { print("report: \(page.path)") }
    }

    /// The evaluator on the test split: score.json and the report's spectrogram signals in
    /// the run folder, and the test columns of the table. The split is scored a group of
    /// recordings at a time (`RunMeasurer.defaultGroupSamples` of audio, read from the store
    /// as each group is scored), so a large test split is never held in memory whole.
    func scoreTestSplit(_ model: TrainedModel, _ runURL: URL, _ folder: DataFolder, baseline: TrainedModel,
                        into measured: inout RunMeasurement) throws {
        let scorer = ModelScorer(model: model, baseline: model.kind == .linear ? nil : baseline)
        scorer.modelName = runURL.deletingLastPathComponent().lastPathComponent + "/" + runURL.lastPathComponent
        let groupSamples = RunMeasurer.defaultGroupSamples
        var parts: [ScoreReport] = []
        var group: [(name: String, samples: [Float])] = []
        var held = 0
        var first: Recording?
        func flush() throws {
            if !group.isEmpty { parts.append(try scorer.score(group)) }
            group.removeAll()
            held = 0
        }
        try folder.forEachRecording(split: .test) { recording in
            if first == nil { first = recording }
            group.append((name: recording.name, samples: recording.samples))
            held += recording.samples.count
            if held >= groupSamples { try flush() }
        }
        try flush()
        guard let report = ScoreReport.concatenating(parts) else { return }
        try AtomicFile.write(try report.jsonData(), to: runURL.appendingPathComponent("score.json"))
        if let first {
            let input = ScoreInput.recording(ScoredRecording(path: first.name, samples: first.samples))
            try RunSignals(run: runURL).writeOnePrediction(scorer, inputs: [input])
        }
        if let total = report.total {
            measured.testBitsPerSample = total.likelihood.bitsPerSample
            measured.testLSD = total.lsdDB
            measured.testSNR = total.snrDB
        }
    }

    /// Three seconds of free-running speech from a run's model: a WAV beside the results
    /// and the signal the report draws.
    func generateSample(_ runURL: URL, wav: URL) throws {
        let model = try Checkpoint.loadModel(from: runURL)
        let audio = try Generator(model: model).generate(samples: 3 * model.sampleRate, seed: 1)
        try AudioFile.write(audio, sampleRate: model.sampleRate, to: wav)
        try RunSignals(run: runURL).write(audio, as: .generated)
    }

    func jobsFor(_ runs: [PlannedRun], plan: ComparisonPlan, out: URL) throws -> [RunScheduler.Job] {
        try runs.compactMap { run in
            let folder = RunFolder(url: out.appendingPathComponent(run.folder))
            if (try? folder.readOutcome()) != nil { return nil }  // finished earlier: kept
            var arguments = try RunScheduler.trainArguments(plan.data, output: folder.url,
                                                            settings: plan.settings(for: run), threads: threads)
            if FileManager.default.fileExists(atPath: folder.checkpoint.path) { arguments.append("--resume") }
            let label = "\(run.cell.rawValue) lr \(String(format: "%.2e", run.learningRate)) seed \(run.seed)"
            return .init(label: label, arguments: arguments, log: folder.url.appendingPathComponent("train.log"))
        }
    }

    /// Threads of every recurrent run: an equal share of the cores.
    var threads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount / jobs) }

    func runAll(_ queue: [RunScheduler.Job], scheduler: RunScheduler, job: MPIWorld? = nil) throws {
        // Every rank waits for the others' share of the phase, unless it stops (its non-zero
        // exit then makes Open MPI end the job).
        var interruptedOrFailed = true
        defer { if !interruptedOrFailed { job?.barrier() } }
        let queue = job.map { job in queue.enumerated().filter { $0.offset % job.count == job.rank }.map(\.element) } ?? queue
        guard !queue.isEmpty else { interruptedOrFailed = false; return }
        let finished = try scheduler.run(queue, onStart: { job, index in
            printError("[\(index)/\(queue.count)] started \(job.label)")
        }, onFinish: { done, index in
            // What this session consumed, added to the run's compute.json (a resumed run sums its sessions).
            try? RunCompute.add(cpuSeconds: done.cpuSeconds, wallSeconds: done.seconds, threads: threads,
                                in: done.job.log.deletingLastPathComponent())
            let state = done.status == 0 ? "finished" : "FAILED (exit \(done.status); see \(done.job.log.path))"
            printError("[\(index)/\(queue.count)] \(state) \(done.job.label) in \(formatDuration(done.seconds))"
                + String(format: " (%.0f CPU s)", done.cpuSeconds))
        })
        let failures = finished.filter { $0.status != 0 && $0.status != 130 }
        if !failures.isEmpty {
            throw ValidationError("\(failures.count) run(s) failed: " + failures.map { $0.job.log.path }.joined(separator: ", "))
        }
        interruptedOrFailed = scheduler.interrupt.isRequested
    }

    func stopped() -> ExitCode {
        printError("interrupted: finished runs are kept and running ones checkpointed; rerun the same command to resume")
        return ExitCode(130)
    }
}
