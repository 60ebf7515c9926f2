// `rawspeech train DATADIR` when DATADIR is a piano-roll (music) folder: the same Trainer
// and run folder as speech, with the music defaults (TrainingSettings.newMusicConfig: the
// paper's music sizes, 16 whole chorales per batch) and NLL in nats per time step.
import ArgumentParser
import Foundation
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechDistributed
import RawSpeechNetwork
import RawSpeechTraining

extension TrainCommand {
    /// Whether the data folder is a piano-roll one (a missing summary is DataFolder's error to word).
    var isMusicFolder: Bool {
        (try? DataKind.of(folder: URL(fileURLWithPath: dataFolder))) == .pianoroll
    }

    /// Why a folder whose longest training piece has `longest` steps cannot train (compare says it too).
    static func pieceTooLong(_ folder: String, _ longest: Int) -> String {
        "\(folder): the longest training piece has \(longest) steps; a music run trains on whole pieces of at most "
            + "\(TrainingLimits.steps.upperBound) steps: split the long pieces and preprocess again"
    }

    func trainMusic() throws {
        BLASRuntime.setThreads(1)
        if MPIWorld.isLaunched {
            throw ValidationError("music runs train in one process: run `rawspeech train` on a music folder without mpirun")
        }
        if let k = options.chunks.accumulate, k > 1 {
            throw ValidationError("--accumulate is for audio: a music batch is already whole pieces (raise --batch instead)")
        }
        if options.settings.linear {
            throw ValidationError("--cell linear is for audio: a music folder trains tanh, gru or lstm")
        }
        // Flags of the speech path that a music run does not use: said, not silently dropped.
        if let threads, threads > 1 {
            printError("note: --threads \(threads) is ignored: a music run trains on one thread (its batches of "
                + "16 chorales are too small to split; run several trainings at once instead, as compare does)")
        }
        for (flag, given) in [("--components", options.settings.components != nil), ("--sigma-floor", options.settings.sigmaFloor != nil)] where given {
            printError("note: \(flag) is ignored: a music run's head is 88 independent notes (Bernoulli), not a mixture")
        }
        if options.evaluation.validSeconds != nil {
            printError("note: --valid-seconds is ignored: a music run validates on the whole valid split, which is small")
        }
        let folder = try PianoRollFolder(url: URL(fileURLWithPath: dataFolder))
        let rolls = try MusicRolls.load(folder)
        let data = TrainingData(music: rolls)
        // T is the longest training piece, not a flag the user gave: say so, instead of
        // "--steps must be in ..." or "lower --steps" about a flag nobody passed.
        let longest = rolls.longestTrainSteps
        if options.settings.steps == nil, longest > TrainingLimits.steps.upperBound {
            throw ValidationError(Self.pieceTooLong(dataFolder, longest))
        }
        let run = RunFolder(url: URL(fileURLWithPath: output))
        let lock = try FolderLock(folder: run.url, purpose: "train")
        defer { lock.release() }
        let saved = FileManager.default.fileExists(atPath: run.checkpoint.path)
        if !resume, saved {
            throw ValidationError("\(output) already holds a run: pass --resume to continue it, or choose another --output")
        }
        var settings = options.settings
        settings.validSeconds = nil  // ignored, with the note above (and never a resume conflict)
        let resuming = resume && saved
        let savedConfig = resuming ? try Checkpoint.readState(from: run.checkpoint).config : nil
        if let savedConfig, savedConfig.model.output != .bernoulli {
            // Said in words, not as "trained at 16000 Hz with frames 20/10/10".
            throw ValidationError("\(output) holds a speech run (audio); \(dataFolder) is a piano-roll (music) data folder: "
                + "resume it on its audio data folder, or start a new --output")
        }
        let config = try savedConfig.map { try settings.resumed($0) }
                              ?? settings.newMusicConfig(notes: rolls.notes, longest: rolls.longestTrainSteps,
                                                                      pieces: rolls.train.count)
        try run.create()
        let trainer: Trainer
        do {
            trainer = try Trainer(config: config, data: data, run: run, resume: resuming,
                                  summarySHA256: folder.summarySHA256)
        } catch let error as TrainingError {
            guard case .tooLarge = error else { throw error }
            let validLongest = rolls.valid.map { $0.count / rolls.notes }.max() ?? 0
            throw ValidationError("\(error): each batch holds \(config.batch) whole pieces padded to the longest "
                + "(training: \(longest) steps; validation: \(validLongest), scored in windows of at most "
                + "\(PianoRollScorer.defaultWindowSteps)): lower --batch, --units (or --params) or --layers, or split the long pieces")
        }
        let resolved = trainer.state.config
        var written = RunDescription(config: resolved, parameterCount: resolved.model.parameterCount,
                                     recurrentParameterCount: resolved.model.recurrentParameterCount,
                                     normalization: data.normalization, sampleRate: data.sampleRate, frame: data.frame,
                                     data: folder.url.path, summary: nil, gitRevision: RunDescription.gitRevision(),
                                     dataSummarySHA256: folder.summarySHA256)
        written.dataKind = DataKind.pianoroll.rawValue
        written.budgetParams = resolved.model.budgetParameterCount
        try RunFolder.writeJSON(written, to: run.config)
        let m = resolved.model
        printError("training \(m.cell.rawValue)-\(m.units) on music (\(m.recurrentParameterCount) recurrent parameters with "
            + "\(m.inputSize) inputs, \(m.budgetParameterCount) as --params counts them; \(m.parameterCount) total) "
            + "on \(rolls.train.count) pieces, \(resolved.batch) per batch, validating on all \(rolls.valid.count) valid pieces"
            + (resuming ? ", resuming at update \(trainer.state.progress.update)" : ""))
        let outcome = try runWithProgress(trainer, unit: " nats per step") { line in
            String(format: "update %6d  %7.1fs  train %7.3f  valid %7.3f  nats per step",
                   line.update, line.seconds, line.trainNLL, line.validNLL)
        }
        if outcome.reason == .interrupted {
            printError("checkpoint saved: continue with --resume")
            throw ExitCode(130)
        }
    }
}
