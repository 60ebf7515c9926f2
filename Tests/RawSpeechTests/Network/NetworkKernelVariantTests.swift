// The convention every CKernels kernel follows (include/CKernels.h): it runs the variant it
// is given, and where it has no code for that variant it returns false without touching
// its outputs, so the Swift caller's reference runs on untouched buffers. Checked here for
// the AVX-512-only kernels, with every lower variant this CPU can run (on an AVX-512
// machine: portable and avx2; the packed product has its own test in
// NetworkRowDotKernelTests); and that they do run on AVX-512.
import Testing
@testable import RawSpeechNetwork

@Suite struct NetworkKernelVariantTests {
    /// Calls each AVX-512-only kernel on `variant` with outputs filled with a sentinel;
    /// returns (kernel, ran, outputs untouched).
    static func run(_ variant: KernelVariant) -> [(String, Bool, Bool)] {
        let (B, H, count) = (2, 19, 37)
        let sentinel: Float = -7
        let x = (0 ..< count).map { Float($0) * 0.1 - 1 }
        var results: [(String, Bool, Bool)] = []
        // The kernel runs first (`ran`), then the outputs are read (`outputs`, an autoclosure).
        func check(_ name: String, _ ran: Bool, _ outputs: @autoclosure () -> [[Float]]) {
            results.append((name, ran, outputs().allSatisfy { $0.allSatisfy { $0 == sentinel } }))
        }
        func filled(_ n: Int) -> [Float] { [Float](repeating: sentinel, count: n) }
        var y = filled(count)
        check("sigmoid", Kernels.sigmoid(count: count, x, into: &y, variant: variant), [y])
        y = filled(count)
        check("tanh", Kernels.tanh(count: count, x, into: &y, variant: variant), [y])
        var sigma = filled(count), terms = filled(count)
        check("mixtureTerms",
              Kernels.mixtureTerms(count: count, logStds: x, means: x, targets: x, floor: 0.05, sigma: &sigma,
                                   terms: &terms, variant: variant),
              [sigma, terms])
        // The GRU passes: every buffer they write starts as the sentinel.
        let bias = [Float](repeating: 0.1, count: 3 * H), hPrev = [Float](repeating: 0.2, count: B * H)
        var gates = filled(B * 3 * H), rows = filled(B * H)
        check("gruGatesForward",
              Kernels.gruGatesForward(B: B, H: H, gates: &gates, bias: bias, hPrev: hPrev, resetHidden: &rows,
                                      variant: variant),
              [gates, rows])
        (gates, rows) = (filled(B * 3 * H), filled(B * H))
        check("gruOutputForward",
              Kernels.gruOutputForward(B: B, H: H, gates: &gates, bias: bias, hPrev: hPrev, h: &rows, variant: variant),
              [gates, rows])
        var carry = filled(B * H), dGates = filled(B * 3 * H), biasGradient = filled(3 * H)
        check("gruGatesBackward",
              Kernels.gruGatesBackward(B: B, H: H, gates: gates, hPrev: hPrev, dOut: hPrev, carry: &carry,
                                       dGates: &dGates, biasGradient: &biasGradient, variant: variant),
              [carry, dGates, biasGradient])
        (carry, dGates, biasGradient) = (filled(B * H), filled(B * 3 * H), filled(3 * H))
        check("gruResetBackward",
              Kernels.gruResetBackward(B: B, H: H, gates: gates, hPrev: hPrev, dResetHidden: hPrev, carry: &carry,
                                       dGates: &dGates, biasGradient: &biasGradient, variant: variant),
              [carry, dGates, biasGradient])
        // The LSTM passes.
        let peepholes = [Float](repeating: 0.3, count: 3 * H), bias4 = [Float](repeating: 0.1, count: 4 * H)
        var lstmGates = filled(B * 4 * H), cell = filled(B * H), cellTanh = filled(B * H), h = filled(B * H)
        check("lstmForward",
              Kernels.lstmForward(B: B, H: H, gates: &lstmGates, bias: bias4, peepholes: peepholes, cPrev: hPrev,
                                  c: &cell, cellTanh: &cellTanh, h: &h, variant: variant),
              [lstmGates, cell, cellTanh, h])
        var cellCarry = filled(B * H), lstmDGates = filled(B * 4 * H), peepholeGradient = filled(3 * H)
        var lstmBiasGradient = filled(4 * H)
        carry = filled(B * H)
        check("lstmBackward",
              Kernels.lstmBackward(B: B, H: H, gates: lstmGates, peepholes: peepholes, cPrev: hPrev, c: hPrev,
                                   cellTanh: hPrev, dOut: hPrev, carry: &carry, cellCarry: &cellCarry,
                                   dGates: &lstmDGates, peepholeGradient: &peepholeGradient,
                                   biasGradient: &lstmBiasGradient, variant: variant),
              [carry, cellCarry, lstmDGates, peepholeGradient, lstmBiasGradient])
        return results
    }

    @Test func belowAVX512TheKernelsDeclineAndTouchNothing() {
        for variant in KernelVariant.runnable where variant < .avx512 {
            for (name, ran, untouched) in Self.run(variant) {
                #expect(!ran && untouched, "\(name) on \(variant): ran \(ran), outputs untouched \(untouched)")
            }
        }
    }

    @Test func onAVX512TheyRun() {
        guard KernelVariant.current == .avx512 else { return }
        for (name, ran, untouched) in Self.run(.avx512) {
            #expect(ran && !untouched, "\(name): ran \(ran), outputs untouched \(untouched)")
        }
    }
}
