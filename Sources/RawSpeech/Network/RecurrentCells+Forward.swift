// Forward pass of one recurrent layer over a chunk, for each unit of the paper:
//   tanh:  h_t = tanh(W x_t + U h_{t-1} + b)
//   GRU (paper): z = sig(Wz x + Uz h + bz), r = sig(Wr x + Ur h + br),
//                h~ = tanh(W x + U (r * h) + b), h_t = (1 - z) h_{t-1} + z h~
//   GRU (cuDNN): r and z as above but with U h + b_h, h~ = tanh(W x + b + r * (U h + b_hc)),
//                h_t = (1 - z) h~ + z h_{t-1}
//   LSTM (Graves 2013, diagonal peepholes V): i = sig(.. + Vi c_{t-1}), f = sig(.. + Vf c_{t-1}),
//                c~ = tanh(..), c_t = f c_{t-1} + i c~, o = sig(.. + Vo c_t), h_t = o tanh(c_t)
// Structure: the input projection of all T*B rows is one GEMM (starting from the bias rows,
// except for the paper GRU, whose per-step passes add the bias: CellPasses.swift);
// each step adds the recurrent projection of the batch with one GEMM (two for the paper's
// GRU, whose candidate needs r first) and then runs the gate math per sequence in short
// loops over one unit row (H floats, in L1). Each loop writes one array and never reads
// another offset of the array it writes: one fused loop that updated several gate blocks
// of the same row did not auto-vectorize (unknown distance between the blocks), these do.
// The sigmoid and tanh passes go through `Scalar.sigmoidArray` / `tanhArray` (AVX-512 in
// CKernels for Float when the CPU has it; the same FastMath polynomials otherwise).
// Gate activations overwrite their pre-activations in `gates`; backward reads them there.
// At B = 1 the per-step products go through the layer's transposed copy of U and the
// row-dot kernel instead (RowDotKernel.swift), and at B > 1 (Float, AVX-512) CKernels'
// GEMM on U packed once per chunk (PackedRecurrent.swift): `addRecurrentProduct` picks.
//
// B = batch, T = steps, I = inputs (20), H = units, K = components, D = predicted samples (10)
// G = weight blocks per unit (tanh 1, GRU 3, LSTM 4), In = the layer's inputs.

extension RecurrentMDN {
    package func forwardLayer(_ index: Int, parameters p: UnsafePointer<Scalar>, workspace: Workspace, steps: Int) {
        let layer = layout.layers[index], buffers = workspace.layers[index]
        let B = workspace.batch, H = config.units, width = gateWidth, rows = steps * B
        // The layer's input: the chunk's frames, or the hidden outputs (slots 1...T) below.
        let x: UnsafePointer<Scalar> = index == 0
            ? UnsafePointer(workspace.inputs.pointer)
            : UnsafePointer(workspace.layers[index - 1].hidden.pointer + B * H)
        let gates = buffers.gates.pointer  // (T, B, G*H)
        let bias = p + layer.bias.lowerBound
        // The paper GRU's step passes add the bias themselves; the other cells start the
        // GEMM from copied bias rows (`stepPassesHandleBias`).
        let passesAddBias = stepPassesHandleBias
        if !passesAddBias { for row in 0 ..< rows { (gates + row * width).update(from: bias, count: width) } }
        Scalar.gemm(transposeA: false, transposeB: false, m: rows, n: width, k: layer.inputs,
                    alpha: 1, a: x, lda: layer.inputs, b: p + layer.inputWeights.lowerBound, ldb: width,
                    beta: passesAddBias ? 0 : 1, c: gates, ldc: width)
        let U = p + layer.recurrentWeights.lowerBound  // (H, G*H)
        buffers.transposedRecurrent?.refresh(from: U)
        buffers.packedRecurrent?.refresh(from: U, backward: false)
        switch config.cell {
        case .tanh: tanhForward(buffers, U: U, B: B, H: H, steps: steps)
        case .gru where config.gruForm == .paper: paperGRUForward(buffers, U: U, bias: bias, B: B, H: H, steps: steps)
        case .gru: cudnnGRUForward(buffers, U: U, recurrentBias: p + layer.recurrentBias!.lowerBound,
                                   B: B, H: H, steps: steps)
        case .lstm: lstmForward(buffers, U: U, peepholes: p + layer.peepholes!.lowerBound,
                                B: B, H: H, steps: steps)
        }
    }

    /// c (B, n) += h (B, H) U[:, column ..< column + n], U (H, G*H) row-major: one GEMM, or at
    /// B = 1 the row-dot kernel on the layer's transposed U, or at B > 1 CKernels' packed
    /// GEMM on U's packed blocks (both refreshed in `forwardLayer`).
    @inline(__always)
    private func addRecurrentProduct(_ buffers: LayerBuffers<Scalar>, _ h: UnsafePointer<Scalar>,
                                     U: UnsafePointer<Scalar>, column: Int, n: Int, B: Int, H: Int,
                                     into c: UnsafeMutablePointer<Scalar>, ldc: Int, prefetch: Prefetch<Scalar> = .none) {
        if let transposed = buffers.transposedRecurrent {
            transposed.addProduct(h, column: column, n: n, into: c)
        } else if let packed = buffers.packedRecurrent {
            packed.addProduct(h, lda: H, column: column, n: n, B: B, into: c, ldc: ldc, prefetch: prefetch)
        } else {
            Scalar.gemm(transposeA: false, transposeB: false, m: B, n: n, k: H, alpha: 1,
                        a: h, lda: H, b: U + column, ldb: gateWidth, beta: 1, c: c, ldc: ldc)
        }
    }

