// Data parallelism over the batch: a chunk's B sequences split into `parts` contiguous
// groups of rows, each run forward + backward on its own thread with its own workspace,
// carried state and gradient buffer, then the parts' gradients summed in a fixed order.
// Deterministic: every part's arithmetic is single-threaded (one OpenBLAS thread per
// caller), and the combination never depends on which thread ran which part.
//
// The loss and gradient are the batch-weighted means of the parts' (each part's forward
// returns its mean NLL per frame and backward its gradient scaled 1/(T * b)): equal to the
// whole batch's to float rounding, bitwise when B is split the same way.
//
// Past one process (ReplicaGroup, e.g. Open MPI ranks), each process runs a ParallelStep over
// its own rows of the global batch, with the weights rows.count / B of the global batch; the
// group then sums the processes' partial gradients, in rank order. With one thread per rank
// this is the same arithmetic as one process with a thread per rank: the same bits.
import RawSpeechNetwork
import Dispatch

/// Processes that train one model together, each on its own rows of every batch (data
/// parallelism past one process; RawSpeechDistributed implements it on Open MPI). Training
/// knows only this protocol. Every method is collective: all members call it, in the same order.
public protocol ReplicaGroup: AnyObject {
    /// This process's index in 0 ..< count. Member 0 alone writes the run folder.
    var rank: Int { get }
    /// Processes in the group.
    var count: Int { get }
    /// Replaces `values` (the same count on every member) by their elementwise sum over the
    /// members, added in rank order ((v0 + v1) + v2 ...): the same bits on every member, and
    /// the bits ParallelStep's fixed-order sum of the same parts gives.
    func sum(_ values: inout [Float])
    /// Fills `values` on every member with each member's own block: member r's `counts[r]`
    /// values, blocks laid out in rank order (an all-gather in place).
    func share(_ values: inout [Float], counts: [Int])
    /// Throws when `parameters` are not the same bits on every member (after `update`).
    func checkIdentical(_ parameters: [Float], update: Int) throws
    /// Whether every member runs on this machine, where an all-gather costs next to nothing
    /// (the members then split the weight noise's draws instead of each drawing all).
    var sharesMachine: Bool { get }
}

extension ReplicaGroup {
    public var sharesMachine: Bool { false }
}

public final class ParallelStep {
    /// One group of sequences: everything a thread touches, allocated once.
    package final class Part {
        package let rows: Range<Int>          // sequences b in the chunk
        package let weight: Float             // rows.count / B
        package let workspace: RecurrentMDN<Float>.Workspace
        package var inputs: [Float]           // (T, b, I)
        package var targets: [Float]          // (T, b, D)
        package var state: [Float]            // (b, stateSize)
        package var gradient: [Float]         // (P)
        package var loss: Float = 0           // summed over an update's micro-batches

        package init(network: RecurrentMDN<Float>, rows: Range<Int>, batch: Int, steps: Int) {
            self.rows = rows
            weight = Float(rows.count) / Float(batch)
            workspace = network.makeWorkspace(batch: rows.count, steps: steps)
            workspace.computesInputGradient = false  // training never reads d loss/d inputs
            inputs = [Float](repeating: 0, count: steps * rows.count * network.config.inputSize)
            targets = [Float](repeating: 0, count: steps * rows.count * network.config.targetSize)
            state = [Float](repeating: 0, count: rows.count * network.stateSize)
            gradient = [Float](repeating: 0, count: network.parameterCount)
        }
    }

    public let network: RecurrentMDN<Float>
    public let batch: Int
    public let steps: Int
    package let parts: [Part]

    /// `parts` groups of B / parts sequences (the first B % parts groups one more), at most B.
    /// With `rows`, only those sequences of the batch (this process's share of a batch split
    /// over a ReplicaGroup) are split into parts, each still weighted against the whole batch.
    public init(network: RecurrentMDN<Float>, batch: Int, steps: Int, parts: Int, rows: Range<Int>? = nil) {
        let rows = rows ?? 0 ..< batch
        precondition(batch >= 1 && steps >= 1 && parts >= 1, "batch, steps and parts must be positive")
        precondition(!rows.isEmpty && rows.lowerBound >= 0 && rows.upperBound <= batch, "rows must be a part of the batch")
        self.network = network
        self.batch = batch
        self.steps = steps
        self.parts = (0 ..< min(parts, rows.count)).map { index in
            let share = Self.rows(index, of: parts, in: rows.count)
            return Part(network: network, rows: rows.lowerBound + share.lowerBound ..< rows.lowerBound + share.upperBound,
                        batch: batch, steps: steps)
        }
    }

