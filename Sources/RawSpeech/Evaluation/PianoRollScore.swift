// `rawspeech score` on a piano-roll (music) folder: the model's NLL of every piece of a split,
// whole (state from zero at each piece's start, no truncation), through Network's
// PianoRollScorer, the function the training loop's validation NLL also calls, so the two
// figures are one computation. The unit is the paper's Table 2 one: nats per time step,
// summed over the 88 notes, averaged over the split's steps (13,807 / 4,602 / 4,725 for JSB).
// Beside it, a reference any model should beat: every key independently on with its
// frequency in the train split (no time, no harmony). It scores; it prints nothing.
//
// JSON (snake_case keys are stable; new keys may be added):
//   {"kind": "pianoroll", "model": "runs/gru", "model_name": "gru-46", "data": "data/jsb",
//    "data_summary_sha256": "...", "split": "test", "pieces": 77, "steps": 4725,
//    "nll_per_step": 8.54, "nll_per_note": 0.097, "bits_per_step": 12.3,
//    "independent_notes_nll_per_step": 11.9,
//    "per_piece": [{"name": "test/000", "steps": 50, "nll": 421.0, "nll_per_step": 8.42}, ...]}
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechNetwork
import Foundation

/// One piece's figures.
public struct PieceScore: Codable, Equatable, Sendable {
    /// "test/017": split and position in the source file.
    public var name: String
    public var steps: Int
    /// Summed NLL over the piece's steps and notes, nats.
    public var nll: Double
    public var nllPerStep: Double

    package enum CodingKeys: String, CodingKey { case name, steps, nll, nllPerStep = "nll_per_step" }
}

/// A music model's figures on one split of a piano-roll folder.
public struct PianoRollScoreReport: Codable, Equatable, Sendable {
    /// Always "pianoroll": what tells this report from an audio ScoreReport in score.json.
    public var kind: String = DataKind.pianoroll.rawValue
    public var model: String
    public var modelName: String
    public var data: String
    public var dataSummarySHA256: String
    public var split: Split
    public var pieces: Int
    public var steps: Int
    /// Mean NLL per time step in nats (summed over the notes): the paper's Table 2 figure.
    public var nllPerStep: Double
    /// The same per note (nll_per_step / 88).
    public var nllPerNote: Double
    /// nll_per_step in bits.
    public var bitsPerStep: Double
    /// The reference: each key on independently with its train-split frequency (add-one smoothed).
    public var independentNotesNLLPerStep: Double
    public var perPiece: [PieceScore]

    package enum CodingKeys: String, CodingKey {
        case kind, model, modelName = "model_name", data, dataSummarySHA256 = "data_summary_sha256", split, pieces, steps
        case nllPerStep = "nll_per_step", nllPerNote = "nll_per_note", bitsPerStep = "bits_per_step"
        case independentNotesNLLPerStep = "independent_notes_nll_per_step", perPiece = "per_piece"
    }

    /// The report as pretty JSON (sorted keys, as the other reports).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// Why a model and a piano-roll folder do not go together.
public enum PianoRollScoreError: Error, CustomStringConvertible, Equatable {
    case notAMusicModel(String)
    case mismatch(String)

    public var description: String {
        switch self {
        case .notAMusicModel(let reason), .mismatch(let reason): reason
        }
    }
}

/// Scores music models on piano-roll folders.
public enum PianoRollScoring {
    /// Throws unless `model` is a recurrent model with a Bernoulli head of the folder's notes.
    public static func check(_ model: TrainedModel, name: String, notes: Int = PianoRoll.notes) throws {
        guard model.kind == .recurrent, model.config.output == .bernoulli else {
            throw PianoRollScoreError.notAMusicModel(
                "\(name) is a speech model (\(model.name), mixture-density output); a piano-roll folder needs a music model (trained on one)")
        }
        guard model.config.inputSize == notes, model.config.targetSize == notes else {
            throw PianoRollScoreError.mismatch("\(name) predicts \(model.config.targetSize) notes, the folder's rolls have \(notes)")
        }
        try model.validate()
    }

    /// `model`'s figures on `split` of `folder`, each piece whole from a zero state.
    public static func score(_ model: TrainedModel, modelName: String, folder: PianoRollFolder,
                             split: Split) throws -> PianoRollScoreReport {
        try check(model, name: modelName, notes: folder.summary.notes)
        let rolls = try folder.sequences(split)
        let scorer = PianoRollScorer(model: RecurrentMDN<Float>(config: model.config))
        let sums = scorer.nll(of: rolls.map(\.floats), parameters: model.parameters)
        let steps = rolls.reduce(0) { $0 + $1.steps }
        let total = sums.reduce(0, +)
        let perStep = total / Double(max(steps, 1))
        let reference = try independentNotes(folder: folder)
        let referenceNLL = rolls.reduce(0.0) { $0 + reference.nll(of: $1) } / Double(max(steps, 1))
        return PianoRollScoreReport(
            model: modelName, modelName: model.name, data: folder.url.path, dataSummarySHA256: folder.summarySHA256,
            split: split, pieces: rolls.count, steps: steps, nllPerStep: perStep,
            nllPerNote: perStep / Double(folder.summary.notes), bitsPerStep: perStep / log(2),
            independentNotesNLLPerStep: referenceNLL,
            perPiece: zip(rolls, sums).map { PieceScore(name: $0.name, steps: $0.steps, nll: $1, nllPerStep: $1 / Double($0.steps)) })
    }

    /// The independent-notes reference fitted on `folder`'s train split.
    public static func independentNotes(folder: PianoRollFolder) throws -> IndependentNotes {
        IndependentNotes(fittedOn: try folder.sequences(.train))
    }
}

/// Each key on independently with one probability, its (add-one smoothed) frequency in the
/// rolls it was fitted on: what a model knowing no time and no harmony scores.
public struct IndependentNotes: Sendable {
    /// P(key k sounds), k = 0..<88.
    public let probabilities: [Double]

    public init(fittedOn rolls: [PianoRoll]) {
        var on = [Double](repeating: 0, count: PianoRoll.notes)
        var steps = 0.0
        for roll in rolls {
            for (i, key) in roll.keys.enumerated() { on[i % PianoRoll.notes] += Double(key) }
            steps += Double(roll.steps)
        }
        probabilities = on.map { ($0 + 1) / (steps + 2) }
    }

    /// The summed NLL of `roll` in nats.
    public func nll(of roll: PianoRoll) -> Double {
        var total = 0.0
        for (i, key) in roll.keys.enumerated() {
            let p = probabilities[i % PianoRoll.notes]
            total -= key == 1 ? log(p) : log1p(-p)
        }
        return total
    }
}
