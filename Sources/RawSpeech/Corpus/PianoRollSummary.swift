// DATADIR/summary.json of a piano-roll (music) folder: what `rawspeech preprocess SET.json`
// made. It shares the file name, the summary.sha256 sidecar and the `splits` key with audio
// folders, and says `"kind": "pianoroll"` so audio readers refuse it (DataKind). Field names
// are a contract with other tools: keep them (add new ones freely).
import Foundation

/// One split of a piano-roll folder.
public struct PianoRollSplitSummary: Codable, Equatable, Sendable {
    /// Pieces (chorales) in the split.
    public var sequences: Int
    /// Time steps over all its pieces: the number of predicted steps, which normalises the
    /// per-step NLL (a piece of n steps gives n predictions, the first from an all-zero input).
    public var steps: Int
    /// Sounding notes summed over every step (the mean polyphony is `notes_on / steps`).
    public var notesOn: Int
    /// The file holding the split's rolls, relative to the folder ("train.rolls").
    public var file: String
    /// Hex SHA-256 of that file's bytes, checked whenever it is read.
    public var sha256: String

    package enum CodingKeys: String, CodingKey {
        case sequences, steps, notesOn = "notes_on", file, sha256
    }

    public init(sequences: Int, steps: Int, notesOn: Int, file: String, sha256: String) {
        self.sequences = sequences
        self.steps = steps
        self.notesOn = notesOn
        self.file = file
        self.sha256 = sha256
    }
}

/// The contents of a piano-roll folder's summary.json.
public struct PianoRollSummary: Codable, Equatable, Sendable {
    /// Always `.pianoroll`; written so that readers can tell the folder from an audio one.
    public var kind: DataKind
    /// Notes per step (88) and the MIDI number of the first (21): note k is MIDI 21 + k.
    public var notes: Int
    public var lowestNote: Int
    /// The file it was made from, as given to preprocess, and the SHA-256 of its bytes.
    public var source: String
    public var sourceSHA256: String
    public var splits: [String: PianoRollSplitSummary]

    package enum CodingKeys: String, CodingKey {
        case kind, notes, lowestNote = "lowest_note", source, sourceSHA256 = "source_sha256", splits
    }

    public init(source: String, sourceSHA256: String, splits: [String: PianoRollSplitSummary]) {
        kind = .pianoroll
        notes = PianoRoll.notes
        lowestNote = PianoRoll.lowestNote
        self.source = source
        self.sourceSHA256 = sourceSHA256
        self.splits = splits
    }

    /// The split's entry (a zero one if the summary has none).
    public func split(_ split: Split) -> PianoRollSplitSummary {
        splits[split.rawValue] ?? PianoRollSplitSummary(sequences: 0, steps: 0, notesOn: 0, file: "", sha256: "")
    }
}