    /// Group `index`'s rows when `batch` rows split into min(groups, batch) contiguous groups,
    /// the first batch % groups one row larger: the split of threads and of ranks alike.
    public static func rows(_ index: Int, of groups: Int, in batch: Int) -> Range<Int> {
        let count = min(groups, batch)
        guard index < count else { return batch ..< batch }
        let size = batch / count, extra = batch % count
        let start = index * size + min(index, extra)
        return start ..< start + size + (index < extra ? 1 : 0)
    }

    public var partCount: Int { parts.count }

    /// Forward + backward of the chunk `inputs` (T, B, I), `targets` (T, B, D) from `state`
    /// (B, stateSize; replaced by the final state, as `forward` does). Overwrites `gradient`
    /// with d(mean NLL)/d(parameters) and returns the mean NLL per frame. A part whose loss is
    /// not finite skips its backward; the returned loss is then not finite either. `gradient`
    /// may be longer than the parameters (room for a loss to reduce with it): the rest is untouched.
    public func run(parameters: [Float], inputs: [Float], targets: [Float],
                    state: inout [Float], gradient: inout [Float]) -> Float {
        accumulate(parameters: parameters, inputs: inputs, targets: targets, state: &state, first: true)
        return combine(into: &gradient, microBatches: 1)
    }

    /// One micro-batch of an update (`--accumulate`): forward + backward of the chunk, as
    /// `run`, with each part's gradient and loss added to what the update's earlier
    /// micro-batches left in the part (`first`: nothing yet, start from zero). Backward
    /// accumulates, so a part's sum over micro-batches is its own arithmetic alone: the same
    /// bits whichever thread or process runs the part.
    package func accumulate(parameters: [Float], inputs: [Float], targets: [Float],
                            state: inout [Float], first: Bool) {
        let (I, D, S) = (network.config.inputSize, network.config.targetSize, network.stateSize)
        precondition(inputs.count >= steps * batch * I && targets.count >= steps * batch * D, "inputs/targets: expected (T, B, ...)")
        precondition(state.count == batch * S, "state size")
        // Scatter the time-major chunk into each part's contiguous (T, b, ...) buffers.
        inputs.withUnsafeBufferPointer { x in
            targets.withUnsafeBufferPointer { y in
                state.withUnsafeBufferPointer { s in
                    for part in parts { part.scatter(x.baseAddress!, y.baseAddress!, s.baseAddress!, batch: batch, steps: steps, I: I, D: D, S: S) }
                }
            }
        }
        // Each part is touched by one thread only; the network and weights are read-only.
        nonisolated(unsafe) let (net, groups, weights) = (network, parts, parameters)
        let chunkSteps = steps
        DispatchQueue.concurrentPerform(iterations: groups.count) { index in
            let part = groups[index]
            if first {
                for i in part.gradient.indices { part.gradient[i] = 0 }
                part.loss = 0
            }
            let loss = net.forward(parameters: weights, inputs: part.inputs, targets: part.targets,
                                   state: &part.state, workspace: part.workspace, steps: chunkSteps)
            part.loss += loss
            if loss.isFinite {
                net.backward(parameters: weights, gradient: &part.gradient, workspace: part.workspace)
            }
        }
        state.withUnsafeMutableBufferPointer { s in
            for part in parts {
                part.state.withUnsafeBufferPointer {
                    (s.baseAddress! + part.rows.lowerBound * S).update(from: $0.baseAddress!, count: part.rows.count * S)
                }
            }
        }
    }

    /// Writes the update's gradient into `gradient` (P; any values past P untouched) and
    /// returns its loss: the parts' sums over `microBatches` micro-batches, each weighted
    /// rows/B / K and added in part order. K = 1 is `run`'s arithmetic exactly (w / 1 = w).
    package func combine(into gradient: inout [Float], microBatches: Int) -> Float {
        let P = network.parameterCount
        precondition(gradient.count >= P && microBatches >= 1, "gradient size")
        let K = Float(microBatches)
        var loss: Float = 0
        for part in parts { loss += part.weight / K * part.loss }
        gradient.withUnsafeMutableBufferPointer { g in
            let first = parts[0]
            first.gradient.withUnsafeBufferPointer { p in
                let w = first.weight / K
                for i in 0 ..< P { g[i] = w * p[i] }
            }
            for part in parts.dropFirst() {
                part.gradient.withUnsafeBufferPointer { p in
                    let w = part.weight / K
                    for i in 0 ..< P { g[i] += w * p[i] }
                }
            }
        }
        return loss
    }
}

