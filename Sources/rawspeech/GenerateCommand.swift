// `rawspeech generate MODEL --seconds S --output FILE.wav [--prime FILE] [--temperature T]
// [--component-temperature T] [--sigma-scale S] [--seed N]`: free-running synthesis from a trained model (Evaluation/Generator), written in
// the format the output's extension names, with the distance of its long-term average
// spectrum from the model's training data. This file parses flags, reads and writes files and prints; the sampling is the library's.
// A music model writes a MIDI file instead (GenerateMusic.swift).
import ArgumentParser
import Foundation
import RawSpeechCore
import RawSpeechAudio
import RawSpeechCorpus
import RawSpeechNetwork
import RawSpeechTraining
import RawSpeechEvaluation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Let a trained model speak: sample audio step by step, feeding each draw back.",
        discussion: """
        Without --prime the model starts from silence; with it, the model first runs over that \
        recording (any format, resampled to the model's rate) and continues it; the output holds \
        only the continuation. Prints the output's RMS next to the training data's and the share \
        of samples at full scale (|x| >= 0.999: clipped); if the model's free run grows too loud, \
        lower --sigma-scale before --component-temperature. Then prints the long-term average spectrum \
        distance (dB) between the output and the model's training data (the train split of the data folder in the run's \
        config.json, or --data). When MODEL is a run folder the output is also saved as \
        RUNDIR/spectrograms/generated.f32 for `rawspeech report`.

        A music model (trained on a piano-roll folder) writes a Standard MIDI File (--output \
        FILE.mid): --steps time steps, each a quarter note (the JSB step) at --tempo quarter notes \
        a minute (default 120), or --seconds of music at that tempo; every key is drawn on or off \
        with the model's probability (--temperature divides the logits; 0 sounds only the keys \
        over even odds, often none), seeded by --seed. Keys held over consecutive steps are one \
        note. --prime NAME continues a piece of the run's data folder (e.g. test/000, as `score \
        --json` names them).
        """)

    @Argument(help: ArgumentHelp("A run folder from `rawspeech train`, or a model file.", valueName: "MODEL"))
    var model: String

    @Option(help: "Seconds of audio to generate (music: of music at --tempo).")
    var seconds: Double?

    @Option(help: "Music models: time steps to generate (each a quarter note).")
    var steps: Int?

    @Option(help: ArgumentHelp("Music models: quarter notes a minute in the MIDI file (default 120).", valueName: "BPM"))
    var tempo: Double?

    @Option(name: .shortAndLong, help: ArgumentHelp(
        "The file to write, in the format its extension names (16-bit PCM; .ogg: Vorbis): "
            + AudioFormat.byExtension.map { "." + $0.extension }.joined(separator: ", ") + "; a music model: .mid.",
        valueName: "FILE.wav"))
    var output: String

    @Option(help: ArgumentHelp("A recording to continue (music: a piece of the data folder, e.g. test/000).", valueName: "FILE"))
    var prime: String?

    @Option(help: "Sampling temperature on both axes below (component temperature T, sigma scale sqrt(T)): 1 samples the model's density, lower is more conservative, 0 takes the likeliest component's mean.")
    var temperature: Float = 1

    @Option(help: "Temperature of the mixture weights, softmax(logits / t) (default: --temperature): 1 is the model's weights, 0 always takes the likeliest component.")
    var componentTemperature: Float?

    @Option(help: "Factor on the standard deviations (default: sqrt of --temperature): 1 is the model's spread, 0 the chosen component's mean with no noise.")
    var sigmaScale: Float?

    @Option(help: "Seed of the draws (same seed, same audio).")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Data folder to compare the spectrum with (default: the run's training data).", valueName: "DATADIR"))
    var data: String?

    func validate() throws {
        if let seconds, !(seconds > 0 && seconds <= 3600) { throw ValidationError("--seconds must be in (0, 3600] (got \(seconds))") }
        if seconds == nil && steps == nil { throw ValidationError("give --seconds (or, for a music model, --steps)") }
        try check("--steps", steps, in: 1 ... 100_000)
        try check("--tempo", tempo, in: MIDIFile.tempoRange)
        try check("--temperature", temperature, in: 0 ... 100, "0 to 100")
        try check("--component-temperature", componentTemperature, in: 0 ... 100, "0 to 100")
        try check("--sigma-scale", sigmaScale, in: 0 ... 100, "0 to 100")
        if Self.isMIDI(output) { return }
        do { _ = try AudioFormat.forOutput(URL(fileURLWithPath: output)) } catch { throw ValidationError("--output: \(error)") }
    }

    /// --temperature on both axes, unless --component-temperature or --sigma-scale says otherwise.
    var settings: SamplingSettings {
        let both = SamplingSettings(temperature: temperature)
        return SamplingSettings(componentTemperature: componentTemperature ?? both.componentTemperature,
                                sigmaScale: sigmaScale ?? both.sigmaScale)
    }

    func run() throws {
        let source = try openModel(model)
        let trained = source.model
        if trained.config.output == .bernoulli { return try runMusic(source) }
        if Self.isMIDI(output) {
            printError("error: --output \(output): MIDI is written by music models; \(model) is a speech model (give an audio file)")
            throw ExitCode.failure
        }
        for (flag, given) in [("--steps", steps != nil), ("--tempo", tempo != nil)] where given {
            printError("error: \(flag) is for music models; \(model) is a speech model (use --seconds)")
            throw ExitCode.failure
        }
        guard let seconds else { throw ExitCode.failure }  // validate() asked for --seconds or --steps
        var primer: [Float]?
        if let prime {
            do {
                primer = try ScoringInputs.read(AudioSource(path: prime, url: URL(fileURLWithPath: prime)),
                                                sampleRate: trained.sampleRate)
            } catch {
                printError("error: --prime: \(error)")
                throw ExitCode.failure
            }
            if primer!.count < trained.frame.input {
                printError("error: --prime: \(prime): \(primer!.count) samples, the model needs at least \(trained.frame.input) of context")
                throw ExitCode.failure
            }
        }
        let generator: Generator
        do { generator = try Generator(model: trained) } catch {
            printError("error: \(model): \(error)")
            throw ExitCode.failure
        }
        let count = Int((seconds * Double(trained.sampleRate)).rounded())
        let started = Date()
        let audio = generator.generate(samples: count, prime: primer, settings: settings, seed: seed)
        let elapsed = Date().timeIntervalSince(started)
        let outputURL = URL(fileURLWithPath: output)
        try AudioFile.write(audio, sampleRate: trained.sampleRate, to: outputURL, format: AudioFormat.forOutput(outputURL))
        print(String(format: "wrote %@: %.2f s at %d Hz (%@, component temperature %g, sigma scale %g, seed %llu%@), generated in %.2f s",
                     output, seconds, trained.sampleRate, ModelScorer.describe(trained), Double(settings.componentTemperature),
                     Double(settings.sigmaScale), seed, prime.map { ", continuing \($0)" } ?? "", elapsed))
        let level = GenerationStatistics(audio, normalization: trained.normalization)
        print(String(format: "level: RMS %.4f (training data %.4f), %.2f%% of samples clipped (|x| >= %g)",
                     level.rms, level.trainingRMS ?? Double.nan, 100 * level.clippedFraction, Double(GenerationStatistics.clipLevel)))
        if let run = source.runFolder { try RunSignals(run: run.url).write(audio, as: .generated) }
        reportSpectrumDistance(audio, source: source)
    }

    /// Prints the LTAS distance to the training data, or why it cannot be measured.
    func reportSpectrumDistance(_ audio: [Float], source: ModelSource) {
        let folder: DataFolder
        if let data {
            do { folder = try DataFolder(url: URL(fileURLWithPath: data)) } catch {
                printError("note: no spectrum distance: \(error)")
                return
            }
        } else {
            switch source.dataFolder() {
            case .success(let f): folder = f
            case .failure(let error):
                printError("note: no spectrum distance: \(error) (pass --data DATADIR)")
                return
            }
        }
        do {
            let distance = try LongTermSpectrum.distanceDB(audio, sampleRate: source.model.sampleRate, to: folder)
            print(String(format: "long-term spectrum distance to %@ (train split): %.2f dB", folder.url.path, distance))
        } catch {
            printError("note: no spectrum distance: \(error)")
        }
    }
}
