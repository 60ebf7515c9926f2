// The recurrent mixture-density network of the paper: stacked tanh / GRU / LSTM layers
// over time-major chunks of B sequences, and a dense head giving, per step, a mixture of
// K diagonal Gaussians over the next D samples (or, for music, D independent Bernoulli
// notes: `ModelConfig.output`). This file holds the model's shape, its
// initialisation and the two passes' outer structure (state in and out, layers, head,
// loss, the optional mask of padded rows); each cell's forward and backward are in Cells/
// (Tanh.swift, GRU.swift, LSTM.swift, around Cells/RecurrentLayer.swift), the mixture math
// in MixtureDensity.swift and the notes' in BernoulliHead.swift. It knows arrays only: no
// files, no printing.
//
// B = batch, T = steps, I = inputs (20), H = units, K = components, D = predicted samples (10)
// G = weight blocks per unit (tanh 1, GRU 3, LSTM 4), O = K(1 + 2D) head outputs (mixture)
// or D (Bernoulli).
//
// Mask, (T, B), optional: 1 for a real step, 0 for padding (a batch of sequences of unequal
// length padded to the longest). Padded rows add nothing to the loss or the gradient, and
// the mean is over real rows only. Padding must come after a sequence's real steps: the
// state runs on through it, but nothing after it is real, so nothing flows back from it.
//
// Carried state, (B, stateSize): per sequence, for each layer in order, h (H) and, for the
// LSTM, c (H) right after it.
import RawSpeechCore

/// A batched recurrent MDN with one flat parameter vector (see `ParameterLayout`).
public struct RecurrentMDN<Scalar: BLASScalar> {
    public let config: ModelConfig
    /// Named ranges of every tensor in the parameter vector.
    public let layout: ParameterLayout

    public init(config: ModelConfig) {
        precondition(config.units > 0 && config.layers > 0 && config.components > 0,
                     "a model needs units, layers and components > 0")
        self.config = config
        layout = ParameterLayout(config: config)
        assert(layout.count == config.parameterCount, "layout disagrees with ModelConfig's count")
    }

    /// All trainable parameters (recurrent layers + head).
    public var parameterCount: Int { layout.count }

    /// Scalars of carried state per sequence: layers * H, or layers * 2H for the LSTM (h, c).
    public var stateSize: Int { config.layers * stateSizePerLayer }

    package var stateSizePerLayer: Int { config.cell == .lstm ? 2 * config.units : config.units }
    package var gateWidth: Int { ModelConfig.gateCount(config.cell) * config.units }
    /// Whether the cell's per-step passes add the layer's bias (and sum its gradient)
    /// themselves: the paper GRU's (`PaperGRUPasses`, Cells/GRU.swift) and the LSTM's
    /// (`LSTMPasses`, Cells/LSTM.swift). The other cells
    /// start the input projection from copied bias rows and take the bias gradient as dG's
    /// column sums.
    package var stepPassesHandleBias: Bool { config.cell == .lstm || (config.cell == .gru && config.gruForm == .paper) }

    /// Fills `p` (resized to `parameterCount`) with a fresh initialisation:
    /// - W and U uniform in +-1/sqrt(fan-in) (fan-in In for W, H for U), so pre-activations
    ///   start at unit scale for unit-variance inputs (PyTorch's RNN default is +-1/sqrt(H)
    ///   for both; with In = 20 that would make the input drive 4x weaker).
    /// - biases 0, except the LSTM forget gate's +1 (Gers et al. 2000, Jozefowicz et al.
    ///   2015: the cell remembers by default, so gradients flow through time early on).
    /// - LSTM peepholes 0 (they learn from there; Graves 2013 gives no other prescription).
    /// - head weights uniform in +-1/sqrt(H), head bias 0: equal mixture weights, means
    ///   near 0 and sigma = sigmaFloor + 1, i.e. a unit Gaussian on normalized data.
    ///   For the Bernoulli head the same: every note starts at p = 0.5 (the trainer may then
    ///   set the bias from the training split's note frequencies).
    public func initializeParameters(_ p: inout [Scalar], using rng: inout SeededGenerator) {
        p = [Scalar](repeating: 0, count: parameterCount)
        func uniform(_ range: Range<Int>, _ limit: Double) {
            for index in range { p[index] = Scalar((2 * rng.nextUniform() - 1) * limit) }
        }
        let units = config.units
        for layer in layout.layers {
            uniform(layer.inputWeights, 1 / Double(layer.inputs).squareRoot())
            uniform(layer.recurrentWeights, 1 / Double(units).squareRoot())
            if config.cell == .lstm {
                let forget = layer.bias.lowerBound + units
                for index in forget ..< forget + units { p[index] = 1 }
            }
        }
        uniform(layout.headWeights, 1 / Double(units).squareRoot())
    }

