// Music runs through the one Trainer: synthetic chorales of unequal length (a repeating
// chord pattern with some random notes, so there is something to learn), the batch of
// whole chorales padded and masked, validation by PianoRollScorer, resume bit for bit, and
// the paper's music sizes from the default budget.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork
@testable import RawSpeechTraining

/// `count` rolls of `notes` notes and 6...17 steps: a cycle of three chords (each three
/// notes) plus a rare random note, from `seed`.
func syntheticChorales(count: Int, notes: Int = 12, seed: UInt64) -> [[Float]] {
    var rng = SeededGenerator(seed: seed)
    let chords = [[0, 4, 7], [5, 9, 0], [7, 11, 2]]
    return (0 ..< count).map { _ in
        let steps = 6 + Int(rng.next() % 12)
        let start = Int(rng.next() % 3)
        var roll = [Float](repeating: 0, count: steps * notes)
        for t in 0 ..< steps {
            for note in chords[(start + t) % 3] { roll[t * notes + note] = 1 }
            if rng.nextUniform() < 0.2 { roll[t * notes + Int(rng.next() % UInt64(notes))] = 1 }
        }
        return roll
    }
}

func syntheticMusic(notes: Int = 12) -> TrainingData {
    TrainingData(music: MusicRolls(train: syntheticChorales(count: 24, notes: notes, seed: 1),
                                   valid: syntheticChorales(count: 6, notes: notes, seed: 2), notes: notes))
}

@Suite struct MusicTrainerTests {
    func musicConfig(cell: Cell = .gru, updates: Int) -> TrainingConfig {
        var settings = TrainingSettings()
        settings.cell = cell
        settings.units = 16
        settings.batch = 4
        settings.updates = updates
        settings.evalEvery = 20
        settings.checkpointEvery = 20
        settings.patience = 0
        settings.learningRate = 1e-2
        return settings.newMusicConfig(notes: 12, longest: 17)
    }

    @Test(arguments: [Cell.tanh, .gru, .lstm])
    func learnsTheChordCycle(cell: Cell) throws {
        let data = syntheticMusic()
        let run = temporaryRunFolder("music-\(cell)")
        defer { try? FileManager.default.removeItem(at: run.url) }
        try run.create()
        let trainer = try Trainer(config: musicConfig(cell: cell, updates: 200), data: data, run: run, resume: false)
        let first = trainer.validationNLL(trainer.state.model.parameters)
        let outcome = try trainer.train()
        #expect(outcome.reason == .updates)
        let lines = try run.readMetrics()
        #expect(lines.count == 10)
        // The start (the head's bias at the notes' frequencies) knows which notes are common
        // but not the cycle; a model of the cycle pays for the random notes only, ~1.6 nats a step.
        #expect(outcome.progress.bestValidNLL < first - 2, "\(cell): \(first) -> \(outcome.progress.bestValidNLL)")
        #expect(outcome.progress.bestValidNLL < 3.5, "\(cell): \(outcome.progress.bestValidNLL)")
        // The saved model is a music model whose whole-valid NLL PianoRollScorer reproduces.
        let model = try Checkpoint.loadModel(from: run.url)
        #expect(model.config.output == .bernoulli)
        let scorer = PianoRollScorer(model: RecurrentMDN<Float>(config: model.config), batch: 5)
        let rescored = scorer.meanNLL(of: data.music!.valid, parameters: model.parameters)
        #expect(abs(rescored - outcome.progress.bestValidNLL) < 1e-5, "\(rescored) vs \(outcome.progress.bestValidNLL)")
    }

    @Test func resumedRunMatchesUninterruptedRun() throws {
        let data = syntheticMusic()
        let whole = temporaryRunFolder("music-whole"), split = temporaryRunFolder("music-split")
        defer {
            try? FileManager.default.removeItem(at: whole.url)
            try? FileManager.default.removeItem(at: split.url)
        }
        try whole.create()
        try split.create()
        let config = musicConfig(cell: .lstm, updates: 60)  // weight noise 0.075: the generator crosses the resume
        #expect(config.weightNoise == 0.075)
        _ = try Trainer(config: config, data: data, run: whole, resume: false).train()
        var stopped = false
        _ = try Trainer(config: config, data: data, run: split, resume: false).train(
            shouldStop: { stopped }, onEvent: { if case .checkpoint = $0 { stopped = true } })
        #expect(try Checkpoint.readState(from: split.checkpoint).progress.update == 20)
        _ = try Trainer(config: config, data: data, run: split, resume: true).train()
        let a = try Checkpoint.readState(from: whole.checkpoint), b = try Checkpoint.readState(from: split.checkpoint)
        #expect(a.progress.update == 60 && b.progress.update == 60)
        #expect(a.model.parameters == b.model.parameters)
        #expect(a.optimizer.meanSquare == b.optimizer.meanSquare)
        #expect(try whole.readMetrics().map(\.validNLL) == split.readMetrics().map(\.validNLL))
    }

