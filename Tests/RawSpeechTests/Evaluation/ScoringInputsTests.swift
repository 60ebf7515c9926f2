// What `score` accepts as input (issue 10): gzip manifests, and clear per-file errors for a
// folder, "-" and a float file far outside [-1, 1]; and the scorer's refusals of figures
// that would mislead: a non-finite NLL, a model given as its own baseline.
import Foundation
import Testing
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest
@testable import RawSpeechNetwork
@testable import RawSpeechEvaluation

extension EvaluationTests {
    @Suite struct ScoringInputsTests {
        /// A manifest of one test and one train entry, plain and gzipped (by the system's gzip).
        func manifests(_ scratch: ScratchFolder) throws -> (plain: URL, gz: URL) {
            try AudioFile.write(ScoringModels.waveform(seconds: 0.2, seed: 1), sampleRate: 16_000, to: scratch.file("a.wav"))
            try AudioFile.write(ScoringModels.waveform(seconds: 0.2, seed: 2), sampleRate: 16_000, to: scratch.file("b.wav"))
            let manifest = Manifest(entries: [ManifestEntry(audioFilepath: "a.wav", duration: 0.2, split: .test),
                                              ManifestEntry(audioFilepath: "b.wav", duration: 0.2, split: .train)],
                                    url: scratch.file("m.jsonl"))
            try manifest.write(to: manifest.url)
            let copy = scratch.file("z.jsonl")
            try FileManager.default.copyItem(at: manifest.url, to: copy)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["gzip", "-n", copy.path]
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            return (manifest.url, scratch.file("z.jsonl.gz"))
        }

        @Test func gzipManifestsAreManifests() throws {
            let scratch = ScratchFolder()
            let (plain, gz) = try manifests(scratch)
            let fromPlain = try ScoringInputs.sources([plain.path], split: .test)
            let fromGz = try ScoringInputs.sources([gz.path], split: .test)
            #expect(fromGz.map(\.path) == fromPlain.map(\.path) && fromGz.count == 1, "\(fromGz.map(\.path))")
            #expect(fromGz.first?.url.lastPathComponent == "a.wav")
            #expect(ScoringInputs.isManifest("X.JSONL.GZ") && !ScoringInputs.isManifest("a.wav.gz"))
        }

        @Test func foldersAndStandardInputSayWhatTheyAre() throws {
            let scratch = ScratchFolder()
            let folder = scratch.file("takes")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let inputs = ScoringInputs.read(try ScoringInputs.sources([folder.path, "-"], split: .test), sampleRate: 16_000)
            guard case let .failed(path, error) = inputs[0], case let .failed(dash, dashError) = inputs[1] else {
                Issue.record("expected two failures: \(inputs)")
                return
            }
            #expect(path == folder.path && error.hasPrefix("is a folder, not an audio file"), "\(error)")
            #expect(dash == "-" && dashError.hasPrefix("reading standard input is not supported"), "\(dashError)")
        }

        /// 1e30 in a float WAV: finite, so libsndfile and AudioReader pass it, but every figure
        /// of it would be infinite or meaningless. Refused per file, held or streamed.
        @Test func absurdFloatSamplesAreRefusedPerFile() throws {
            let scratch = ScratchFolder()
            var samples = ScoringModels.waveform(seconds: 0.5, seed: 9)
            samples[4_000] = 1e30
            let url = scratch.file("loud.wav")
            try AudioFile.write(samples, sampleRate: 16_000, to: url, format: .wavFloat)
            let sources = [AudioSource(path: "loud.wav", url: url)]
            let scorer = ModelScorer(model: ScoringModels.gru)
            for streamAbove in [nil, 100] {
                let report = try scorer.score(inputs: ScoringInputs.read(sources, sampleRate: 16_000, streamAbove: streamAbove))
                guard case let .failed(_, error) = report.files[0] else {
                    Issue.record("scored: \(report.files[0]) (streamAbove \(String(describing: streamAbove)))")
                    continue
                }
                #expect(error.contains("far outside [-1, 1]") && error.contains("0.250 s"), "\(error)")
                #expect(report.total == nil && report.hasFailures)
            }
        }

