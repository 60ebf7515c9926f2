// One piece of music as the network sees it: a piano roll, one 88-note binary vector per
// time step (MIDI 21, A0, to 108, C8). Made by Ingest from a piano-roll JSON and kept in a
// data folder by PianoRollFolder; it knows no files. At step t a model reads step t - 1 (all
// zeros at t = 0) and predicts step t, so a roll of n steps gives n predicted steps.
import Foundation

/// A sequence of 88-note binary time steps (one byte, 0 or 1, per note).
public struct PianoRoll: Sendable, Equatable {
    /// Notes per step: the piano's keys.
    public static let notes = 88
    /// The MIDI number of the lowest key (A0); key k is MIDI `lowestNote + k`.
    public static let lowestNote = 21
    /// The MIDI numbers a roll can hold.
    public static let midiRange = lowestNote ... lowestNote + notes - 1

    /// Split and position ("train/017"), as summary.json and scores list it.
    public let name: String
    public let steps: Int
    // keys: (steps, 88), 1 where the note sounds.
    public let keys: [UInt8]

    /// A roll from its keys (steps * 88 bytes of 0 or 1).
    public init(name: String, keys: [UInt8]) {
        precondition(keys.count % Self.notes == 0, "a piano roll holds whole steps of 88 keys")
        self.name = name
        self.keys = keys
        steps = keys.count / Self.notes
    }

    /// A roll from the MIDI numbers sounding at each step (each in `midiRange`; a note listed
    /// twice in one step is one note).
    public init(name: String, midiSteps: [[Int]]) {
        var keys = [UInt8](repeating: 0, count: midiSteps.count * Self.notes)
        for (t, step) in midiSteps.enumerated() {
            for note in step {
                precondition(Self.midiRange.contains(note), "MIDI note \(note) is outside the piano")
                keys[t * Self.notes + note - Self.lowestNote] = 1
            }
        }
        self.init(name: name, keys: keys)
    }

    /// The MIDI numbers sounding at `step`, lowest first.
    public func midiNotes(step: Int) -> [Int] {
        (0 ..< Self.notes).filter { keys[step * Self.notes + $0] != 0 }.map { $0 + Self.lowestNote }
    }

    /// Writes step `step` as 88 floats of 0 or 1 into `into`.
    public func fill(step: Int, into: UnsafeMutablePointer<Float>) {
        precondition(step >= 0 && step < steps, "step \(step) outside 0..<\(steps)")
        for k in 0 ..< Self.notes { into[k] = Float(keys[step * Self.notes + k]) }
    }

    /// The whole roll as floats: (steps, 88).
    public var floats: [Float] { keys.map(Float.init) }

    /// The network's (input, target) pair, each (steps, 88): input_t = roll_{t-1} with an
    /// all-zero input at t = 0, target_t = roll_t. The first step is predicted from nothing,
    /// as is usual for this kind of data (Boulanger-Lewandowski et al. 2012).
    public var inputsAndTargets: (input: [Float], target: [Float]) {
        let target = floats
        var input = [Float](repeating: 0, count: target.count)
        if steps > 1 { input.replaceSubrange(Self.notes ..< target.count, with: target[0 ..< target.count - Self.notes]) }
        return (input, target)
    }

    /// How many notes sound over the whole roll (each step's count, summed).
    public var noteCount: Int { keys.reduce(0) { $0 + Int($1) } }
}
