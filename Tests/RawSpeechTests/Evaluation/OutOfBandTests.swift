// `score` on a model whose training data was upsampled: the fraction of each input's
// energy above the band the model saw (BandMeter on the evaluator's STFT), listed in the
// report's "out_of_band" with a warning flag, and a warning on stderr from the binary.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio
@testable import RawSpeechEvaluation

extension EvaluationTests {
    @Suite struct OutOfBandTests {
        func fraction(_ samples: [Float], bandwidth: Double) -> Double? {
            let meter = BandMeter(sampleRate: 16_000, bandwidthHz: bandwidth)
            meter.append(Array(samples.prefix(5000)))
            meter.append(Array(samples.dropFirst(5000)))   // streamed in blocks: one measurement
            return meter.fraction
        }

        @Test func meterMeasuresTheShareAboveTheBand() throws {
            let low = Signals.sine(frequency: 300, sampleRate: 16_000, count: 16_000)
            let high = Signals.sine(frequency: 6000, sampleRate: 16_000, count: 16_000)
            #expect(try #require(fraction(low, bandwidth: 4000)) < 1e-6)
            #expect(try #require(fraction(high, bandwidth: 4000)) > 0.999)
            let both = try #require(fraction(zip(low, high).map { $0 + $1 }, bandwidth: 4000))
            #expect(abs(both - 0.5) < 0.01, "\(both)")
            // White noise: about the share of the bins above 4 kHz.
            let noise = try #require(fraction(EvalCheck.noise(16_000, seed: 3), bandwidth: 4000))
            #expect(abs(noise - 0.5) < 0.05, "\(noise)")
            #expect(fraction(Array(low.prefix(100)), bandwidth: 4000) == nil, "shorter than one STFT frame")
        }

        @Test func reportFlagsInputsWithEnergyAboveTheTrainedBand() throws {
            let inBand = Signals.sine(frequency: 300, sampleRate: 16_000, count: 8000, amplitude: 0.1)
            let wide = EvalCheck.noise(8000, seed: 5)
            let scorer = ModelScorer(model: ScoringModels.gru)
            scorer.trainedBandwidthHz = 4000
            let report = try scorer.score([(name: "in-band.wav", samples: inBand), (name: "wide.wav", samples: wide)])
            let band = try #require(report.outOfBand)
            #expect(band.trainedBandwidthHz == 4000)
            #expect(band.files.map(\.path) == ["in-band.wav", "wide.wav"])
            #expect(band.files.map(\.warning) == [false, true])
            #expect(band.warnings.map(\.path) == ["wide.wav"])
            let json = String(decoding: try report.jsonData(), as: UTF8.self)
            #expect(json.contains("\"out_of_band_energy\"") && json.contains("\"trained_bandwidth_hz\" : 4000"), "\(json)")
            #expect(try ScoreReport.decode(report.jsonData()) == report)

            // A model trained on its full band, or of unknown band: nothing to check.
            scorer.trainedBandwidthHz = 8000
            #expect(try scorer.score([(name: "wide.wav", samples: wide)]).outOfBand == nil)
            scorer.trainedBandwidthHz = nil
            #expect(try scorer.score([(name: "wide.wav", samples: wide)]).outOfBand == nil)
        }

        @Test func scoreWarnsOnStderr() throws {
            let scratch = ScratchFolder()
            let (run, _, _) = try ScoreCommandLineTests().makeRun(scratch)
            // The run's data as if upsampled from 8 kHz.
            let config = run.appendingPathComponent("config.json")
            let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "\"sample_rate\": 16000", with: "\"sample_rate\": 16000, \"bandwidth_hz\": 4000")
            try text.write(to: config, atomically: true, encoding: .utf8)
            let noisy = scratch.file("noisy.wav")
            try AudioFile.write(EvalCheck.noise(8000, seed: 9), sampleRate: 16_000, to: noisy)
            let json = scratch.file("s.json")
            let result = try CommandLineTests().run(["score", run.path, noisy.path, "--baseline", "none", "--json", json.path, "--no-save"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("warning: \(noisy.path)") && result.stderr.contains("above 4000 Hz"), "\(result.stderr)")
            let report = try ScoreReport.decode(Data(contentsOf: json))
            #expect(report.outOfBand?.warnings.map(\.path) == [noisy.path])
        }
    }
}
