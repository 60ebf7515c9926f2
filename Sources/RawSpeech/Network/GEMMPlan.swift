// The matrix products one chunk costs, listed from the model's shape, and a timer for
// them: what `rawspeech bench train` uses to say how close a training or inference pass
// comes to the machine's sgemm rate on exactly these shapes (everything else, the gate
// loops and the mixture head, is overhead against that bound). The list mirrors the calls
// in RecurrentMDN and Cells/*.swift; keep them in step.
//
// B = batch, T = steps, I = inputs (20), H = units, K = components, D = predicted samples (10)
// G = weight blocks per unit, O = K(1 + 2D).
import Foundation

/// One GEMM's shape: C (m x n) = op(A) (m x k) op(B) (k x n), row-major.
public struct GEMMShape: Hashable, Sendable {
    public var transposeA: Bool
    public var transposeB: Bool
    public var m: Int
    public var n: Int
    public var k: Int

    /// Multiply-adds times two.
    public var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

extension RecurrentMDN {
    /// The GEMMs of one forward pass (and, with `backward`, of the backward pass too) over
    /// a chunk of `steps` steps of `batch` sequences, with how often each runs.
    public func gemmPlan(batch B: Int, steps T: Int, backward: Bool) -> [(shape: GEMMShape, count: Int)] {
        let H = config.units, G = gateWidth, O = config.headOutputs, rows = T * B
        func shape(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int) -> GEMMShape {
            GEMMShape(transposeA: ta, transposeB: tb, m: m, n: n, k: k)
        }
        var plan: [(shape: GEMMShape, count: Int)] = []
        for layer in layout.layers {
            plan.append((shape(false, false, rows, G, layer.inputs), 1))  // x W
            let gru = GRUGates(units: H)  // the paper GRU's steps multiply by two blocks of U
            switch (config.cell, config.gruForm) {
            case (.gru, .paper):
                plan.append((shape(false, false, B, gru.updateAndReset.count, H), T))  // h [Uz | Ur]
                plan.append((shape(false, false, B, gru.candidate.count, H), T))       // (r * h) Uc
            default:
                plan.append((shape(false, false, B, G, H), T))      // h U
            }
            guard backward else { continue }
            switch (config.cell, config.gruForm) {
            case (.gru, .paper):
                plan.append((shape(false, true, B, H, gru.candidate.count), T))         // d(r * h) = dh~ Uc^T
                plan.append((shape(false, true, B, H, gru.updateAndReset.count), T))    // dh_{t-1} += [dz | dr] [Uz | Ur]^T
                plan.append((shape(true, false, H, gru.updateAndReset.count, rows), 1)) // d[Uz | Ur] += h^T [dz | dr]
                plan.append((shape(true, false, H, gru.candidate.count, rows), 1))      // dUc += (r * h)^T dh~
            default:
                plan.append((shape(false, true, B, H, G), T))        // dh_{t-1} = dG U^T
                plan.append((shape(true, false, H, G, rows), 1))     // dU += h^T dG
            }
            plan.append((shape(true, false, layer.inputs, G, rows), 1))  // dW += x^T dG
            plan.append((shape(false, true, rows, layer.inputs, G), 1))  // dx = dG W^T
        }
        plan.append((shape(false, false, rows, O, H), 1))  // head
        if backward {
            plan.append((shape(true, false, H, O, rows), 1))   // dWh
            plan.append((shape(false, true, rows, H, O), 1))   // dh_top
        }
        return plan
    }
}

/// Times GEMMs on this machine's BLAS (the same `Float.gemm` path the network uses).
public enum GEMMTimer {
    /// Seconds one pass over `plan` takes: each shape run `repeats` times on scratch
    /// operands, the fastest repeat kept (the machine is shared; the minimum is the rate
    /// the BLAS can reach, which is what a bound should use).
    public static func seconds(for plan: [(shape: GEMMShape, count: Int)], repeats: Int = 5) -> Double {
        var total = 0.0
        for (shape, count) in plan {
            let a = [Float](repeating: 0.01, count: shape.m * shape.k)
            let b = [Float](repeating: 0.01, count: shape.k * shape.n)
            var c = [Float](repeating: 0, count: shape.m * shape.n)
            let lda = shape.transposeA ? shape.m : shape.k, ldb = shape.transposeB ? shape.k : shape.n
            // Enough calls per timing that clock resolution does not matter.
            let calls = max(1, min(count, Int(2e8 / max(shape.flops, 1))))
            var best = Double.infinity
            for _ in 0 ..< repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            for _ in 0 ..< calls {
                                Float.gemm(transposeA: shape.transposeA, transposeB: shape.transposeB,
                                           m: shape.m, n: shape.n, k: shape.k, alpha: 1,
                                           a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                           beta: 1, c: cp.baseAddress!, ldc: shape.n)
                            }
                        }
                    }
                }
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9 / Double(calls)
                best = min(best, elapsed)
            }
            total += best * Double(count)
        }
        return total
    }
}
