// The update rule of paper.md: gradient norm rescaled to `clip` when larger, then RMSProp.
// Parameters, gradients and the squared-gradient average share one flat layout, so each
// step is one loop (llm.c's ParameterTensors).

/// RMSProp with global-norm clipping (Tieleman & Hinton 2012; PyTorch's `RMSprop` form:
/// v = decay v + (1 - decay) g^2, p -= lr g / (sqrt(v) + eps)).
public struct RMSProp: Codable, Equatable, Sendable {
    /// Running average of squared gradients, one per parameter.
    public var meanSquare: [Float]

    public init(parameterCount: Int) {
        meanSquare = [Float](repeating: 0, count: parameterCount)
    }

    /// The gradient's Euclidean norm (accumulated in Double: 170K squares in Float lose digits).
    /// Eight partial sums: one running sum is a serial chain of dependent adds (~4 cycles
    /// each, 0.2 ms per update for 170K parameters) the compiler may not reorder.
    public static func norm(_ gradient: [Float]) -> Double {
        gradient.withUnsafeBufferPointer { g in
            var partial = SIMD8<Double>()
            let whole = g.count / 8 * 8
            var index = 0
            while index < whole {
                let v = SIMD8<Double>(Double(g[index]), Double(g[index + 1]), Double(g[index + 2]),
                                      Double(g[index + 3]), Double(g[index + 4]), Double(g[index + 5]),
                                      Double(g[index + 6]), Double(g[index + 7]))
                partial += v * v
                index += 8
            }
            var sum = partial.sum()
            for tail in whole ..< g.count { sum += Double(g[tail]) * Double(g[tail]) }
            return sum.squareRoot()
        }
    }

    /// The plain one-sum norm `norm` must agree with (to Double rounding); for the tests.
    static func referenceNorm(_ gradient: [Float]) -> Double {
        var sum = 0.0
        for g in gradient { sum += Double(g) * Double(g) }
        return sum.squareRoot()
    }

    /// Applies one update in place; returns the gradient's norm before clipping.
    @discardableResult
    public mutating func update(parameters: inout [Float], gradient: [Float], learningRate: Double,
                                decay: Double, epsilon: Double, clip: Double) -> Double {
        precondition(parameters.count == gradient.count && gradient.count == meanSquare.count)
        let norm = Self.norm(gradient)
        let scale = Float(clip > 0 && norm > clip ? clip / norm : 1)
        let rate = Float(learningRate)
        let keep = Float(decay)
        let blend = Float(1 - decay)
        let floor = Float(epsilon)
        parameters.withUnsafeMutableBufferPointer { p in
            meanSquare.withUnsafeMutableBufferPointer { v in
                gradient.withUnsafeBufferPointer { g in
                    for i in 0 ..< p.count {
                        let gi = g[i] * scale
                        v[i] = keep * v[i] + blend * gi * gi
                        p[i] -= rate * gi / (v[i].squareRoot() + floor)
                    }
                }
            }
        }
        return norm
    }
}

/// Weight noise (Graves 2011): the gradient is taken at weights perturbed by Gaussian noise
/// of standard deviation `std`, and applied to the clean weights. Only the weight matrices
/// in `ranges` are perturbed (paper.md: "noise added to the weights"); biases stay clean.
public enum WeightNoise {
    /// Writes `clean` into `noisy`, plus noise drawn from `rng` inside `ranges`.
    public static func perturb(_ clean: [Float], into noisy: inout [Float], ranges: [Range<Int>],
                               std: Double, rng: inout SeededGenerator) {
        precondition(clean.count == noisy.count)
        for i in 0 ..< clean.count { noisy[i] = clean[i] }
        guard std > 0 else { return }
        for range in ranges {
            for i in range { noisy[i] = clean[i] + Float(std * rng.nextGaussian()) }
        }
    }
}
