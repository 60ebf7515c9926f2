// What each evaluation measures validation NLL on: a fixed, seeded subset of the valid
// split of at most `validSeconds` of audio (the whole split when it is smaller), held in
// memory, so an evaluation costs the same on a 5-minute and a 500-hour corpus. The subset
// depends only on the split and the budget (a constant seed, not the run's), so every run
// on a data folder is validated on the same audio and their curves compare. The whole
// split is measured once, at the end of a run (Trainer), in groups of the same size.
import RawSpeechCore
import RawSpeechNetwork

/// The recordings (or their first parts) each evaluation scores.
public struct ValidationSet: Sendable {
    /// Normalized samples, in memory.
    public var recordings: [[Float]]
    /// Seconds of audio in `recordings`.
    public var seconds: Double
    /// Whether `recordings` is the whole valid split.
    public var isWholeSplit: Bool

    /// The seed of the subset's draw ("valid" in ASCII): fixed, so that runs compare.
    public static let seed: UInt64 = 0x76_61_6c_69_64

    /// The whole of `valid` if it holds at most `seconds` of audio (or `seconds` is nil or
    /// 0), else recordings drawn in a seeded random order until `seconds` are reached, the
    /// last one cut to fit, kept in split order.
    public static func choose(from valid: RecordingSet, sampleRate: Int, frame: FrameSpec,
                              seconds budget: Double?) throws -> ValidationSet {
        let total = valid.totalSamples
        let limit = budget.flatMap { $0 > 0 ? Int(($0 * Double(sampleRate)).rounded()) : nil } ?? Int.max
        if total <= limit {
            let recordings = try (0 ..< valid.count).map { try valid.samples($0) }
            return ValidationSet(recordings: recordings, seconds: Double(total) / Double(sampleRate), isWholeSplit: true)
        }
        var order = Array(0 ..< valid.count)
        var rng = SeededGenerator(seed: seed)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        var taken: [(index: Int, count: Int)] = []
        var remaining = limit
        for index in order where remaining >= frame.span {
            let count = min(valid.sampleCount(index), remaining)
            guard count >= frame.span else { continue }
            taken.append((index, count))
            remaining -= count
        }
        taken.sort { $0.index < $1.index }
        let recordings = try taken.map { index, count in
            try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                try valid.read(index, from: 0, count: count, into: buffer.baseAddress!)
                initialized = count
            }
        }
        let samples = taken.reduce(0) { $0 + $1.count }
        return ValidationSet(recordings: recordings, seconds: Double(samples) / Double(sampleRate), isWholeSplit: false)
    }

    /// Mean NLL per frame over every frame of `valid`, scored `groupSamples` of audio at a
    /// time so that memory stays bounded whatever the split's size.
    public static func meanNLL(of valid: RecordingSet, scorer: SequenceScorer, parameters: [Float],
                               groupSamples: Int) throws -> Double {
        var sum = 0.0
        var count = 0
        var group: [[Float]] = []
        var held = 0
        func flush() {
            for result in scorer.run(group, parameters: parameters) {
                for value in result.nll { sum += Double(value) }
                count += result.nll.count
            }
            group.removeAll()
            held = 0
        }
        for i in 0 ..< valid.count {
            group.append(try valid.samples(i))
            held += valid.sampleCount(i)
            if held >= groupSamples { flush() }
        }
        if !group.isEmpty { flush() }
        return count > 0 ? sum / Double(count) : .nan
    }
}
