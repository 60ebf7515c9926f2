// ModelScorer against independent computations: its NLL against the trainer's validation
// (the same per-frame values, averaged), the linear model against LinearBaseline, the
// one-step prediction's alignment frame by frame, an exactly predictable signal (infinite
// SNR), the same audio as WAV, FLAC and 48 kHz, and every per-file failure.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio
@testable import RawSpeechNetwork
@testable import RawSpeechTraining
@testable import RawSpeechEvaluation

extension EvaluationTests {
    @Suite struct ModelScorerTests {
        let data = ScoringModels.data

        /// Valid recordings of three lengths, so batching pads and totals weight by frames.
        func validRecordings() -> [[Float]] {
            [0.5, 0.23, 0.71].enumerated().map { i, seconds in
                ScoringModels.waveform(seconds: seconds, seed: 200 + UInt64(i)).map(data.normalization.normalize)
            }
        }

        @Test func recurrentNLLEqualsTrainerValidation() throws {
            let model = ScoringModels.gru
            let valid = validRecordings()
            var trainingData = data
            trainingData.valid = RecordingSet(valid)
            let run = temporaryRunFolder("nll-equality")
            defer { try? FileManager.default.removeItem(at: run.url) }
            try run.create()
            var config = TrainingConfig(model: model.config)
            config.batch = 2   // a different batch from the scorer's: padding must not matter
            config.steps = 7
            let trainer = try Trainer(config: config, data: trainingData, run: run, resume: false)
            let expected = trainer.validationNLL(model.parameters)

            let recordings = valid.enumerated().map { (name: "v\($0)", samples: $1.map(model.normalization.denormalize)) }
            let report = try ModelScorer(model: model).score(recordings)
            let total = try #require(report.total)
            let normalized = try #require(total.normalized)
            // Float round trip of normalize/denormalize and another GEMM blocking: 1e-5 relative.
            #expect(EvalCheck.close(normalized.nllPerFrame, expected, relative: 1e-5, absolute: 1e-5),
                    "scorer \(normalized.nllPerFrame) vs trainer \(expected)")
            #expect(total.frames == valid.reduce(0) { $0 + FrameSpec.paper.frameCount(samples: $1.count) })
            let offset = 10 * log(model.normalization.std)
            #expect(EvalCheck.close(total.likelihood.nllPerFrame, normalized.nllPerFrame + offset, relative: 1e-12))
            #expect(EvalCheck.close(total.likelihood.bitsPerSample, total.likelihood.nllPerFrame / 10 / log(2), relative: 1e-12))
        }

