// Fills training batches for truncated BPTT: B streams, each walking through one recording
// chunk by chunk (T frames at a time) so the hidden state carried between chunks belongs
// to the same recording. A stream whose recording has fewer than T frames left jumps to a
// random start in a random recording (weighted by its usable starts) and zeroes its state.
// A stream's chunk is read (and, from a store, converted and normalized) into a scratch
// buffer of T frames' samples, then framed: recordings are never loaded whole.
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
        usableStarts(samples: recording.count, spec: spec, steps: steps)
    }

    /// Same, for a recording of `samples` samples.
    public static func usableStarts(samples: Int, spec: FrameSpec, steps: Int) -> Int {
        max(0, spec.frameCount(samples: samples) - steps + 1)
    }

    /// Writes the next chunk: inputs (T, B, I) and targets (T, B, D), time-major, from
    /// normalized recordings. Streams that jump to a new recording get their slice of
    /// `state` (B, stateSize) zeroed. `startWeights` are `usableStarts` per recording;
    /// `chunk` is scratch for `spec.samplesSpanned(frames: steps)` samples. Throws when a
    /// store block fails its checksum (nothing of it reaches the batch).
    public mutating func fill(inputs: inout [Float], targets: inout [Float], state: inout [Float],
                              stateSize: Int, recordings: RecordingSet, startWeights: [Int],
                              chunk: inout [Float], rng: inout SeededGenerator) throws {
        let batch = cursors.count
        let (I, D) = (spec.input, spec.target)
        let span = spec.samplesSpanned(frames: steps)
        precondition(inputs.count >= steps * batch * I && targets.count >= steps * batch * D && chunk.count >= span)
        for b in 0 ..< batch {
            var cursor = cursors[b]
            let needsJump = cursor.recording < 0
                || cursor.frame + steps > spec.frameCount(samples: recordings.sampleCount(cursor.recording))
            if needsJump {
                cursor = Self.draw(startWeights: startWeights, rng: &rng)
                for i in b * stateSize ..< (b + 1) * stateSize { state[i] = 0 }
            }
            try chunk.withUnsafeMutableBufferPointer { c in
                try recordings.read(cursor.recording, from: spec.inputStart(cursor.frame), count: span, into: c.baseAddress!)
            }
            chunk.withUnsafeBufferPointer { c in
                inputs.withUnsafeMutableBufferPointer { x in
                    targets.withUnsafeMutableBufferPointer { y in
                        for t in 0 ..< steps {
                            let row = t * batch + b
                            let start = c.baseAddress! + spec.inputStart(t)
                            (x.baseAddress! + row * I).update(from: start, count: I)
                            (y.baseAddress! + row * D).update(from: start + I, count: D)
                        }
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