        /// Samples that reach the scorer directly (a library caller) and drive the NLL to
        /// infinity fail that file rather than put an infinity in the total.
        @Test func nonFiniteLikelihoodFailsTheFile() throws {
            var loud = ScoringModels.waveform(seconds: 0.5, seed: 10)
            for i in stride(from: 0, to: loud.count, by: 7) { loud[i] = 1e30 }
            let report = try ModelScorer(model: ScoringModels.gru)
                .score([(name: "loud", samples: loud), (name: "fine", samples: ScoringModels.waveform(seconds: 0.5, seed: 11))])
            guard case let .failed(_, error) = report.files[0] else {
                Issue.record("scored: \(report.files[0])")
                return
            }
            #expect(error.contains("not finite"), "\(error)")
            let total = try #require(report.total)
            #expect(total.likelihood.nllPerFrame.isFinite && total.frames == report.files[1].scores?.frames)
        }

        @Test func aModelIsNotItsOwnBaseline() throws {
            let linear = ScoringModels.linear
            let recording = [(name: "a", samples: ScoringModels.waveform(seconds: 0.5, seed: 12))]
            for baseline in [linear, nil] {
                let report = try ModelScorer(model: linear, baseline: baseline).score(recording)
                #expect(report.baseline == nil)
                #expect(report.baselineNote == "no baseline: the model is the linear baseline")
                #expect(ScoreTable.render(report).contains("no baseline: the model is the linear baseline"))
            }
            // A recurrent model keeps a real linear baseline, and says nothing about it.
            let gru = try ModelScorer(model: ScoringModels.gru, baseline: linear).score(recording)
            #expect(gru.baseline != nil && gru.baselineNote == nil)
            #expect(ModelScorer.isSameModel(ScoringModels.gru, ScoringModels.gru))
            #expect(!ModelScorer.isSameModel(ScoringModels.gru, linear))
        }

        /// A near-silent recording is flagged from its level: left out of the spectral
        /// totals, kept in the likelihood total, for the model and the baseline alike.
        @Test func nearSilentRecordingsLeaveTheSpectralTotals() throws {
            let speech = ScoringModels.waveform(seconds: 0.5, seed: 13)
            let hiss = EvalCheck.noise(8_000, seed: 14, amplitude: 1e-4)   // about -85 dBFS
            let report = try ModelScorer(model: ScoringModels.gru, baseline: ScoringModels.linear)
                .score([(name: "speech", samples: speech), (name: "hiss", samples: hiss)])
            let (s, h) = (try #require(report.files[0].scores), try #require(report.files[1].scores))
            #expect(!s.isNearSilent && h.isNearSilent, "levels \(s.levelDBFS ?? .nan), \(h.levelDBFS ?? .nan)")
            for total in [report.total, report.baseline?.total] {
                let total = try #require(total)
                #expect(total.nearSilentFiles == 1 && total.spectralFrames == total.frames - h.frames)
            }
            let total = try #require(report.total)
            EvalCheck.expectClose([total.snrDB, total.lsdDB, total.spectralConvergence], [s.snrDB, s.lsdDB, s.spectralConvergence],
                                  relative: 1e-12, "spectral totals are the audible file's")
            let weighted = (Double(s.frames) * s.likelihood.nllPerFrame + Double(h.frames) * h.likelihood.nllPerFrame)
                / Double(s.frames + h.frames)
            #expect(EvalCheck.close(total.likelihood.nllPerFrame, weighted, relative: 1e-12))
            let table = ScoreTable.render(report)
            #expect(table.contains("hiss (near-silent)") && table.contains("1 near-silent file (level below -50 dBFS)"), "\(table)")
        }
    }
}
