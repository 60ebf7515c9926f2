// Synthetic run folders for the report tests: three "trained" runs with plausible learning
// curves (tanh stalls, the gated units keep improving, as in the paper), a score.json and
// three signals to draw. Made in a fresh temporary folder per call; no test reads real runs.
import Foundation
@testable import RawSpeechCore

enum SyntheticRuns {
    /// Makes tanh-400, gru-227 and lstm-195 under a new temporary folder; returns their URLs.
    static func make() throws -> [URL] {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("rawspeech-report-test-\(UUID().uuidString)")
        var generator = SeededGenerator(seed: 42)
        let runs: [(String, String, Int, Double, Double, Double)] = [
            // name, cell, units, final NLL, time constant (updates), seconds per update
            ("tanh-400", "tanh", 400, 6.3, 900, 0.031),
            ("gru-227", "gru", 227, 2.4, 2_500, 0.052),
            ("lstm-195", "lstm", 195, 1.6, 3_500, 0.058),
        ]
        var urls: [URL] = []
        for (name, cell, units, final, tau, secondsPerUpdate) in runs {
            let url = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            var lines: [String] = []
            for update in stride(from: 0, through: 20_000, by: 250) {
                let nll = final + 6 * exp(-Double(update) / tau)
                let train = nll - 0.2 + 0.1 * (generator.nextUniform() - 0.5)
                // Validation every 1000 updates only, as a trainer would do it: null between.
                let valid = update % 1_000 == 0 ? String(nll + 0.05 * generator.nextUniform()) : "null"
                lines.append("{\"update\": \(update), \"seconds\": \(Double(update) * secondsPerUpdate), \"train_nll\": \(train), \"valid_nll\": \(valid)}")
            }
            try (lines.joined(separator: "\n") + "\n").write(to: url.appendingPathComponent("metrics.jsonl"), atomically: true, encoding: .utf8)
            try "{\"cell\": \"\(cell)\", \"units\": \(units), \"sample_rate\": 16000}"
                .write(to: url.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
            urls.append(url)
        }
        // gru-227 has been scored and has signals to draw.
        let gru = urls[1]
        try EvaluationTests.ScoreReportTests.report.jsonData().write(to: gru.appendingPathComponent("score.json"))
        let signals = gru.appendingPathComponent("spectrograms")
        try FileManager.default.createDirectory(at: signals, withIntermediateDirectories: true)
        let reference = speechLike(seconds: 1.2, sampleRate: 16_000, seed: 1)
        let noise = EvalCheck.noise(reference.count, seed: 2, amplitude: 0.01)
        let prediction = zip(reference, noise).map { 0.8 * $0 + $1 }
        let generated = speechLike(seconds: 1.2, sampleRate: 16_000, seed: 3).map { $0 * 0.7 }
        for (name, samples) in [("reference", reference), ("prediction", prediction), ("generated", generated)] {
            let bytes = samples.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
            try Data(bytes).write(to: signals.appendingPathComponent("\(name).f32"))
        }
        return urls
    }

    /// A gliding harmonic tone with a syllable-rate envelope and a little noise: it has the
    /// harmonic stripes a speech spectrogram shows.
    static func speechLike(seconds: Double, sampleRate: Int, seed: UInt64) -> [Float] {
        let count = Int(seconds * Double(sampleRate))
        let noise = EvalCheck.noise(count, seed: seed, amplitude: 0.003)
        var phase = 0.0
        return (0 ..< count).map { i in
            let t = Double(i) / Double(sampleRate)
            let f0 = 110 + 40 * sin(2 * Double.pi * 1.5 * t + Double(seed))
            phase += 2 * Double.pi * f0 / Double(sampleRate)
            var x = 0.0
            for h in 1 ... 25 where Double(h) * f0 < 7_500 {
                x += sin(Double(h) * phase) / Double(h) * (h % 4 == 2 ? 2 : 1)
            }
            let envelope = pow(sin(Double.pi * 3 * t), 2)
            return Float(0.1 * envelope * x) + noise[i]
        }
    }
}
