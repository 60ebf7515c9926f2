// The per-step elementwise passes of the paper GRU: each runs CKernels' AVX-512 version
// (GateKernels.c) for Float when the CPU has it, and otherwise the plain Swift loops here,
// which are the references (the tests compare the two) and Double's path, so the gradient
// checks prove the same math. The passes add the gate biases (the input projection's GEMM
// no longer starts from copied bias rows) and backward's passes sum the bias gradient
// while each step's dG is hot. Called by RecurrentCells+Forward/Backward.swift once per
// step for the whole batch.
//
// B = batch, H = units. gates, dGates: (B, 3H) rows [updateGate | resetGate | candidate];
// hPrev, h, resetHidden, carry, dOut, dResetHidden: (B, H); bias, biasGradient: (3H).
import CKernels

package enum PaperGRUPasses<Scalar: BLASScalar> {
    /// After [z | r] += h_{t-1} [Uz | Ur]: z = sigmoid(z + bz), r = sigmoid(r + br) in
    /// place, resetHidden = r * h_{t-1}.
    @inline(__always)
    package static func gatesForward(B: Int, H: Int, gates: UnsafeMutablePointer<Scalar>, bias: UnsafePointer<Scalar>,
                             hPrev: UnsafePointer<Scalar>, resetHidden: UnsafeMutablePointer<Scalar>) {
        if Scalar.self == Float.self,
           rs_gru_gates_forward(B, H, float(gates), float(bias), float(hPrev), float(resetHidden)) != 0 { return }
        gatesForwardReference(B: B, H: H, gates: gates, bias: bias, hPrev: hPrev, resetHidden: resetHidden)
    }

    package static func gatesForwardReference(B: Int, H: Int, gates: UnsafeMutablePointer<Scalar>, bias: UnsafePointer<Scalar>,
                                      hPrev: UnsafePointer<Scalar>, resetHidden: UnsafeMutablePointer<Scalar>) {
        for b in 0 ..< B {
            let updateAndReset = gates + b * 3 * H, resetGate = updateAndReset + H
            let hp = hPrev + b * H, rh = resetHidden + b * H
            for j in 0 ..< 2 * H { updateAndReset[j] += bias[j] }
            Scalar.sigmoidArray(count: 2 * H, updateAndReset, into: updateAndReset)
            for j in 0 ..< H { rh[j] = resetGate[j] * hp[j] }
        }
    }

    /// After candidate += (r * h_{t-1}) Uc: candidate = tanh(candidate + b) in place,
    /// h = (1 - z) h_{t-1} + z candidate.
    @inline(__always)
    package static func outputForward(B: Int, H: Int, gates: UnsafeMutablePointer<Scalar>, bias: UnsafePointer<Scalar>,
                              hPrev: UnsafePointer<Scalar>, h: UnsafeMutablePointer<Scalar>) {
        if Scalar.self == Float.self, rs_gru_output_forward(B, H, float(gates), float(bias), float(hPrev), float(h)) != 0 {
            return
        }
        outputForwardReference(B: B, H: H, gates: gates, bias: bias, hPrev: hPrev, h: h)
    }

    package static func outputForwardReference(B: Int, H: Int, gates: UnsafeMutablePointer<Scalar>, bias: UnsafePointer<Scalar>,
                                       hPrev: UnsafePointer<Scalar>, h: UnsafeMutablePointer<Scalar>) {
        let candidateBias = bias + 2 * H
        for b in 0 ..< B {
            let updateGate = gates + b * 3 * H, candidate = updateGate + 2 * H
            let hp = hPrev + b * H, hb = h + b * H
            for j in 0 ..< H { candidate[j] += candidateBias[j] }
            Scalar.tanhArray(count: H, candidate, into: candidate)
            for j in 0 ..< H { hb[j] = hp[j] + updateGate[j] * (candidate[j] - hp[j]) }  // (1-z) h + z h~
        }
    }

    /// Backward, first pass of step t: dh = carry + dOut, dCandidate = dh z (1 - h~^2),
    /// dUpdate = dh (h~ - h_{t-1}) z (1 - z), carry = dh (1 - z) (the direct path to
    /// h_{t-1}); biasGradient's bz and b blocks += dUpdate, dCandidate.
    @inline(__always)
    package static func gatesBackward(B: Int, H: Int, gates: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
                              dOut: UnsafePointer<Scalar>, carry: UnsafeMutablePointer<Scalar>,
                              dGates: UnsafeMutablePointer<Scalar>, biasGradient: UnsafeMutablePointer<Scalar>) {
        if Scalar.self == Float.self,
           rs_gru_gates_backward(B, H, float(gates), float(hPrev), float(dOut), float(carry), float(dGates),
                                 float(biasGradient)) != 0 { return }
        gatesBackwardReference(B: B, H: H, gates: gates, hPrev: hPrev, dOut: dOut, carry: carry,
                               dGates: dGates, biasGradient: biasGradient)
    }

    package static func gatesBackwardReference(B: Int, H: Int, gates: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
                                       dOut: UnsafePointer<Scalar>, carry: UnsafeMutablePointer<Scalar>,
                                       dGates: UnsafeMutablePointer<Scalar>, biasGradient: UnsafeMutablePointer<Scalar>) {
        let dbUpdate = biasGradient, dbCandidate = biasGradient + 2 * H
        for b in 0 ..< B {
            let updateGate = gates + b * 3 * H, candidate = updateGate + 2 * H
            let dUpdate = dGates + b * 3 * H, dCandidate = dUpdate + 2 * H
            let dh = carry + b * H, dOutRow = dOut + b * H, hp = hPrev + b * H
            for j in 0 ..< H { dh[j] += dOutRow[j] }
            for j in 0 ..< H { dCandidate[j] = dh[j] * updateGate[j] * (1 - candidate[j] * candidate[j]) }
            for j in 0 ..< H { dUpdate[j] = dh[j] * (candidate[j] - hp[j]) * updateGate[j] * (1 - updateGate[j]) }
            for j in 0 ..< H { dh[j] *= 1 - updateGate[j] }
            for j in 0 ..< H { dbUpdate[j] += dUpdate[j] }
            for j in 0 ..< H { dbCandidate[j] += dCandidate[j] }
        }
    }

    /// Backward, after d(r * h_{t-1}) = dCandidate Uc^T: dReset = dResetHidden h_{t-1} r (1 - r),
    /// carry += dResetHidden r; biasGradient's br block += dReset.
    @inline(__always)
    package static func resetBackward(B: Int, H: Int, gates: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
                              dResetHidden: UnsafePointer<Scalar>, carry: UnsafeMutablePointer<Scalar>,
                              dGates: UnsafeMutablePointer<Scalar>, biasGradient: UnsafeMutablePointer<Scalar>) {
        if Scalar.self == Float.self,
           rs_gru_reset_backward(B, H, float(gates), float(hPrev), float(dResetHidden), float(carry), float(dGates),
                                 float(biasGradient)) != 0 { return }
        resetBackwardReference(B: B, H: H, gates: gates, hPrev: hPrev, dResetHidden: dResetHidden, carry: carry,
                               dGates: dGates, biasGradient: biasGradient)
    }

    package static func resetBackwardReference(B: Int, H: Int, gates: UnsafePointer<Scalar>, hPrev: UnsafePointer<Scalar>,
                                       dResetHidden: UnsafePointer<Scalar>, carry: UnsafeMutablePointer<Scalar>,
                                       dGates: UnsafeMutablePointer<Scalar>, biasGradient: UnsafeMutablePointer<Scalar>) {
        let dbReset = biasGradient + H
        for b in 0 ..< B {
            let resetGate = gates + b * 3 * H + H, dReset = dGates + b * 3 * H + H
            let dRH = dResetHidden + b * H, dh = carry + b * H, hp = hPrev + b * H
            for j in 0 ..< H { dReset[j] = dRH[j] * hp[j] * resetGate[j] * (1 - resetGate[j]) }
            for j in 0 ..< H { dh[j] += dRH[j] * resetGate[j] }
            for j in 0 ..< H { dbReset[j] += dReset[j] }
        }
    }
}

// Only reached with Scalar == Float (checked at each call site above).
@inline(__always) private func float<Scalar>(_ p: UnsafePointer<Scalar>) -> UnsafePointer<Float> {
    UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
}
@inline(__always) private func float<Scalar>(_ p: UnsafeMutablePointer<Scalar>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}
