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

/// What a resumed run keeps and what it takes from the caller, through the library.
@Suite struct TrainingSettingsTests {
    @Test func nothingChosenIsEveryDefault() {
        #expect(TrainingSettings().newConfig(frame: .paper) == TrainingConfig.defaults)
        #expect(TrainingConfig.defaults.model.units == 227)
        var settings = TrainingSettings()
        settings.cell = .tanh
        settings.budget = 169_000
        #expect(settings.newConfig().model.units == 400)
        settings.units = 7
        #expect(settings.newConfig().model.units == 7)  // units win over a budget
        // The frame comes from the data folder.
        #expect(TrainingSettings().newConfig(frame: FrameSpec(input: 16)).model.inputSize == 16)
    }

    static var saved: TrainingConfig {
        var config = TrainingConfig(model: ModelConfig(cell: .gru, units: 227))
        (config.updates, config.learningRate, config.seed, config.batch) = (200, 2e-3, 7, 16)
        return config
    }

    /// Each setting the run cannot change, set to another value, with its name and both values.
    static let shapeChanges: [(TrainingSetting, String, String, @Sendable (inout TrainingSettings) -> Void)] = [
        (.cell, "lstm", "gru", { $0.cell = .lstm }),
        (.cell, "linear", "gru", { $0.linear = true }),
        (.units, "64", "227", { $0.units = 64 }),
        (.units, "354", "227", { $0.budget = 400_000 }),  // 3(20H + H^2 + H) <= 400,400
        (.layers, "2", "1", { $0.layers = 2 }),
        (.components, "5", "20", { $0.components = 5 }),
        (.gruForm, "cudnn", "paper", { $0.gruForm = .cudnn }),
        (.sigmaFloor, "0.01", "0.001", { $0.sigmaFloor = 0.01 }),
        (.batch, "32", "16", { $0.batch = 32 }),
        (.steps, "50", "100", { $0.steps = 50 }),
        (.accumulate, "2", "1", { $0.accumulate = 2 }),
        (.seed, "1", "7", { $0.seed = 1 }),
    ]

    @Test(arguments: 0 ..< 12) func aChangedShapeIsRefusedByName(index: Int) {
        let (setting, value, saved, change) = Self.shapeChanges[index]
        var settings = TrainingSettings()
        change(&settings)
        #expect(throws: TrainingError.resumeConflict(setting: setting, value: value, saved: saved)) {
            try settings.resumed(Self.saved)
        }
    }

    @Test func theSameShapeGivenAgainIsAccepted() throws {
        var settings = TrainingSettings()
        (settings.cell, settings.budget, settings.layers, settings.batch, settings.seed) = (.gru, 169_000, 1, 16, 7)
        #expect(try settings.resumed(Self.saved) == Self.saved)
        #expect(try TrainingSettings().resumed(Self.saved) == Self.saved)
    }

    @Test func stoppingRulesScheduleAndOptimizerApply() throws {
        var settings = TrainingSettings()
        (settings.updates, settings.minutes, settings.evalEvery, settings.patience) = (300, 2, 25, 0)
        (settings.checkpointEvery, settings.learningRate, settings.clip, settings.weightNoise) = (75, 5e-4, 0.5, 0)
        let config = try settings.resumed(Self.saved)
        #expect(config.updates == 300 && config.minutes == 2 && config.evalEvery == 25 && config.patience == 0)
        #expect(config.checkpointEvery == 75 && config.learningRate == 5e-4 && config.clip == 0.5 && config.weightNoise == 0)
        #expect(config.model == Self.saved.model && config.seed == 7 && config.batch == 16)
    }

    func smallConfig() -> TrainingConfig {
        var config = TrainingConfig(model: ModelConfig(cell: .gru, units: 8, components: 2))
        (config.batch, config.steps, config.evalEvery, config.checkpointEvery, config.patience) = (4, 10, 20, 20, 0)
        config.updates = 40
        return config
    }

    @Test func aResumedRunTrainsToTheNewLimitWithTheNewRate() throws {
        let data = syntheticData(trainSeconds: 2, validSeconds: 0.5)
        let run = temporaryRunFolder("resume-settings")
        defer { try? FileManager.default.removeItem(at: run.url) }
        try run.create()
        let first = try Trainer(config: smallConfig(), data: data, run: run, resume: false).train()
        #expect(first.reason == .updates && first.progress.update == 40)

        var settings = TrainingSettings()
        (settings.updates, settings.learningRate, settings.evalEvery) = (100, 4e-4, 30)
        let saved = try Checkpoint.readState(from: run.checkpoint).config
        let trainer = try Trainer(config: try settings.resumed(saved), data: data, run: run, resume: true)
        #expect(trainer.state.progress.update == 40 && trainer.state.progress.learningRate == 4e-4)
        let second = try trainer.train()
        #expect(second.reason == .updates && second.progress.update == 100)
        let lines = try run.readMetrics()
        #expect(lines.map(\.update) == [20, 40, 60, 90, 100])
        #expect(lines.map(\.learningRate) == [1e-3, 1e-3, 4e-4, 4e-4, 4e-4])
        #expect(try Checkpoint.readState(from: run.checkpoint).config.updates == 100)
    }

    @Test func theTrainerRefusesAnotherShapeOrOtherDataOnResume() throws {
        let data = syntheticData(trainSeconds: 2, validSeconds: 0.5)
        let run = temporaryRunFolder("resume-refused")
        defer { try? FileManager.default.removeItem(at: run.url) }
        try run.create()
        _ = try Trainer(config: smallConfig(), data: data, run: run, resume: false).train()

        var other = smallConfig()
        other.model.cell = .lstm
        #expect(throws: TrainingError.resumeConflict(setting: .cell, value: "lstm", saved: "gru")) {
            try Trainer(config: other, data: data, run: run, resume: true)
        }
        var shifted = data
        shifted.normalization.mean += 0.01
        #expect(throws: TrainingError.dataChanged(checkpoint: run.checkpoint.path, run: data.normalization,
                                                  data: shifted.normalization)) {
            try Trainer(config: smallConfig(), data: shifted, run: run, resume: true)
        }
    }
}