    /// Buffers for chunks of up to `steps` steps of `batch` sequences.
    public func makeWorkspace(batch: Int, steps: Int) -> Workspace {
        Workspace(config: config, batch: batch, steps: steps)
    }

    /// Runs `steps` steps of the workspace's B sequences and returns the mean NLL per frame
    /// (nats, normalized units). `inputs` (T, B, I) and `targets` (T, B, D) are time-major;
    /// `state` (B, stateSize) is read as the initial state and replaced by the final one.
    /// With `mask` (T, B) of 0/1, the mean is over the rows marked 1 (0 when there are none)
    /// and the rows marked 0 get an NLL of 0. Leaves per-frame NLL and raw head outputs in
    /// `workspace` for `backward` and scoring.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func forward(parameters: [Scalar], inputs: [Scalar], targets: [Scalar],
                        state: inout [Scalar], workspace: Workspace, steps: Int, mask: [Scalar]? = nil) -> Scalar {
        let batch = workspace.batch
        precondition(steps >= 1 && steps <= workspace.steps, "steps must be in 1...workspace.steps")
        precondition(parameters.count == parameterCount, "parameters: expected \(parameterCount)")
        precondition(inputs.count >= steps * batch * config.inputSize, "inputs: expected (T, B, I)")
        precondition(targets.count >= steps * batch * config.targetSize, "targets: expected (T, B, D)")
        precondition(state.count == batch * stateSize, "state: expected (B, stateSize)")
        precondition(mask.map { $0.count >= steps * batch } ?? true, "mask: expected (T, B)")
        workspace.stepsUsed = steps
        let rows = steps * batch
        workspace.isMasked = mask != nil
        var realRows = rows
        if let mask {
            realRows = 0
            for row in 0 ..< rows {
                precondition(mask[row] == 0 || mask[row] == 1, "mask: expected 0 or 1")
                workspace.rowMask.pointer[row] = mask[row]
                if mask[row] != 0 { realRows += 1 }
            }
        }
        workspace.realRows = realRows
        inputs.withUnsafeBufferPointer {
            workspace.inputs.pointer.update(from: $0.baseAddress!, count: rows * config.inputSize)
        }
        targets.withUnsafeBufferPointer {
            workspace.targets.pointer.update(from: $0.baseAddress!, count: rows * config.targetSize)
        }
        state.withUnsafeBufferPointer { loadState($0.baseAddress!, workspace) }

        let total: Double = DenormalFlush.run {
            parameters.withUnsafeBufferPointer { buffer in
                let p = buffer.baseAddress!
                for index in 0 ..< config.layers { forwardLayer(index, parameters: p, workspace: workspace, steps: steps) }
                headForward(parameters: p, workspace: workspace, steps: steps)
                let total = config.output == .mixture ? mixtureLoss(workspace: workspace, steps: steps)
                                                      : bernoulliLoss(workspace: workspace, steps: steps)
                return workspace.isMasked ? maskLosses(workspace: workspace, rows: rows) : total
            }
        }
        state.withUnsafeMutableBufferPointer { storeState($0.baseAddress!, workspace, steps: steps) }
        return realRows > 0 ? Scalar(total / Double(realRows)) : 0
    }

    /// After `forward`, accumulates d(mean NLL)/d(parameters) into `gradient` (`+=`; the
    /// caller zeroes it) and overwrites `workspace.inputGradient` (unless the workspace
    /// skips it: `computesInputGradient`). Truncated BPTT: the
    /// gradient with respect to the chunk's initial state is dropped.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func backward(parameters: [Scalar], gradient: inout [Scalar], workspace: Workspace) {
        let steps = workspace.stepsUsed
        precondition(steps > 0, "backward needs a forward first")
        precondition(gradient.count == parameterCount, "gradient: expected \(parameterCount)")
        DenormalFlush.run {
            switch config.output {
            case .mixture: mixtureGradient(workspace: workspace, steps: steps)
            case .bernoulli: bernoulliGradient(workspace: workspace, steps: steps)
            }
            if workspace.isMasked { maskGradient(workspace: workspace, rows: steps * workspace.batch) }
            parameters.withUnsafeBufferPointer { pBuffer in
                gradient.withUnsafeMutableBufferPointer { gBuffer in
                    let p = pBuffer.baseAddress!, g = gBuffer.baseAddress!
                    headBackward(parameters: p, gradient: g, workspace: workspace, steps: steps)
                    for index in (0 ..< config.layers).reversed() {
                        backwardLayer(index, parameters: p, gradient: g, workspace: workspace, steps: steps)
                    }
                }
            }
        }
    }

    // MARK: State

    private func loadState(_ state: UnsafePointer<Scalar>, _ workspace: Workspace) {
        let units = config.units
        for (index, buffers) in workspace.layers.enumerated() {
            for b in 0 ..< workspace.batch {
                let source = state + b * stateSize + index * stateSizePerLayer
                (buffers.hidden.pointer + b * units).update(from: source, count: units)
                if let cell = buffers.cell { (cell.pointer + b * units).update(from: source + units, count: units) }
            }
        }
    }

    private func storeState(_ state: UnsafeMutablePointer<Scalar>, _ workspace: Workspace, steps: Int) {
        let units = config.units, last = steps * workspace.batch * units
        for (index, buffers) in workspace.layers.enumerated() {
            for b in 0 ..< workspace.batch {
                let target = state + b * stateSize + index * stateSizePerLayer
                target.update(from: buffers.hidden.pointer + last + b * units, count: units)
                if let cell = buffers.cell { (target + units).update(from: cell.pointer + last + b * units, count: units) }
            }
        }
    }

    // MARK: Head

    /// outputs (T*B, O) = h_top (T*B, H) Wh (H, O) + bh: one GEMM over the whole chunk.
    private func headForward(parameters p: UnsafePointer<Scalar>, workspace: Workspace, steps: Int) {
        let rows = steps * workspace.batch, width = config.headOutputs, units = config.units
        let outputs = workspace.outputs.pointer
        let bias = p + layout.headBias.lowerBound
        for row in 0 ..< rows { (outputs + row * width).update(from: bias, count: width) }
        let top = workspace.layers[config.layers - 1].hidden.pointer + workspace.batch * units
        Scalar.gemm(transposeA: false, transposeB: false, m: rows, n: width, k: units,
                    alpha: 1, a: top, lda: units, b: p + layout.headWeights.lowerBound, ldb: width,
                    beta: 1, c: outputs, ldc: width)
    }

    /// dWh += h_top^T dOut, dbh += column sums of dOut, dh_top = dOut Wh^T.
    private func headBackward(parameters p: UnsafePointer<Scalar>, gradient g: UnsafeMutablePointer<Scalar>,
                              workspace: Workspace, steps: Int) {
        let rows = steps * workspace.batch, width = config.headOutputs, units = config.units
        let dOut = workspace.outputGradient.pointer
        let topBuffers = workspace.layers[config.layers - 1]
        let top = topBuffers.hidden.pointer + workspace.batch * units
        Scalar.gemm(transposeA: true, transposeB: false, m: units, n: width, k: rows,
                    alpha: 1, a: top, lda: units, b: dOut, ldb: width,
                    beta: 1, c: g + layout.headWeights.lowerBound, ldc: width)
        addColumnSums(dOut, rows: rows, columns: width, into: g + layout.headBias.lowerBound)
        Scalar.gemm(transposeA: false, transposeB: true, m: rows, n: units, k: width,
                    alpha: 1, a: dOut, lda: width, b: p + layout.headWeights.lowerBound, ldb: width,
                    beta: 0, c: topBuffers.outputGradient.pointer, ldc: units)
    }

    // MARK: Loss

    /// Per-frame NLL into the workspace; returns their sum (in Double, 3200 frames of Float
    /// would otherwise lose digits the loss curves care about).
    private func mixtureLoss(workspace: Workspace, steps: Int) -> Double {
        let rows = steps * workspace.batch
        let width = config.headOutputs, dims = config.targetSize
        // Float with AVX-512: all rows in one CKernels call (the loop below is its reference).
        if let total = Scalar.mixtureForwardRows(
            rows, components: config.components, dimensions: dims, outputs: workspace.outputs.pointer,
            targets: workspace.targets.pointer, floor: Scalar(config.sigmaFloor),
            halfLogTwoPiTimesD: Scalar(Double(dims) * halfLogTwoPi), sigmas: workspace.mixtureSigma.pointer,
            logJoints: workspace.mixtureLogJoint.pointer, frameLosses: workspace.frameLosses.pointer,
            logNormalisers: workspace.mixtureLogNormaliser.pointer) { return total }
        let kernel = MixtureKernel<Scalar>(components: config.components, dimensions: dims,
                                           sigmaFloor: Scalar(config.sigmaFloor))
        var total = 0.0
        for row in 0 ..< rows {
            let (logP, logNormaliser) = kernel.forward(
                outputs: workspace.outputs.pointer + row * width, target: workspace.targets.pointer + row * dims,
                frame: workspace.mixtureFrame(row, components: config.components, dimensions: dims))
            workspace.frameLosses.pointer[row] = -logP
            workspace.mixtureLogNormaliser.pointer[row] = logNormaliser
            total -= Double(logP)
        }
        return total
    }

    /// d(mean NLL)/d(head outputs) for every frame, into workspace.outputGradient.
    private func mixtureGradient(workspace: Workspace, steps: Int) {
        let rows = steps * workspace.batch
        let width = config.headOutputs, dims = config.targetSize
        let kernel = MixtureKernel<Scalar>(components: config.components, dimensions: dims,
                                           sigmaFloor: Scalar(config.sigmaFloor))
        let scale = 1 / Scalar(max(1, workspace.realRows))
        // Float with AVX-512: all rows in one CKernels call (the loop below is its reference).
        if Scalar.mixtureGradientRows(rows, components: config.components, dimensions: dims,
                                      outputs: workspace.outputs.pointer, targets: workspace.targets.pointer,
                                      sigmas: workspace.mixtureSigma.pointer, logJoints: workspace.mixtureLogJoint.pointer,
                                      frameLosses: workspace.frameLosses.pointer,
                                      logNormalisers: workspace.mixtureLogNormaliser.pointer,
                                      scale: scale, floor: Scalar(config.sigmaFloor),
                                      into: workspace.outputGradient.pointer) { return }
        for row in 0 ..< rows {
            kernel.gradient(outputs: workspace.outputs.pointer + row * width,
                            target: workspace.targets.pointer + row * dims,
                            frame: workspace.mixtureFrame(row, components: config.components, dimensions: dims),
                            logP: -workspace.frameLosses.pointer[row],
                            logNormaliser: workspace.mixtureLogNormaliser.pointer[row],
                            scale: scale, into: workspace.outputGradient.pointer + row * width)
        }
    }
}