extension ParallelStep.Part {
    package func scatter(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ s: UnsafePointer<Float>,
                 batch: Int, steps: Int, I: Int, D: Int, S: Int) {
        let (b, first) = (rows.count, rows.lowerBound)
        inputs.withUnsafeMutableBufferPointer { dst in
            for t in 0 ..< steps {
                (dst.baseAddress! + t * b * I).update(from: x + (t * batch + first) * I, count: b * I)
            }
        }
        targets.withUnsafeMutableBufferPointer { dst in
            for t in 0 ..< steps {
                (dst.baseAddress! + t * b * D).update(from: y + (t * batch + first) * D, count: b * D)
            }
        }
        state.withUnsafeMutableBufferPointer { dst in
            dst.baseAddress!.update(from: s + first * S, count: b * S)
        }
    }
}

/// Why a ReplicaGroup cannot train a run.
public enum ReplicaError: Error, Equatable, CustomStringConvertible {
    /// Fewer sequences in a batch than processes: some would have no rows.
    case batchTooSmall(batch: Int, replicas: Int)

    public var description: String {
        switch self {
        case let .batchTooSmall(batch, replicas):
            "a batch of \(batch) sequences cannot be split over \(replicas) processes (each needs at least one)"
        }
    }
}

/// A Trainer's side of a ReplicaGroup: the buffer one update is summed in, and the stop
/// votes the members agreed on. One sum per update carries everything the members must agree
/// on: the P gradient values, the loss (a member's non-finite loss makes everyone's
/// non-finite: they roll back together) and two stop votes (time limit, interrupt), which
/// differ between processes whose clocks and signals differ.
package final class ReplicaSync {
    package struct Votes { package var outOfTime = false, interrupted = false }

    package let group: ReplicaGroup
    package var buffer: [Float]              // (P + 3): gradient, loss, outOfTime, interrupted
    package private(set) var agreed = Votes()
    private var votes = Votes()
    private let parameterCount: Int
    private let batch: Int
    private let rowCounts: [Int]             // each member's rows of the batch

    package init(group: ReplicaGroup, batch: Int, parameterCount: Int) throws {
        guard group.count <= batch else { throw ReplicaError.batchTooSmall(batch: batch, replicas: group.count) }
        self.group = group
        self.parameterCount = parameterCount
        self.batch = batch
        buffer = [Float](repeating: 0, count: parameterCount + 3)
        rowCounts = (0 ..< group.count).map { ParallelStep.rows($0, of: group.count, in: batch).count }
    }

    /// This member's wishes for the next sum.
    package func vote(outOfTime: Bool, interrupted: Bool) {
        votes = Votes(outOfTime: outOfTime, interrupted: interrupted)
    }

    /// Sums `buffer` (this member's weighted gradient, as ParallelStep left it) with the other
    /// members', copies the gradient into `gradient` (P) and returns the batch's loss.
    package func reduce(loss: Float, into gradient: inout [Float]) -> Float {
        let P = parameterCount
        buffer[P] = loss
        buffer[P + 1] = votes.outOfTime ? 1 : 0
        buffer[P + 2] = votes.interrupted ? 1 : 0
        group.sum(&buffer)
        agreed = Votes(outOfTime: buffer[P + 1] > 0, interrupted: buffer[P + 2] > 0)
        buffer.withUnsafeBufferPointer { b in
            gradient.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: b.baseAddress!, count: P) }
        }
        return buffer[P]
    }

    /// Each member's rows of the carried state (K x B, stateSize) to every member: one
    /// all-gather per micro-batch of B streams (a member owns the same rows of each).
    package func gather(carried: inout [Float], stateSize: Int) {
        let counts = rowCounts.map { $0 * stateSize }
        let block = batch * stateSize
        precondition(carried.count % block == 0, "carried state: expected (K x B, stateSize)")
        if carried.count == block { return group.share(&carried, counts: counts) }
        var part = [Float](repeating: 0, count: block)
        for start in stride(from: 0, to: carried.count, by: block) {
            for i in 0 ..< block { part[i] = carried[start + i] }
            group.share(&part, counts: counts)
            for i in 0 ..< block { carried[start + i] = part[i] }
        }
    }
}
