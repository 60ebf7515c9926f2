// Piano rolls as network batches, and the one scoring function for music models: the
// training loop's validation NLL and `rawspeech score` on a music folder both call
// `PianoRollScorer`, so the figures they report are the same computation.
//
// A roll is a sequence's steps laid end to end, (steps, D) of 0/1 (D = 88 notes). At step t
// the network reads step t-1 (all zeros at t = 0) and predicts step t, so a roll of n steps
// gives n predicted steps. A batch holds B rolls side by side, each from a zero state,
// padded with zeros after its end to the longest and masked (RecurrentMDN's mask).
// Arrays only: reading rolls from a data folder is Corpus's job.
//
// B = rolls per batch, T = steps of the longest, D = notes (88).

/// Lays whole rolls out as one time-major batch.
public enum PianoRollBatch {
    /// Writes `rolls` (at most `batch`, each (steps, D) of 0/1) as inputs (T, B, D),
    /// targets (T, B, D) and mask (T, B) for T = `steps` (at least the longest roll):
    /// input_t = roll_{t-1} (zeros at t = 0), target_t = roll_t, mask 1 on real steps.
    /// Rows past a roll's end, and columns b >= rolls.count, are zeros with mask 0.
    public static func fill(_ rolls: [ArraySlice<Float>], notes: Int, batch: Int, steps: Int,
                            inputs: inout [Float], targets: inout [Float], mask: inout [Float]) {
        precondition(rolls.allSatisfy { $0.count / notes <= steps }, "a roll is (steps <= T, D)")
        fill(rolls, notes: notes, batch: batch, window: 0 ..< steps, inputs: &inputs, targets: &targets, mask: &mask)
    }

    /// As `fill`, for the steps `window` of the rolls only (row t is step window.lowerBound + t):
    /// how a scorer walks a roll longer than it has memory for, carrying the state between windows.
    public static func fill(_ rolls: [ArraySlice<Float>], notes: Int, batch: Int, window: Range<Int>,
                            inputs: inout [Float], targets: inout [Float], mask: inout [Float]) {
        let steps = window.count
        precondition(rolls.count <= batch, "more rolls than the batch holds")
        precondition(inputs.count >= steps * batch * notes && targets.count >= steps * batch * notes
                     && mask.count >= steps * batch, "buffers: expected (T, B, D) and (T, B)")
        for b in 0 ..< batch {
            let roll = b < rolls.count ? rolls[b] : []
            let length = roll.count / notes
            precondition(length * notes == roll.count, "a roll is (steps, D)")
            roll.withUnsafeBufferPointer { r in
                inputs.withUnsafeMutableBufferPointer { x in
                    targets.withUnsafeMutableBufferPointer { y in
                        for row0 in 0 ..< steps {
                            let t = window.lowerBound + row0
                            let row = row0 * batch + b
                            let input = x.baseAddress! + row * notes, target = y.baseAddress! + row * notes
                            if t >= 1 && t - 1 < length {
                                input.update(from: r.baseAddress! + (t - 1) * notes, count: notes)
                            } else {
                                input.update(repeating: 0, count: notes)
                            }
                            if t < length {
                                target.update(from: r.baseAddress! + t * notes, count: notes)
                            } else {
                                target.update(repeating: 0, count: notes)
                            }
                            mask[row] = t < length ? 1 : 0
                        }
                    }
                }
            }
        }
    }
}

/// The NLL of whole rolls under a music model, several side by side per batch.
public final class PianoRollScorer {
    public let model: RecurrentMDN<Float>
    public let batch: Int
    private var workspace: RecurrentMDN<Float>.Workspace?
    // Batch buffers, grown to the longest roll seen: (T, B, D), (T, B, D), (T, B), (B, S).
    private var inputs: [Float] = []
    private var targets: [Float] = []
    private var mask: [Float] = []
    private var state: [Float] = []

    /// `batch` rolls per forward pass: 16 keeps the per-step GEMMs efficient at the paper's music
    /// sizes, and a valid split of 76 chorales is then five passes.
    /// Steps per forward pass at most: a longer roll is scored in windows (a 2-million-step
    /// valid piece otherwise sized a 24 GB workspace and the kernel killed the run).
    public let windowSteps: Int

    public static let defaultWindowSteps = 2048

    public init(model: RecurrentMDN<Float>, batch: Int = 16, windowSteps: Int = PianoRollScorer.defaultWindowSteps) {
        precondition(model.config.output == .bernoulli, "PianoRollScorer scores music models (Bernoulli head)")
        precondition(batch >= 1 && windowSteps >= 1, "batch and windowSteps must be positive")
        self.model = model
        self.batch = batch
        self.windowSteps = windowSteps
    }

    /// Each roll's summed NLL in nats (over its steps and the D notes), from a zero state.
    public func nll(of rolls: [[Float]], parameters: [Float]) -> [Double] {
        let notes = model.config.targetSize
        var sums = [Double](repeating: 0, count: rolls.count)
        // Longest first, so rolls of similar length share a batch and little is padding.
        let order = rolls.indices.sorted { rolls[$0].count > rolls[$1].count }
        var start = 0
        while start < order.count {
            let group = Array(order[start ..< min(start + batch, order.count)])
            let longest = max(1, group.map { rolls[$0].count / notes }.max()!)
            let workspace = workspace(steps: min(longest, windowSteps))
            let slices = group.map { rolls[$0][...] }
            for i in state.indices { state[i] = 0 }
            // Windows of at most windowSteps, the state carried from one to the next: the same
            // sums as one pass (the recurrence is the same), in memory bounded whatever a piece's length.
            for first in stride(from: 0, to: longest, by: windowSteps) {
                let window = first ..< min(longest, first + windowSteps)
                PianoRollBatch.fill(slices, notes: notes, batch: batch, window: window,
                                    inputs: &inputs, targets: &targets, mask: &mask)
                _ = model.forward(parameters: parameters, inputs: inputs, targets: targets, state: &state,
                                  workspace: workspace, steps: window.count, mask: mask)
                let frames = workspace.frameNLL  // (window.count, B), 0 on padding
                for (b, index) in group.enumerated() {
                    for t in 0 ..< window.count { sums[index] += Double(frames[t * batch + b]) }
                }
            }
            start += batch
        }
        return sums
    }

    /// Mean NLL per time step in nats over all steps of all rolls: the paper's Table 2 figure.
    public func meanNLL(of rolls: [[Float]], parameters: [Float]) -> Double {
        let steps = rolls.reduce(0) { $0 + $1.count } / model.config.targetSize
        guard steps > 0 else { return .nan }
        return nll(of: rolls, parameters: parameters).reduce(0, +) / Double(steps)
    }

    private func workspace(steps: Int) -> RecurrentMDN<Float>.Workspace {
        if let workspace, workspace.steps >= steps { return workspace }
        let made = model.makeWorkspace(batch: batch, steps: steps)
        made.computesInputGradient = false
        let notes = model.config.targetSize
        inputs = [Float](repeating: 0, count: steps * batch * notes)
        targets = inputs
        mask = [Float](repeating: 0, count: steps * batch)
        state = [Float](repeating: 0, count: batch * model.stateSize)
        workspace = made
        return made
    }
}
