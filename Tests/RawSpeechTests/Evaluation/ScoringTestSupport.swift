// Models the scoring and generation tests share: a tiny GRU trained for a few updates on the
// synthetic sines of TrainerTests (trained once per test process, on first use) and the
// linear baseline fitted on the same data. Small enough to train in a few seconds in debug.
import Foundation
@testable import RawSpeechNetwork
@testable import RawSpeechTraining

enum ScoringModels {
    /// The training data of both models: normalized sines plus noise (TrainerTests).
    static let data = syntheticData(trainSeconds: 2, validSeconds: 0.5)

    /// A GRU-16 with 4 components after 40 updates: not good, but trained (non-trivial
    /// state, means and mixture weights), which is all scoring needs.
    static let gru: TrainedModel = {
        var config = TrainingConfig(model: ModelConfig(cell: .gru, units: 16, components: 4))
        config.batch = 4
        config.steps = 20
        config.updates = 40
        config.evalEvery = 40
        config.checkpointEvery = 40
        config.patience = 0
        config.weightNoise = 0
        config.learningRate = 3e-3
        let run = temporaryRunFolder("scoring-gru")
        defer { try? FileManager.default.removeItem(at: run.url) }
        try! run.create()
        let trainer = try! Trainer(config: config, data: data, run: run, resume: false)
        _ = try! trainer.train()
        var model = trainer.state.model
        model.parameters = trainer.state.bestParameters
        return model
    }()

    static let linear: TrainedModel = try! LinearBaseline.fit(data: data).trained

    /// A recording in waveform units (the synthetic sines of TrainerTests).
    static func waveform(seconds: Double, seed: UInt64, rate: Int = 16_000) -> [Float] {
        syntheticSignal(seconds: seconds, rate: rate, seed: seed)
    }
}