    /// The scorer's mean is per real step: a chorale scored in a batch of longer ones
    /// (padded) gets the NLL it gets alone, and the valid mean is the step-weighted mean.
    @Test func scoringIgnoresPadding() {
        let rolls = syntheticChorales(count: 5, seed: 3)
        let config = ModelConfig(cell: .gru, units: 8, inputSize: 12, targetSize: 12, output: .bernoulli)
        let model = RecurrentMDN<Float>(config: config)
        var rng = SeededGenerator(seed: 4)
        var parameters: [Float] = []
        model.initializeParameters(&parameters, using: &rng)
        let together = PianoRollScorer(model: model, batch: 5).nll(of: rolls, parameters: parameters)
        let alone = rolls.map { PianoRollScorer(model: model, batch: 1).nll(of: [$0], parameters: parameters)[0] }
        for (a, b) in zip(together, alone) { #expect(abs(a - b) < 1e-4 * max(1, abs(b)), "\(a) vs \(b)") }
        let steps = Double(rolls.reduce(0) { $0 + $1.count } / 12)
        let mean = PianoRollScorer(model: model, batch: 2).meanNLL(of: rolls, parameters: parameters)
        #expect(abs(mean - alone.reduce(0, +) / steps) < 1e-4)
    }

    /// A roll longer than the scorer's window is scored in windows with the state carried:
    /// the sums of one pass, so a very long valid or test piece costs time, not memory.
    @Test func longRollsAreScoredInWindowsWithTheSameSums() {
        let rolls = syntheticChorales(count: 5, seed: 5)
        let config = ModelConfig(cell: .lstm, units: 8, inputSize: 12, targetSize: 12, output: .bernoulli)
        let model = RecurrentMDN<Float>(config: config)
        var rng = SeededGenerator(seed: 6)
        var parameters: [Float] = []
        model.initializeParameters(&parameters, using: &rng)
        let whole = PianoRollScorer(model: model, batch: 2).nll(of: rolls, parameters: parameters)
        for window in [1, 3, 5] {
            let windowed = PianoRollScorer(model: model, batch: 2, windowSteps: window).nll(of: rolls, parameters: parameters)
            for (a, b) in zip(windowed, whole) { #expect(abs(a - b) < 1e-4 * max(1, abs(b)), "window \(window): \(a) vs \(b)") }
        }
    }

    /// The memory estimate counts a music head as it is (88 outputs, no mixture buffers): a
    /// 100,000-step piece one at a time fits (it needs under 1 GB), where counting the
    /// unused 20 components said 15.6 GB and refused it.
    @Test func musicMemoryEstimateCountsTheBernoulliHead() throws {
        var settings = TrainingSettings()
        settings.cell = .gru
        settings.batch = 1
        let config = settings.newMusicConfig(notes: 88, longest: 100_000, pieces: 1)
        #expect(config.estimatedBytes() < 2e9, "\(config.estimatedBytes())")
        try config.check()
        var mixture = config
        mixture.model.output = .mixture
        #expect(mixture.estimatedBytes() > 4 * config.estimatedBytes())
    }

    /// Validation's workspace is counted too: one-step training pieces in batches of 4,096 fit,
    /// but a 2,048-step valid piece scored 4,096 at a time would need ~70 GB: refused up front.
    @Test func aLongValidPieceWithAHugeBatchIsRefusedBeforeAllocating() throws {
        let notes = 88
        var settings = TrainingSettings()
        settings.batch = 4096
        settings.updates = 1
        let config = settings.newMusicConfig(notes: notes, longest: 1, pieces: 4096)
        try config.check()
        let train = [[Float]](repeating: [Float](repeating: 0, count: notes), count: 8)
        let valid = [Float](repeating: 0, count: 2048 * notes)
        let data = TrainingData(music: MusicRolls(train: train, valid: [valid], notes: notes))
        let run = temporaryRunFolder("music-long-valid")
        defer { try? FileManager.default.removeItem(at: run.url) }
        try run.create()
        #expect { _ = try Trainer(config: config, data: data, run: run, resume: false) } throws: { error in
            guard case TrainingError.tooLarge(let bytes, _)? = error as? TrainingError else { return false }
            return bytes > TrainingLimits.memoryBytes
        }
    }

    /// The default budget picks the paper's music sizes, and counting with the piano's 88
    /// inputs is what the run really has.
    @Test func defaultBudgetGivesThePaperMusicSizes() {
        for (cell, units, counted) in [(Cell.tanh, 100, 20_100), (.gru, 46, 20_286), (.lstm, 36, 19_836)] {
            var settings = TrainingSettings()
            settings.cell = cell
            let config = settings.newMusicConfig(notes: 88, longest: 160)
            #expect(config.model.units == units, "\(cell)")
            #expect(config.model.budgetParameterCount == counted, "\(cell)")
            #expect(config.model.output == .bernoulli && config.model.inputSize == 88 && config.steps == 160)
            #expect(config.batch == TrainingConfig.musicDefaultBatch)
        }
    }

    @Test func aMusicModelNeedsMusicDataAndTheOtherWayRound() throws {
        let run = temporaryRunFolder("music-mismatch")
        defer { try? FileManager.default.removeItem(at: run.url) }
        try run.create()
        #expect(throws: TrainingError.self) {
            _ = try Trainer(config: musicConfig(updates: 1), data: syntheticData(trainSeconds: 1, validSeconds: 0.5),
                            run: run, resume: false)
        }
        var speech = TrainingConfig(model: ModelConfig(cell: .gru, units: 8, inputSize: 12, targetSize: 12))
        speech.steps = 17
        #expect(throws: TrainingError.self) {
            _ = try Trainer(config: speech, data: syntheticMusic(), run: run, resume: false)
        }
    }
}
