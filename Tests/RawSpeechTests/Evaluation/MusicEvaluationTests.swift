// score, generate and report on music (piano-roll folders and Bernoulli-head models):
// the split's NLL per time step is the per-piece sums of a plain one-piece-at-a-time pass
// over the split's steps; a model that knows only note frequencies scores exactly the
// independent-notes reference; sampling is seeded and draws keys at the model's rates; and
// the commands write score.json, MIDI (read back by mido) and a report with music units,
// refusing speech/music mix-ups with messages that say which is which.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechCorpus
@testable import RawSpeechIngest
@testable import RawSpeechNetwork
@testable import RawSpeechTraining
@testable import RawSpeechEvaluation

@Suite struct MusicEvaluationTests {
    /// A small music model (GRU, 8 units) with random weights.
    static func musicModel(cell: Cell = .gru, seed: UInt64 = 3) -> TrainedModel {
        let config = ModelConfig(cell: cell, units: 8, components: 1, inputSize: 88, targetSize: 88, output: .bernoulli)
        let network = RecurrentMDN<Float>(config: config)
        var rng = SeededGenerator(seed: seed)
        var parameters: [Float] = []
        network.initializeParameters(&parameters, using: &rng)
        for i in parameters.indices { parameters[i] += Float(rng.nextGaussian()) * 0.1 }
        return TrainedModel(kind: .recurrent, config: config, parameters: parameters, normalization: Normalization(mean: 0, std: 1),
                            sampleRate: 1, frame: FrameSpec(input: 88, target: 88, hop: 1))
    }

    /// A model whose logits are `bias` at every step whatever it reads (all weights zero).
    static func constantModel(logOdds: [Float]) -> TrainedModel {
        var model = musicModel()
        let layout = RecurrentMDN<Float>(config: model.config).layout
        model.parameters = [Float](repeating: 0, count: model.parameters.count)
        for (k, value) in logOdds.enumerated() { model.parameters[layout.headBias.lowerBound + k] = value }
        return model
    }

    static func musicFolder(_ scratch: ScratchFolder) throws -> PianoRollFolder {
        let source = scratch.file("set.json")
        try Data(PianoRollFolderTests.smallSet.utf8).write(to: source)
        _ = try PianoRollSource.preprocess(source, output: scratch.file("music"))
        return try PianoRollFolder(url: scratch.file("music"))
    }

    /// Each piece alone, step by step from a zero state (B = 1, T = 1), its NLL from the head's
    /// logits: the plain reference of the batched, padded and masked scorer.
    static func plainNLL(_ model: TrainedModel, _ roll: PianoRoll) -> Double {
        let network = RecurrentMDN<Float>(config: model.config)
        let workspace = network.makeWorkspace(batch: 1, steps: 1)
        var state = [Float](repeating: 0, count: network.stateSize)
        let (inputs, targets) = roll.inputsAndTargets
        var total = 0.0
        for t in 0 ..< roll.steps {
            let target = Array(targets[t * 88 ..< (t + 1) * 88])
            _ = network.forward(parameters: model.parameters, inputs: Array(inputs[t * 88 ..< (t + 1) * 88]), targets: target,
                                state: &state, workspace: workspace, steps: 1)
            total += BernoulliNotes.nll(logits: workspace.headOutputs, target: target)
        }
        return total
    }

    @Test func splitNLLIsThePiecesWholeOverTheSplitSteps() throws {
        let scratch = ScratchFolder()
        let folder = try Self.musicFolder(scratch)
        for cell in [Cell.tanh, .gru, .lstm] {
            let model = Self.musicModel(cell: cell)
            let report = try PianoRollScoring.score(model, modelName: "m", folder: folder, split: .train)
            let rolls = try folder.sequences(.train)
            let plain = rolls.map { Self.plainNLL(model, $0) }
            #expect(report.pieces == 2 && report.steps == 5 && report.perPiece.map(\.name) == ["train/000", "train/001"])
            for (piece, expected) in zip(report.perPiece, plain) {
                #expect(abs(piece.nll - expected) <= 1e-4 * abs(expected), "\(cell) \(piece.name): \(piece.nll) vs \(expected)")
                #expect(abs(piece.nllPerStep - piece.nll / Double(piece.steps)) < 1e-12)
            }
            let mean = plain.reduce(0, +) / 5
            #expect(abs(report.nllPerStep - mean) <= 1e-4 * mean)
            #expect(abs(report.nllPerNote * 88 - report.nllPerStep) < 1e-9 && abs(report.bitsPerStep * log(2) - report.nllPerStep) < 1e-9)
        }
    }

