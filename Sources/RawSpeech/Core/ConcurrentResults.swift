// The one way parallel loops hand back their results: tasks take the next index from a
// shared counter, put what they produced in that index's slot, and the caller reads the
// slots in order once the loop is over. Preprocessing, reading score inputs and the
// per-file spectral measures use it. It is a lock around an array, nothing more.
import Foundation

/// Slots filled by concurrent tasks, one per index, behind one lock; with a work counter
/// for loops that pull indices until none is left (or until `stop()`).
public final class ConcurrentResults<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Value?]
    private var cursor = 0
    private var stopped = false

    public init(count: Int) { slots = Array(repeating: nil, count: count) }

    /// Number of slots.
    public var count: Int { slots.count }

    /// Stores the result of index `i`.
    public func set(_ i: Int, _ value: Value) { lock.withLock { slots[i] = value } }

    /// The next index no task has taken, or nil when all are taken or the work was stopped.
    public func next() -> Int? {
        lock.withLock {
            guard !stopped, cursor < slots.count else { return nil }
            cursor += 1
            return cursor - 1
        }
    }

    /// Hands out no more indices (tasks finish the one they hold).
    public func stop() { lock.withLock { stopped = true } }

    /// Every slot's value so far, in index order (nil where no task has set one).
    public var values: [Value?] { lock.withLock { slots } }
}
