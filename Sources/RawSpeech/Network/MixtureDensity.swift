// The mixture-density head's math on one frame (Bishop 1994; Graves 2013): K diagonal
// Gaussians over the D predicted samples. Per frame the head emits O = K(1 + 2D) raw
// numbers laid out as [K logits | K*D means | K*D log-stds], component-major (mean of
// component k, dimension d at K + k*D + d). Mixture weights are softmax(logits); each
// standard deviation is
//     sigma = sigmaFloor + exp(logstd)
// so it can never fall below the floor (a component collapsing onto one sample would make
// the likelihood unbounded) while staying a smooth, monotone map with d sigma/d logstd =
// sigma - sigmaFloor. The NLL uses a real log-sum-exp over components (a component whose
// log-density underflows contributes -infinity, never a magic constant).
//
// `MixtureKernel` is the generic pointer version the network runs per frame;
// `MixtureDensity` is the public Float API for evaluation and generation.
import RawSpeechCore
import Foundation

/// Half of log(2 pi): the Gaussian normaliser per dimension.
package let halfLogTwoPi = 0.5 * Foundation.log(2 * Double.pi)

/// Per-frame scratch of the mixture kernel: what the forward leaves for the gradient.
package struct MixtureFrame<Scalar: BLASScalar> {
    package var sigma: UnsafeMutablePointer<Scalar>     // (K*D) floor + exp(logstd)
    package var logJoint: UnsafeMutablePointer<Scalar>  // (K) log pi_k + log N(y; mu_k, sigma_k)
    package var terms: UnsafeMutablePointer<Scalar>     // (K*D) scratch: 0.5 z^2 + log sigma
    package var tiledTarget: UnsafeMutablePointer<Scalar>  // (K*D) scratch: the target once per component
}

