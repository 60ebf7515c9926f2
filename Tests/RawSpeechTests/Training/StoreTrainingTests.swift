// Training from a data folder's mapped stores is training on the same numbers as from
// arrays in memory: the same weights bit for bit after many updates (batches read straight
// from the mapping, state carried across a recording's chunks). Validation scores a fixed,
// seeded subset bounded by --valid-seconds (the whole split when smaller), says which in
// metrics.jsonl, and the run's outcome carries the whole split's NLL of the saved model.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest
@testable import RawSpeechNetwork
@testable import RawSpeechTraining

@Suite struct StoreTrainingTests {
    /// 16-bit WAVs of synthetic speech-like signals: `train` and `valid` seconds per file.
    func folder(_ scratch: ScratchFolder, train: [Double], valid: [Double]) throws -> DataFolder {
        var entries: [ManifestEntry] = []
        for (i, seconds) in (train + valid).enumerated() {
            let signal = syntheticSignal(seconds: seconds, seed: UInt64(i) + 11)
            let pcm = signal.map { Int32(SampleFormat.quantize($0)) << 16 }
            let url = scratch.file("audio/r\(i).wav")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AudioFile.write(pcm: pcm, channels: 1, sampleRate: 16000, to: url, format: .wav16)
            var entry = ManifestEntry(audioFilepath: "audio/r\(i).wav", duration: seconds,
                                      split: i < train.count ? .train : .valid, speaker: "s", sha256: nil)
            entry.line = i + 1
            entries.append(entry)
        }
        let manifest = Manifest(entries: entries, url: scratch.file("m.jsonl"))
        try manifest.write(to: manifest.url)
        _ = try Preprocessor.run(manifest: manifest, output: scratch.file("data"), options: PreprocessOptions(jobs: 2))
        return try DataFolder(url: scratch.file("data"))
    }

    func config() -> TrainingConfig {
        var config = TrainingConfig(model: ModelConfig(cell: .gru, units: 16, components: 3))
        config.batch = 6
        config.steps = 25
        config.evalEvery = 20
        config.updates = 60
        config.patience = 0
        config.checkpointEvery = 1000
        return config
    }

    @Test func storeAndMemoryTrainTheSameWeights() throws {
        let scratch = ScratchFolder()
        let folder = try folder(scratch, train: [0.4, 0.7, 0.25, 0.5], valid: [0.3, 0.2])
        let mapped = try TrainingData.load(folder)
        #expect(folder.stores[.train] != nil)
        let n = mapped.normalization
        let inMemory = TrainingData(train: try folder.recordings(split: .train).map { $0.samples.map(n.normalize) },
                                    valid: try folder.recordings(split: .valid).map { $0.samples.map(n.normalize) },
                                    normalization: n, sampleRate: 16000, frame: .paper)
        var weights: [[Float]] = []
        var metrics: [[MetricsLine]] = []
        for data in [mapped, inMemory] {
            let run = temporaryRunFolder("store-vs-memory")
            defer { try? FileManager.default.removeItem(at: run.url) }
            try run.create()
            let trainer = try Trainer(config: config(), data: data, run: run, resume: false, threads: 2)
            _ = try trainer.train()
            weights.append(trainer.state.model.parameters)
            metrics.append(try run.readMetrics())
        }
        #expect(weights[0] == weights[1])
        #expect(metrics[0].map(\.validNLL) == metrics[1].map(\.validNLL))
        #expect(metrics[0].allSatisfy { $0.validSet == "whole" && abs($0.validSeconds! - 0.5) < 1e-9 })
    }

    @Test func validationScoresABoundedSeededSubset() throws {
        let scratch = ScratchFolder()
        let valid = (0 ..< 12).map { 0.15 + 0.05 * Double($0 % 4) }   // 3 s in 12 files
        let folder = try folder(scratch, train: [0.6, 0.6], valid: valid)
        let data = try TrainingData.load(folder)
        let whole = try ValidationSet.choose(from: data.valid, sampleRate: 16000, frame: .paper, seconds: 5)
        #expect(whole.isWholeSplit && whole.recordings.count == 12 && abs(whole.seconds - valid.reduce(0, +)) < 1e-9)
        #expect(try ValidationSet.choose(from: data.valid, sampleRate: 16000, frame: .paper, seconds: 0).isWholeSplit)
        let subset = try ValidationSet.choose(from: data.valid, sampleRate: 16000, frame: .paper, seconds: 1)
        let again = try ValidationSet.choose(from: data.valid, sampleRate: 16000, frame: .paper, seconds: 1)
        #expect(!subset.isWholeSplit && subset.seconds <= 1 && subset.seconds > 0.9)
        #expect(subset.recordings == again.recordings)
        // Each chosen piece is the start of a valid recording, in split order.
        let all = try (0 ..< data.valid.count).map { try data.valid.samples($0) }
        var next = 0
        for piece in subset.recordings {
            let at = try #require(all[next...].firstIndex { Array($0.prefix(piece.count)) == piece })
            next = at + 1
        }

        // A run validates on the subset, says so, and measures the whole split at the end.
        var config = config()
        config.validSeconds = 1
        let run = temporaryRunFolder("valid-subset")
        defer { try? FileManager.default.removeItem(at: run.url) }
        try run.create()
        let trainer = try Trainer(config: config, data: data, run: run, resume: false)
        let outcome = try trainer.train()
        let lines = try run.readMetrics()
        #expect(lines.count == 3 && lines.allSatisfy { $0.validSet == "subset" && $0.validSeconds == subset.seconds })
        let best = trainer.state.bestParameters
        let network = RecurrentMDN<Float>(config: config.model)
        var sum = 0.0, frames = 0
        for result in SequenceScorer(model: network, spec: .paper, batch: 5, steps: 25).run(all, parameters: best) {
            sum += result.nll.reduce(0.0) { $0 + Double($1) }
            frames += result.nll.count
        }
        let wholeNLL = try #require(outcome.wholeValidNLL)
        #expect(abs(wholeNLL - sum / Double(frames)) < 1e-4 * abs(wholeNLL), "\(wholeNLL) vs \(sum / Double(frames))")
        #expect(try run.readOutcome()?.wholeValidNLL == wholeNLL)
        #expect(abs(trainer.validationNLL(best) - outcome.progress.bestValidNLL) < 1e-9)

        // Resuming on another subset would compare NLLs of different audio: refused.
        var other = config
        other.validSeconds = 2
        other.updates = 80
        let error = #expect(throws: TrainingError.self) { _ = try Trainer(config: other, data: data, run: run, resume: true) }
        #expect(error == .resumeConflict(setting: .validSeconds, value: "2.0", saved: "1.0"))
        config.updates = 80
        #expect(try Trainer(config: config, data: data, run: run, resume: true).state.progress.update == 60)
    }
}
