// The files `score`, `generate` and `compare` leave for the report, and the spectrum
// distance `generate` prints: RunSignals writes what Report.loadRun reads back (exact
// samples, titles, order); LongTermSpectrum's distance to a data folder counts only the
// asked split and refuses another sample rate.
import Foundation
import Testing
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest
@testable import RawSpeechEvaluation

extension EvaluationTests {
    @Suite struct RunSignalsTests {
        @Test func reportReadsWhatIsWritten() throws {
            let scratch = ScratchFolder()
            let run = scratch.file("run")
            try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
            try "{\"update\": 0, \"seconds\": 0, \"train_nll\": 1, \"valid_nll\": 1}\n"
                .write(to: run.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
            let generated = ScoringModels.waveform(seconds: 0.2, seed: 8)
            let signals = RunSignals(run: run)
            try signals.write(generated, as: .generated)
            let scorer = ModelScorer(model: ScoringModels.gru)
            let recording = ScoringModels.waveform(seconds: 0.3, seed: 9)
            try signals.writeOnePrediction(scorer, inputs: [.failed(path: "x", error: "unreadable"),
                                                            .recording(ScoredRecording(path: "r", samples: recording))])
            let expected = try #require(try scorer.onePrediction(recording))
            let record = try Report.loadRun(at: run)
            #expect(record.spectrograms.map(\.title) == ["held-out recording", "block prediction (one frame ahead)", "generated sample"])
            #expect(record.spectrograms.map(\.samples) == [expected.reference, expected.prediction, generated])
            try Data([0, 0, 0]).write(to: signals.url(.generated))
            #expect(throws: ReportError.self) { try Report.loadRun(at: run) }
        }

        @Test func spectrumDistanceToADataFolder() throws {
            let scratch = ScratchFolder()
            let audio = scratch.file("audio")
            try FileManager.default.createDirectory(at: audio, withIntermediateDirectories: true)
            var entries: [ManifestEntry] = []
            for (i, split) in [Split.train, .valid].enumerated() {
                try AudioFile.write(ScoringModels.waveform(seconds: 0.5, seed: 70 + UInt64(i)).map { $0 * Float(i + 1) / 2 },
                                    sampleRate: 16_000, to: audio.appendingPathComponent("r\(i).wav"))
                entries.append(ManifestEntry(audioFilepath: "r\(i).wav", duration: 0.5, split: split))
            }
            let manifest = Manifest(entries: entries, url: audio.appendingPathComponent("m.jsonl"))
            _ = try Preprocessor.run(manifest: manifest, output: scratch.file("data"), options: PreprocessOptions(jobs: 1))
            let folder = try DataFolder(url: scratch.file("data"))
            let train = try folder.recordings(split: .train)[0].samples
            #expect(try LongTermSpectrum.distanceDB(train, sampleRate: 16_000, to: folder) == 0)
            let halved = try LongTermSpectrum.distanceDB(train.map { $0 / 2 }, sampleRate: 16_000, to: folder)
            #expect(EvalCheck.close(halved, 20 * log10(2), relative: 1e-4), "\(halved) dB")
            #expect(try LongTermSpectrum.distanceDB(train, sampleRate: 16_000, to: folder, split: .valid) > 1)
            #expect(throws: LongTermSpectrumError.sampleRateMismatch(path: folder.url.path, dataRate: 16_000, signalRate: 8_000)) {
                try LongTermSpectrum.distanceDB(train, sampleRate: 8_000, to: folder)
            }
        }
    }
}