/// The mixture NLL and its gradient on raw head outputs, one frame at a time. Loops are
/// split so each elementwise pass (exp, log, divisions over K*D) has no reduction in it
/// and vectorizes; the short sums over D and K run afterwards.
package struct MixtureKernel<Scalar: BLASScalar> {
    package let components: Int
    package let dimensions: Int
    package let sigmaFloor: Scalar

    /// log of the sum of exp(values[0 ..< count]), exact for -infinity entries;
    /// `scratch` (count) receives the shifted exponentials.
    @inline(__always)
    package func logSumExp(_ values: UnsafePointer<Scalar>, _ count: Int, scratch: UnsafeMutablePointer<Scalar>) -> Scalar {
        var maximum = -Scalar.infinity, sawNaN = false
        for k in 0 ..< count {
            if values[k] > maximum { maximum = values[k] }
            if values[k].isNaN { sawNaN = true }
        }
        // NaN in, NaN out (so the trainer sees a poisoned model as NaN, not as +inf);
        // the fast Float log is not defined on NaN, so this is decided here.
        if sawNaN { return .nan }
        if !maximum.isFinite { return maximum }  // all -inf, or an +inf entry
        for k in 0 ..< count { scratch[k] = Scalar.kernelExp(values[k] - maximum) }
        var sum: Scalar = 0
        for k in 0 ..< count { sum += scratch[k] }
        return maximum + Scalar.kernelLog(sum)
    }

    /// Fills `frame` (sigma, log joints) and returns (log p(y), log sum exp(logits)).
    @inline(__always)
    package func forward(outputs: UnsafePointer<Scalar>, target: UnsafePointer<Scalar>,
                 frame: MixtureFrame<Scalar>) -> (logP: Scalar, logNormaliser: Scalar) {
        let K = components, D = dimensions
        let logNormaliser = logSumExp(outputs, K, scratch: frame.terms)
        let means = outputs + K, logStds = outputs + K + K * D
        let floor = sigmaFloor, tiled = frame.tiledTarget
        // One flat loop over all K*D (the target repeated per component): a nested loop
        // with D = 10 inner iterations does not vectorize, this one does.
        for k in 0 ..< K { (tiled + k * D).update(from: target, count: D) }
        Scalar.mixtureTerms(count: K * D, logStds: logStds, means: means, targets: UnsafePointer(tiled),
                            floor: floor, sigma: frame.sigma, terms: frame.terms)
        let constant = logNormaliser + Scalar(Double(D) * halfLogTwoPi)
        for k in 0 ..< K {
            var sum: Scalar = 0
            for d in 0 ..< D { sum += frame.terms[k * D + d] }
            frame.logJoint[k] = outputs[k] - constant - sum
        }
        return (logSumExp(frame.logJoint, K, scratch: frame.terms), logNormaliser)
    }

    /// The elementwise pass of `forward` over K*D numbers: sigma = floor + exp(logStd),
    /// z = (target - mean) / sigma, terms = z^2 / 2 + log sigma. The plain loop: Double runs
    /// it, and it is the reference for Float's AVX-512 version (CKernels' rs_mixture_terms).
    @inline(__always)
    package static func termsReference(count: Int, logStds: UnsafePointer<Scalar>, means: UnsafePointer<Scalar>,
                               targets: UnsafePointer<Scalar>, floor: Scalar,
                               sigma: UnsafeMutablePointer<Scalar>, terms: UnsafeMutablePointer<Scalar>) {
        for i in 0 ..< count {
            let s = floor + Scalar.kernelExp(logStds[i])
            let z = (targets[i] - means[i]) / s
            sigma[i] = s
            terms[i] = 0.5 * z * z + Scalar.kernelLog(s)
        }
    }

    /// Writes scale * d(-log p(y))/d(outputs) into `gradient` (O numbers), from the
    /// `frame` a `forward` of the same outputs left. With gamma_k the posterior
    /// responsibility and z = (y - mu)/sigma:
    ///   d/d logit_k = pi_k - gamma_k,  d/d mu = -gamma z / sigma,
    ///   d/d logstd = gamma (1 - z^2) (sigma - floor) / sigma.
    @inline(__always)
    package func gradient(outputs: UnsafePointer<Scalar>, target: UnsafePointer<Scalar>, frame: MixtureFrame<Scalar>,
                  logP: Scalar, logNormaliser: Scalar, scale: Scalar, into gradient: UnsafeMutablePointer<Scalar>) {
        let K = components, D = dimensions, floor = sigmaFloor
        // An impossible frame (log p = -inf) has no finite gradient; give none rather
        // than NaN (the loss itself still reports +inf for the trainer to act on).
        let finite = logP.isFinite
        let means = outputs + K, dMeans = gradient + K, dLogStds = gradient + K + K * D
        // Responsibilities and weights below 1e-30 are flushed to exact zeros: they change
        // nothing at the loss's scale but would become subnormal once scaled by 1/(T*B),
        // and subnormals crawl through the head's GEMMs (see DenormalFlush.swift).
        let negligible = Scalar(1e-30)
        for k in 0 ..< K {
            var gamma = finite ? Scalar.kernelExp(frame.logJoint[k] - logP) : 0
            var weight = Scalar.kernelExp(outputs[k] - logNormaliser)
            if gamma < negligible { gamma = 0 }
            if weight < negligible { weight = 0 }
            gradient[k] = scale * (weight - gamma)
            let scaledGamma = scale * gamma, base = k * D
            for d in 0 ..< D {
                let sigma = frame.sigma[base + d]
                let zOverSigma = (target[d] - means[base + d]) / (sigma * sigma)
                let z = zOverSigma * sigma
                dMeans[base + d] = -scaledGamma * zOverSigma
                dLogStds[base + d] = scaledGamma * (1 - z * z) * (sigma - floor) / sigma
            }
        }
    }
}