extension RecurrentMDN {
    /// Per-frame Bernoulli NLL (the sum over the D notes) into the workspace; returns their sum.
    fileprivate func bernoulliLoss(workspace: Workspace, steps: Int) -> Double {
        let rows = steps * workspace.batch, notes = config.targetSize
        let kernel = BernoulliKernel<Scalar>(notes: notes)
        var total = 0.0
        for row in 0 ..< rows {
            let nll = kernel.nll(logits: workspace.outputs.pointer + row * notes,
                                 target: workspace.targets.pointer + row * notes)
            workspace.frameLosses.pointer[row] = Scalar(nll)
            total += nll
        }
        return total
    }

    /// d(mean NLL)/d(logits) of every frame, into workspace.outputGradient.
    fileprivate func bernoulliGradient(workspace: Workspace, steps: Int) {
        let rows = steps * workspace.batch, notes = config.targetSize
        let kernel = BernoulliKernel<Scalar>(notes: notes)
        let scale = 1 / Scalar(max(1, workspace.realRows))
        for row in 0 ..< rows {
            kernel.gradient(logits: workspace.outputs.pointer + row * notes,
                            target: workspace.targets.pointer + row * notes, scale: scale,
                            into: workspace.outputGradient.pointer + row * notes)
        }
    }

    /// Zeroes the padded rows' NLL; returns the sum over the real rows (in Double).
    fileprivate func maskLosses(workspace: Workspace, rows: Int) -> Double {
        var total = 0.0
        for row in 0 ..< rows {
            if workspace.rowMask.pointer[row] == 0 {
                workspace.frameLosses.pointer[row] = 0
            } else {
                total += Double(workspace.frameLosses.pointer[row])
            }
        }
        return total
    }

    /// Zeroes the padded rows' output gradient: whatever the head computed there (the
    /// mixture's uses the NLL that `maskLosses` zeroed) is overwritten, not scaled, so even
    /// a non-finite value on a padded row cannot leak into the weights.
    fileprivate func maskGradient(workspace: Workspace, rows: Int) {
        let width = config.headOutputs
        for row in 0 ..< rows where workspace.rowMask.pointer[row] == 0 {
            (workspace.outputGradient.pointer + row * width).update(repeating: 0, count: width)
        }
    }
}

/// column[j] += sum over rows of m[row, j] (m is (rows, columns) row-major). Rows outer so
/// the inner loop is contiguous and vectorizes.
@inline(__always)
package func addColumnSums<Scalar: BLASScalar>(_ m: UnsafePointer<Scalar>, rows: Int, columns: Int,
                                       into column: UnsafeMutablePointer<Scalar>) {
    for row in 0 ..< rows {
        let source = m + row * columns
        for j in 0 ..< columns { column[j] += source[j] }
    }
}
