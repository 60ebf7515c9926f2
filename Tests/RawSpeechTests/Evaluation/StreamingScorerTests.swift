// The constant-memory path against the in-memory one: StreamingScorer fed odd-sized blocks,
// and ModelScorer streaming a file, give the figures ModelScorer computes on whole
// recordings (up to float rounding from the different batch shapes), for a recurrent and
// the linear model, across many chunk boundaries.
import Foundation
import Testing
@testable import RawSpeechAudio
@testable import RawSpeechEvaluation

extension EvaluationTests {
    @Suite struct StreamingScorerTests {
        func expectSame(_ a: Scores, _ b: Scores, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(a.frames == b.frames, "\(what): frames", sourceLocation: sourceLocation)
            let pairs: [(String, Double, Double)] = [
                ("nll", a.likelihood.nllPerFrame, b.likelihood.nllPerFrame),
                ("normalized nll", a.normalized!.nllPerFrame, b.normalized!.nllPerFrame),
                ("lsd", a.lsdDB, b.lsdDB), ("sc", a.spectralConvergence, b.spectralConvergence),
                ("snr", a.snrDB, b.snrDB), ("segsnr", a.segsnrDB, b.segsnrDB)]
            for (name, x, y) in pairs {
                #expect(EvalCheck.close(x, y, relative: 1e-5, absolute: 1e-5), "\(what) \(name): \(x) vs \(y)",
                        sourceLocation: sourceLocation)
            }
        }

        @Test func blocksAndChunksDoNotChangeTheFigures() throws {
            let samples = ScoringModels.waveform(seconds: 0.61, seed: 41) + [0.01, 0.02, 0.03, 0.04]  // 4 left over
            for model in [ScoringModels.gru, ScoringModels.linear] {
                let whole = try #require(try ModelScorer(model: model).score([(name: "x", samples: samples)]).files[0].scores)
                let streaming = try StreamingScorer(model: model, steps: 7)   // many chunk boundaries
                var start = 0
                while start < samples.count {   // blocks of 333: not a multiple of anything
                    streaming.append(Array(samples[start ..< min(start + 333, samples.count)]))
                    start += 333
                }
                let streamed = try #require(streaming.finish(path: "x").scores)
                expectSame(streamed, whole, ModelScorer.describe(model))
            }
        }

        @Test func longFilesAreStreamedWithTheSameResult() throws {
            let scratch = ScratchFolder()
            try AudioFile.write(ScoringModels.waveform(seconds: 0.7, seed: 42), sampleRate: 16_000,
                                to: scratch.file("a.wav"), format: .wavFloat)
            try AudioFile.write(ScoringModels.waveform(seconds: 0.2, seed: 43), sampleRate: 16_000,
                                to: scratch.file("b.wav"), format: .wavFloat)
            let sources = ["a.wav", "b.wav"].map { AudioSource(path: $0, url: scratch.file($0)) }
            let mixed = ScoringInputs.read(sources, sampleRate: 16_000, streamAbove: 5_000)
            guard case .stream = mixed[0], case .recording = mixed[1] else {
                Issue.record("the 0.7 s file is streamed, the 0.2 s one read: \(mixed)")
                return
            }
            let scorer = ModelScorer(model: ScoringModels.gru, baseline: ScoringModels.linear)
            let streamed = try scorer.score(inputs: mixed)
            let held = try scorer.score(inputs: ScoringInputs.read(sources, sampleRate: 16_000))
            for (s, h) in zip(streamed.files + streamed.baseline!.files, held.files + held.baseline!.files) {
                expectSame(try #require(s.scores), try #require(h.scores), s.path)
            }
            // A streamed file too short for the spectral measures fails like a held one.
            let short = try StreamingScorer(model: ScoringModels.gru)
            short.append(Array(ScoringModels.waveform(seconds: 0.02, seed: 1)))
            if case let .failed(_, error) = short.finish(path: "s") { #expect(error.contains("STFT")) } else { Issue.record("not failed") }
            let empty = try StreamingScorer(model: ScoringModels.gru)
            empty.append([0.1, 0.2])
            if case let .failed(_, error) = empty.finish(path: "e") { #expect(error.contains("one frame")) } else { Issue.record("not failed") }
        }
    }
}
