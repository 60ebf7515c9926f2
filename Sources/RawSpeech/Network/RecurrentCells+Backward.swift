// Backpropagation through time for one recurrent layer over a chunk (the reverse of
// RecurrentCells+Forward.swift). Each step turns d loss/d h_t (from the layer above or the
// head, plus what flows back from step t+1) into d loss/d pre-activations, stored for the
// whole chunk in `gateGradient`; only the flow to h_{t-1} needs a GEMM inside the time loop.
// The weight gradients then come from one GEMM each over all T*B rows: dW += x^T dG,
// dU += h_prev^T dG; and the layer's input gradient is dG W^T. Everything accumulates
// (`+=`) into `gradient`. The gradient with respect to the chunk's initial state is
// dropped: truncated BPTT.
//
// B = batch, T = steps, I = inputs (20), H = units, K = components, D = predicted samples (10)
// G = weight blocks per unit (tanh 1, GRU 3, LSTM 4), In = the layer's inputs.

extension RecurrentMDN {
    func backwardLayer(_ index: Int, parameters p: UnsafePointer<Scalar>, gradient g: UnsafeMutablePointer<Scalar>,
                       workspace: Workspace, steps: Int) {
        let layer = layout.layers[index], buffers = workspace.layers[index]
        let B = workspace.batch, H = config.units, width = gateWidth, rows = steps * B
        let U = p + layer.recurrentWeights.lowerBound
        buffers.hiddenCarry.pointer.update(repeating: 0, count: B * H)
        buffers.cellCarry?.pointer.update(repeating: 0, count: B * H)
        switch config.cell {
        case .tanh: tanhBackward(buffers, U: U, B: B, H: H, steps: steps)
        case .gru where config.gruForm == .paper: paperGRUBackward(buffers, U: U, B: B, H: H, steps: steps)
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
        addColumnSums(dGates, rows: rows, columns: width, into: g + layer.bias.lowerBound)
        // d loss/d inputs of this layer: the chunk's frames, or the outputs of the layer below.
        let dx = index == 0 ? workspace.inputGrad.pointer : workspace.layers[index - 1].outputGradient.pointer
        Scalar.gemm(transposeA: false, transposeB: true, m: rows, n: layer.inputs, k: width, alpha: 1,
                    a: dGates, lda: width, b: p + layer.inputWeights.lowerBound, ldb: width,
                    beta: 0, c: dx, ldc: layer.inputs)
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
            Scalar.gemm(transposeA: false, transposeB: true, m: B, n: H, k: H, alpha: 1,
                        a: dCandidate, lda: H, b: U, ldb: H, beta: 0, c: carry, ldc: H)
        }
    }

