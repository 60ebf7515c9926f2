// The paper GRU's per-step passes: CKernels' AVX-512 versions (GRUKernels.c) against the
// plain Swift loops they replace (`PaperGRUPasses`, Network/Cells/GRU.swift), on random
// gate blocks of several batch sizes and every tail length of H, bias and bias-gradient
// blocks included. Without AVX-512 both sides run the Swift loops and the test is vacuous
// (the gradient checks cover the loops).
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork

@Suite struct NetworkGRUPassesTests {
    /// A step's random buffers: gates (B, 3H) as pre-activations or activations, (B, H) rows.
    struct Step {
        var gates: [Float], bias: [Float], hPrev: [Float], dOut: [Float], carry: [Float]
        var dGates: [Float], biasGradient: [Float], dResetHidden: [Float], rowsOut: [Float]

        init(B: Int, H: Int, activations: Bool, rng: inout SeededGenerator) {
            func gaussian(_ n: Int, _ s: Double) -> [Float] { (0 ..< n).map { _ in Float(rng.nextGaussian() * s) } }
            gates = activations ? (0 ..< B * 3 * H).map { _ in Float(rng.nextUniform() * 1.8 - 0.9) } : gaussian(B * 3 * H, 3)
            bias = gaussian(3 * H, 1)
            hPrev = gaussian(B * H, 0.7)
            dOut = gaussian(B * H, 1)
            carry = gaussian(B * H, 1)
            dGates = gaussian(B * 3 * H, 1)  // overwritten where the passes write
            biasGradient = gaussian(3 * H, 1)
            dResetHidden = gaussian(B * H, 1)
            rowsOut = gaussian(B * H, 1)
        }
    }

    static let shapes: [(B: Int, H: Int)] = [(1, 1), (3, 5), (2, 16), (3, 17), (16, 31), (16, 227)]

    @Test func forwardPassesMatchTheSwiftLoops() {
        var rng = SeededGenerator(seed: 31)
        for (B, H) in Self.shapes {
            let start = Step(B: B, H: H, activations: false, rng: &rng)
            var fast = start, plain = start
            PaperGRUPasses<Float>.gatesForward(B: B, H: H, gates: &fast.gates, bias: fast.bias, hPrev: fast.hPrev,
                                               resetHidden: &fast.rowsOut)
            PaperGRUPasses<Float>.gatesForwardReference(B: B, H: H, gates: &plain.gates, bias: plain.bias,
                                                        hPrev: plain.hPrev, resetHidden: &plain.rowsOut)
            expectPassClose(fast.gates, plain.gates, "B \(B) H \(H) z, r")
            expectPassClose(fast.rowsOut, plain.rowsOut, "B \(B) H \(H) r * h")
            PaperGRUPasses<Float>.outputForward(B: B, H: H, gates: &fast.gates, bias: fast.bias, hPrev: fast.hPrev,
                                                h: &fast.rowsOut)
            PaperGRUPasses<Float>.outputForwardReference(B: B, H: H, gates: &plain.gates, bias: plain.bias,
                                                         hPrev: plain.hPrev, h: &plain.rowsOut)
            expectPassClose(fast.gates, plain.gates, "B \(B) H \(H) candidate")
            expectPassClose(fast.rowsOut, plain.rowsOut, "B \(B) H \(H) h")
        }
    }

    @Test func backwardPassesMatchTheSwiftLoops() {
        var rng = SeededGenerator(seed: 32)
        for (B, H) in Self.shapes {
            let start = Step(B: B, H: H, activations: true, rng: &rng)
            var fast = start, plain = start
            PaperGRUPasses<Float>.gatesBackward(B: B, H: H, gates: fast.gates, hPrev: fast.hPrev, dOut: fast.dOut,
                                                carry: &fast.carry, dGates: &fast.dGates, biasGradient: &fast.biasGradient)
            PaperGRUPasses<Float>.gatesBackwardReference(B: B, H: H, gates: plain.gates, hPrev: plain.hPrev,
                                                         dOut: plain.dOut, carry: &plain.carry, dGates: &plain.dGates,
                                                         biasGradient: &plain.biasGradient)
            expectPassClose(fast.dGates, plain.dGates, "B \(B) H \(H) dUpdate, dCandidate")
            expectPassClose(fast.carry, plain.carry, "B \(B) H \(H) carry")
            expectPassClose(fast.biasGradient, plain.biasGradient, "B \(B) H \(H) bias gradient")
            PaperGRUPasses<Float>.resetBackward(B: B, H: H, gates: fast.gates, hPrev: fast.hPrev,
                                                dResetHidden: fast.dResetHidden, carry: &fast.carry,
                                                dGates: &fast.dGates, biasGradient: &fast.biasGradient)
            PaperGRUPasses<Float>.resetBackwardReference(B: B, H: H, gates: plain.gates, hPrev: plain.hPrev,
                                                         dResetHidden: plain.dResetHidden, carry: &plain.carry,
                                                         dGates: &plain.dGates, biasGradient: &plain.biasGradient)
            expectPassClose(fast.dGates, plain.dGates, "B \(B) H \(H) dReset")
            expectPassClose(fast.carry, plain.carry, "B \(B) H \(H) carry after reset")
            expectPassClose(fast.biasGradient, plain.biasGradient, "B \(B) H \(H) bias gradient after reset")
        }
    }
}
