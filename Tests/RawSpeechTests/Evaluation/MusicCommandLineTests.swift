// The built binary on a music run: `score` writes per-piece figures (and RUNDIR/score.json),
// `generate` writes a MIDI file mido reads back with the steps and tempo asked for, `report`
// draws the curves in nats per time step with the music score table, the generated roll and
// its MIDI file, and no spectrograms; and
// every speech/music mix-up exits non-zero saying which is which. The run folder is made by
// hand (a random-weight model, config.json naming its data, three metrics lines), so these
// tests do not depend on training.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest
@testable import RawSpeechNetwork
@testable import RawSpeechTraining
@testable import RawSpeechEvaluation

@Suite struct MusicCommandLineTests {
    let cli = CommandLineTests()

    /// A music run folder trained on `data` in all but name.
    static func musicRun(_ scratch: ScratchFolder, data: URL) throws -> URL {
        let run = RunFolder(url: scratch.file("music-run"))
        try run.create()
        try Checkpoint.writeModel(MusicEvaluationTests.musicModel(), to: run.model)
        let config = """
        {"cell": "gru", "units": 8, "data": "\(data.path)", "sample_rate": 1,
         "training": {"model": {"cell": "gru", "units": 8, "output": "bernoulli"}}}
        """
        try Data(config.utf8).write(to: run.config)
        for (update, valid) in [(20, 60.5), (40, 31.0), (60, 12.25)] {
            try run.appendMetrics(MetricsLine(update: update, seconds: Double(update) / 10, trainNLL: valid + 1, validNLL: valid,
                                              validNLLWaveform: valid, learningRate: 1e-3))
        }
        return run.url
    }

