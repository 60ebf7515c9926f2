// The long short-term memory unit, Graves 2013's variant with diagonal peepholes, forward
// and backward over a chunk's steps. RecurrentLayer.swift runs the input projection
// before and dW, the bias and input gradients after; RecurrentProduct.swift does the
// per-step products with U.
//
// paper.md, "The units" (Chung et al. 2014, Sec. 3.1), biases added:
//   (i)  i_t  = sigma(W_i x_t + U_i h_{t-1} + V_i c_{t-1} + b_i)   input gate
//   (f)  f_t  = sigma(W_f x_t + U_f h_{t-1} + V_f c_{t-1} + b_f)   forget gate
//   (c~) c~_t = tanh(W_c x_t + U_c h_{t-1} + b_c)                  candidate
//   (c)  c_t  = f_t * c_{t-1} + i_t * c~_t                         cell
//   (o)  o_t  = sigma(W_o x_t + U_o h_{t-1} + V_o c_t + b_o)       output gate: c_t, not c_{t-1}
//   (h)  h_t  = o_t * tanh(c_t)
// Each step: one product h_{t-1} [U_i | U_f | U_c | U_o], then one elementwise pass over
// the step's rows (`LSTMPasses`, below) that adds the biases and runs the gate math; backward,
// one pass that also sums the bias and peephole gradients while the step's dG is in L1,
// then d h_{t-1} = dG U^T.
//
// B = batch, T = steps, H = units. gates, dGates: (T, B, 4H) rows `LSTMGates`
// [inputGate | forgetGate | candidate | outputGate]; hidden, cell: (T+1, B, H);
// cellTanh: (T, B, H) tanh(c_t); peepholes V: (3H) [V_i | V_f | V_o].

/// The LSTM layer's column blocks of W, U, b and the gate rows, in ParameterLayout's
/// order, and the blocks of its peephole vector.
package struct LSTMGates {
    package let inputGate: Range<Int>
    package let forgetGate: Range<Int>
    package let candidate: Range<Int>
    package let outputGate: Range<Int>
    package var width: Int { outputGate.upperBound }
    /// V = [V_i | V_f | V_o], (3H).
    package let inputPeephole: Range<Int>
    package let forgetPeephole: Range<Int>
    package let outputPeephole: Range<Int>

    package init(units H: Int) {
        inputGate = 0 ..< H
        forgetGate = H ..< 2 * H
        candidate = 2 * H ..< 3 * H
        outputGate = 3 * H ..< 4 * H
        inputPeephole = 0 ..< H
        forgetPeephole = H ..< 2 * H
        outputPeephole = 2 * H ..< 3 * H
    }
}

extension RecurrentMDN {
    package func lstmForward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>,
                             peepholes V: UnsafePointer<Scalar>, B: Int, H: Int, steps: Int) {
        let width = LSTMGates(units: H).width
        for t in 0 ..< steps {
            let hPrev = buffers.hidden.pointer + t * B * H, h = hPrev + B * H  // (B, H)
            let cPrev = buffers.cell!.pointer + t * B * H, c = cPrev + B * H   // (B, H)
            let cellTanh = buffers.cellTanh!.pointer + t * B * H               // (B, H)
            let gates = buffers.gates.pointer + t * B * width                  // (B, 4H)
            // The product pulls in step t+1's gates (its input projection, written long ago)
            // and the tanh(c) rows it writes.
            addRecurrentProduct(buffers, hPrev, U: U, columns: 0 ..< width, B: B, H: H, into: gates, ldc: width,
                                prefetch: Prefetch(gates + B * width, count: B * width, cellTanh + B * H, count: B * H,
                                                   when: t + 1 < steps))
            LSTMPasses.forward(B: B, H: H, gates: gates, bias: bias, peepholes: V, cPrev: cPrev, c: c,
                               cellTanh: cellTanh, h: h)
        }
    }

    /// Accumulates dU, the bias and the peepholes' gradients; leaves dG in `gateGradient`.
    package func lstmBackward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>, dU: UnsafeMutablePointer<Scalar>,
                              peepholes V: UnsafePointer<Scalar>, peepholeGradient dV: UnsafeMutablePointer<Scalar>,
                              biasGradient: UnsafeMutablePointer<Scalar>, B: Int, H: Int, steps: Int) {
        let width = LSTMGates(units: H).width
        let carry = buffers.hiddenCarry.pointer, cellCarry = buffers.cellCarry!.pointer  // (B, H) d h_t, d c_t through time
        for t in (0 ..< steps).reversed() {
            let dOut = buffers.outputGradient.pointer + t * B * H                       // (B, H)
            let cPrev = buffers.cell!.pointer + t * B * H, c = cPrev + B * H            // (B, H)
            let cellTanh = buffers.cellTanh!.pointer + t * B * H                        // (B, H)
            let gates = buffers.gates.pointer + t * B * width, dGates = buffers.gateGradient.pointer + t * B * width
            LSTMPasses.backward(B: B, H: H, gates: gates, peepholes: V, cPrev: cPrev, c: c, cellTanh: cellTanh,
                                dOut: dOut, carry: carry, cellCarry: cellCarry, dGates: dGates,
                                peepholeGradient: dV, biasGradient: biasGradient)
            // d h_{t-1} = dG [U_i | U_f | U_c | U_o]^T. The product pulls in what step t-1
            // reads (its gates, written long ago) and its dG rows (written next).
            recurrentProductTransposed(buffers, dGates, lda: width, U: U, columns: 0 ..< width, B: B, H: H,
                                       beta: 0, into: carry,
                                       prefetch: Prefetch(gates - B * width, count: B * width, dGates - B * width,
                                                          count: B * width, when: t > 0))
        }
        addRecurrentWeightGradient(buffers.hidden.pointer, buffers.gateGradient.pointer, columns: 0 ..< width,
                                   rows: steps * B, into: dU)
    }
}

