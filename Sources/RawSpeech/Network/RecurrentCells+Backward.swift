// Backpropagation through time for one recurrent layer over a chunk (the reverse of
// RecurrentCells+Forward.swift). Each step turns d loss/d h_t (from the layer above or the
// head, plus what flows back from step t+1) into d loss/d pre-activations, stored for the
// whole chunk in `gateGradient`; only the flow to h_{t-1} needs a GEMM inside the time loop.
// The weight gradients then come from one GEMM each over all T*B rows: dW += x^T dG,
// dU += h_prev^T dG (the bias gradient is dG's column sums; the paper GRU's step passes add
// them up as they go); and the layer's input gradient is dG W^T. Everything accumulates
// (`+=`) into `gradient`. The gradient with respect to the chunk's initial state is
// dropped: truncated BPTT. At B = 1 the in-loop products use the layer's padded copy of
// U and CKernels' row-dot kernel (RowDotKernel.swift), at B > 1 (Float, AVX-512) U^T's
// blocks packed once per chunk (PackedRecurrent.swift).
//
// B = batch, T = steps, I = inputs (20), H = units, K = components, D = predicted samples (10)
// G = weight blocks per unit (tanh 1, GRU 3, LSTM 4), In = the layer's inputs.

extension RecurrentMDN {
    package func backwardLayer(_ index: Int, parameters p: UnsafePointer<Scalar>, gradient g: UnsafeMutablePointer<Scalar>,
                       workspace: Workspace, steps: Int) {
        let layer = layout.layers[index], buffers = workspace.layers[index]
        let B = workspace.batch, H = config.units, width = gateWidth, rows = steps * B
        let U = p + layer.recurrentWeights.lowerBound
        buffers.transposedRecurrent?.refresh(from: U)  // B = 1: no-op after this U's forward
        buffers.packedRecurrent?.refresh(from: U, backward: true)
        buffers.hiddenCarry.pointer.update(repeating: 0, count: B * H)
        buffers.cellCarry?.pointer.update(repeating: 0, count: B * H)
        switch config.cell {
        case .tanh: tanhBackward(buffers, U: U, B: B, H: H, steps: steps)
        case .gru where config.gruForm == .paper:
            paperGRUBackward(buffers, U: U, biasGradient: g + layer.bias.lowerBound, B: B, H: H, steps: steps)
        case .gru: cudnnGRUBackward(buffers, U: U, B: B, H: H, steps: steps)
        case .lstm: lstmBackward(buffers, peepholes: p + layer.peepholes!.lowerBound,
                                 peepholeGradient: g + layer.peepholes!.lowerBound, U: U, B: B, H: H, steps: steps)
        }

        let dGates = buffers.gateGradient.pointer          // (T, B, G*H)
        let hPrev = buffers.hidden.pointer                  // slots 0 ..< T: (T*B, H)
        let dU = g + layer.recurrentWeights.lowerBound      // (H, G*H)
        switch config.cell {
        case .gru where config.gruForm == .paper:
            // [Uz | Ur] saw h_{t-1}; Uc saw r * h_{t-1}.
            Scalar.gemm(transposeA: true, transposeB: false, m: H, n: 2 * H, k: rows, alpha: 1,
                        a: hPrev, lda: H, b: dGates, ldb: width, beta: 1, c: dU, ldc: width)
            Scalar.gemm(transposeA: true, transposeB: false, m: H, n: H, k: rows, alpha: 1,
                        a: buffers.resetHidden!.pointer, lda: H, b: dGates + 2 * H, ldb: width,
                        beta: 1, c: dU + 2 * H, ldc: width)
        case .gru:
            let dRecurrent = buffers.recurrentGradient!.pointer  // (T, B, 3H)
            Scalar.gemm(transposeA: true, transposeB: false, m: H, n: width, k: rows, alpha: 1,
                        a: hPrev, lda: H, b: dRecurrent, ldb: width, beta: 1, c: dU, ldc: width)
            addColumnSums(dRecurrent, rows: rows, columns: width, into: g + layer.recurrentBias!.lowerBound)
        default:
            Scalar.gemm(transposeA: true, transposeB: false, m: H, n: width, k: rows, alpha: 1,
                        a: hPrev, lda: H, b: dGates, ldb: width, beta: 1, c: dU, ldc: width)
        }
        let x: UnsafePointer<Scalar> = index == 0
            ? UnsafePointer(workspace.inputs.pointer)
            : UnsafePointer(workspace.layers[index - 1].hidden.pointer + B * H)
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

    /// c (B, H) = beta c + g (B, k) U[:, column ..< column + k]^T, U (H, G*H) row-major: one
    /// GEMM, or at B = 1 the row-dot kernel on the layer's padded copy of U.
    @inline(__always)
    private func recurrentProductTransposed(_ buffers: LayerBuffers<Scalar>, _ g: UnsafePointer<Scalar>, lda: Int,
                                            U: UnsafePointer<Scalar>, column: Int, k: Int, B: Int, H: Int,
                                            beta: Scalar, into c: UnsafeMutablePointer<Scalar>,
                                            prefetch: Prefetch<Scalar> = .none) {
        if let copies = buffers.transposedRecurrent {
            copies.transposedProduct(g, column: column, k: k, beta: beta, into: c)
        } else if let packed = buffers.packedRecurrent {
            packed.transposedProduct(g, lda: lda, column: column, k: k, B: B, beta: beta, into: c, prefetch: prefetch)
        } else {
            Scalar.gemm(transposeA: false, transposeB: true, m: B, n: H, k: k, alpha: 1,
                        a: g, lda: lda, b: U + column, ldb: gateWidth, beta: beta, c: c, ldc: H)
        }
    }

    private func tanhBackward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>, B: Int, H: Int, steps: Int) {
        let carry = buffers.hiddenCarry.pointer  // (B, H) d loss/d h_t flowing back through time
        for t in (0 ..< steps).reversed() {
            let dOut = buffers.outputGradient.pointer + t * B * H
            let h = buffers.gates.pointer + t * B * H, dCandidate = buffers.gateGradient.pointer + t * B * H
            for i in 0 ..< B * H {
                let dh = dOut[i] + carry[i]
                dCandidate[i] = dh * (1 - h[i] * h[i])
            }
            recurrentProductTransposed(buffers, dCandidate, lda: H, U: U, column: 0, k: H, B: B, H: H, beta: 0, into: carry)
        }
    }

