// `rawspeech train DATADIR --cell C --output RUNDIR`: fits one predictor on a preprocessed
// data folder and leaves config.json, metrics.jsonl, checkpoint.ckpt and model.ckpt in RUNDIR.
import ArgumentParser
import Foundation
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechDistributed
import RawSpeechNetwork
import RawSpeechTraining

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a tanh / GRU / LSTM predictor with a mixture-density output (or the linear baseline).",
        discussion: """
        The paper's recipe by default: RMSProp, gradient norm clipped to \(TrainingConfig.defaults.clip.formatted), \
        weight noise \(TrainingConfig.defaults.weightNoise.formatted), early stopping on validation NLL. \
        Ctrl-C saves a checkpoint; --resume continues it.
        """)

    @Argument(help: "A data folder made by `rawspeech preprocess`.")
    var dataFolder: String

    @Option(name: .shortAndLong, help: "Run folder to write (config.json, metrics.jsonl, checkpoints).")
    var output: String

    @OptionGroup var options: TrainingOptions

    // Data parallel: --threads N splits each batch into N groups of sequences, one thread
    // each with one OpenBLAS thread (the per-step GEMMs are too small to split themselves).
    // The same update to float rounding, bitwise reproducible for a given N; resume a run
    // with the N it started with for an exact continuation (the default is the same each
    // time on one machine). `compare`, which runs one training per core, passes its own.
    @Option(help: .text("Threads, each training its share of the batch (default: cores, at most 2; ~1.8x faster at B = 32 on 2 cores).",
                        default: TrainingConfig.defaultThreads))
    var threads: Int?

    @Flag(help: "Continue the run saved in the output folder (flags given change its schedule, stopping rules and optimizer; its model, batch and seed stay).")
    var resume = false

    func validate() throws {
        try check("--threads", threads, in: FlagBounds.threads)
        // A new speech run's shape at the paper's frames (a resumed run keeps its own, checked when
        // saved). Not for a music folder: its model and T differ (the Trainer checks those), and
        // this check quoted a gru-227 of 20 components with --steps 100 to a music user.
        if !isMusicFolder { try checkMemory(options.settings.newConfig()) }
    }

    func run() throws {
        noteSlowerKernels()
        do {
            try train()
        } catch let error as ExitCode {
            throw error
        } catch {
            // Every rank says why it stops (one node may lack a file); the others name their rank.
            let rank = (try? MPIWorld.job()).flatMap { $0 }.map { $0.rank > 0 ? " (rank \($0.rank))" : "" } ?? ""
            printError("rawspeech train\(rank): \(describe(error, given: options.settings))")
            throw ExitCode.failure
        }
    }

    func train() throws {
        if isMusicFolder { return try trainMusic() }  // TrainMusic.swift
        BLASRuntime.setThreads(1)
        // Under mpirun: this rank trains its rows of each batch; rank 0 alone writes and prints.
        let job = try MPIWorld.job()
        let writes = (job?.rank ?? 0) == 0
        let folder = try DataFolder(url: URL(fileURLWithPath: dataFolder))
        let data = try TrainingData.load(folder)
        if writes, !folder.summaryVerified {
            printError("warning: \(dataFolder) has no \(DataFolder.checksumFile) (made before rawspeech checksummed summaries?): "
                + "its summary.json is used unchecked; re-run preprocess to add one")
        }
        let run = RunFolder(url: URL(fileURLWithPath: output))
        // One writer per run folder, held until the process ends (a second `train` is refused);
        // under mpirun rank 0 is that writer, the other ranks only read.
        let lock = writes ? try FolderLock(folder: run.url, purpose: "train") : nil
        defer { lock?.release() }
        let saved = FileManager.default.fileExists(atPath: run.checkpoint.path)
        if !resume, saved {
            throw ValidationError("\(output) already holds a run: pass --resume to continue it, or choose another --output")
        }
        let settings = options.settings
        let resuming = resume && saved
        let savedConfig = resuming ? try Checkpoint.readState(from: run.checkpoint).config : nil
        if let savedConfig, savedConfig.model.output == .bernoulli {
            // Said in words, not as "trained at 1 Hz with frames 88/88/1".
            throw ValidationError("\(output) holds a music run (piano rolls); \(dataFolder) is an audio (speech) data folder: "
                + "resume it on its piano-roll folder, or start a new --output")
        }
        let config = try savedConfig.map { try settings.resumed($0) } ?? settings.newConfig(frame: data.frame)
        if writes { try run.create() }
        if config.linear {
            guard writes else { return }  // a closed-form fit: rank 0 alone
            let model = try LinearBaseline.fit(data: data)
            try run.startFresh()
            try Checkpoint.writeModel(model.trained, to: run.model)
            try RunFolder.writeJSON(description(config, data, folder, parameters: model.trained.parameters.count, recurrent: 0), to: run.config)
            try run.appendMetrics(model.metrics)
            print(String(format: "linear baseline: valid NLL %.3f nats/frame (normalized), %.3f (waveform)",
                         model.metrics.validNLL, model.metrics.validNLLWaveform))
            return
        }
        // Ranks sharing a machine share its cores: by default they split the threads.
        let threads = threads ?? max(1, TrainingConfig.defaultThreads / (job?.localCount ?? 1))
        let trainer = try Trainer(config: config, data: data, run: run, resume: resuming,
                                  threads: threads, summarySHA256: folder.summarySHA256, replicas: job)
        let resolved = trainer.state.config
        var written = description(resolved, data, folder, parameters: resolved.model.parameterCount,
                                  recurrent: resolved.model.recurrentParameterCount)
        written.ranks = job?.count
        if writes { try RunFolder.writeJSON(written, to: run.config) }
        guard writes else { return try trainQuietly(trainer) }
        printError("training \(resolved.model.cell.rawValue)-\(resolved.model.units) "
            + "(\(resolved.model.recurrentParameterCount) recurrent / \(resolved.model.parameterCount) total parameters) "
            + "on \(data.train.count) recordings, BLAS kernels \(BLASRuntime.coreName)"
            + String(format: ", validating on %@ (%.1f s)", trainer.validation.isWholeSplit ? "the valid split" : "a subset of the valid split",
                     trainer.validation.seconds)
            + (job.map { ", \($0.count) ranks" } ?? "")
            + (resuming ? ", resuming at update \(trainer.state.progress.update)" : ""))
        if resuming, let limit = resolved.updates, trainer.state.progress.update >= limit {
            printError("note: the run is already at update \(trainer.state.progress.update), its limit being \(limit): "
                + "nothing to train; pass a larger --updates to continue it")
        }
        let outcome = try runWithProgress(trainer, unit: "") { line in
            String(format: "update %6d  %7.1fs  train %8.3f  valid %8.3f  (waveform %8.3f)",
                   line.update, line.seconds, line.trainNLL, line.validNLL, line.validNLLWaveform)
        }
        if let whole = outcome.wholeValidNLL, !trainer.validation.isWholeSplit {
            print(String(format: "whole valid split: NLL %.3f (the saved model; the figures above are on a %.1f s subset)",
                         whole, trainer.validation.seconds))
        }
        if outcome.reason == .interrupted {
            printError("checkpoint saved: continue with --resume")
            throw ExitCode(130)
        }
    }

    /// Trains with a progress bar and a log line per evaluation (`evaluationLine`), then
    /// prints how the run stopped (best valid NLL in `unit`, e.g. " nats per step"); the
    /// caller adds its own lines and turns an interruption into exit code 130.
    func runWithProgress(_ trainer: Trainer, unit: String,
                         evaluationLine: @escaping (MetricsLine) -> String) throws -> TrainingOutcome {
        let resolved = trainer.state.config
        let interrupt = InterruptFlag()
        interrupt.install()
        let progress = ProgressDisplay()
        let outcome = try trainer.train(shouldStop: { interrupt.isRequested }) { event in
            switch event {
            case let .progress(update, loss, stepsPerSecond, seconds):
                progress.update(Self.progressText(update: update, total: resolved.updates, loss: loss,
                                                  stepsPerSecond: stepsPerSecond, seconds: seconds,
                                                  minutes: resolved.minutes))
            case let .evaluation(line):
                progress.log(evaluationLine(line))
            case let .rollback(update, rate):
                progress.log("update \(update): non-finite loss; rolled back to the last good state, learning rate now \(rate)")
            case .checkpoint:
                break
            }
        }
        progress.finish()
        let p = outcome.progress
        print(String(format: "stopped (%@) after %d updates, %.1f s; best valid NLL %.3f%@ at update %d; model: %@",
                     outcome.reason.rawValue, p.update, p.seconds, p.bestValidNLL, unit, p.bestUpdate, trainer.run.model.path))
        return outcome
    }

    /// A rank other than 0: the same loop, no output but errors.
    func trainQuietly(_ trainer: Trainer) throws {
        let interrupt = InterruptFlag()
        interrupt.install()
        let outcome = try trainer.train(shouldStop: { interrupt.isRequested })
        if outcome.reason == .interrupted { throw ExitCode(130) }
    }

    func description(_ config: TrainingConfig, _ data: TrainingData, _ folder: DataFolder,
                     parameters: Int, recurrent: Int) -> RunDescription {
        RunDescription(config: config, parameterCount: parameters, recurrentParameterCount: recurrent,
                       normalization: data.normalization, sampleRate: data.sampleRate, frame: data.frame,
                       data: folder.url.path, summary: folder.summary,
                       gitRevision: RunDescription.gitRevision(), dataSummarySHA256: folder.summarySHA256)
    }

    static func progressText(update: Int, total: Int?, loss: Double, stepsPerSecond: Double,
                             seconds: Double, minutes: Double?) -> String {
        // Done fraction and time left by whichever limit comes first (none: early stopping only).
        var fraction: Double?
        var remaining: Double?
        if let total, total > 0 {
            fraction = Double(update) / Double(total)
            if update > 0 { remaining = seconds / Double(update) * Double(total - update) }
        }
        if let minutes {
            let byTime = seconds / (minutes * 60)
            if byTime > (fraction ?? 0) { fraction = byTime }
            remaining = min(remaining ?? .infinity, minutes * 60 - seconds)
        }
        var text = ""
        if let fraction {
            let filled = Int((min(1, max(0, fraction)) * 20).rounded(.down))
            text += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled) + "] "
        }
        text += String(format: "update %d", update)
        if let total { text += "/\(total)" }
        text += String(format: "  nll %.3f  %.0f steps/s  %@", loss, stepsPerSecond, formatDuration(seconds))
        if let remaining, remaining.isFinite { text += "  eta \(formatDuration(max(0, remaining)))" }
        return text
    }
}
