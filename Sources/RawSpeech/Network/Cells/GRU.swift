// The gated recurrent unit (Cho et al. 2014), forward and backward over a chunk's steps,
// in the paper's form and in cuDNN's. RecurrentLayer.swift runs the input projection
// before and dW, the input gradient after; RecurrentProduct.swift does the per-step
// products with U.
//
// The paper's form (paper.md, "The units"; Chung et al. 2014, Sec. 3.2), biases added:
//   (z)  z_t  = sigma(W_z x_t + U_z h_{t-1} + b_z)              update gate
//   (r)  r_t  = sigma(W_r x_t + U_r h_{t-1} + b_r)              reset gate
//   (h~) h~_t = tanh(W x_t + U (r_t * h_{t-1}) + b)             candidate: the reset acts
//                                                               before the recurrent matrix
//   (h)  h_t  = (1 - z_t) * h_{t-1} + z_t * h~_t
// Each step: [z | r] += h_{t-1} [U_z | U_r], then (z), (r) and r * h_{t-1}; then
// candidate += (r * h_{t-1}) U, then (h~), (h): two products, because h~ needs r first.
// The elementwise passes (`PaperGRUPasses`, below) also add the biases and, backward, sum
// their gradients while each step's dG is in L1.
//
// cuDNN's form (PyTorch's nn.GRU; `GRUForm.cudnn`), with a second bias b_h inside:
//   (z') z_t  = sigma(W_z x_t + b_z + U_z h_{t-1} + b_hz)
//   (r') r_t  = sigma(W_r x_t + b_r + U_r h_{t-1} + b_hr)
//   (h~') h~_t = tanh(W x_t + b + r_t * (U h_{t-1} + b_hc))      reset after the matrix
//   (h') h_t  = (1 - z_t) * h~_t + z_t * h_{t-1}                z keeps the old state
// Each step: one product h_{t-1} [U_z | U_r | U] into a scratch row, then the gate math.
//
// B = batch, T = steps, H = units. gates, dGates: (T, B, 3H) rows `GRUGates`
// [updateGate | resetGate | candidate]; hidden (T+1, B, H); resetHidden (T, B, H).

/// The GRU layer's column blocks of W, U, b and the gate rows, in ParameterLayout's order.
package struct GRUGates {
    package let updateGate: Range<Int>
    package let resetGate: Range<Int>
    package let candidate: Range<Int>
    /// [updateGate | resetGate]: the columns of U that multiply h_{t-1} in the paper's form.
    package var updateAndReset: Range<Int> { updateGate.lowerBound ..< resetGate.upperBound }
    package var width: Int { candidate.upperBound }

    package init(units H: Int) {
        updateGate = 0 ..< H
        resetGate = H ..< 2 * H
        candidate = 2 * H ..< 3 * H
    }

    /// The blocks of U the paper form's steps multiply by, in each direction, for
    /// `PackedRecurrent`: forward [U_z | U_r] then U; backward U^T then [U_z | U_r]^T.
    package var paperProducts: (forward: [Range<Int>], backward: [Range<Int>]) {
        ([updateAndReset, candidate], [candidate, updateAndReset])
    }
}

// MARK: - The paper's form