    @Test func aFrequencyOnlyModelScoresTheIndependentNotesReference() throws {
        let scratch = ScratchFolder()
        let folder = try Self.musicFolder(scratch)
        let reference = try PianoRollScoring.independentNotes(folder: folder)
        // Train split: 5 steps; MIDI 60 sounds in 1, 62 in 2 (add-one: 2/7 and 3/7), 48 in none (1/7).
        #expect(abs(reference.probabilities[60 - 21] - 2.0 / 7) < 1e-12 && abs(reference.probabilities[62 - 21] - 3.0 / 7) < 1e-12)
        #expect(abs(reference.probabilities[48 - 21] - 1.0 / 7) < 1e-12)
        let model = Self.constantModel(logOdds: reference.probabilities.map { Float(log($0 / (1 - $0))) })
        for split in Split.allCases {
            let report = try PianoRollScoring.score(model, modelName: "m", folder: folder, split: split)
            #expect(abs(report.nllPerStep - report.independentNotesNLLPerStep) < 1e-4 * report.nllPerStep, "\(split)")
        }
        // By hand for valid (one step, MIDI 48 only): -log(1/7) - sum over the other keys of log(1 - p).
        let others = (0 ..< 88).filter { $0 != 48 - 21 }.reduce(0.0) { $0 - log1p(-reference.probabilities[$1]) }
        let valid = try PianoRollScoring.score(model, modelName: "m", folder: folder, split: .valid)
        #expect(abs(valid.independentNotesNLLPerStep - (log(7.0) + others)) < 1e-9)
    }

    @Test func speechModelsAreRefusedNamingBoth() throws {
        let scratch = ScratchFolder()
        let folder = try Self.musicFolder(scratch)
        #expect { try PianoRollScoring.score(ScoringModels.gru, modelName: "runs/speech", folder: folder, split: .test) } throws: {
            "\($0)".contains("runs/speech is a speech model") && "\($0)".contains("needs a music model")
        }
        #expect(throws: PianoRollScoreError.self) { try PianoRollGenerator(model: ScoringModels.gru, name: "speech") }
    }

    @Test func samplingIsSeededAndDrawsAtTheModelsRates() throws {
        let generator = try PianoRollGenerator(model: Self.musicModel(), name: "m")
        let a = generator.generate(steps: 40, seed: 7), b = generator.generate(steps: 40, seed: 7)
        #expect(a == b && a.count == 40)
        #expect(a != generator.generate(steps: 40, seed: 8))
        #expect(a.allSatisfy { $0.allSatisfy(PianoRoll.midiRange.contains) && $0 == $0.sorted() })

        // Constant probabilities: 0.3 for the lower half of the keys, 0.02 above; over 1000
        // steps each rate is measured to about +-0.005 (binomial std 0.0015 and 0.0007).
        let odds = (0 ..< 88).map { Float($0 < 44 ? log(0.3 / 0.7) : log(0.02 / 0.98)) }
        let constant = try PianoRollGenerator(model: Self.constantModel(logOdds: odds), name: "c")
        let drawn = constant.generate(steps: 1000, seed: 1)
        let low = Double(drawn.reduce(0) { $0 + $1.filter { $0 < 21 + 44 }.count }) / (1000 * 44)
        let high = Double(drawn.reduce(0) { $0 + $1.filter { $0 >= 21 + 44 }.count }) / (1000 * 44)
        #expect(abs(low - 0.3) < 0.005 && abs(high - 0.02) < 0.003, "rates \(low), \(high)")
        // Temperature 0: the keys with positive logits, every step.
        let sure = try PianoRollGenerator(model: Self.constantModel(logOdds: (0 ..< 88).map { $0 % 20 == 0 ? 0.1 : -0.1 }), name: "s")
        #expect(sure.generate(steps: 3, seed: 1, temperature: 0) == Array(repeating: [21, 41, 61, 81, 101], count: 3))
    }

    @Test func primingRunsThePieceFirst() throws {
        let scratch = ScratchFolder()
        let folder = try Self.musicFolder(scratch)
        let generator = try PianoRollGenerator(model: Self.musicModel(), name: "m")
        let piece = try folder.sequences(.train)[0]
        let primed = generator.generate(steps: 20, seed: 4, prime: piece)
        #expect(primed.count == 20)
        #expect(primed != generator.generate(steps: 20, seed: 4), "the primer's state changes what follows")
        #expect(primed == generator.generate(steps: 20, seed: 4, prime: piece))
    }
}
