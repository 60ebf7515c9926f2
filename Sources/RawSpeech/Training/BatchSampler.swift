// Fills training batches for truncated BPTT: B streams, each walking through one recording
// chunk by chunk (T frames at a time) so the hidden state carried between chunks belongs
// to the same recording. A stream whose recording has fewer than T frames left jumps to a
// random start in a random recording (weighted by its usable starts) and zeroes its state.
import RawSpeechCore

/// B cursors over the training recordings; Codable so checkpoints resume exactly.
public struct BatchSampler: Codable, Equatable, Sendable {
    public struct Cursor: Codable, Equatable, Sendable {
        /// Index into the recordings, -1 before the first draw.
        public var recording: Int
        /// The next frame this stream will feed.
        public var frame: Int
    }

    public var cursors: [Cursor]
    public let steps: Int
    public let spec: FrameSpec

    public init(batch: Int, steps: Int, spec: FrameSpec) {
        cursors = Array(repeating: Cursor(recording: -1, frame: 0), count: batch)
        self.steps = steps
        self.spec = spec
    }

    /// Recordings long enough for one chunk of `steps` frames.
    public static func usableStarts(_ recording: [Float], spec: FrameSpec, steps: Int) -> Int {
        max(0, spec.frameCount(samples: recording.count) - steps + 1)
    }

    /// Writes the next chunk: inputs (T, B, I) and targets (T, B, D), time-major, from
    /// normalized recordings. Streams that jump to a new recording get their slice of
    /// `state` (B, stateSize) zeroed. `startWeights` are `usableStarts` per recording.
    public mutating func fill(inputs: inout [Float], targets: inout [Float], state: inout [Float],
                              stateSize: Int, recordings: [[Float]], startWeights: [Int],
                              rng: inout SeededGenerator) {
        let batch = cursors.count
        let (I, D) = (spec.input, spec.target)
        precondition(inputs.count >= steps * batch * I && targets.count >= steps * batch * D)
        for b in 0 ..< batch {
            var cursor = cursors[b]
            let needsJump = cursor.recording < 0
                || cursor.frame + steps > spec.frameCount(samples: recordings[cursor.recording].count)
            if needsJump {
                cursor = Self.draw(startWeights: startWeights, rng: &rng)
                for i in b * stateSize ..< (b + 1) * stateSize { state[i] = 0 }
            }
            let framed = FramedSamples(samples: recordings[cursor.recording], spec: spec)
            inputs.withUnsafeMutableBufferPointer { x in
                targets.withUnsafeMutableBufferPointer { y in
                    for t in 0 ..< steps {
                        let row = t * batch + b
                        framed.copy(frame: cursor.frame + t, input: x.baseAddress! + row * I,
                                    target: y.baseAddress! + row * D)
                    }
                }
            }
            cursor.frame += steps
            cursors[b] = cursor
        }
    }

    /// A uniformly random chunk start over all usable starts of all recordings.
    package static func draw(startWeights: [Int], rng: inout SeededGenerator) -> Cursor {
        let total = startWeights.reduce(0, +)
        precondition(total > 0, "no recording has enough frames for one chunk")
        var pick = Int(rng.next() % UInt64(total))
        for (index, weight) in startWeights.enumerated() {
            if pick < weight { return Cursor(recording: index, frame: pick) }
            pick -= weight
        }
        fatalError("unreachable: pick < total")
    }
}