/// The LSTM's per-step elementwise passes over a step's B rows. Each runs `Scalar`'s
/// kernel where there is one (CKernels' LSTMKernels.c for Float, AVX-512) and otherwise the
/// plain Swift loops here, which are the references (the tests compare the two) and
/// Double's path, so the gradient checks prove the same math. Forward adds the gate biases
/// (the input projection's GEMM does not start from copied bias rows); backward sums the
/// bias and peephole gradients while each step's dG is hot.
///
/// In the Swift loops each loop writes one array and never reads another offset of the
/// array it writes: one fused loop that updated several gate blocks of the same row did
/// not auto-vectorize (unknown distance between the blocks), these do.
///
/// gates, dGates: (B, 4H) rows `LSTMGates`; cPrev, c, cellTanh, h, dOut, carry, cellCarry:
/// (B, H); bias, biasGradient: (4H); peepholes, peepholeGradient: (3H) [V_i | V_f | V_o].
package enum LSTMPasses<Scalar: BLASScalar> {
    /// After gates += h_{t-1} U: (i), (f), (c~), (c), (o), (h), the activations in place of
    /// the pre-activations, c_t, tanh(c_t) and h_t.
    @inline(__always)
    package static func forward(B: Int, H: Int, gates: UnsafeMutablePointer<Scalar>, bias: UnsafePointer<Scalar>,
                                peepholes: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>, c: UnsafeMutablePointer<Scalar>,
                                cellTanh: UnsafeMutablePointer<Scalar>, h: UnsafeMutablePointer<Scalar>) {
        if Scalar.lstmForwardKernel(B: B, H: H, gates: gates, bias: bias, peepholes: peepholes, cPrev: cPrev, c: c,
                                    cellTanh: cellTanh, h: h) { return }
        forwardReference(B: B, H: H, gates: gates, bias: bias, peepholes: peepholes, cPrev: cPrev, c: c,
                         cellTanh: cellTanh, h: h)
    }

    package static func forwardReference(B: Int, H: Int, gates: UnsafeMutablePointer<Scalar>, bias: UnsafePointer<Scalar>,
                                         peepholes V: UnsafePointer<Scalar>, cPrev: UnsafePointer<Scalar>,
                                         c: UnsafeMutablePointer<Scalar>, cellTanh: UnsafeMutablePointer<Scalar>,
                                         h: UnsafeMutablePointer<Scalar>) {
        let blocks = LSTMGates(units: H), width = blocks.width
        let inputPeephole = V + blocks.inputPeephole.lowerBound, forgetPeephole = V + blocks.forgetPeephole.lowerBound
        let outputPeephole = V + blocks.outputPeephole.lowerBound
        for b in 0 ..< B {
            let row = gates + b * width
            let inputGate = row + blocks.inputGate.lowerBound, forgetGate = row + blocks.forgetGate.lowerBound
            let candidate = row + blocks.candidate.lowerBound, outputGate = row + blocks.outputGate.lowerBound
            let cp = cPrev + b * H, cell = c + b * H, squashed = cellTanh + b * H, hb = h + b * H
            for j in 0 ..< width { row[j] += bias[j] }
            // (i), (f): the peepholes see c_{t-1}.
            for j in 0 ..< H { inputGate[j] += inputPeephole[j] * cp[j] }
            for j in 0 ..< H { forgetGate[j] += forgetPeephole[j] * cp[j] }
            Scalar.sigmoidArray(count: 2 * H, inputGate, into: inputGate)  // i and f are adjacent
            // (c~), (c)
            Scalar.tanhArray(count: H, candidate, into: candidate)
            for j in 0 ..< H { cell[j] = forgetGate[j] * cp[j] + inputGate[j] * candidate[j] }
            // (o): the output gate peeks at the new cell c_t (Graves 2013), not c_{t-1}.
            for j in 0 ..< H { outputGate[j] += outputPeephole[j] * cell[j] }
            Scalar.sigmoidArray(count: H, outputGate, into: outputGate)
            // (h)
            Scalar.tanhArray(count: H, cell, into: squashed)
            for j in 0 ..< H { hb[j] = outputGate[j] * squashed[j] }
        }
    }

    /// Step t backward: d h_t = carry + dOut (left in carry), dG, d c_{t-1} (in cellCarry),
    /// and the peephole and bias gradients accumulated.
    @inline(__always)
    package static func backward(B: Int, H: Int, gates: UnsafePointer<Scalar>, peepholes: UnsafePointer<Scalar>,
                                 cPrev: UnsafePointer<Scalar>, c: UnsafePointer<Scalar>, cellTanh: UnsafePointer<Scalar>,
                                 dOut: UnsafePointer<Scalar>, carry: UnsafeMutablePointer<Scalar>,
                                 cellCarry: UnsafeMutablePointer<Scalar>, dGates: UnsafeMutablePointer<Scalar>,
                                 peepholeGradient: UnsafeMutablePointer<Scalar>, biasGradient: UnsafeMutablePointer<Scalar>) {
        if Scalar.lstmBackwardKernel(B: B, H: H, gates: gates, peepholes: peepholes, cPrev: cPrev, c: c,
                                     cellTanh: cellTanh, dOut: dOut, carry: carry, cellCarry: cellCarry, dGates: dGates,
                                     peepholeGradient: peepholeGradient, biasGradient: biasGradient) { return }
        backwardReference(B: B, H: H, gates: gates, peepholes: peepholes, cPrev: cPrev, c: c, cellTanh: cellTanh,
                          dOut: dOut, carry: carry, cellCarry: cellCarry, dGates: dGates,
                          peepholeGradient: peepholeGradient, biasGradient: biasGradient)
    }

    package static func backwardReference(B: Int, H: Int, gates: UnsafePointer<Scalar>, peepholes V: UnsafePointer<Scalar>,
                                          cPrev: UnsafePointer<Scalar>, c: UnsafePointer<Scalar>,
                                          cellTanh: UnsafePointer<Scalar>, dOut: UnsafePointer<Scalar>,
                                          carry: UnsafeMutablePointer<Scalar>, cellCarry: UnsafeMutablePointer<Scalar>,
                                          dGates: UnsafeMutablePointer<Scalar>,
                                          peepholeGradient dV: UnsafeMutablePointer<Scalar>,
                                          biasGradient: UnsafeMutablePointer<Scalar>) {
        let blocks = LSTMGates(units: H), width = blocks.width
        let inputPeephole = V + blocks.inputPeephole.lowerBound, forgetPeephole = V + blocks.forgetPeephole.lowerBound
        let outputPeephole = V + blocks.outputPeephole.lowerBound
        let dInputPeephole = dV + blocks.inputPeephole.lowerBound, dForgetPeephole = dV + blocks.forgetPeephole.lowerBound
        let dOutputPeephole = dV + blocks.outputPeephole.lowerBound
        for b in 0 ..< B {
            let row = gates + b * width, dRow = dGates + b * width
            let inputGate = row + blocks.inputGate.lowerBound, forgetGate = row + blocks.forgetGate.lowerBound
            let candidate = row + blocks.candidate.lowerBound, outputGate = row + blocks.outputGate.lowerBound
            let dInputGate = dRow + blocks.inputGate.lowerBound, dForgetGate = dRow + blocks.forgetGate.lowerBound
            let dCandidate = dRow + blocks.candidate.lowerBound, dOutputGate = dRow + blocks.outputGate.lowerBound
            let dh = carry + b * H, dCell = cellCarry + b * H, dOutRow = dOut + b * H
            let cp = cPrev + b * H, cell = c + b * H, squashed = cellTanh + b * H
            for j in 0 ..< H { dh[j] += dOutRow[j] }
            // (h), (o)
            for j in 0 ..< H { dOutputGate[j] = dh[j] * squashed[j] * outputGate[j] * (1 - outputGate[j]) }
            // c_t reaches the loss through tanh(c_t) (h), the next step (dCell), and o_t's peephole (o).
            for j in 0 ..< H {
                dCell[j] += dh[j] * outputGate[j] * (1 - squashed[j] * squashed[j]) + dOutputGate[j] * outputPeephole[j]
            }
            // (c) into (i), (f), (c~)
            for j in 0 ..< H { dInputGate[j] = dCell[j] * candidate[j] * inputGate[j] * (1 - inputGate[j]) }
            for j in 0 ..< H { dForgetGate[j] = dCell[j] * cp[j] * forgetGate[j] * (1 - forgetGate[j]) }
            for j in 0 ..< H { dCandidate[j] = dCell[j] * inputGate[j] * (1 - candidate[j] * candidate[j]) }
            for j in 0 ..< H { dInputPeephole[j] += dInputGate[j] * cp[j] }
            for j in 0 ..< H { dForgetPeephole[j] += dForgetGate[j] * cp[j] }
            for j in 0 ..< H { dOutputPeephole[j] += dOutputGate[j] * cell[j] }
            for j in 0 ..< width { biasGradient[j] += dRow[j] }
            // d c_{t-1}: through the forget gate's product (c) and the i, f peepholes.
            for j in 0 ..< H {
                dCell[j] = dCell[j] * forgetGate[j] + dInputGate[j] * inputPeephole[j] + dForgetGate[j] * forgetPeephole[j]
            }
        }
    }
}
