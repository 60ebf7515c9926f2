import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork
@testable import RawSpeechTraining

/// A sum of sines plus noise: predictable from context, with a noise floor.
func syntheticSignal(seconds: Double, rate: Int = 16000, seed: UInt64) -> [Float] {
    var rng = SeededGenerator(seed: seed)
    let count = Int(seconds * Double(rate))
    let phase = rng.nextUniform() * 2 * .pi
    var samples = [Float](repeating: 0, count: count)
    for n in 0 ..< count {
        let t = Double(n) / Double(rate)
        let clean = 0.3 * sin(2 * .pi * 220 * t + phase) + 0.2 * sin(2 * .pi * 530 * t)
            + 0.1 * sin(2 * .pi * 1330 * t + 2 * phase)
        samples[n] = Float(clean + 0.01 * rng.nextGaussian())
    }
    return samples
}

func syntheticData(trainSeconds: Double = 4, validSeconds: Double = 1) -> TrainingData {
    let train = (0 ..< 4).map { syntheticSignal(seconds: trainSeconds / 4, seed: UInt64($0) + 1) }
    let valid = [syntheticSignal(seconds: validSeconds, seed: 99)]
    let all = train.joined()
    let mean = all.reduce(0.0) { $0 + Double($1) } / Double(all.count)
    let std = (all.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(all.count)).squareRoot()
    let normalization = Normalization(mean: mean, std: std)
    return TrainingData(train: train.map { $0.map(normalization.normalize) },
                        valid: valid.map { $0.map(normalization.normalize) },
                        normalization: normalization, sampleRate: 16000, frame: .paper)
}

func temporaryRunFolder(_ name: String) -> RunFolder {
    RunFolder(url: FileManager.default.temporaryDirectory
        .appendingPathComponent("rawspeech-\(name)-\(UUID().uuidString)"))
}

@Suite struct TrainerTests {
    func smallConfig(updates: Int) -> TrainingConfig {
        var config = TrainingConfig(model: ModelConfig(cell: .gru, units: 32, components: 4))
        config.batch = 8
        config.steps = 20
        config.updates = updates
        config.evalEvery = 50
        config.checkpointEvery = 50
        config.patience = 0
        config.weightNoise = 0
        config.learningRate = 3e-3
        return config
    }

    @Test func gruBeatsLinearBaselineOnSines() throws {
        let data = syntheticData()
        let run = temporaryRunFolder("synthetic")
        defer { try? FileManager.default.removeItem(at: run.url) }
        try run.create()
        let trainer = try Trainer(config: smallConfig(updates: 300), data: data, run: run, resume: false)
        let outcome = try trainer.train()
        #expect(outcome.reason == .updates)
        let baseline = try LinearBaseline.fit(data: data)
        let lines = try run.readMetrics()
        #expect(lines.count == 300 / 50)
        #expect(lines.last!.validNLL < lines.first!.validNLL)
        // "Well below": at least 2 nats per frame under the closed-form linear predictor.
        #expect(outcome.progress.bestValidNLL < baseline.metrics.validNLL - 2,
                "GRU \(outcome.progress.bestValidNLL) vs linear \(baseline.metrics.validNLL)")
        // The saved model reproduces the best validation NLL.
        let model = try Checkpoint.loadModel(from: run.url)
        #expect(abs(trainer.validationNLL(model.parameters) - outcome.progress.bestValidNLL) < 1e-9)
    }

    @Test(arguments: [1, 2]) func resumedRunMatchesUninterruptedRun(threads: Int) throws {
        let data = syntheticData(trainSeconds: 2, validSeconds: 0.5)
        let whole = temporaryRunFolder("whole")
        let split = temporaryRunFolder("split")
        defer {
            try? FileManager.default.removeItem(at: whole.url)
            try? FileManager.default.removeItem(at: split.url)
        }
        try whole.create()
        try split.create()
        var config = smallConfig(updates: 120)
        config.weightNoise = 0.075 // exercises the RNG state across the resume
        _ = try Trainer(config: config, data: data, run: whole, resume: false, threads: threads).train()

        // Stop the second run at its first checkpoint, as a kill would, then resume it.
        var stopped = false
        _ = try Trainer(config: config, data: data, run: split, resume: false, threads: threads).train(
            shouldStop: { stopped }, onEvent: { if case .checkpoint = $0 { stopped = true } })
        _ = try Trainer(config: config, data: data, run: split, resume: true, threads: threads).train()

        let a = try Checkpoint.readState(from: whole.checkpoint)
        let b = try Checkpoint.readState(from: split.checkpoint)
        #expect(a.progress.update == 120 && b.progress.update == 120)
        #expect(Signals.mismatch(a.model.parameters, b.model.parameters) == nil)
        #expect(Signals.mismatch(a.optimizer.meanSquare, b.optimizer.meanSquare) == nil)
        #expect(try whole.readMetrics().map(\.validNLL) == split.readMetrics().map(\.validNLL))
    }
}

@Suite struct RollbackTests {
    @Test func nonFiniteLossRollsBackAndLowersTheLearningRate() throws {
        let data = syntheticData(trainSeconds: 2, validSeconds: 0.5)
        let run = temporaryRunFolder("rollback")
        defer { try? FileManager.default.removeItem(at: run.url) }
        try run.create()
        var config = TrainingConfig(model: ModelConfig(cell: .lstm, units: 8, components: 2))
        (config.batch, config.steps, config.evalEvery, config.patience, config.weightNoise) = (4, 10, 20, 0, 0)
        (config.updates, config.checkpointEvery) = (80, 50)
        let trainer = try Trainer(config: config, data: data, run: run, resume: false)

        // At update 50 a weight goes bad, as a diverging run's would: the next loss is NaN,
        // and the run must go back to its last evaluation (update 40) with a lower rate.
        var rollbacks: [(update: Int, rate: Double)] = []
        var poisoned = false
        let outcome = try trainer.train(onEvent: { event in
            switch event {
            case .checkpoint(50) where !poisoned:
                trainer.state.model.parameters[0] = .nan
                poisoned = true
            case let .rollback(update, rate): rollbacks.append((update, rate))
            default: break
            }
        })
        #expect(rollbacks.count == 1)
        #expect(rollbacks.first?.update == 50)
        #expect(rollbacks.first?.rate == config.learningRate * config.rollbackLearningRateFactor)
        #expect(outcome.progress.rollbacks == 1 && outcome.progress.update == 80)
        #expect(outcome.progress.learningRate == config.learningRate * config.rollbackLearningRateFactor)
        #expect(trainer.state.model.parameters.allSatisfy { $0.isFinite })
        let lines = try run.readMetrics()
        #expect(lines.map(\.update) == [20, 40, 60, 80])
        #expect(lines.allSatisfy { $0.validNLL.isFinite })
    }
}
