// `rawspeech score MODEL INPUT... [--json FILE] [--split S] [--baseline auto|none|RUNDIR]`:
// likelihood and one-step spectral error of a trained model on audio files and manifests,
// next to the linear baseline fitted on the model's own training data. Reading inputs,
// finding the baseline and scoring live in the library (ScoringInputs, ModelSource,
// ModelScorer); this file turns arguments into calls and results into text, files and an
// exit code (non-zero when any input could not be scored).
import ArgumentParser
import Foundation
import RawSpeechCore
import RawSpeechAudio
import RawSpeechCorpus
import RawSpeechNetwork
import RawSpeechTraining
import RawSpeechEvaluation

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score a trained model on held-out recordings: NLL, bits per sample, LSD, SNR.",
        discussion: """
        INPUT is any mix of audio files (any format and rate libsndfile reads; resampled to the \
        model's rate) and manifests (.jsonl or .jsonl.gz: their --split entries). A file that cannot be scored \
        is reported with the reason and the others are still scored; the exit code is then 1. \
        When MODEL is a run folder and some file was scored, the report is also saved as RUNDIR/score.json, with the first \
        file's waveform and block prediction in RUNDIR/spectrograms/ for `rawspeech report`. \
        Definitions of every figure: docs/EVALUATION.md.

        With a music model, INPUT is one piano-roll data folder (from `rawspeech preprocess \
        SET.json`): every piece of --split is scored whole, and the figure is the NLL per time \
        step in nats, summed over the 88 notes (the paper's Table 2 unit), with an \
        independent-notes reference; --json and RUNDIR/score.json then hold per-piece figures.
        """)

    @Argument(help: ArgumentHelp("A run folder from `rawspeech train`, or a model file.", valueName: "MODEL"))
    var model: String

    @Argument(help: ArgumentHelp("Audio files and manifests to score (or one piano-roll folder, for a music model).", valueName: "INPUT"))
    var inputs: [String]

    @Option(help: ArgumentHelp("Write the figures as JSON to this file.", valueName: "FILE"))
    var json: String?

    @Option(help: "The manifests' (or piano-roll folder's) split to score: train, valid or test.")
    var split: Split = .test

    @Option(help: ArgumentHelp("The linear baseline: auto (fitted on the model's training data, cached as RUNDIR/baseline.ckpt), none, or a linear run folder or model file.", valueName: "auto|none|RUNDIR"))
    var baseline = "auto"

    @Flag(name: .customLong("save"), inversion: .prefixedNo,
          help: "Save score.json and spectrogram signals into MODEL when it is a run folder.")
    var save = true

    @Option(name: .customLong("stream-above"), help: ArgumentHelp("Recordings longer than this many seconds are scored block by block in constant memory (one at a time, not batched).", valueName: "SECONDS"))
    var streamAbove: Double = 300

    @Option(help: "Files read in parallel (default: one per core).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give at least one audio file or manifest to score") }
        try check("--jobs", jobs, in: FlagBounds.threads)
        // Seconds times the model's rate becomes an Int sample count: finite, and at most 11 days.
        try check("--stream-above", streamAbove, in: 0 ... 1_000_000, "0 to 1000000 seconds")
    }

    func run() throws {
        let source = try openModel(model)
        let trained = source.model
        if let music = try musicFolder() { return try runMusic(music, source: source) }
        if trained.config.output == .bernoulli {
            // A folder that is neither kind (unknown "kind", no summary.json) is named as what it
            // is, not taken for audio.
            if inputs.count == 1, case .failure(let error) = Result(catching: { try DataKind.of(folder: URL(fileURLWithPath: inputs[0])) }),
               (try? URL(fileURLWithPath: inputs[0]).resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
                printError("error: \(error)")
                throw ExitCode.failure
            }
            printError("error: \(model) is a music model (88 note outputs): score it on a piano-roll data folder "
                       + "(rawspeech score \(model) DATADIR --split test), not on audio")
            throw ExitCode.failure
        }
        let sources = try ScoringInputs.sources(inputs, split: split)
        if sources.isEmpty {
            printError("error: nothing to score: the manifests have no \(split.rawValue) entries")
            throw ExitCode.failure
        }
        let (baselineModel, baselineNote) = try resolveBaseline(source)
        let scorer = ModelScorer(model: trained, baseline: baselineModel)
        scorer.modelName = model
        scorer.trainedBandwidthHz = source.runFolder.flatMap(BandCheck.trainedBandwidth)
        if let baselineNote { scorer.baselineNote = baselineNote }
        let started = Date()
        let recordings = ScoringInputs.read(sources, sampleRate: trained.sampleRate,
                                            streamAbove: Int(streamAbove * Double(trained.sampleRate)), jobs: jobs)
        let streamed = recordings.filter { if case .stream = $0 { return true } else { return false } }.count
        printError("scoring \(sources.count) files with \(ModelScorer.describe(trained))"
                   + (scorer.baseline == nil ? "" : " and the linear baseline")
                   + (streamed > 0 ? " (\(streamed) streamed: longer than \(streamAbove) s)" : ""))
        let report: ScoreReport
        do {
            report = try scorer.score(inputs: recordings)
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        let elapsed = Date().timeIntervalSince(started)
        let seconds = Double((report.total?.frames ?? 0) * trained.frame.hop) / Double(trained.sampleRate)
        print(ScoreTable.render(report), terminator: "")
        for file in report.files { if case let .failed(path, error) = file { printError("error: \(path): \(error)") } }
        if let band = report.outOfBand {
            for file in band.warnings {
                printError(String(format: "warning: %@: %.1f%% of its energy is above %.0f Hz, the band the model was trained on "
                                  + "(its training data was upsampled): the figures above are not meaningful for this file",
                                  file.path, 100 * file.outOfBandEnergy, band.trainedBandwidthHz))
            }
        }
        printError(String(format: "scored %.1f s of audio in %.2f s (%.0fx real time)", seconds, elapsed, seconds / max(elapsed, 1e-9)))

        if let json { try write(report, to: URL(fileURLWithPath: json)) }
        if save, let run = source.runFolder {
            // A call that scored nothing must not replace an earlier report that has figures.
            if report.hasFigures {
                try write(report, to: run.url.appendingPathComponent("score.json"))
                try RunSignals(run: run.url).writeOnePrediction(scorer, inputs: recordings)
            } else {
                printError("note: \(run.url.appendingPathComponent("score.json").path) not written: no file was scored")
            }
        }
        if report.hasFailures || report.total == nil { throw ExitCode.failure }
    }

    /// The baseline model, or nil with a note saying why there is none (also for the
    /// report); an explicit --baseline that cannot be used is an error (exit 1) rather than
    /// a silent omission.
    func resolveBaseline(_ source: ModelSource) throws -> (TrainedModel?, note: String?) {
        switch baseline {
        case "none":
            return (nil, nil)
        case "auto":
            switch source.baseline() {
            case .success(let model): return (model, nil)
            case .failure(let error):
                printError("note: no baseline: \(error)")
                return (nil, "no baseline: \(error)")
            }
        default:
            do {
                let model = try Checkpoint.loadModel(from: URL(fileURLWithPath: baseline))
                if model.sampleRate != source.model.sampleRate {
                    printError("error: baseline \(baseline): trained at \(model.sampleRate) Hz, the model at \(source.model.sampleRate) Hz")
                    throw ExitCode.failure
                }
                if !source.matches(model) {
                    printError("note: the baseline \(baseline) has another framing or normalization than the model; its figures are still in waveform units on the same recordings")
                }
                if ModelScorer.isSameModel(model, source.model) {
                    printError("note: no baseline: \(baseline) is the model itself")
                }
                return (model, nil)
            } catch let exit as ExitCode {
                throw exit
            } catch {
                printError("error: baseline: \(error)")
                throw ExitCode.failure
            }
        }
    }

    func write(_ report: ScoreReport, to url: URL) throws {
        try AtomicFile.write(try report.jsonData(), to: url)
        printError("wrote \(url.path)")
    }
}

extension Split: ExpressibleByArgument {}