    private func paperGRUBackward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>, B: Int, H: Int, steps: Int) {
        let width = 3 * H
        let carry = buffers.hiddenCarry.pointer
        let dResetHidden = buffers.resetHiddenGradient!.pointer  // (B, H)
        for t in (0 ..< steps).reversed() {
            let dOut = buffers.outputGradient.pointer + t * B * H
            let hPrev = buffers.hidden.pointer + t * B * H
            let gates = buffers.gates.pointer + t * B * width, dGates = buffers.gateGradient.pointer + t * B * width
            for b in 0 ..< B {
                let row = gates + b * width, dRow = dGates + b * width
                let offset = b * H
                for j in 0 ..< H {
                    let dh = dOut[offset + j] + carry[offset + j]
                    let update = row[j], candidate = row[2 * H + j], hp = hPrev[offset + j]
                    dRow[2 * H + j] = dh * update * (1 - candidate * candidate)
                    dRow[j] = dh * (candidate - hp) * update * (1 - update)
                    carry[offset + j] = dh * (1 - update)
                }
            }
            // d(r * h_{t-1}) = dCandidate Uc^T
            Scalar.gemm(transposeA: false, transposeB: true, m: B, n: H, k: H, alpha: 1,
                        a: dGates + 2 * H, lda: width, b: U + 2 * H, ldb: width, beta: 0, c: dResetHidden, ldc: H)
            for b in 0 ..< B {
                let row = gates + b * width, dRow = dGates + b * width
                let offset = b * H
                for j in 0 ..< H {
                    let reset = row[H + j], dRH = dResetHidden[offset + j]
                    dRow[H + j] = dRH * hPrev[offset + j] * reset * (1 - reset)
                    carry[offset + j] += dRH * reset
                }
            }
            // d h_{t-1} += [dUpdate | dReset] [Uz | Ur]^T
            Scalar.gemm(transposeA: false, transposeB: true, m: B, n: H, k: 2 * H, alpha: 1,
                        a: dGates, lda: width, b: U, ldb: width, beta: 1, c: carry, ldc: H)
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
                let row = gates + b * width, dRow = dGates + b * width, dRec = dRecurrent + b * width
                let offset = b * H
                for j in 0 ..< H {
                    let dh = dOut[offset + j] + carry[offset + j]
                    let update = row[j], reset = row[H + j], candidate = row[2 * H + j]
                    let hp = hPrev[offset + j]
                    let dCandidate = dh * (1 - update) * (1 - candidate * candidate)
                    let dUpdate = dh * (hp - candidate) * update * (1 - update)
                    let dReset = dCandidate * recurrentCandidate[offset + j] * reset * (1 - reset)
                    dRow[j] = dUpdate
                    dRow[H + j] = dReset
                    dRow[2 * H + j] = dCandidate
                    dRec[j] = dUpdate
                    dRec[H + j] = dReset
                    dRec[2 * H + j] = dCandidate * reset
                    carry[offset + j] = dh * update
                }
            }
            Scalar.gemm(transposeA: false, transposeB: true, m: B, n: H, k: width, alpha: 1,
                        a: dRecurrent, lda: width, b: U, ldb: width, beta: 1, c: carry, ldc: H)
        }
    }

    private func lstmBackward(_ buffers: LayerBuffers<Scalar>, peepholes V: UnsafePointer<Scalar>,
                              peepholeGradient dV: UnsafeMutablePointer<Scalar>,
                              U: UnsafePointer<Scalar>, B: Int, H: Int, steps: Int) {
        let width = 4 * H
        let carry = buffers.hiddenCarry.pointer, cellCarry = buffers.cellCarry!.pointer
        for t in (0 ..< steps).reversed() {
            let dOut = buffers.outputGradient.pointer + t * B * H
            let cPrev = buffers.cell!.pointer + t * B * H, c = cPrev + B * H
            let cellTanh = buffers.cellTanh!.pointer + t * B * H
            let gates = buffers.gates.pointer + t * B * width, dGates = buffers.gateGradient.pointer + t * B * width
            for b in 0 ..< B {
                let row = gates + b * width, dRow = dGates + b * width
                let offset = b * H
                for j in 0 ..< H {
                    let dh = dOut[offset + j] + carry[offset + j]
                    let inputGate = row[j], forgetGate = row[H + j], candidate = row[2 * H + j]
                    let outputGate = row[3 * H + j], squashed = cellTanh[offset + j]
                    let cp = cPrev[offset + j], cell = c[offset + j]
                    let dOutputGate = dh * squashed * outputGate * (1 - outputGate)
                    // c_t reaches the loss through tanh(c_t), the next step, and o_t's peephole.
                    let dCell = cellCarry[offset + j] + dh * outputGate * (1 - squashed * squashed)
                        + dOutputGate * V[2 * H + j]
                    let dInputGate = dCell * candidate * inputGate * (1 - inputGate)
                    let dForgetGate = dCell * cp * forgetGate * (1 - forgetGate)
                    let dCandidate = dCell * inputGate * (1 - candidate * candidate)
                    dRow[j] = dInputGate
                    dRow[H + j] = dForgetGate
                    dRow[2 * H + j] = dCandidate
                    dRow[3 * H + j] = dOutputGate
                    cellCarry[offset + j] = dCell * forgetGate + dInputGate * V[j] + dForgetGate * V[H + j]
                    dV[j] += dInputGate * cp
                    dV[H + j] += dForgetGate * cp
                    dV[2 * H + j] += dOutputGate * cell
                }
            }
            Scalar.gemm(transposeA: false, transposeB: true, m: B, n: H, k: width, alpha: 1,
                        a: dGates, lda: width, b: U, ldb: width, beta: 0, c: carry, ldc: H)
        }
    }
}