    private func paperGRUBackward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>,
                                  biasGradient: UnsafeMutablePointer<Scalar>, B: Int, H: Int, steps: Int) {
        let width = 3 * H
        let carry = buffers.hiddenCarry.pointer
        let dResetHidden = buffers.resetHiddenGradient!.pointer  // (B, H)
        for t in (0 ..< steps).reversed() {
            let dOut = buffers.outputGradient.pointer + t * B * H
            let hPrev = buffers.hidden.pointer + t * B * H
            let gates = buffers.gates.pointer + t * B * width, dGates = buffers.gateGradient.pointer + t * B * width
            // dUpdate, dCandidate, and the direct path dh (1 - z) into carry.
            PaperGRUPasses.gatesBackward(B: B, H: H, gates: gates, hPrev: hPrev, dOut: dOut, carry: carry,
                                         dGates: dGates, biasGradient: biasGradient)
            // d(r * h_{t-1}) = dCandidate Uc^T. The products pull in what step t-1 reads (its
            // gates, h_{t-2}, dOut, written long ago) and its dG rows (written next).
            recurrentProductTransposed(buffers, dGates + 2 * H, lda: width, U: U, column: 2 * H, k: H, B: B, H: H,
                                       beta: 0, into: dResetHidden,
                                       prefetch: Prefetch(gates - B * width, count: B * width, dGates - B * width,
                                                          count: B * width, when: t > 0))
            PaperGRUPasses.resetBackward(B: B, H: H, gates: gates, hPrev: hPrev, dResetHidden: dResetHidden,
                                         carry: carry, dGates: dGates, biasGradient: biasGradient)
            // d h_{t-1} += [dUpdate | dReset] [Uz | Ur]^T
            recurrentProductTransposed(buffers, dGates, lda: width, U: U, column: 0, k: 2 * H, B: B, H: H,
                                       beta: 1, into: carry,
                                       prefetch: Prefetch(hPrev - B * H, count: B * H, dOut - B * H, count: B * H,
                                                          when: t > 0))
        }
    }

    private func cudnnGRUBackward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>, B: Int, H: Int, steps: Int) {
        let width = 3 * H
        let carry = buffers.hiddenCarry.pointer
        for t in (0 ..< steps).reversed() {
            let dOut = buffers.outputGradient.pointer + t * B * H
            let hPrev = buffers.hidden.pointer + t * B * H
            let recurrentCandidate = buffers.recurrentCandidate!.pointer + t * B * H
            let gates = buffers.gates.pointer + t * B * width, dGates = buffers.gateGradient.pointer + t * B * width
            let dRecurrent = buffers.recurrentGradient!.pointer + t * B * width
            for b in 0 ..< B {
                let updateGate = gates + b * width, resetGate = updateGate + H, candidate = updateGate + 2 * H
                let dUpdate = dGates + b * width, dReset = dUpdate + H, dCandidate = dUpdate + 2 * H
                let dRec = dRecurrent + b * width, dRecCandidate = dRec + 2 * H
                let dh = carry + b * H, dOutRow = dOut + b * H, hp = hPrev + b * H, rc = recurrentCandidate + b * H
                for j in 0 ..< H { dh[j] += dOutRow[j] }
                for j in 0 ..< H { dCandidate[j] = dh[j] * (1 - updateGate[j]) * (1 - candidate[j] * candidate[j]) }
                for j in 0 ..< H { dUpdate[j] = dh[j] * (hp[j] - candidate[j]) * updateGate[j] * (1 - updateGate[j]) }
                for j in 0 ..< H {
                    dReset[j] = dh[j] * (1 - updateGate[j]) * (1 - candidate[j] * candidate[j])
                        * rc[j] * resetGate[j] * (1 - resetGate[j])
                }
                // The recurrent pre-activations: the same for z and r, scaled by r for U_c h + b_hc.
                for j in 0 ..< 2 * H { dRec[j] = dUpdate[j] }
                for j in 0 ..< H { dRecCandidate[j] = dCandidate[j] * resetGate[j] }
                for j in 0 ..< H { dh[j] *= updateGate[j] }
            }
            recurrentProductTransposed(buffers, dRecurrent, lda: width, U: U, column: 0, k: width, B: B, H: H,
                                       beta: 1, into: carry)
        }
    }

    private func lstmBackward(_ buffers: LayerBuffers<Scalar>, peepholes V: UnsafePointer<Scalar>,
                              peepholeGradient dV: UnsafeMutablePointer<Scalar>,
                              U: UnsafePointer<Scalar>, B: Int, H: Int, steps: Int) {
        let width = 4 * H
        let carry = buffers.hiddenCarry.pointer, cellCarry = buffers.cellCarry!.pointer
        let inputPeephole = V, forgetPeephole = V + H, outputPeephole = V + 2 * H
        let dInputPeephole = dV, dForgetPeephole = dV + H, dOutputPeephole = dV + 2 * H
        for t in (0 ..< steps).reversed() {
            let dOut = buffers.outputGradient.pointer + t * B * H
            let cPrev = buffers.cell!.pointer + t * B * H, c = cPrev + B * H
            let cellTanh = buffers.cellTanh!.pointer + t * B * H
            let gates = buffers.gates.pointer + t * B * width, dGates = buffers.gateGradient.pointer + t * B * width
            for b in 0 ..< B {
                let inputGate = gates + b * width, forgetGate = inputGate + H
                let candidate = inputGate + 2 * H, outputGate = inputGate + 3 * H
                let dInputGate = dGates + b * width, dForgetGate = dInputGate + H
                let dCandidate = dInputGate + 2 * H, dOutputGate = dInputGate + 3 * H
                let dh = carry + b * H, dCell = cellCarry + b * H, dOutRow = dOut + b * H
                let cp = cPrev + b * H, cell = c + b * H, squashed = cellTanh + b * H
                for j in 0 ..< H { dh[j] += dOutRow[j] }
                for j in 0 ..< H { dOutputGate[j] = dh[j] * squashed[j] * outputGate[j] * (1 - outputGate[j]) }
                // c_t reaches the loss through tanh(c_t), the next step (dCell), and o_t's peephole.
                for j in 0 ..< H {
                    dCell[j] += dh[j] * outputGate[j] * (1 - squashed[j] * squashed[j]) + dOutputGate[j] * outputPeephole[j]
                }
                for j in 0 ..< H { dInputGate[j] = dCell[j] * candidate[j] * inputGate[j] * (1 - inputGate[j]) }
                for j in 0 ..< H { dForgetGate[j] = dCell[j] * cp[j] * forgetGate[j] * (1 - forgetGate[j]) }
                for j in 0 ..< H { dCandidate[j] = dCell[j] * inputGate[j] * (1 - candidate[j] * candidate[j]) }
                for j in 0 ..< H { dInputPeephole[j] += dInputGate[j] * cp[j] }
                for j in 0 ..< H { dForgetPeephole[j] += dForgetGate[j] * cp[j] }
                for j in 0 ..< H { dOutputPeephole[j] += dOutputGate[j] * cell[j] }
                // d c_{t-1}: through the forget gate's product and the i, f peepholes.
                for j in 0 ..< H {
                    dCell[j] = dCell[j] * forgetGate[j] + dInputGate[j] * inputPeephole[j] + dForgetGate[j] * forgetPeephole[j]
                }
            }
            recurrentProductTransposed(buffers, dGates, lda: width, U: U, column: 0, k: width, B: B, H: H,
                                       beta: 0, into: carry)
        }
    }
}
