// What a batch is for music: B whole chorales drawn by the run's seeded generator, padded
// to the longest of them and masked (PianoRollBatch), each from a zero state: one update per
// batch, no truncation, nothing carried between batches. The draw uses only the generator
// that the checkpoint saves, so a resumed run draws the same batches bit for bit. Validation
// scores the whole valid split with PianoRollScorer, the computation `score` uses.
//
// B = chorales per batch, T = steps of the longest in the batch, D = notes (88).
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechNetwork
import Foundation

/// The piano rolls of a music data folder's splits, in memory (the JSB set is 2 MB): each
/// roll (steps, D) of 0/1 laid end to end.
public struct MusicRolls: Sendable {
    public var train: [[Float]]
    public var valid: [[Float]]
    /// Notes per step (D = 88 for the piano).
    public var notes: Int

    public init(train: [[Float]], valid: [[Float]], notes: Int) {
        self.train = train
        self.valid = valid
        self.notes = notes
    }

    /// Steps of the longest training roll: the T a run's workspace is sized for.
    public var longestTrainSteps: Int { train.map { $0.count / notes }.max() ?? 0 }

    /// Each note's log-odds over the training split's steps, with half a count added to
    /// both outcomes (so a note that never sounds gets a finite, very negative bias): what
    /// a new music run starts the head's bias at, so the first updates learn from the
    /// sequence rather than spend themselves on how sparse chords are.
    public var trainNoteLogOdds: [Float] {
        var counts = [Double](repeating: 0, count: notes)
        var steps = 0.0
        for roll in train {
            for (index, value) in roll.enumerated() { counts[index % notes] += Double(value) }
            steps += Double(roll.count / notes)
        }
        return counts.map { count in
            let p = (count + 0.5) / (steps + 1)
            return Float(Foundation.log(p / (1 - p)))
        }
    }
}

/// Draws and lays out the training batches of a music run.
package struct MusicBatches {
    package let rolls: [[Float]]
    package let notes: Int
    package let batch: Int
    /// Workspace steps: the longest training roll.
    package let steps: Int
    private var order: [Int]

    package init(rolls: MusicRolls, batch: Int) {
        self.rolls = rolls.train
        notes = rolls.notes
        self.batch = batch
        steps = rolls.longestTrainSteps
        order = Array(rolls.train.indices)
    }

    /// min(B, rolls) distinct training rolls drawn uniformly (a partial Fisher-Yates shuffle
    /// from the identity each time, so the draw depends on the generator alone).
    package mutating func draw(rng: inout SeededGenerator) -> [Int] {
        for i in order.indices { order[i] = i }
        let count = min(batch, order.count)
        for i in 0 ..< count {
            let j = i + Int(rng.next() % UInt64(order.count - i))
            order.swapAt(i, j)
        }
        return Array(order[0 ..< count])
    }

    /// Fills inputs (T, B, D), targets (T, B, D) and mask (T, B) with a fresh draw, padded
    /// to the longest drawn roll; returns that T.
    package mutating func fill(inputs: inout [Float], targets: inout [Float], mask: inout [Float],
                               rng: inout SeededGenerator) -> Int {
        let picked = draw(rng: &rng)
        let longest = max(1, picked.map { rolls[$0].count / notes }.max() ?? 1)
        PianoRollBatch.fill(picked.map { rolls[$0][...] }, notes: notes, batch: batch, steps: longest,
                            inputs: &inputs, targets: &targets, mask: &mask)
        return longest
    }
}

extension MusicRolls {
    /// The train and valid rolls of a piano-roll folder (each file checked against summary.json).
    public static func load(_ folder: PianoRollFolder) throws -> MusicRolls {
        func rolls(_ split: Split) throws -> [[Float]] { try folder.sequences(split).map { $0.keys.map(Float.init) } }
        return MusicRolls(train: try rolls(.train), valid: try rolls(.valid), notes: folder.summary.notes)
    }
}
