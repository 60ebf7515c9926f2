// `rawspeech score` and `rawspeech generate` end to end through the built binary, on a run
// folder made here (a tiny trained GRU and a preprocessed data folder of generated WAVs):
// exit codes, errors naming files, the JSON, the baseline cache, the files the report reads,
// and the generated WAV's length.
import Foundation
import Testing
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest
@testable import RawSpeechTraining
@testable import RawSpeechEvaluation

extension EvaluationTests {
    @Suite struct ScoreCommandLineTests {
        let cli = CommandLineTests()

        /// A data folder (train 2 files, valid 1, test 1) and a run folder trained "on" it.
        func makeRun(_ scratch: ScratchFolder) throws -> (run: URL, test: URL, manifest: URL) {
            let audio = scratch.file("audio")
            try FileManager.default.createDirectory(at: audio, withIntermediateDirectories: true)
            var entries: [ManifestEntry] = []
            for (i, split) in [Split.train, .train, .valid, .test].enumerated() {
                let name = "r\(i).wav"
                try AudioFile.write(ScoringModels.waveform(seconds: 0.5, seed: 300 + UInt64(i)), sampleRate: 16_000,
                                    to: audio.appendingPathComponent(name))
                entries.append(ManifestEntry(audioFilepath: name, duration: 0.5, split: split))
            }
            let manifest = Manifest(entries: entries, url: audio.appendingPathComponent("m.jsonl"))
            try manifest.write(to: manifest.url)
            let data = scratch.file("data")
            _ = try Preprocessor.run(manifest: manifest, output: data, options: PreprocessOptions(jobs: 1))
            let run = scratch.file("run")
            try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
            try Checkpoint.writeModel(ScoringModels.gru, to: run.appendingPathComponent("model.ckpt"))
            try "{\"cell\": \"gru\", \"units\": 16, \"sample_rate\": 16000, \"data\": \"\(data.path)\"}"
                .write(to: run.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
            return (run, audio.appendingPathComponent("r3.wav"), manifest.url)
        }

        @Test func scoreWritesReportsAndFailsOnBadFiles() throws {
            let scratch = ScratchFolder()
            let (run, test, manifest) = try makeRun(scratch)
            try Data("garbage".utf8).write(to: scratch.file("bad.wav"))
            let json = scratch.file("out.json")
            let result = try cli.run(["score", run.path, test.path, scratch.file("bad.wav").path, manifest.path,
                                      "--json", json.path])
            #expect(result.status == 1, "a file failed: \(result.stderr)")
            #expect(result.stderr.contains("error: \(scratch.file("bad.wav").path): not an audio file"), "\(result.stderr)")
            #expect(result.stdout.contains("baseline: linear") && result.stdout.contains("total"), "\(result.stdout)")
            let report = try ScoreReport.decode(Data(contentsOf: json))
            #expect(report.model == run.path)
            #expect(report.files.map { $0.scores != nil } == [true, false, true], "file, bad file, the manifest's test line")
            // The same recording, scored in one batch of two rows: the rows go through the
            // batched GEMM kernels at different positions, so the sums may differ in the last
            // bits (seen on an AMD EPYC: 2e-10 relative), never more.
            if let a = report.files[0].scores, let b = report.files[2].scores {
                let figures = { (s: Scores) in [s.likelihood.nllPerFrame, s.lsdDB, s.spectralConvergence, s.snrDB, s.segsnrDB] }
                EvalCheck.expectClose(figures(a), figures(b), relative: 1e-7, "same file twice")
                #expect(a.frames == b.frames)
            }
            #expect(report.baseline?.total != nil)
            // The baseline is cached in the run, the report's inputs are there.
            for name in ["baseline.ckpt", "score.json", "spectrograms/reference.f32", "spectrograms/prediction.f32"] {
                #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(name).path), "\(name)")
            }
            let reference = try Data(contentsOf: run.appendingPathComponent("spectrograms/reference.f32"))
            #expect(reference.count == 4 * (8_000 - 20), "0.5 s minus the first 20 samples")
            #expect(try ScoreReport.decode(Data(contentsOf: run.appendingPathComponent("score.json"))) == report)

            // Streamed (constant memory) instead of held: the same figures.
            let streamedJSON = scratch.file("streamed.json")
            try FileManager.default.removeItem(at: run.appendingPathComponent("spectrograms"))
            let again = try cli.run(["score", run.path, test.path, "--baseline", "none",
                                     "--stream-above", "0.1", "--json", streamedJSON.path])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(!again.stdout.contains("baseline") && again.stderr.contains("1 streamed"), "\(again.stderr)")
            let streamed = try #require(try ScoreReport.decode(Data(contentsOf: streamedJSON)).files[0].scores)
            let held = try #require(report.files[0].scores)
            #expect(streamed.frames == held.frames)
            #expect(EvalCheck.close(streamed.likelihood.nllPerFrame, held.likelihood.nllPerFrame, relative: 1e-5))
            #expect(EvalCheck.close(streamed.lsdDB, held.lsdDB, relative: 1e-5))
            let streamedReference = try Data(contentsOf: run.appendingPathComponent("spectrograms/reference.f32"))
            #expect(streamedReference == reference, "the signals of a streamed first file")
        }

        /// Issue 10: a call that scores nothing keeps the earlier RUNDIR/score.json; folders,
        /// "-" and absurd float samples are per-file errors that say what they are; a linear
        /// model given as its own baseline is not printed as one.
        @Test func failedCallsKeepTheReportAndInputsSayWhatIsWrong() throws {
            let scratch = ScratchFolder()
            let (run, test, _) = try makeRun(scratch)
            let good = try cli.run(["score", run.path, test.path, "--baseline", "none"])
            #expect(good.status == 0, "\(good.stderr)")
            let saved = try Data(contentsOf: run.appendingPathComponent("score.json"))
            #expect(try ScoreReport.decode(saved).total != nil)

            let folder = scratch.file("takes")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var samples = ScoringModels.waveform(seconds: 0.5, seed: 40)
            samples[100] = 1e30
            let loud = scratch.file("loud.wav")
            try AudioFile.write(samples, sampleRate: 16_000, to: loud, format: .wavFloat)
            let failed = try cli.run(["score", run.path, scratch.file("missing.wav").path, folder.path, "-", loud.path,
                                      "--baseline", "none"])
            #expect(failed.status == 1)
            #expect(try Data(contentsOf: run.appendingPathComponent("score.json")) == saved, "the good report survives")
            #expect(failed.stderr.contains("score.json not written: no file was scored"), "\(failed.stderr)")
            #expect(failed.stderr.contains("error: \(folder.path): is a folder, not an audio file"), "\(failed.stderr)")
            #expect(failed.stderr.contains("error: -: reading standard input is not supported"), "\(failed.stderr)")
            #expect(failed.stderr.contains("error: \(loud.path): a sample at 0.006 s is 1e+30, far outside [-1, 1]"), "\(failed.stderr)")
            #expect(!failed.stdout.contains("inf"), "no infinite figure: \(failed.stdout)")

            let linear = scratch.file("linear.ckpt")
            try Checkpoint.writeModel(ScoringModels.linear, to: linear)
            let itself = try cli.run(["score", linear.path, test.path, "--baseline", linear.path])
            #expect(itself.status == 0, "\(itself.stderr)")
            #expect(itself.stdout.contains("no baseline: the model is the linear baseline") && !itself.stdout.contains("baseline: linear"),
                    "\(itself.stdout)")
            #expect(!itself.stdout.contains("model vs baseline"))
        }

