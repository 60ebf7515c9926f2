// Data parallelism over the batch: a chunk's B sequences split into `parts` contiguous
// groups of rows, each run forward + backward on its own thread with its own workspace,
// carried state and gradient buffer, then the parts' gradients summed in a fixed order.
// Deterministic: every part's arithmetic is single-threaded (one OpenBLAS thread per
// caller), and the combination never depends on which thread ran which part.
//
// The loss and gradient are the batch-weighted means of the parts' (each part's forward
// returns its mean NLL per frame and backward its gradient scaled 1/(T * b)): equal to the
// whole batch's to float rounding, bitwise when B is split the same way.
import RawSpeechNetwork
import Dispatch

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
        package var loss: Float = 0

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
    public init(network: RecurrentMDN<Float>, batch: Int, steps: Int, parts: Int) {
        precondition(batch >= 1 && steps >= 1 && parts >= 1, "batch, steps and parts must be positive")
        self.network = network
        self.batch = batch
        self.steps = steps
        let count = min(parts, batch)
        var start = 0
        var made: [Part] = []
        for index in 0 ..< count {
            let size = batch / count + (index < batch % count ? 1 : 0)
            made.append(Part(network: network, rows: start ..< start + size, batch: batch, steps: steps))
            start += size
        }
        self.parts = made
    }

    public var partCount: Int { parts.count }

    /// Forward + backward of the chunk `inputs` (T, B, I), `targets` (T, B, D) from `state`
    /// (B, stateSize; replaced by the final state, as `forward` does). Overwrites `gradient`
    /// with d(mean NLL)/d(parameters) and returns the mean NLL per frame. A part whose loss is
    /// not finite skips its backward; the returned loss is then not finite either.
    public func run(parameters: [Float], inputs: [Float], targets: [Float],
                    state: inout [Float], gradient: inout [Float]) -> Float {
        let (I, D, S) = (network.config.inputSize, network.config.targetSize, network.stateSize)
        precondition(inputs.count >= steps * batch * I && targets.count >= steps * batch * D, "inputs/targets: expected (T, B, ...)")
        precondition(state.count == batch * S && gradient.count == network.parameterCount, "state or gradient size")
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
            part.loss = net.forward(parameters: weights, inputs: part.inputs, targets: part.targets,
                                    state: &part.state, workspace: part.workspace, steps: chunkSteps)
            for i in part.gradient.indices { part.gradient[i] = 0 }
            if part.loss.isFinite {
                net.backward(parameters: weights, gradient: &part.gradient, workspace: part.workspace)
            }
        }
        // Combine in part order.
        var loss: Float = 0
        for part in parts { loss += part.weight * part.loss }
        gradient.withUnsafeMutableBufferPointer { g in
            let first = parts[0]
            first.gradient.withUnsafeBufferPointer { p in
                for i in 0 ..< g.count { g[i] = first.weight * p[i] }
            }
            for part in parts.dropFirst() {
                part.gradient.withUnsafeBufferPointer { p in
                    let w = part.weight
                    for i in 0 ..< g.count { g[i] += w * p[i] }
                }
            }
        }
        state.withUnsafeMutableBufferPointer { s in
            for part in parts {
                part.state.withUnsafeBufferPointer {
                    (s.baseAddress! + part.rows.lowerBound * S).update(from: $0.baseAddress!, count: part.rows.count * S)
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