    @Test func scoreGenerateAndReportOnAMusicRun() throws {
        let scratch = ScratchFolder()
        let data = try MusicEvaluationTests.musicFolder(scratch).url
        let run = try Self.musicRun(scratch, data: data)

        let json = scratch.file("score.json")
        let scored = try cli.run(["score", run.path, data.path, "--split", "train", "--json", json.path])
        #expect(scored.status == 0, "\(scored.stderr)")
        #expect(scored.stdout.contains("2 pieces, 5 steps") && scored.stdout.contains("nats per time step"), "\(scored.stdout)")
        let report = try JSONDecoder().decode(PianoRollScoreReport.self, from: Data(contentsOf: json))
        let direct = try PianoRollScoring.score(MusicEvaluationTests.musicModel(), modelName: run.path,
                                                folder: PianoRollFolder(url: data), split: .train)
        #expect(report.kind == "pianoroll" && report.steps == 5 && report.perPiece.count == 2)
        #expect(abs(report.nllPerStep - direct.nllPerStep) < 1e-9)
        let saved = try JSONDecoder().decode(PianoRollScoreReport.self, from: Data(contentsOf: run.appendingPathComponent("score.json")))
        #expect(saved == report)
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any]).keys
        #expect(Set(keys) == ["kind", "model", "model_name", "data", "data_summary_sha256", "split", "pieces", "steps", "nll_per_step",
                              "nll_per_note", "bits_per_step", "independent_notes_nll_per_step", "per_piece"])

        let midi = scratch.file("sample.mid")
        let generated = try cli.run(["generate", run.path, "--steps", "24", "--tempo", "90", "--seed", "5", "--output", midi.path])
        #expect(generated.status == 0, "\(generated.stderr)")
        #expect(generated.stdout.contains("24 steps, 16.0 s at 90 bpm") && generated.stdout.contains("(training data 1.60)"), "\(generated.stdout)")
        let read = try MIDIFileTests.readWithMido(midi)
        #expect(read.tempos == [666_667] && read.ticks_per_beat == 480 && read.unclosed == 0)
        #expect(read.notes.allSatisfy { $0[1] % 480 == 0 && $0[2] % 480 == 0 && $0[2] <= 24 * 480 && (21 ... 108).contains($0[0]) })
        #expect(!read.notes.isEmpty)
        let again = scratch.file("again.mid")
        _ = try cli.run(["generate", run.path, "--seconds", "16", "--tempo", "90", "--seed", "5", "--output", again.path])
        #expect(try Data(contentsOf: again) == Data(contentsOf: midi), "--seconds 16 at 90 bpm is 24 steps; same seed, same file")
        let primed = try cli.run(["generate", run.path, "--steps", "8", "--prime", "test/000", "--output", scratch.file("p.mid").path])
        #expect(primed.status == 0 && primed.stdout.contains("continuing test/000"), "\(primed.stderr)")
        let badPrime = try cli.run(["generate", run.path, "--steps", "8", "--prime", "test/009", "--output", scratch.file("q.mid").path])
        #expect(badPrime.status != 0 && badPrime.stderr.contains("no piece test/009"), "\(badPrime.stderr)")

        let page = scratch.file("report")
        let reported = try cli.run(["report", run.path, "--output", page.path])
        #expect(reported.status == 0, "\(reported.stderr)")
        let html = try String(contentsOf: page.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(html.contains("nats per time step") && html.contains("Music scores") && html.contains("train/001"))
        #expect(html.contains("independent notes NLL/step") && !html.contains("<h2>Spectrograms</h2>"))
        let curve = try String(contentsOf: page.appendingPathComponent("valid-nll-vs-updates.svg"), encoding: .utf8)
        #expect(curve.contains("NLL (nats per time step)"))
        // The last generate (primed, 8 steps) kept its roll: drawn, and its MIDI file offered
        // byte for byte as generate wrote it.
        let kept = try JSONDecoder().decode(GeneratedRoll.self, from: Data(contentsOf: run.appendingPathComponent("generated-roll.json")))
        #expect(kept.steps.count == 8 && kept.prime == "test/000" && kept.tempoBPM == 120)
        #expect(html.contains("<h2>Generated music</h2>") && html.contains("continuing test/000"))
        let link = try #require(html.range(of: "data:audio/midi;base64,"))
        let encoded = html[link.upperBound...].prefix { $0 != "\"" }
        #expect(Data(base64Encoded: String(encoded)) == (try Data(contentsOf: scratch.file("p.mid"))))
        let figure = try String(contentsOf: page.appendingPathComponent("generated-roll-music-run.svg"), encoding: .utf8)
        #expect(figure.components(separatedBy: "<title>MIDI ").count - 1 == kept.midi.notes.count)
    }

    /// `rawspeech midi`: a real piece as MIDI, read back by mido note for note.
    @Test func midiWritesAPieceOfTheFolder() throws {
        let scratch = ScratchFolder()
        let folder = try MusicEvaluationTests.musicFolder(scratch)
        let output = scratch.file("piece.mid")
        let made = try cli.run(["midi", folder.url.path, "train/000", "--output", output.path, "--tempo", "60"])
        #expect(made.status == 0 && made.stdout.contains("train/000, 3 steps, 3.0 s at 60 bpm, 5 notes"), "\(made.stdout)\(made.stderr)")
        let read = try MIDIFileTests.readWithMido(output)
        // [[60, 64, 67], [], [21, 108]]: three notes of one step, a rest, two notes of one step.
        #expect(read.notes.map { [$0[0], $0[1], $0[2]] } == [[60, 0, 480], [64, 0, 480], [67, 0, 480], [21, 960, 1440], [108, 960, 1440]])
        #expect(read.tempos == [1_000_000] && read.names == ["train/000 of set.json"])
    }

    /// A training piece longer than a run can hold is refused naming the piece's length and
    /// what to do, not with "--steps must be in 1...100000", a flag the user never gave.
    @Test func aTrainingPieceTooLongIsNamedNotASteps() throws {
        let scratch = ScratchFolder()
        let rests = Array(repeating: "[]", count: 100_001).joined(separator: ",")
        let source = scratch.file("long.json")
        try Data("{\"train\": [[\(rests)]], \"valid\": [[[60]]], \"test\": [[[60]]]}".utf8).write(to: source)
        _ = try PianoRollSource.preprocess(source, output: scratch.file("long"))
        let trained = try cli.run(["train", scratch.file("long").path, "--output", scratch.file("run").path, "--updates", "1"])
        #expect(trained.status == 1, "\(trained.stderr)")
        #expect(trained.stderr.contains("the longest training piece has 100001 steps") && !trained.stderr.contains("--steps must"),
                "\(trained.stderr)")
        let compared = try cli.run(["compare", scratch.file("long").path, "--output", scratch.file("cmp").path,
                                    "--trials", "1", "--seeds", "1", "--updates", "1"])
        #expect(compared.status == 1 && compared.stderr.contains("the longest training piece has 100001 steps")
                && !compared.stderr.contains("CommandError"), "\(compared.stderr)")
        // A music run's memory is judged as music (88 Bernoulli outputs, whole pieces), not as the
        // speech default (gru-227, 20 components, --steps 100 refused --batch 4096 at 14 GB).
        let wide = try cli.run(["train", try MusicEvaluationTests.musicFolder(scratch).url.path, "--output", scratch.file("run3").path,
                                "--updates", "1", "--batch", "4096"])
        #expect(wide.status == 0 && !wide.stderr.contains("gru-227"), "\(wide.stderr)")
        // Mixture flags on a music folder are said to be ignored, not dropped in silence.
        let noted = try cli.run(["train", try MusicEvaluationTests.musicFolder(scratch).url.path, "--output", scratch.file("run2").path,
                                 "--updates", "1", "--units", "4", "--components", "3", "--sigma-floor", "0.1"])
        #expect(noted.status == 0 && noted.stderr.contains("--components is ignored") && noted.stderr.contains("--sigma-floor is ignored"),
                "\(noted.stderr)")
    }

    /// `train --resume` of a run on a folder of the other kind, and `generate --prime` with a
    /// --data that is not a piano-roll folder, say which kind is which (they said "trained at 1 Hz
    /// with frames 88/88/1", and "pass --data DATADIR" to a user who had passed it).
    @Test func resumingOrPrimingAcrossKindsSaysWhichIsWhich() throws {
        let scratch = ScratchFolder()
        let music = try MusicEvaluationTests.musicFolder(scratch).url.path
        let speech = try TrainCommandTests.makeData(scratch, name: "speech")
        let speechRun = scratch.file("speech-run").path, musicRun = scratch.file("music-run").path
        let tiny = ["--updates", "2", "--eval-every", "1", "--units", "4"]
        #expect(try cli.run(["train", speech, "--output", speechRun] + tiny).status == 0)
        #expect(try cli.run(["train", music, "--output", musicRun] + tiny).status == 0)
        let cases: [([String], String)] = [
            (["train", music, "--output", speechRun, "--resume"], "holds a speech run (audio)"),
            (["train", speech, "--output", musicRun, "--resume"], "holds a music run (piano rolls)"),
            (["generate", musicRun, "--steps", "2", "--data", speech, "--prime", "test/000", "--output", scratch.file("p.mid").path],
             "--prime: \(speech): an audio (speech) data folder"),
        ]
        for (arguments, message) in cases {
            let result = try cli.run(arguments)
            #expect(result.status == 1 && result.stderr.contains(message), "rawspeech \(arguments.joined(separator: " ")): \(result.stderr)")
        }
        // A folder of a kind this build does not know is named so, not called audio.
        let summary = URL(fileURLWithPath: music).appendingPathComponent("summary.json")
        let text = try String(contentsOf: summary, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "\"pianoroll\"", with: "\"midi\"").utf8).write(to: summary)
        let scored = try cli.run(["score", musicRun, music, "--split", "test"])
        #expect(scored.status == 1 && scored.stderr.contains("unknown kind \"midi\"") && !scored.stderr.contains("not on audio"),
                "\(scored.stderr)")
    }

    @Test func speechAndMusicMixUpsAreRefused() throws {
        let scratch = ScratchFolder()
        let data = try MusicEvaluationTests.musicFolder(scratch).url
        let run = try Self.musicRun(scratch, data: data)
        let speech = scratch.file("speech.ckpt")
        try Checkpoint.writeModel(ScoringModels.gru, to: speech)
        let wav = scratch.file("a.wav")
        try AudioFile.write(Signals.sine(frequency: 300, sampleRate: 16000, count: 4000), sampleRate: 16000, to: wav)

        let cases: [([String], String)] = [
            (["score", speech.path, data.path], "is a speech model"),
            (["score", run.path, wav.path], "is a music model"),
            (["score", run.path, data.path, wav.path], "score it alone"),
            (["generate", run.path, "--steps", "4", "--output", scratch.file("x.wav").path], "it writes MIDI"),
            (["generate", speech.path, "--seconds", "0.1", "--output", scratch.file("x.mid").path], "MIDI is written by music models"),
            (["generate", speech.path, "--seconds", "0.1", "--steps", "4", "--output", scratch.file("y.wav").path], "--steps is for music models"),
            (["generate", speech.path, "--seconds", "0.1", "--tempo", "90", "--output", scratch.file("z.wav").path], "--tempo is for music models"),
            (["generate", run.path, "--steps", "4", "--sigma-scale", "0.5", "--output", scratch.file("s.mid").path], "--sigma-scale is for speech"),
            (["generate", run.path, "--output", scratch.file("n.mid").path], "give --seconds"),
            (["generate", run.path, "--steps", "4", "--tempo", "2", "--output", scratch.file("t.mid").path], "--tempo must be in"),
            (["score", run.path, data.path, "--baseline", "none"], "--baseline is for speech models"),
            (["midi", data.path, "test/007", "--output", scratch.file("m.mid").path], "no piece test/007"),
            (["midi", data.path, "test/000", "--output", scratch.file("m.wav").path], "--output must name a .mid file"),
        ]
        for (arguments, message) in cases {
            let result = try cli.run(arguments)
            #expect(result.status != 0 && result.stderr.contains(message), "rawspeech \(arguments.joined(separator: " ")): \(result.stderr)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.hasSuffix(".mid") || $0.hasSuffix(".wav") && $0 != "a.wav" }
        #expect(leftovers.isEmpty, "no output written by a refused command: \(leftovers)")
    }
}
