// The traditional tanh unit (paper.md, "The units"; Chung et al. 2014, Sec. 2), forward
// and backward over a chunk's steps. RecurrentLayer.swift runs the input projection
// before and the weight gradients after; RecurrentProduct.swift does the per-step h U.
//
//   (h)  h_t = tanh(W x_t + U h_{t-1} + b)
//
// One gate block: gates (T, B, H) holds W x_t + b from the input projection, then
// h_t itself (the candidate is the output).
//
// B = batch, T = steps, H = units.

/// The tanh layer's one column block of W, U, b and the gate rows: [candidate].
package struct TanhGates {
    package let candidate: Range<Int>
    package var width: Int { candidate.upperBound }

    package init(units H: Int) { candidate = 0 ..< H }
}

extension RecurrentMDN {
    package func tanhForward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>, B: Int, H: Int, steps: Int) {
        let blocks = TanhGates(units: H)
        for t in 0 ..< steps {
            let hPrev = buffers.hidden.pointer + t * B * H, h = hPrev + B * H  // (B, H)
            let candidate = buffers.gates.pointer + t * B * H                  // (B, H)
            // (h): candidate += h_{t-1} U, then tanh in place; h_t is a copy of it.
            addRecurrentProduct(buffers, hPrev, U: U, columns: blocks.candidate, B: B, H: H, into: candidate, ldc: H)
            Scalar.tanhArray(count: B * H, candidate, into: candidate)
            h.update(from: candidate, count: B * H)
        }
    }

    /// Accumulates dU; leaves dG = d loss/d (W x + U h + b) in `gateGradient` for the
    /// layer's dW, bias and input gradients.
    package func tanhBackward(_ buffers: LayerBuffers<Scalar>, U: UnsafePointer<Scalar>, dU: UnsafeMutablePointer<Scalar>,
                              B: Int, H: Int, steps: Int) {
        let blocks = TanhGates(units: H)
        let carry = buffers.hiddenCarry.pointer  // (B, H) d loss/d h_t flowing back through time
        for t in (0 ..< steps).reversed() {
            let dOut = buffers.outputGradient.pointer + t * B * H                    // (B, H)
            let h = buffers.gates.pointer + t * B * H                                // (B, H) h_t
            let dCandidate = buffers.gateGradient.pointer + t * B * H                // (B, H)
            // (h): d pre-activation = dh (1 - h_t^2), dh from above and from step t+1.
            for i in 0 ..< B * H {
                let dh = dOut[i] + carry[i]
                dCandidate[i] = dh * (1 - h[i] * h[i])
            }
            // d h_{t-1} = dCandidate U^T
            recurrentProductTransposed(buffers, dCandidate, lda: H, U: U, columns: blocks.candidate, B: B, H: H,
                                       beta: 0, into: carry)
        }
        addRecurrentWeightGradient(buffers.hidden.pointer, buffers.gateGradient.pointer, columns: 0 ..< blocks.width,
                                   rows: steps * B, into: dU)
    }
}