/// A frame's worth of kernel scratch, owned (for single-frame helpers and tests).
package final class MixtureFrameStorage<Scalar: BLASScalar> {
    package let sigma: ScratchBuffer<Scalar>, logJoint: ScratchBuffer<Scalar>, terms: ScratchBuffer<Scalar>
    package let tiledTarget: ScratchBuffer<Scalar>

    package init(components: Int, dimensions: Int) {
        sigma = ScratchBuffer(components * dimensions)
        logJoint = ScratchBuffer(components)
        terms = ScratchBuffer(components * dimensions)
        tiledTarget = ScratchBuffer(components * dimensions)
    }

    package var frame: MixtureFrame<Scalar> { MixtureFrame(sigma: sigma.pointer, logJoint: logJoint.pointer, terms: terms.pointer,
                     tiledTarget: tiledTarget.pointer) }
}

/// A mixture of K diagonal Gaussians over D samples, read from a head's raw outputs
/// (`K` logits, `K*D` means, `K*D` log-stds; sigma = sigmaFloor + exp(logstd)).
public struct MixtureDensity: Sendable {
    public let components: Int
    public let dimensions: Int
    public let sigmaFloor: Float

    public init(components: Int, dimensions: Int, sigmaFloor: Float) {
        self.components = components
        self.dimensions = dimensions
        self.sigmaFloor = sigmaFloor
    }

    public init(config: ModelConfig) {
        self.init(components: config.components, dimensions: config.targetSize, sigmaFloor: config.sigmaFloor)
    }

    /// Raw outputs per frame: K(1 + 2D).
    public var outputCount: Int { components * (1 + 2 * dimensions) }

    /// - log p(target) in nats, for one frame (in Double; it allocates a little per call).
    /// Whole chunks are scored by `RecurrentMDN.forward`, whose `Workspace.frameNLL` has
    /// the same numbers without the per-call cost.
    public func nll<Outputs: RandomAccessCollection<Float>, Target: RandomAccessCollection<Float>>(
        outputs: Outputs, target: Target) -> Float {
        let o = Array(outputs).map(Double.init), y = Array(target).map(Double.init)
        precondition(o.count == outputCount && y.count == dimensions, "outputs (K(1+2D)) and target (D)")
        let kernel = MixtureKernel<Double>(components: components, dimensions: dimensions,
                                           sigmaFloor: Double(sigmaFloor))
        let storage = MixtureFrameStorage<Double>(components: components, dimensions: dimensions)
        return Float(o.withUnsafeBufferPointer { op in
            y.withUnsafeBufferPointer { yp in
                -kernel.forward(outputs: op.baseAddress!, target: yp.baseAddress!, frame: storage.frame).logP
            }
        })
    }

    /// Mixture weights softmax(logits / temperature) (temperature 1: the model's own).
    public func weights<Outputs: RandomAccessCollection<Float>>(outputs: Outputs, temperature: Float = 1) -> [Float] {
        let logits = Array(outputs.prefix(components)).map { Double($0) / Double(temperature) }
        let maximum = logits.max() ?? 0
        let e = logits.map { Foundation.exp($0 - maximum) }
        let sum = e.reduce(0, +)
        return e.map { Float($0 / sum) }
    }

    /// The mixture's mean, sum_k pi_k mu_k: the minimum-squared-error prediction.
    public func mean<Outputs: RandomAccessCollection<Float>>(outputs: Outputs) -> [Float] {
        let o = Array(outputs)
        precondition(o.count == outputCount, "outputs: expected K(1+2D)")
        let pi = weights(outputs: o)
        var result = [Float](repeating: 0, count: dimensions)
        for k in 0 ..< components {
            for d in 0 ..< dimensions { result[d] += pi[k] * o[components + k * dimensions + d] }
        }
        return result
    }

