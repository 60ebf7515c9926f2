// `rawspeech compare DATADIR` when DATADIR is a piano-roll (music) folder: the paper's music
// rows. The same plan, phases and run folders as speech (learning-rate search, then seeds at
// each cell's best rate, each run a `rawspeech train` child process), with the music
// defaults (ComparisonPlan.choosingMusic) and every kept run measured on train, valid and
// test by PianoRollScorer (NLL in nats per time step). No linear baseline: it predicts
// waveforms.
import ArgumentParser
import Foundation
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechNetwork
import RawSpeechTraining
import RawSpeechEvaluation
import RawSpeechExperiment

extension CompareCommand {
    func compareMusic() throws {
        if quick { throw ValidationError("--quick is the speech demo preset; on a music folder give --trials, --seeds or --updates") }
        if chunks.steps != nil { throw ValidationError("--steps: a music run trains on whole pieces (T is the longest training piece)") }
        if let k = chunks.accumulate, k > 1 {
            throw ValidationError("--accumulate is for audio: a music batch is already whole pieces (raise --batch instead)")
        }
        let folder = try PianoRollFolder(url: URL(fileURLWithPath: dataFolder))
        let measurer = try MusicRunMeasurer(folder: folder)
        let longest = measurer.train.map { $0.count / folder.summary.notes }.max() ?? 1
        // Said before any child starts (each would fail on its own, quoting a --steps never given).
        if longest > TrainingLimits.steps.upperBound { throw ValidationError(TrainCommand.pieceTooLong(dataFolder, longest)) }
        let plan = ComparisonPlan.choosingMusic(
            data: URL(fileURLWithPath: dataFolder).standardizedFileURL.path, cells: try parsedCells(), longest: longest,
            budget: params?.value, learningRates: try parsedRates(), trials: trials, rateSeed: seed, seeds: seeds,
            minutes: minutes, updates: updates, weightNoise: weightNoise, batch: chunks.batch,
            patience: evaluation.patience, evalEvery: evaluation.evalEvery)
        let out = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let lock = try FolderLock(folder: out, purpose: "compare")
        defer { lock.release() }
        let planURL = out.appendingPathComponent("plan.json")
        if let saved = try? JSONDecoder().decode(ComparisonPlan.self, from: Data(contentsOf: planURL)), saved != plan {
            throw ValidationError("\(output) holds a comparison with another plan (\(planURL.path)): choose another --output, or repeat its flags")
        }
        try RunFolder.writeJSON(plan, to: planURL)

        let interrupt = InterruptFlag()
        interrupt.install()
        let scheduler = RunScheduler(jobs: jobs, waves: plan.basis.waves, interrupt: interrupt)
        let units = plan.cells.map { "\($0.rawValue)-\(plan.units(for: $0))" }.joined(separator: ", ")
        printError("comparing \(units) on the music in \(plan.data): \(plan.learningRates.count) learning rate(s), "
            + "\(plan.seeds) seed(s), \(plan.basis.caption(threads: threads, patience: plan.patience)), \(jobs) at a time")

        try runAll(try jobsFor(plan.trialRuns, plan: plan, out: out), scheduler: scheduler)
        if interrupt.isRequested { throw stopped() }
        let trials = try finishedTrials(plan, out: out)
        let bestTrial = try plan.bestTrials(trials)
        let seedRuns = plan.seedRuns(bestRates: bestTrial.mapValues(\.learningRate))
        try runAll(try jobsFor(seedRuns, plan: plan, out: out), scheduler: scheduler)
        if interrupt.isRequested { throw stopped() }

        printError("measuring the kept runs on train, valid and test")
        var summaries: [CellSummary] = []
        for cell in plan.cells {
            let kept = [bestTrial[cell]!] + seedRuns.filter { $0.cell == cell }
            let measured = try kept.map {
                try measurer.measure(runFolder: out.appendingPathComponent($0.folder), name: $0.folder,
                                     learningRate: $0.learningRate, seed: $0.seed, batch: plan.batch)
            }
            let config = ModelConfig(cell: cell, units: plan.units(for: cell), inputSize: folder.summary.notes,
                                     targetSize: folder.summary.notes, output: .bernoulli)
            var summary = CellSummary(cell: cell.rawValue, units: config.units,
                                      recurrentParams: config.recurrentParameterCount, runs: measured)
            summary.budgetParams = config.budgetParameterCount
            summaries.append(summary)
        }
        let trialRows = self.trialRows(trials, out: out)
        var results = ComparisonResults(cells: summaries, plan: plan, waveformOffset: 0, trials: trialRows,
                                        threads: threads, samplesPerFrame: 1)
        // The report: each cell's winning trial (seed 1 at its best rate); the other seeds'
        // curves are in their run folders (`rawspeech report` draws any set of them).
        try writeResults(&results, summaries: summaries, bestTrial: bestTrial, plan: plan, out: out,
                         title: "rawspeech compare (music)")
    }
}