    private func tanhForward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>, B: Int, H: Int, steps: Int) {
        for t in 0 ..< steps {
            let hPrev = buffers.hidden.pointer + t * B * H, h = hPrev + B * H
            let candidate = buffers.gates.pointer + t * B * H  // (B, H)
            addRecurrentProduct(buffers, hPrev, U: U, column: 0, n: H, B: B, H: H, into: candidate, ldc: H)
            Scalar.tanhArray(count: B * H, candidate, into: candidate)
            h.update(from: candidate, count: B * H)
        }
    }

    private func paperGRUForward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>,
                                 B: Int, H: Int, steps: Int) {
        let width = 3 * H
        for t in 0 ..< steps {
            let hPrev = buffers.hidden.pointer + t * B * H, h = hPrev + B * H
            let gates = buffers.gates.pointer + t * B * width  // (B, 3H)
            let resetHidden = buffers.resetHidden!.pointer + t * B * H  // (B, H)
            let isLast = t + 1 == steps
            // [updateGate | resetGate] += h_{t-1} [Uz | Ur], then z, r and r * h_{t-1}. The
            // products pull in step t+1's gates (its input projection), r * h and h rows.
            addRecurrentProduct(buffers, hPrev, U: U, column: 0, n: 2 * H, B: B, H: H, into: gates, ldc: width,
                                prefetch: Prefetch(gates + B * width, count: B * width, resetHidden + B * H, count: B * H,
                                                   when: !isLast))
            PaperGRUPasses.gatesForward(B: B, H: H, gates: gates, bias: bias, hPrev: hPrev, resetHidden: resetHidden)
            // candidate += (r * h_{t-1}) Uc: the reset acts before the recurrent matrix.
            addRecurrentProduct(buffers, resetHidden, U: U, column: 2 * H, n: H, B: B, H: H, into: gates + 2 * H, ldc: width,
                                prefetch: Prefetch(h + B * H, count: B * H, h, count: 0, when: !isLast))
            PaperGRUPasses.outputForward(B: B, H: H, gates: gates, bias: bias, hPrev: hPrev, h: h)
        }
    }

    private func cudnnGRUForward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>,
                                 recurrentBias: UnsafePointer<Scalar>, B: Int, H: Int, steps: Int) {
        let width = 3 * H
        let recurrent = buffers.recurrentScratch!.pointer  // (B, 3H): U h_{t-1} + b_h
        for t in 0 ..< steps {
            let hPrev = buffers.hidden.pointer + t * B * H, h = hPrev + B * H
            let gates = buffers.gates.pointer + t * B * width
            let recurrentCandidate = buffers.recurrentCandidate!.pointer + t * B * H
            for b in 0 ..< B { (recurrent + b * width).update(from: recurrentBias, count: width) }
            addRecurrentProduct(buffers, hPrev, U: U, column: 0, n: width, B: B, H: H, into: recurrent, ldc: width)
            for b in 0 ..< B {
                let updateAndReset = gates + b * width, resetGate = updateAndReset + H, candidate = updateAndReset + 2 * H
                let rec = recurrent + b * width, recCandidate = rec + 2 * H
                let hp = hPrev + b * H, hb = h + b * H, rc = recurrentCandidate + b * H
                for j in 0 ..< 2 * H { updateAndReset[j] += rec[j] }
                Scalar.sigmoidArray(count: 2 * H, updateAndReset, into: updateAndReset)
                for j in 0 ..< H { rc[j] = recCandidate[j] }  // U_c h + b_hc, kept for backward
                for j in 0 ..< H { recCandidate[j] *= resetGate[j] }
                for j in 0 ..< H { candidate[j] += recCandidate[j] }
                Scalar.tanhArray(count: H, candidate, into: candidate)
                for j in 0 ..< H { hb[j] = candidate[j] + updateAndReset[j] * (hp[j] - candidate[j]) }  // (1-z) h~ + z h
            }
        }
    }

    private func lstmForward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>,
                             peepholes V: UnsafePointer<Scalar>, B: Int, H: Int, steps: Int) {
        let width = 4 * H
        let inputPeephole = V, forgetPeephole = V + H, outputPeephole = V + 2 * H
        for t in 0 ..< steps {
            let hPrev = buffers.hidden.pointer + t * B * H, h = hPrev + B * H
            let cPrev = buffers.cell!.pointer + t * B * H, c = cPrev + B * H
            let cellTanh = buffers.cellTanh!.pointer + t * B * H
            let gates = buffers.gates.pointer + t * B * width
            addRecurrentProduct(buffers, hPrev, U: U, column: 0, n: width, B: B, H: H, into: gates, ldc: width)
            for b in 0 ..< B {
                let inputGate = gates + b * width, forgetGate = inputGate + H
                let candidate = inputGate + 2 * H, outputGate = inputGate + 3 * H
                let cp = cPrev + b * H, cell = c + b * H, squashed = cellTanh + b * H, hb = h + b * H
                for j in 0 ..< H { inputGate[j] += inputPeephole[j] * cp[j] }
                for j in 0 ..< H { forgetGate[j] += forgetPeephole[j] * cp[j] }
                Scalar.sigmoidArray(count: 2 * H, inputGate, into: inputGate)  // i and f are adjacent
                Scalar.tanhArray(count: H, candidate, into: candidate)
                for j in 0 ..< H { cell[j] = forgetGate[j] * cp[j] + inputGate[j] * candidate[j] }
                // The output gate peeks at the new cell c_t (Graves 2013), not c_{t-1}.
                for j in 0 ..< H { outputGate[j] += outputPeephole[j] * cell[j] }
                Scalar.sigmoidArray(count: H, outputGate, into: outputGate)
                Scalar.tanhArray(count: H, cell, into: squashed)
                for j in 0 ..< H { hb[j] = outputGate[j] * squashed[j] }
            }
        }
    }
}
