// The music head: D independent Bernoulli units (the paper's "logistic" output for
// polyphonic music, one per piano key), read from D raw logits per step. The loss of a
// step is the sum over notes of the binary cross-entropy, in nats: the NLL of the whole
// 88-note vector, the convention of Boulanger-Lewandowski et al. 2012 and the paper's
// Table 2. This file holds the per-row math only; RecurrentMDN runs it over a chunk.
//
// D = notes (88), x = logit, y = 0/1 target, p = sigmoid(x).
import Foundation

/// One step's Bernoulli NLL and its gradient, in the stable form that never takes the log
/// of a rounded-to-zero probability.
package struct BernoulliKernel<Scalar: BLASScalar> {
    package let notes: Int

    package init(notes: Int) { self.notes = notes }

    /// -log P(y | x) = sum_j max(x_j, 0) - x_j y_j + log(1 + exp(-|x_j|)), in Double.
    @inline(__always)
    package func nll(logits x: UnsafePointer<Scalar>, target y: UnsafePointer<Scalar>) -> Double {
        var total = 0.0
        for j in 0 ..< notes {
            let logit = Double(x[j])
            total += Swift.max(logit, 0) - logit * Double(y[j]) + Foundation.log1p(Foundation.exp(-abs(logit)))
        }
        return total
    }

    /// d(scale * NLL)/d x_j = scale * (sigmoid(x_j) - y_j), written (not accumulated) to `gradient`.
    @inline(__always)
    package func gradient(logits x: UnsafePointer<Scalar>, target y: UnsafePointer<Scalar>, scale: Scalar,
                          into gradient: UnsafeMutablePointer<Scalar>) {
        for j in 0 ..< notes {
            gradient[j] = scale * (Self.sigmoid(x[j]) - y[j])
        }
    }

    /// 1 / (1 + e^-x) without overflow for large |x|.
    @inline(__always)
    package static func sigmoid(_ x: Scalar) -> Scalar {
        let logit = Double(x)
        let p = logit >= 0 ? 1 / (1 + Foundation.exp(-logit)) : Foundation.exp(logit) / (1 + Foundation.exp(logit))
        return Scalar(p)
    }
}

/// The public face of the head for sampling and inspection: note probabilities from logits.
public enum BernoulliNotes {
    /// p_j = sigmoid(x_j) for each of `logits`.
    public static func probabilities(_ logits: [Float]) -> [Float] {
        logits.map { BernoulliKernel<Float>.sigmoid($0) }
    }

    /// The NLL in nats of 0/1 `target` under `logits` (the sum over notes).
    public static func nll(logits: [Float], target: [Float]) -> Double {
        precondition(logits.count == target.count, "logits and target differ in length")
        return logits.withUnsafeBufferPointer { x in
            target.withUnsafeBufferPointer { y in
                BernoulliKernel<Float>(notes: logits.count).nll(logits: x.baseAddress!, target: y.baseAddress!)
            }
        }
    }
}