        @Test func linearNLLEqualsBaselineFit() throws {
            var trainingData = data
            let valid = validRecordings()
            trainingData.valid = RecordingSet(valid)
            let fit = try LinearBaseline.fit(data: trainingData)
            let recordings = valid.enumerated().map {
                (name: "v\($0)", samples: $1.map(fit.trained.normalization.denormalize))
            }
            let report = try ModelScorer(model: fit.trained).score(recordings)
            let normalized = try #require(report.total?.normalized)
            #expect(EvalCheck.close(normalized.nllPerFrame, fit.metrics.validNLL, relative: 1e-5, absolute: 1e-5),
                    "scorer \(normalized.nllPerFrame) vs fit \(fit.metrics.validNLL)")
            #expect(report.model == "linear" && report.baseline == nil)
        }

        @Test func predictionIsAlignedFrameByFrame() throws {
            let model = ScoringModels.linear
            let predictor = LinearPredictor(parameters: model.parameters)
            let samples = ScoringModels.waveform(seconds: 0.1, seed: 7) + [0.1, 0.2, 0.3]  // 1603: 3 left over
            let (reference, prediction) = try #require(try ModelScorer(model: model).onePrediction(samples))
            let frames = FrameSpec.paper.frameCount(samples: samples.count)
            #expect(reference == Array(samples[20 ..< 10 * (frames - 1) + 30]))
            #expect(prediction.count == reference.count)
            let normalized = samples.map(model.normalization.normalize)
            for t in 0 ..< frames {
                let mean = predictor.predict(input: normalized[10 * t ..< 10 * t + 20]).map(model.normalization.denormalize)
                #expect(Array(prediction[10 * t ..< 10 * t + 10]) == mean, "frame \(t)")
            }
        }

        @Test func recurrentPredictionIsTheMixtureMean() throws {
            // The scorer's allocation-free mean against MixtureDensity.mean on a direct forward.
            let model = ScoringModels.gru
            let samples = ScoringModels.waveform(seconds: 0.05, seed: 8)   // 800 samples, 78 frames
            let (_, prediction) = try #require(try ModelScorer(model: model).onePrediction(samples))
            let (headOutputs, frames) = teacherForcedHeadOutputs(model, samples)
            let O = model.config.headOutputs, mixture = MixtureDensity(config: model.config)
            var expected: [Double] = []
            for t in 0 ..< frames {
                expected += mixture.mean(outputs: headOutputs[t * O ..< (t + 1) * O])
                    .map { Double(model.normalization.denormalize($0)) }
            }
            EvalCheck.expectClose(prediction.map(Double.init), expected, relative: 1e-5, absolute: 1e-7, "one-step prediction")
        }

        @Test func exactPredictorHasInfiniteSNR() throws {
            // y[d] = x[10 + d]: exact on any signal of period 10 samples (1.6 kHz at 16 kHz).
            var parameters = [Float](repeating: 0, count: LinearPredictor.parameterCount(inputSize: 20, targetSize: 10))
            for d in 0 ..< 10 { parameters[d * 20 + 10 + d] = 1; parameters[200 + 10 + d] = 0.01 }
            let model = TrainedModel(kind: .linear, config: ModelConfig(cell: .gru, units: 0, layers: 0, components: 1),
                                     parameters: parameters, normalization: Normalization(mean: 0, std: 1),
                                     sampleRate: 16_000, frame: .paper)
            let period: [Float] = [0, 0.3, 0.5, 0.2, -0.1, -0.4, -0.6, -0.2, 0.1, 0.25]
            let samples = (0 ..< 400).flatMap { _ in period }
            let scores = try #require(try ModelScorer(model: model).score([(name: "periodic", samples: samples)]).total)
            #expect(scores.snrDB == .infinity && scores.segsnrDB == 35)
            #expect(scores.lsdDB == 0 && scores.spectralConvergence == 0)
            // Gaussian NLL of an exact prediction: D (log sigma + log(2 pi) / 2) per frame.
            #expect(EvalCheck.close(scores.likelihood.nllPerFrame, 10 * (log(0.01) + 0.5 * log(2 * Double.pi)), relative: 1e-6))
        }

        @Test func wavFlacAnd48kAgree() throws {
            let scratch = ScratchFolder()
            // Band-limited content, written at each rate from the formula (no resampling in the test).
            func tone(_ rate: Int) -> [Float] {
                (0 ..< rate * 3 / 4).map { n in
                    let t = Double(n) / Double(rate)
                    return Float(0.3 * sin(2 * .pi * 220 * t) + 0.2 * sin(2 * .pi * 530 * t + 1) + 0.1 * sin(2 * .pi * 1330 * t))
                }
            }
            // Quantized here, so both containers get the same integers (libsndfile's float to
            // 16-bit conversion is not the same for WAV and FLAC).
            func pcm(_ x: [Float]) -> [Int32] { x.map { Int32((Double($0) * 32767).rounded()) << 16 } }
            try AudioFile.write(pcm: pcm(tone(16_000)), channels: 1, sampleRate: 16_000, to: scratch.file("a.wav"), format: .wav16)
            try AudioFile.write(pcm: pcm(tone(16_000)), channels: 1, sampleRate: 16_000, to: scratch.file("a.flac"), format: .flac16)
            try AudioFile.write(pcm: pcm(tone(48_000)), channels: 1, sampleRate: 48_000, to: scratch.file("a48.wav"), format: .wav16)
            let sources = ["a.wav", "a.flac", "a48.wav"].map { AudioSource(path: $0, url: scratch.file($0)) }
            let inputs = ScoringInputs.read(sources, sampleRate: 16_000)
            let scorer = ModelScorer(model: ScoringModels.gru, baseline: ScoringModels.linear)
            let report = try scorer.score(inputs: inputs)
            let (wav, flac, high) = try (#require(report.files[0].scores), #require(report.files[1].scores),
                                         #require(report.files[2].scores))
            #expect(wav == flac, "16-bit WAV and FLAC hold the same samples")
            #expect(abs(wav.frames - high.frames) <= 1)
            // Resampling (libsoxr) and 16-bit rounding at 48 kHz move each figure a little
            // (measured: 6e-5 nats/frame, 1e-4 dB); the bounds leave ~100x room.
            #expect(abs(wav.likelihood.nllPerFrame - high.likelihood.nllPerFrame) < 0.005,
                    "NLL/frame \(wav.likelihood.nllPerFrame) vs \(high.likelihood.nllPerFrame)")
            #expect(abs(wav.lsdDB - high.lsdDB) < 0.01, "LSD \(wav.lsdDB) vs \(high.lsdDB)")
            #expect(abs(wav.snrDB - high.snrDB) < 0.01, "SNR \(wav.snrDB) vs \(high.snrDB)")
            #expect(abs(wav.segsnrDB - high.segsnrDB) < 0.01, "segSNR \(wav.segsnrDB) vs \(high.segsnrDB)")
            #expect(EvalCheck.close(wav.spectralConvergence, high.spectralConvergence, relative: 1e-3))
            let base = try #require(report.baseline)
            #expect(base.files.compactMap(\.scores).count == 3)
        }

        @Test func badInputsFailAloneNamingTheFile() throws {
            let scratch = ScratchFolder()
            let good = ScoringModels.waveform(seconds: 0.4, seed: 11)
            try AudioFile.write(good, sampleRate: 16_000, to: scratch.file("good.wav"))
            try Data("not audio at all".utf8).write(to: scratch.file("corrupt.wav"))
            try AudioFile.write(Array(good.prefix(25)), sampleRate: 16_000, to: scratch.file("tiny.wav"))
            try AudioFile.write(Array(good.prefix(300)), sampleRate: 16_000, to: scratch.file("short.wav"))
            try AudioFile.write(Signals.sine(frequency: 200, sampleRate: 8_000, count: 4_000), sampleRate: 8_000,
                                to: scratch.file("low.wav"))
            try """
            {"audio_filepath":"good.wav","duration":0.4,"split":"test"}
            {"audio_filepath":"good.wav","duration":0.4,"split":"test","sha256":"\(String(repeating: "0", count: 64))"}
            {"audio_filepath":"gone.wav","duration":1,"split":"test"}
            {"audio_filepath":"corrupt.wav","duration":1,"split":"train"}

            """.write(to: scratch.file("m.jsonl"), atomically: true, encoding: .utf8)
            let arguments = ["good.wav", "corrupt.wav", "tiny.wav", "short.wav", "low.wav", "m.jsonl"].map { scratch.file($0).path }
            let sources = try ScoringInputs.sources(arguments, split: .test)
            #expect(sources.count == 8, "5 files and the manifest's 3 test lines")
            let report = try ModelScorer(model: ScoringModels.gru, baseline: ScoringModels.linear)
                .score(inputs: ScoringInputs.read(sources, sampleRate: 16_000))
            let errors = report.files.map { file -> String in
                if case let .failed(_, error) = file { return error } else { return "" }
            }
            #expect(errors[0] == "" && errors[5] == "", "the good file scores, directly and via the manifest")
            #expect(errors[1].contains("not an audio file"), "\(errors[1])")
            #expect(errors[2].contains("too short") && errors[2].contains("one frame"), "\(errors[2])")
            #expect(errors[3].contains("too short") && errors[3].contains("STFT"), "\(errors[3])")
            #expect(errors[4].contains("8000 Hz") && errors[4].contains("16000 Hz"), "\(errors[4])")
            #expect(errors[6].contains("sha256 mismatch"), "\(errors[6])")
            #expect(errors[7].contains("not found"), "\(errors[7])")
            #expect(report.files[7].path.hasSuffix("gone.wav") && report.files[1].path.hasSuffix("corrupt.wav"))
            #expect(report.hasFailures && report.total?.frames == 2 * report.files[0].scores!.frames)
            #expect(report.baseline?.files.compactMap(\.scores).count == 2)
        }

        @Test func unusableModelThrows() throws {
            var model = ScoringModels.gru
            model.parameters.removeLast()
            #expect(throws: ModelScorerError.self) { try ModelScorer(model: model).score([(name: "x", samples: [Float](repeating: 0, count: 1000))]) }
            var gappy = ScoringModels.linear
            gappy.frame.hop = 15
            #expect(throws: ModelScorerError.self) { try ModelScorer(model: gappy).score([(name: "x", samples: [Float](repeating: 0, count: 1000))]) }
        }

        @Test func jsonHasTheIssuesFieldNames() throws {
            let good = ScoringModels.waveform(seconds: 0.3, seed: 5)
            let report = try ModelScorer(model: ScoringModels.gru, baseline: ScoringModels.linear)
                .score(inputs: [.recording(ScoredRecording(path: "a.wav", samples: good)), .failed(path: "b.wav", error: "broken")])
            let object = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
            // Issue 4's names, and issue 10's additions (listed, so none goes unnoticed).
            #expect(Set(object.keys) == ["model", "files", "total", "baseline",
                                         "context_samples", "predicted_samples", "near_silent_below_dbfs"])
            #expect(object["predicted_samples"] as? Int == 10 && object["context_samples"] as? Int == 20)
            let figures: Set<String> = ["frames", "nll_per_frame", "nll_per_sample", "bits_per_sample", "lsd_db",
                                        "spectral_convergence", "snr_db", "segsnr_db", "bits_per_sample_16bit"]
            let files = try #require(object["files"] as? [[String: Any]])
            #expect(Set(files[0].keys) == figures.union(["path", "normalized", "level_dbfs", "near_silent"]))
            #expect(Set(files[1].keys) == ["path", "error"] && files[1]["error"] as? String == "broken")
            let total = try #require(object["total"] as? [String: Any])
            #expect(Set(total.keys) == figures.union(["normalized", "spectral_frames", "near_silent_files"]))
            #expect(Set((total["normalized"] as? [String: Any])?.keys ?? [:].keys) == ["nll_per_frame", "nll_per_sample", "bits_per_sample"])
            let baseline = try #require(object["baseline"] as? [String: Any])
            #expect(Set(baseline.keys) == ["model", "files", "total"] && baseline["model"] as? String == "linear")
            #expect(try ScoreReport.decode(report.jsonData()) == report)
        }
    }
}
