// CKernels' whole-rows mixture NLL and gradient (rs_mixture_forward / rs_mixture_gradient,
// Float with AVX-512) against the per-frame Swift loops they replace (MixtureKernel.forward
// and .gradient), on component counts around the 16-lane width, several D, frames the
// forward finds impossible, and NaN outputs.
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork

@Suite struct NetworkMixtureRowKernelTests {
    /// Runs the forward over `rows` random frames, then both gradients; returns (kernel, reference).
    private func gradients(rows: Int, K: Int, D: Int, seed: UInt64, impossibleRow: Int? = nil)
        -> (kernel: [Float], reference: [Float])? {
        let width = K * (1 + 2 * D), floor: Float = 0.05
        var rng = SeededGenerator(seed: seed)
        let outputs = (0 ..< rows * width).map { _ in Float(rng.nextGaussian()) }
        var targets = (0 ..< rows * D).map { _ in Float(rng.nextGaussian()) }
        if let row = impossibleRow {
            // A target this far out has z^2 overflow in every component: log p = -inf.
            for d in 0 ..< D { targets[row * D + d] = 1e25 }
        }
        var sigmas = [Float](repeating: 0, count: rows * K * D), logJoints = [Float](repeating: 0, count: rows * K)
        var losses = [Float](repeating: 0, count: rows), normalisers = losses
        let scratch = MixtureFrameStorage<Float>(components: K, dimensions: D)
        let kernel = MixtureKernel<Float>(components: K, dimensions: D, sigmaFloor: floor)
        var reference = [Float](repeating: 0, count: rows * width), fast = reference
        let scale = 1 / Float(rows)
        for row in 0 ..< rows {
            sigmas.withUnsafeMutableBufferPointer { s in
                logJoints.withUnsafeMutableBufferPointer { j in
                    let frame = MixtureFrame(sigma: s.baseAddress! + row * K * D, logJoint: j.baseAddress! + row * K,
                                             terms: scratch.terms.pointer, tiledTarget: scratch.tiledTarget.pointer)
                    let (logP, logNormaliser) = kernel.forward(outputs: outputs.withUnsafeBufferPointer { $0.baseAddress! + row * width },
                                                               target: targets.withUnsafeBufferPointer { $0.baseAddress! + row * D },
                                                               frame: frame)
                    losses[row] = -logP
                    normalisers[row] = logNormaliser
                    reference.withUnsafeMutableBufferPointer { g in
                        kernel.gradient(outputs: outputs.withUnsafeBufferPointer { $0.baseAddress! + row * width },
                                        target: targets.withUnsafeBufferPointer { $0.baseAddress! + row * D },
                                        frame: frame, logP: logP, logNormaliser: logNormaliser, scale: scale,
                                        into: g.baseAddress! + row * width)
                    }
                }
            }
        }
        let ran = Float.mixtureGradientRows(rows, components: K, dimensions: D, outputs: outputs, targets: targets,
                                            sigmas: sigmas, logJoints: logJoints, frameLosses: losses,
                                            logNormalisers: normalisers, scale: scale, floor: floor, into: &fast)
        guard ran else { return nil }
        // The forward over the same rows, in one call, must leave what the loop left.
        var sigmasFast = [Float](repeating: 0, count: sigmas.count), logJointsFast = [Float](repeating: 0, count: logJoints.count)
        var lossesFast = [Float](repeating: 0, count: rows), normalisersFast = lossesFast
        let total = Float.mixtureForwardRows(rows, components: K, dimensions: D, outputs: outputs, targets: targets,
                                             floor: floor, halfLogTwoPiTimesD: Float(Double(D) * halfLogTwoPi),
                                             sigmas: &sigmasFast, logJoints: &logJointsFast,
                                             frameLosses: &lossesFast, logNormalisers: &normalisersFast)
        let finiteRows = (0 ..< rows).filter { $0 != impossibleRow }
        #expect(Discrepancy(finiteRows.map { lossesFast[$0] }, finiteRows.map { losses[$0] }, floor: 1).worst < 1e-5)
        #expect(Discrepancy(normalisersFast, normalisers, floor: 1).worst < 1e-5)
        #expect(Discrepancy(sigmasFast, sigmas, floor: 1e-6).worst < 1e-5)
        #expect(Discrepancy(finiteRows.flatMap { logJointsFast[$0 * K ..< ($0 + 1) * K] },
                            finiteRows.flatMap { logJoints[$0 * K ..< ($0 + 1) * K] }, floor: 1).worst < 1e-5)
        if let row = impossibleRow { #expect(lossesFast[row] == .infinity && losses[row] == .infinity) }
        let expectedTotal = losses.reduce(0.0) { $0 + Double($1) }
        #expect(total.map { $0 == expectedTotal || abs($0 - expectedTotal) <= 1e-5 * abs(expectedTotal) } == true,
                "total \(String(describing: total)) vs \(expectedTotal)")
        return (fast, reference)
    }

    @Test func nanOutputGivesNaNLoss() throws {
        guard KernelVariant.current == .avx512 else { return }
        let K = 20, D = 10, width = K * (1 + 2 * D)
        for poisoned in [3, K + 7, K + K * D + 11] {  // a logit, a mean, a log-std
            var outputs = [Float](repeating: 0.1, count: 2 * width)
            outputs[width + poisoned] = .nan
            let targets = [Float](repeating: 0.2, count: 2 * D)
            var sigmas = [Float](repeating: 0, count: 2 * K * D), joints = [Float](repeating: 0, count: 2 * K)
            var losses = [Float](repeating: 0, count: 2), normalisers = losses
            let total = Float.mixtureForwardRows(2, components: K, dimensions: D, outputs: outputs, targets: targets,
                                                 floor: 0.05, halfLogTwoPiTimesD: Float(Double(D) * halfLogTwoPi),
                                                 sigmas: &sigmas, logJoints: &joints, frameLosses: &losses,
                                                 logNormalisers: &normalisers)
            #expect(losses[0].isFinite && losses[1].isNaN && total?.isNaN == true, "poisoned \(poisoned): \(losses)")
        }
    }

    @Test func rowsKernelMatchesThePerFrameLoop() throws {
        guard KernelVariant.current == .avx512 else { return }  // the kernel is AVX-512 only
        for (K, D) in [(20, 10), (1, 10), (5, 3), (16, 1), (17, 10), (33, 2)] {
            let result = try #require(gradients(rows: 7, K: K, D: D, seed: UInt64(K * 100 + D)))
            let check = Discrepancy(result.kernel, result.reference, floor: 1e-6)
            #expect(check.worst < 1e-5, "K \(K) D \(D): \(check)")
        }
    }

    @Test func impossibleFrameGetsNoResponsibilities() throws {
        guard KernelVariant.current == .avx512 else { return }
        let K = 20, D = 10, width = K * (1 + 2 * D)
        let result = try #require(gradients(rows: 3, K: K, D: D, seed: 5, impossibleRow: 1))
        // The logits' gradient is the weights alone (no responsibilities), finite, in both.
        let logits = Array(result.kernel[width ..< width + K])
        #expect(logits.allSatisfy { $0.isFinite && $0 >= 0 } && logits.contains { $0 > 0 }, "\(logits)")
        // Elsewhere both give the same numbers, and NaN (0 times an overflowed z^2) in the same places.
        for (a, b) in zip(result.kernel, result.reference) {
            #expect(a.isNaN == b.isNaN && (a.isNaN || abs(a - b) <= 1e-5 * max(abs(a), abs(b), 1e-6)), "\(a) vs \(b)")
        }
    }
}