    /// One draw at `temperature` tau (`SamplingSettings(temperature:)`: weights
    /// softmax(logits / tau), standard deviations sigma * sqrt(tau)); tau = 1 samples the
    /// model, tau = 0 returns the most likely component's mean.
    public func sample<Outputs: RandomAccessCollection<Float>>(
        outputs: Outputs, temperature: Float = 1, rng: inout SeededGenerator) -> [Float] {
        sample(outputs: outputs, settings: SamplingSettings(temperature: temperature), rng: &rng)
    }

    /// One draw with `settings` (see `SamplingSettings`).
    public func sample<Outputs: RandomAccessCollection<Float>>(
        outputs: Outputs, settings: SamplingSettings, rng: inout SeededGenerator) -> [Float] {
        let o = Array(outputs)
        precondition(o.count == outputCount, "outputs: expected K(1+2D)")
        var draw = [Float](repeating: 0, count: dimensions)
        o.withUnsafeBufferPointer { op in
            draw.withUnsafeMutableBufferPointer { sample(outputs: op.baseAddress!, settings: settings, rng: &rng, into: $0.baseAddress!) }
        }
        return draw
    }

    /// One draw of D samples into `draw` from the O raw outputs at `outputs`, allocating
    /// nothing (the generator's per-step path). A component is chosen by its tempered
    /// weight (one uniform draw), then D Gaussian draws around its means with its standard
    /// deviations times `sigmaScale`. At component temperature 0 the likeliest component is
    /// taken without a uniform draw; at sigma scale 0 no Gaussian draws are taken.
    public func sample(outputs o: UnsafePointer<Float>, settings: SamplingSettings, rng: inout SeededGenerator,
                       into draw: UnsafeMutablePointer<Float>) {
        let K = components, D = dimensions
        var chosen = 0
        if settings.componentTemperature <= 0 {
            for k in 1 ..< K where o[k] > o[chosen] { chosen = k }
        } else {
            // softmax(logits / tau) in Double, as `weights` computes it, without arrays.
            let tau = Double(settings.componentTemperature)
            var maximum = -Double.infinity
            for k in 0 ..< K { maximum = Swift.max(maximum, Double(o[k]) / tau) }
            var sum = 0.0
            for k in 0 ..< K { sum += Foundation.exp(Double(o[k]) / tau - maximum) }
            var u = Float(rng.nextUniform())
            chosen = K - 1
            for k in 0 ..< K {
                let weight = Float(Foundation.exp(Double(o[k]) / tau - maximum) / sum)
                if u < weight { chosen = k; break }
                u -= weight
            }
        }
        let means = o + K + chosen * D, logStds = o + K + K * D + chosen * D
        let scale = settings.sigmaScale
        if scale <= 0 {
            draw.update(from: means, count: D)
            return
        }
        for d in 0 ..< D {
            let sigma = sigmaFloor + Foundation.expf(logStds[d])
            draw[d] = means[d] + sigma * scale * Float(rng.nextGaussian())
        }
    }
}

/// How a draw departs from the model's density, along its two axes: which component
/// (the mixture weights) and how far from its mean (the standard deviations).
public struct SamplingSettings: Equatable, Sendable {
    /// Weights softmax(logits / t): 1 is the model's own weights, below 1 favours the
    /// likelier components, 0 always takes the likeliest.
    public var componentTemperature: Float
    /// Multiplies every standard deviation: 1 is the model's spread, 0 is the chosen
    /// component's mean with no noise.
    public var sigmaScale: Float

    public init(componentTemperature: Float = 1, sigmaScale: Float = 1) {
        self.componentTemperature = componentTemperature
        self.sigmaScale = sigmaScale
    }

    /// One temperature tau on both axes, as p^(1/tau) would temper well-separated
    /// components: weights softmax(logits / tau), standard deviations times sqrt(tau).
    public init(temperature tau: Float) {
        self.init(componentTemperature: tau, sigmaScale: tau > 0 ? tau.squareRoot() : 0)
    }

    /// The model's density itself.
    public static let model = SamplingSettings()
}
