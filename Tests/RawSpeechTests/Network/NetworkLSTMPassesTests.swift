// The LSTM's per-step passes: CKernels' AVX-512 versions (LSTMKernels.c) against the plain
// Swift loops they replace (`LSTMPasses`, Network/Cells/LSTM.swift), on random gate blocks
// of several batch sizes and every tail length of H, bias, peephole and gradient blocks
// included. Without AVX-512 both sides run the Swift loops and the test is vacuous (the
// gradient checks cover the loops).
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork

@Suite struct NetworkLSTMPassesTests {
    /// A step's random buffers: gates (B, 4H) as pre-activations or activations, (B, H) rows.
    struct Step {
        var gates: [Float], bias: [Float], peepholes: [Float], cPrev: [Float], cell: [Float], cellTanh: [Float]
        var h: [Float], dOut: [Float], carry: [Float], cellCarry: [Float], dGates: [Float]
        var peepholeGradient: [Float], biasGradient: [Float]

        init(B: Int, H: Int, activations: Bool, rng: inout SeededGenerator) {
            func gaussian(_ n: Int, _ s: Double) -> [Float] { (0 ..< n).map { _ in Float(rng.nextGaussian() * s) } }
            func uniform(_ n: Int, _ low: Double, _ high: Double) -> [Float] {
                (0 ..< n).map { _ in Float(low + rng.nextUniform() * (high - low)) }
            }
            gates = activations ? uniform(B * 4 * H, 0.05, 0.95) : gaussian(B * 4 * H, 3)
            bias = gaussian(4 * H, 1)
            peepholes = gaussian(3 * H, 0.5)
            cPrev = gaussian(B * H, 1.5)
            cell = gaussian(B * H, 1.5)
            cellTanh = uniform(B * H, -0.99, 0.99)
            h = gaussian(B * H, 1)  // overwritten forward
            dOut = gaussian(B * H, 1)
            carry = gaussian(B * H, 1)
            cellCarry = gaussian(B * H, 1)
            dGates = gaussian(B * 4 * H, 1)  // overwritten backward
            peepholeGradient = gaussian(3 * H, 1)
            biasGradient = gaussian(4 * H, 1)
        }
    }

    static let shapes: [(B: Int, H: Int)] = [(1, 1), (3, 5), (2, 16), (3, 17), (16, 31), (16, 195)]

    @Test func forwardPassMatchesTheSwiftLoops() {
        var rng = SeededGenerator(seed: 41)
        for (B, H) in Self.shapes {
            let start = Step(B: B, H: H, activations: false, rng: &rng)
            var fast = start, plain = start
            LSTMPasses<Float>.forward(B: B, H: H, gates: &fast.gates, bias: fast.bias, peepholes: fast.peepholes,
                                      cPrev: fast.cPrev, c: &fast.cell, cellTanh: &fast.cellTanh, h: &fast.h)
            LSTMPasses<Float>.forwardReference(B: B, H: H, gates: &plain.gates, bias: plain.bias,
                                               peepholes: plain.peepholes, cPrev: plain.cPrev, c: &plain.cell,
                                               cellTanh: &plain.cellTanh, h: &plain.h)
            expectPassClose(fast.gates, plain.gates, "B \(B) H \(H) i, f, c~, o")
            // c = f c_{t-1} + i c~ can cancel: its rounding (one with FMA, two without) is
            // that of the terms, up to |c_{t-1}|, whatever c's own size.
            let terms = Double(start.cPrev.map(abs).max() ?? 1)
            expectPassClose(fast.cell, plain.cell, "B \(B) H \(H) c", scale: terms)
            expectPassClose(fast.cellTanh, plain.cellTanh, "B \(B) H \(H) tanh(c)", scale: terms)
            expectPassClose(fast.h, plain.h, "B \(B) H \(H) h", scale: terms)
        }
    }

    @Test func backwardPassMatchesTheSwiftLoops() {
        var rng = SeededGenerator(seed: 42)
        for (B, H) in Self.shapes {
            let start = Step(B: B, H: H, activations: true, rng: &rng)
            var fast = start, plain = start
            LSTMPasses<Float>.backward(B: B, H: H, gates: fast.gates, peepholes: fast.peepholes, cPrev: fast.cPrev,
                                       c: fast.cell, cellTanh: fast.cellTanh, dOut: fast.dOut, carry: &fast.carry,
                                       cellCarry: &fast.cellCarry, dGates: &fast.dGates,
                                       peepholeGradient: &fast.peepholeGradient, biasGradient: &fast.biasGradient)
            LSTMPasses<Float>.backwardReference(B: B, H: H, gates: plain.gates, peepholes: plain.peepholes,
                                                cPrev: plain.cPrev, c: plain.cell, cellTanh: plain.cellTanh,
                                                dOut: plain.dOut, carry: &plain.carry, cellCarry: &plain.cellCarry,
                                                dGates: &plain.dGates, peepholeGradient: &plain.peepholeGradient,
                                                biasGradient: &plain.biasGradient)
            expectPassClose(fast.dGates, plain.dGates, "B \(B) H \(H) dG")
            expectPassClose(fast.carry, plain.carry, "B \(B) H \(H) d h_t")
            expectPassClose(fast.cellCarry, plain.cellCarry, "B \(B) H \(H) d c_{t-1}")
            expectPassClose(fast.peepholeGradient, plain.peepholeGradient, "B \(B) H \(H) peephole gradient")
            expectPassClose(fast.biasGradient, plain.biasGradient, "B \(B) H \(H) bias gradient")
        }
    }
}