extension RecurrentMDN {
    package func paperGRUForward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>, bias: UnsafePointer<Scalar>,
                                 B: Int, H: Int, steps: Int) {
        let blocks = GRUGates(units: H), width = blocks.width
        for t in 0 ..< steps {
            let hPrev = buffers.hidden.pointer + t * B * H, h = hPrev + B * H  // (B, H)
            let gates = buffers.gates.pointer + t * B * width                  // (B, 3H)
            let resetHidden = buffers.resetHidden!.pointer + t * B * H        // (B, H) r * h_{t-1}
            let isLast = t + 1 == steps
            // (z), (r): [updateGate | resetGate] += h_{t-1} [U_z | U_r], then z, r and
            // r * h_{t-1}. The product pulls in step t+1's gates (its input projection),
            // r * h and h rows.
            addRecurrentProduct(buffers, hPrev, U: U, columns: blocks.updateAndReset, B: B, H: H,
                                into: gates + blocks.updateGate.lowerBound, ldc: width,
                                prefetch: Prefetch(gates + B * width, count: B * width, resetHidden + B * H, count: B * H,
                                                   when: !isLast))
            PaperGRUPasses.gatesForward(B: B, H: H, gates: gates, bias: bias, hPrev: hPrev, resetHidden: resetHidden)
            // (h~), (h): candidate += (r * h_{t-1}) U, then h~ and h_t.
            addRecurrentProduct(buffers, resetHidden, U: U, columns: blocks.candidate, B: B, H: H,
                                into: gates + blocks.candidate.lowerBound, ldc: width,
                                prefetch: Prefetch(h + B * H, count: B * H, h, count: 0, when: !isLast))
            PaperGRUPasses.outputForward(B: B, H: H, gates: gates, bias: bias, hPrev: hPrev, h: h)
        }
    }

    /// Accumulates dU and the bias gradient; leaves dG in `gateGradient`.
    package func paperGRUBackward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>, dU: UnsafeMutablePointer<Scalar>,
                                  biasGradient: UnsafeMutablePointer<Scalar>, B: Int, H: Int, steps: Int) {
        let blocks = GRUGates(units: H), width = blocks.width
        let carry = buffers.hiddenCarry.pointer                  // (B, H) d loss/d h_t through time
        let dResetHidden = buffers.resetHiddenGradient!.pointer  // (B, H) d loss/d (r * h_{t-1})
        for t in (0 ..< steps).reversed() {
            let dOut = buffers.outputGradient.pointer + t * B * H  // (B, H)
            let hPrev = buffers.hidden.pointer + t * B * H         // (B, H)
            let gates = buffers.gates.pointer + t * B * width, dGates = buffers.gateGradient.pointer + t * B * width
            // Through (h) and (h~): dUpdate, dCandidate, and the direct path dh (1 - z) into carry.
            PaperGRUPasses.gatesBackward(B: B, H: H, gates: gates, hPrev: hPrev, dOut: dOut, carry: carry,
                                         dGates: dGates, biasGradient: biasGradient)
            // d(r * h_{t-1}) = dCandidate U^T. The product pulls in what step t-1 reads (its
            // gates, h_{t-2}, dOut, written long ago) and its dG rows (written next).
            recurrentProductTransposed(buffers, dGates + blocks.candidate.lowerBound, lda: width, U: U,
                                       columns: blocks.candidate, B: B, H: H, beta: 0, into: dResetHidden,
                                       prefetch: Prefetch(gates - B * width, count: B * width, dGates - B * width,
                                                          count: B * width, when: t > 0))
            // Through (r): dReset, and r's share of d h_{t-1}.
            PaperGRUPasses.resetBackward(B: B, H: H, gates: gates, hPrev: hPrev, dResetHidden: dResetHidden,
                                         carry: carry, dGates: dGates, biasGradient: biasGradient)
            // d h_{t-1} += [dUpdate | dReset] [U_z | U_r]^T
            recurrentProductTransposed(buffers, dGates + blocks.updateGate.lowerBound, lda: width, U: U,
                                       columns: blocks.updateAndReset, B: B, H: H, beta: 1, into: carry,
                                       prefetch: Prefetch(hPrev - B * H, count: B * H, dOut - B * H, count: B * H,
                                                          when: t > 0))
        }
        // [U_z | U_r] saw h_{t-1}; U saw r * h_{t-1}.
        let rows = steps * B, dG = buffers.gateGradient.pointer
        addRecurrentWeightGradient(buffers.hidden.pointer, dG, columns: blocks.updateAndReset, rows: rows, into: dU)
        addRecurrentWeightGradient(buffers.resetHidden!.pointer, dG, columns: blocks.candidate, rows: rows, into: dU)
    }
}