        @Test func unusableModelsExitNonZeroNamingThem() throws {
            let scratch = ScratchFolder()
            let (run, test, _) = try makeRun(scratch)
            let empty = scratch.file("empty")
            try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
            let notRun = try cli.run(["score", empty.path, test.path])
            #expect(notRun.status != 0 && notRun.stderr.contains("\(empty.path): not a run folder"), "\(notRun.stderr)")

            var bytes = try Data(contentsOf: run.appendingPathComponent("model.ckpt"))
            bytes[bytes.count / 2] ^= 0xFF
            let corrupt = scratch.file("corrupt.ckpt")
            try bytes.write(to: corrupt)
            let damaged = try cli.run(["score", corrupt.path, test.path])
            #expect(damaged.status != 0 && damaged.stderr.contains("\(corrupt.path): model file checksum mismatch"), "\(damaged.stderr)")
            let missingBaseline = try cli.run(["score", run.path, test.path, "--baseline", scratch.file("nope").path])
            #expect(missingBaseline.status != 0 && missingBaseline.stderr.contains("error: baseline:"), "\(missingBaseline.stderr)")
            let linear = scratch.file("linear.ckpt")
            try Checkpoint.writeModel(ScoringModels.linear, to: linear)
            let explicit = try cli.run(["score", run.path, test.path, "--baseline", linear.path, "--no-save"])
            #expect(explicit.status == 0 && explicit.stdout.contains("baseline: linear"), "\(explicit.stderr)")
            let generate = try cli.run(["generate", corrupt.path, "--seconds", "0.1", "--output", scratch.file("g.wav").path])
            #expect(generate.status != 0 && generate.stderr.contains("checksum"), "\(generate.stderr)")
        }

        @Test func generateWritesTheRequestedLength() throws {
            let scratch = ScratchFolder()
            let (run, test, _) = try makeRun(scratch)
            let output = scratch.file("g.wav")
            let result = try cli.run(["generate", run.path, "--seconds", "0.5", "--output", output.path, "--seed", "3"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("long-term spectrum distance"), "\(result.stdout)")
            let audio = try AudioFile.readMono(output)
            #expect(audio.sampleRate == 16_000 && audio.samples.count == 8_000)
            let saved = try Data(contentsOf: run.appendingPathComponent("spectrograms/generated.f32"))
            #expect(saved.count == 4 * 8_000)
            // The file holds the generator's samples, to 16-bit precision.
            let direct = try Generator(model: ScoringModels.gru).generate(samples: 8_000, seed: 3)
            let worst = zip(audio.samples, direct).map { abs($0 - $1) }.max() ?? 1
            #expect(worst <= 1.0 / 32_768 + 1e-6, "max difference \(worst)")

            let primed = try cli.run(["generate", run.path, "--seconds", "0.25", "--output", scratch.file("p.wav").path,
                                      "--prime", test.path, "--temperature", "0.5"])
            #expect(primed.status == 0 && primed.stdout.contains("continuing"), "\(primed.stderr)")
            let badPrime = try cli.run(["generate", run.path, "--seconds", "0.25", "--output", scratch.file("q.wav").path,
                                        "--prime", scratch.file("missing.wav").path])
            #expect(badPrime.status != 0 && badPrime.stderr.contains("missing.wav"), "\(badPrime.stderr)")
        }
    }
}
