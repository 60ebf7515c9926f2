// The recordings of one split as training sees them: normalized Float, read either from
// arrays in memory (tests, benchmarks, version-1 data folders) or straight from a split's
// memory-mapped SampleStore, converted and normalized only as a batch or a validation pass
// asks for them. With a store nothing of the split is copied into the process: the page
// cache holds what was touched, and each block is verified the first time it is read.
import RawSpeechCore
import RawSpeechCorpus

/// Normalized recordings, in memory or mapped.
public struct RecordingSet: Sendable {
    private enum Storage: Sendable {
        case memory([[Float]])
        case store(SampleStore, [Int], Normalization)
    }

    private let storage: Storage

    /// Recordings already normalized, in memory.
    public init(_ recordings: [[Float]]) { storage = .memory(recordings) }

    /// The recordings of `store` (or those at `positions` in it), normalized with `normalization`.
    public init(store: SampleStore, positions: [Int]? = nil, normalization: Normalization) {
        storage = .store(store, positions ?? Array(store.recordings.indices), normalization)
    }

    public var count: Int {
        switch storage {
        case .memory(let recordings): recordings.count
        case .store(_, let positions, _): positions.count
        }
    }

    public var isEmpty: Bool { count == 0 }

    /// Samples in recording `i`.
    public func sampleCount(_ i: Int) -> Int {
        switch storage {
        case .memory(let recordings): recordings[i].count
        case .store(let store, let positions, _): store.recordings[positions[i]].count
        }
    }

    /// Samples in all recordings.
    public var totalSamples: Int { (0 ..< count).reduce(0) { $0 + sampleCount($1) } }

    /// Copies samples `start ..< start + count` of recording `i`, normalized, to `output`.
    /// Throws only for a store whose block fails its checksum.
    public func read(_ i: Int, from start: Int, count: Int, into output: UnsafeMutablePointer<Float>) throws {
        switch storage {
        case .memory(let recordings):
            recordings[i].withUnsafeBufferPointer { output.update(from: $0.baseAddress! + start, count: count) }
        case .store(let store, let positions, let normalization):
            try store.read(positions[i], from: start, count: count, into: output)
            for k in 0 ..< count { output[k] = normalization.normalize(output[k]) }
        }
    }

    /// Recording `i`, whole and normalized.
    public func samples(_ i: Int) throws -> [Float] {
        switch storage {
        case .memory(let recordings): return recordings[i]
        default:
            let n = sampleCount(i)
            return try [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
                if n > 0 { try read(i, from: 0, count: n, into: buffer.baseAddress!) }
                initialized = n
            }
        }
    }

    /// The recordings at `indices` (in that order).
    public func subset(_ indices: [Int]) -> RecordingSet {
        switch storage {
        case .memory(let recordings): RecordingSet(indices.map { recordings[$0] })
        case .store(let store, let positions, let normalization):
            RecordingSet(store: store, positions: indices.map { positions[$0] }, normalization: normalization)
        }
    }
}
