// The update rule of paper.md: gradient norm rescaled to `clip` when larger, then RMSProp.
// Parameters, gradients and the squared-gradient average share one flat layout, so each
// step is one loop (llm.c's ParameterTensors). Both passes run in CKernels/Optimizer.c
// (reached through Network's `Kernels`, on `KernelVariant.current`)
// (AVX-512 or AVX2; the package's baseline SSE2 build runs sqrt and divide one float at a
// time, ~25% of a B = 1 update); the plain Swift loops below are the references and the
// portable fallbacks, and every path gives the same bits (RMSPropKernelTests).
import RawSpeechCore
import RawSpeechNetwork

/// RMSProp with global-norm clipping (Tieleman & Hinton 2012; PyTorch's `RMSprop` form:
/// v = decay v + (1 - decay) g^2, p -= lr g / (sqrt(v) + eps)).
public struct RMSProp: Codable, Equatable, Sendable {
    /// Running average of squared gradients, one per parameter.
    public var meanSquare: [Float]

    public init(parameterCount: Int) {
        meanSquare = [Float](repeating: 0, count: parameterCount)
    }

    /// The gradient's Euclidean norm (accumulated in Double: 170K squares in Float lose digits).
    public static func norm(_ gradient: [Float]) -> Double {
        gradient.withUnsafeBufferPointer { sumOfSquares($0) }.squareRoot()
    }

    /// Applies one update in place; returns the gradient's norm before clipping. A gradient
    /// whose norm is not finite changes nothing (the caller sees the NaN or infinity).
    @discardableResult
    public mutating func update(parameters: inout [Float], gradient: [Float], learningRate: Double,
                                decay: Double, epsilon: Double, clip: Double) -> Double {
        precondition(parameters.count == gradient.count && gradient.count == meanSquare.count)
        let norm = Self.norm(gradient)
        guard norm.isFinite else { return norm }
        let scale = Float(clip > 0 && norm > clip ? clip / norm : 1)
        let rule = Rule(scale: scale, rate: Float(learningRate), keep: Float(decay), blend: Float(1 - decay),
                        floor: Float(epsilon))
        // With FTZ/DAZ, as the network's passes: squares of tiny gradients and averages
        // decaying towards zero are subnormal, and each one costs a microcode assist in the
        // multiply, sqrt and divide (this pass was as slow as the scalar loop without it).
        // Flushed they change the step by less than a parameter's last bit.
        DenormalFlush.run {
            parameters.withUnsafeMutableBufferPointer { p in
                meanSquare.withUnsafeMutableBufferPointer { v in
                    gradient.withUnsafeBufferPointer { g in Self.step(p, meanSquare: v, gradient: g, rule: rule) }
                }
            }
        }
        return norm
    }

    // MARK: The two passes, their kernels and references

    /// One step's constants, in Float as the loop uses them.
    package struct Rule {
        package var scale: Float, rate: Float, keep: Float, blend: Float, floor: Float
    }

    /// Sum of squares in CKernels' fixed order (include/CKernels.h), on `variant` or, for
    /// the portable one, in Swift: four 8-lane partial sums, combined in the same order.
    /// Bitwise `referenceSumOfSquares`.
    package static func sumOfSquares(_ g: UnsafeBufferPointer<Float>, variant: KernelVariant = .current) -> Double {
        guard let base = g.baseAddress, g.count > 0 else { return 0 }
        if let sum = Kernels.sumOfSquares(count: g.count, base, variant: variant) { return sum }
        @inline(__always) func squares(_ i: Int) -> SIMD8<Double> {
            let v = SIMD8<Double>(Double(g[i]), Double(g[i + 1]), Double(g[i + 2]), Double(g[i + 3]),
                                  Double(g[i + 4]), Double(g[i + 5]), Double(g[i + 6]), Double(g[i + 7]))
            return v * v
        }
        var p0 = SIMD8<Double>(), p1 = p0, p2 = p0, p3 = p0
        var i = 0
        while i + 32 <= g.count {
            p0 += squares(i); p1 += squares(i + 8); p2 += squares(i + 16); p3 += squares(i + 24)
            i += 32
        }
        for j in i ..< g.count {
            let d = Double(g[j])
            switch j % 32 / 8 {
            case 0: p0[j % 8] += d * d
            case 1: p1[j % 8] += d * d
            case 2: p2[j % 8] += d * d
            default: p3[j % 8] += d * d
            }
        }
        let s = (p0 + p1) + (p2 + p3)
        let x = s.lowHalf + s.highHalf
        let y = x.lowHalf + x.highHalf
        return y[0] + y[1]
    }

    /// The fixed summation order written out plainly: 32 partial sums (element i into sum
    /// i % 32), then combined pairwise as CKernels.h says.
    package static func referenceSumOfSquares(_ gradient: [Float]) -> Double {
        var partial = [Double](repeating: 0, count: 32)
        for (i, g) in gradient.enumerated() { partial[i % 32] += Double(g) * Double(g) }
        let s: [Double] = (0 ..< 8).map { l in
            let front: Double = partial[l] + partial[8 + l]
            let back: Double = partial[16 + l] + partial[24 + l]
            return front + back
        }
        let x: [Double] = (0 ..< 4).map { l in s[l] + s[4 + l] }
        return (x[0] + x[2]) + (x[1] + x[3])
    }

    /// The RMSProp step on `variant`, or `referenceStep` for the portable one.
    package static func step(_ p: UnsafeMutableBufferPointer<Float>, meanSquare v: UnsafeMutableBufferPointer<Float>,
                             gradient g: UnsafeBufferPointer<Float>, rule: Rule, variant: KernelVariant = .current) {
        precondition(p.count == v.count && v.count == g.count)
        guard let pBase = p.baseAddress, let vBase = v.baseAddress, let gBase = g.baseAddress, p.count > 0 else { return }
        if Kernels.rmspropStep(count: p.count, parameters: pBase, meanSquare: vBase, gradient: gBase, scale: rule.scale,
                               rate: rule.rate, keep: rule.keep, blend: rule.blend, floor: rule.floor,
                               variant: variant) { return }
        referenceStep(p, meanSquare: v, gradient: g, rule: rule)
    }

    /// The step as the paper writes it, one parameter at a time (the reference and the
    /// portable fallback; Swift rounds each operation on its own, as the kernels do).
    package static func referenceStep(_ p: UnsafeMutableBufferPointer<Float>, meanSquare v: UnsafeMutableBufferPointer<Float>,
                              gradient g: UnsafeBufferPointer<Float>, rule: Rule) {
        let (scale, rate, keep, blend, floor) = (rule.scale, rule.rate, rule.keep, rule.blend, rule.floor)
        for i in 0 ..< p.count {
            let gi = g[i] * scale
            v[i] = keep * v[i] + blend * gi * gi
            p[i] -= rate * gi / (v[i].squareRoot() + floor)
        }
    }
}