/// The paper GRU's per-step elementwise passes over a step's B rows. Each runs
/// `Scalar`'s kernel where there is one (CKernels' GRUKernels.c for Float, AVX-512) and
/// otherwise the plain Swift loops here, which are the references (the tests compare the
/// two) and Double's path, so the gradient checks prove the same math. The forward passes
/// add the gate biases (the input projection's GEMM no longer starts from copied bias
/// rows), and the backward passes sum the bias gradient while each step's dG is hot.
///
/// gates, dGates: (B, 3H) rows [updateGate | resetGate | candidate]; hPrev, h, resetHidden,
/// carry, dOut, dResetHidden: (B, H); bias, biasGradient: (3H) [b_z | b_r | b].
package enum PaperGRUPasses<Scalar: BLASScalar> {
    /// (z), (r), after [z | r] += h_{t-1} [U_z | U_r]: z = sigmoid(z + b_z),
    /// r = sigmoid(r + b_r) in place, resetHidden = r * h_{t-1}.
    @inline(__always)
    package static func gatesForward(B: Int, H: Int, gates: UnsafeMutablePointer<Scalar>, bias: UnsafePointer<Scalar>,
                                     hPrev: UnsafePointer<Scalar>, resetHidden: UnsafeMutablePointer<Scalar>) {
        if Scalar.gruGatesForwardKernel(B: B, H: H, gates: gates, bias: bias, hPrev: hPrev, resetHidden: resetHidden) {
            return
        }
        gatesForwardReference(B: B, H: H, gates: gates, bias: bias, hPrev: hPrev, resetHidden: resetHidden)
    }

    package static func gatesForwardReference(B: Int, H: Int, gates: UnsafeMutablePointer<Scalar>,
                                              bias: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
                                              resetHidden: UnsafeMutablePointer<Scalar>) {
        let blocks = GRUGates(units: H)
        for b in 0 ..< B {
            let row = gates + b * blocks.width
            let updateAndReset = row + blocks.updateGate.lowerBound, resetGate = row + blocks.resetGate.lowerBound
            let hp = hPrev + b * H, rh = resetHidden + b * H
            for j in 0 ..< 2 * H { updateAndReset[j] += bias[j] }
            Scalar.sigmoidArray(count: 2 * H, updateAndReset, into: updateAndReset)  // z and r are adjacent
            for j in 0 ..< H { rh[j] = resetGate[j] * hp[j] }
        }
    }

    /// (h~), (h), after candidate += (r * h_{t-1}) U: candidate = tanh(candidate + b) in
    /// place, h = (1 - z) h_{t-1} + z candidate.
    @inline(__always)
    package static func outputForward(B: Int, H: Int, gates: UnsafeMutablePointer<Scalar>, bias: UnsafePointer<Scalar>,
                                      hPrev: UnsafePointer<Scalar>, h: UnsafeMutablePointer<Scalar>) {
        if Scalar.gruOutputForwardKernel(B: B, H: H, gates: gates, bias: bias, hPrev: hPrev, h: h) { return }
        outputForwardReference(B: B, H: H, gates: gates, bias: bias, hPrev: hPrev, h: h)
    }

    package static func outputForwardReference(B: Int, H: Int, gates: UnsafeMutablePointer<Scalar>,
                                               bias: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
                                               h: UnsafeMutablePointer<Scalar>) {
        let blocks = GRUGates(units: H)
        let candidateBias = bias + blocks.candidate.lowerBound
        for b in 0 ..< B {
            let row = gates + b * blocks.width
            let updateGate = row + blocks.updateGate.lowerBound, candidate = row + blocks.candidate.lowerBound
            let hp = hPrev + b * H, hb = h + b * H
            for j in 0 ..< H { candidate[j] += candidateBias[j] }
            Scalar.tanhArray(count: H, candidate, into: candidate)
            for j in 0 ..< H { hb[j] = hp[j] + updateGate[j] * (candidate[j] - hp[j]) }  // (1-z) h + z h~
        }
    }

    /// Backward through (h) and (h~), first pass of step t: dh = carry + dOut,
    /// dCandidate = dh z (1 - h~^2), dUpdate = dh (h~ - h_{t-1}) z (1 - z), carry = dh (1 - z)
    /// (the direct path to h_{t-1}); biasGradient's b_z and b blocks += dUpdate, dCandidate.
    @inline(__always)
    package static func gatesBackward(B: Int, H: Int, gates: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
                                      dOut: UnsafePointer<Scalar>, carry: UnsafeMutablePointer<Scalar>,
                                      dGates: UnsafeMutablePointer<Scalar>, biasGradient: UnsafeMutablePointer<Scalar>) {
        if Scalar.gruGatesBackwardKernel(B: B, H: H, gates: gates, hPrev: hPrev, dOut: dOut, carry: carry,
                                         dGates: dGates, biasGradient: biasGradient) { return }
        gatesBackwardReference(B: B, H: H, gates: gates, hPrev: hPrev, dOut: dOut, carry: carry,
                               dGates: dGates, biasGradient: biasGradient)
    }

    package static func gatesBackwardReference(B: Int, H: Int, gates: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
                                               dOut: UnsafePointer<Scalar>, carry: UnsafeMutablePointer<Scalar>,
                                               dGates: UnsafeMutablePointer<Scalar>,
                                               biasGradient: UnsafeMutablePointer<Scalar>) {
        let blocks = GRUGates(units: H)
        let dbUpdate = biasGradient + blocks.updateGate.lowerBound, dbCandidate = biasGradient + blocks.candidate.lowerBound
        for b in 0 ..< B {
            let row = gates + b * blocks.width, dRow = dGates + b * blocks.width
            let updateGate = row + blocks.updateGate.lowerBound, candidate = row + blocks.candidate.lowerBound
            let dUpdate = dRow + blocks.updateGate.lowerBound, dCandidate = dRow + blocks.candidate.lowerBound
            let dh = carry + b * H, dOutRow = dOut + b * H, hp = hPrev + b * H
            for j in 0 ..< H { dh[j] += dOutRow[j] }
            for j in 0 ..< H { dCandidate[j] = dh[j] * updateGate[j] * (1 - candidate[j] * candidate[j]) }
            for j in 0 ..< H { dUpdate[j] = dh[j] * (candidate[j] - hp[j]) * updateGate[j] * (1 - updateGate[j]) }
            for j in 0 ..< H { dh[j] *= 1 - updateGate[j] }
            for j in 0 ..< H { dbUpdate[j] += dUpdate[j] }
            for j in 0 ..< H { dbCandidate[j] += dCandidate[j] }
        }
    }

    /// Backward through (r), after d(r * h_{t-1}) = dCandidate U^T:
    /// dReset = dResetHidden h_{t-1} r (1 - r), carry += dResetHidden r; biasGradient's b_r
    /// block += dReset.
    @inline(__always)
    package static func resetBackward(B: Int, H: Int, gates: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
                                      dResetHidden: UnsafePointer<Scalar>, carry: UnsafeMutablePointer<Scalar>,
                                      dGates: UnsafeMutablePointer<Scalar>, biasGradient: UnsafeMutablePointer<Scalar>) {
        if Scalar.gruResetBackwardKernel(B: B, H: H, gates: gates, hPrev: hPrev, dResetHidden: dResetHidden,
                                         carry: carry, dGates: dGates, biasGradient: biasGradient) { return }
        resetBackwardReference(B: B, H: H, gates: gates, hPrev: hPrev, dResetHidden: dResetHidden, carry: carry,
                               dGates: dGates, biasGradient: biasGradient)
    }

    package static func resetBackwardReference(B: Int, H: Int, gates: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
                                               dResetHidden: UnsafePointer<Scalar>, carry: UnsafeMutablePointer<Scalar>,
                                               dGates: UnsafeMutablePointer<Scalar>,
                                               biasGradient: UnsafeMutablePointer<Scalar>) {
        let blocks = GRUGates(units: H)
        let dbReset = biasGradient + blocks.resetGate.lowerBound
        for b in 0 ..< B {
            let resetGate = gates + b * blocks.width + blocks.resetGate.lowerBound
            let dReset = dGates + b * blocks.width + blocks.resetGate.lowerBound
            let dRH = dResetHidden + b * H, dh = carry + b * H, hp = hPrev + b * H
            for j in 0 ..< H { dReset[j] = dRH[j] * hp[j] * resetGate[j] * (1 - resetGate[j]) }
            for j in 0 ..< H { dh[j] += dRH[j] * resetGate[j] }
            for j in 0 ..< H { dbReset[j] += dReset[j] }
        }
    }
}

