// One recurrent layer over a chunk: what every cell shares, around the cell's own step
// loop. The cells themselves are one file each, forward and backward side by side:
// Tanh.swift, GRU.swift (the paper's form and cuDNN's), LSTM.swift; the per-step
// recurrent products they all use are in RecurrentProduct.swift.
//
// Forward: the input projection of all T*B rows is one GEMM, gates = x W (+ b: copied
// bias rows, except for the paper GRU and the LSTM, whose step passes add the bias themselves:
// `stepPassesHandleBias`); then the cell's step loop adds h_{t-1} U per step and runs the
// gate math. Gate activations overwrite their pre-activations in `gates`; backward reads
// them there.
// Backward (truncated BPTT: the gradient with respect to the chunk's initial state is
// dropped): the cell's step loop turns d loss/d h_t (from the layer above or the head,
// plus what flows back from step t+1) into d loss/d pre-activations dG, stored for the
// whole chunk, and adds dU from them; then here dW += x^T dG, the bias gradient (dG's
// column sums, unless the step passes summed it) and the layer's input gradient dG W^T.
// Everything accumulates (`+=`) into `gradient`.
//
// B = batch, T = steps, I = inputs (20), H = units, K = components, D = predicted samples (10)
// G = weight blocks per unit (tanh 1, GRU 3, LSTM 4), In = the layer's inputs.

extension RecurrentMDN {
    package func forwardLayer(_ index: Int, parameters p: UnsafePointer<Scalar>, workspace: Workspace, steps: Int) {
        let layer = layout.layers[index], buffers = workspace.layers[index]
        let B = workspace.batch, H = config.units, width = gateWidth, rows = steps * B
        let x = layerInput(index, workspace: workspace)   // (T*B, In)
        let gates = buffers.gates.pointer                  // (T, B, G*H)
        let bias = p + layer.bias.lowerBound               // (G*H)
        let passesAddBias = stepPassesHandleBias
        if !passesAddBias { for row in 0 ..< rows { (gates + row * width).update(from: bias, count: width) } }
        Scalar.gemm(transposeA: false, transposeB: false, m: rows, n: width, k: layer.inputs,
                    alpha: 1, a: x, lda: layer.inputs, b: p + layer.inputWeights.lowerBound, ldb: width,
                    beta: passesAddBias ? 0 : 1, c: gates, ldc: width)
        let U = p + layer.recurrentWeights.lowerBound      // (H, G*H)
        buffers.transposedRecurrent?.refresh(from: U)
        buffers.packedRecurrent?.refresh(from: U, backward: false)
        switch config.cell {
        case .tanh: tanhForward(buffers, U: U, B: B, H: H, steps: steps)
        case .gru where config.gruForm == .paper: paperGRUForward(buffers, U: U, bias: bias, B: B, H: H, steps: steps)
        case .gru: cudnnGRUForward(buffers, U: U, recurrentBias: p + layer.recurrentBias!.lowerBound,
                                   B: B, H: H, steps: steps)
        case .lstm:
            lstmForward(buffers, U: U, bias: bias, peepholes: p + layer.peepholes!.lowerBound, B: B, H: H, steps: steps)
        }
    }

    package func backwardLayer(_ index: Int, parameters p: UnsafePointer<Scalar>, gradient g: UnsafeMutablePointer<Scalar>,
                               workspace: Workspace, steps: Int) {
        let layer = layout.layers[index], buffers = workspace.layers[index]
        let B = workspace.batch, H = config.units, width = gateWidth, rows = steps * B
        let U = p + layer.recurrentWeights.lowerBound      // (H, G*H)
        let dU = g + layer.recurrentWeights.lowerBound     // (H, G*H)
        buffers.transposedRecurrent?.refresh(from: U)  // B = 1: no-op after this U's forward
        buffers.packedRecurrent?.refresh(from: U, backward: true)
        buffers.hiddenCarry.pointer.update(repeating: 0, count: B * H)
        buffers.cellCarry?.pointer.update(repeating: 0, count: B * H)
        switch config.cell {
        case .tanh: tanhBackward(buffers, U: U, dU: dU, B: B, H: H, steps: steps)
        case .gru where config.gruForm == .paper:
            paperGRUBackward(buffers, U: U, dU: dU, biasGradient: g + layer.bias.lowerBound, B: B, H: H, steps: steps)
        case .gru:
            cudnnGRUBackward(buffers, U: U, dU: dU, recurrentBiasGradient: g + layer.recurrentBias!.lowerBound,
                             B: B, H: H, steps: steps)
        case .lstm:
            lstmBackward(buffers, U: U, dU: dU, peepholes: p + layer.peepholes!.lowerBound,
                         peepholeGradient: g + layer.peepholes!.lowerBound, biasGradient: g + layer.bias.lowerBound,
                         B: B, H: H, steps: steps)
        }

        let dGates = buffers.gateGradient.pointer          // (T, B, G*H)
        let x = layerInput(index, workspace: workspace)    // (T*B, In)
        Scalar.gemm(transposeA: true, transposeB: false, m: layer.inputs, n: width, k: rows, alpha: 1,
                    a: x, lda: layer.inputs, b: dGates, ldb: width,
                    beta: 1, c: g + layer.inputWeights.lowerBound, ldc: width)
        if !stepPassesHandleBias {  // else the step passes summed it
            addColumnSums(dGates, rows: rows, columns: width, into: g + layer.bias.lowerBound)
        }
        // d loss/d inputs of this layer: the chunk's frames (unless the workspace skips
        // them), or the outputs of the layer below.
        if index == 0 && !workspace.computesInputGradient { return }
        let dx = index == 0 ? workspace.inputGrad.pointer : workspace.layers[index - 1].outputGradient.pointer
        Scalar.gemm(transposeA: false, transposeB: true, m: rows, n: layer.inputs, k: width, alpha: 1,
                    a: dGates, lda: width, b: p + layer.inputWeights.lowerBound, ldb: width,
                    beta: 0, c: dx, ldc: layer.inputs)
    }

    /// The layer's input, (T*B, In): the chunk's frames, or the hidden outputs (slots 1...T)
    /// of the layer below.
    private func layerInput(_ index: Int, workspace: Workspace) -> UnsafePointer<Scalar> {
        index == 0
            ? UnsafePointer(workspace.inputs.pointer)
            : UnsafePointer(workspace.layers[index - 1].hidden.pointer + workspace.batch * config.units)
    }

    /// dU[:, columns] += inputs^T dG[:, columns] over a chunk's `rows` = T*B rows: the
    /// recurrent weights' gradient, one GEMM after the step loop. `inputs` (T*B, H) is what
    /// those columns of U multiplied in forward (h_{t-1}, or the paper GRU's r * h_{t-1});
    /// dG (T*B, G*H).
    @inline(__always)
    package func addRecurrentWeightGradient(_ inputs: UnsafePointer<Scalar>, _ dG: UnsafePointer<Scalar>,
                                            columns: Range<Int>, rows: Int, into dU: UnsafeMutablePointer<Scalar>) {
        let H = config.units
        Scalar.gemm(transposeA: true, transposeB: false, m: H, n: columns.count, k: rows, alpha: 1,
                    a: inputs, lda: H, b: dG + columns.lowerBound, ldb: gateWidth,
                    beta: 1, c: dU + columns.lowerBound, ldc: gateWidth)
    }
}