// MARK: - cuDNN's form

extension RecurrentMDN {
    package func cudnnGRUForward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>,
                                 recurrentBias: UnsafePointer<Scalar>, B: Int, H: Int, steps: Int) {
        let blocks = GRUGates(units: H), width = blocks.width
        let recurrent = buffers.recurrentScratch!.pointer  // (B, 3H): U h_{t-1} + b_h
        for t in 0 ..< steps {
            let hPrev = buffers.hidden.pointer + t * B * H, h = hPrev + B * H              // (B, H)
            let gates = buffers.gates.pointer + t * B * width                              // (B, 3H)
            let recurrentCandidate = buffers.recurrentCandidate!.pointer + t * B * H       // (B, H) U h + b_hc
            for b in 0 ..< B { (recurrent + b * width).update(from: recurrentBias, count: width) }
            addRecurrentProduct(buffers, hPrev, U: U, columns: 0 ..< width, B: B, H: H, into: recurrent, ldc: width)
            for b in 0 ..< B {
                let row = gates + b * width, rec = recurrent + b * width
                let updateAndReset = row + blocks.updateGate.lowerBound, resetGate = row + blocks.resetGate.lowerBound
                let candidate = row + blocks.candidate.lowerBound
                let recUpdateAndReset = rec + blocks.updateGate.lowerBound, recCandidate = rec + blocks.candidate.lowerBound
                let hp = hPrev + b * H, hb = h + b * H, rc = recurrentCandidate + b * H
                // (z'), (r'): z and r are adjacent.
                for j in 0 ..< 2 * H { updateAndReset[j] += recUpdateAndReset[j] }
                Scalar.sigmoidArray(count: 2 * H, updateAndReset, into: updateAndReset)
                // (h~'): tanh(W x + b + r * (U h + b_hc)), keeping U h + b_hc for backward.
                for j in 0 ..< H { rc[j] = recCandidate[j] }
                for j in 0 ..< H { recCandidate[j] *= resetGate[j] }
                for j in 0 ..< H { candidate[j] += recCandidate[j] }
                Scalar.tanhArray(count: H, candidate, into: candidate)
                // (h'): (1 - z) h~ + z h_{t-1}
                for j in 0 ..< H { hb[j] = candidate[j] + updateAndReset[j] * (hp[j] - candidate[j]) }
            }
        }
    }

    /// Accumulates dU and the recurrent bias' gradient; leaves dG in `gateGradient` and
    /// d loss/d (U h + b_h) in `recurrentGradient`.
    package func cudnnGRUBackward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>, dU: UnsafeMutablePointer<Scalar>,
                                  recurrentBiasGradient: UnsafeMutablePointer<Scalar>, B: Int, H: Int, steps: Int) {
        let blocks = GRUGates(units: H), width = blocks.width
        let carry = buffers.hiddenCarry.pointer  // (B, H) d loss/d h_t through time
        for t in (0 ..< steps).reversed() {
            let dOut = buffers.outputGradient.pointer + t * B * H                          // (B, H)
            let hPrev = buffers.hidden.pointer + t * B * H                                 // (B, H)
            let recurrentCandidate = buffers.recurrentCandidate!.pointer + t * B * H       // (B, H)
            let gates = buffers.gates.pointer + t * B * width, dGates = buffers.gateGradient.pointer + t * B * width
            let dRecurrent = buffers.recurrentGradient!.pointer + t * B * width            // (B, 3H)
            for b in 0 ..< B {
                let row = gates + b * width, dRow = dGates + b * width, dRec = dRecurrent + b * width
                let updateGate = row + blocks.updateGate.lowerBound, resetGate = row + blocks.resetGate.lowerBound
                let candidate = row + blocks.candidate.lowerBound
                let dUpdate = dRow + blocks.updateGate.lowerBound, dReset = dRow + blocks.resetGate.lowerBound
                let dCandidate = dRow + blocks.candidate.lowerBound
                let dRecUpdateAndReset = dRec + blocks.updateGate.lowerBound, dRecCandidate = dRec + blocks.candidate.lowerBound
                let dh = carry + b * H, dOutRow = dOut + b * H, hp = hPrev + b * H, rc = recurrentCandidate + b * H
                for j in 0 ..< H { dh[j] += dOutRow[j] }
                // Through (h') and (h~'), then (z') and (r').
                for j in 0 ..< H { dCandidate[j] = dh[j] * (1 - updateGate[j]) * (1 - candidate[j] * candidate[j]) }
                for j in 0 ..< H { dUpdate[j] = dh[j] * (hp[j] - candidate[j]) * updateGate[j] * (1 - updateGate[j]) }
                for j in 0 ..< H {
                    dReset[j] = dh[j] * (1 - updateGate[j]) * (1 - candidate[j] * candidate[j])
                        * rc[j] * resetGate[j] * (1 - resetGate[j])
                }
                // The recurrent pre-activations: the same for z and r, scaled by r for U h + b_hc.
                for j in 0 ..< 2 * H { dRecUpdateAndReset[j] = dUpdate[j] }
                for j in 0 ..< H { dRecCandidate[j] = dCandidate[j] * resetGate[j] }
                // (h'): z's direct path to h_{t-1}.
                for j in 0 ..< H { dh[j] *= updateGate[j] }
            }
            // d h_{t-1} += dRecurrent [U_z | U_r | U]^T
            recurrentProductTransposed(buffers, dRecurrent, lda: width, U: U, columns: 0 ..< width, B: B, H: H,
                                       beta: 1, into: carry)
        }
        // All of U saw h_{t-1}, through U h + b_h, whose gradient is dRecurrent.
        let dRecurrent = buffers.recurrentGradient!.pointer, rows = steps * B  // (T*B, 3H)
        addRecurrentWeightGradient(buffers.hidden.pointer, dRecurrent, columns: 0 ..< width, rows: rows, into: dU)
        addColumnSums(dRecurrent, rows: rows, columns: width, into: recurrentBiasGradient)
    }
}
