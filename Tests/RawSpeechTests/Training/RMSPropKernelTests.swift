// RMSProp's two passes (CKernels/Optimizer.c) against their plain Swift references, in
// every variant this CPU can run, on lengths that leave every tail size: the sum of
// squares and the step must give the references' bits exactly (same IEEE operations in
// the same order, no FMA), so a run does not depend on the CPU it ran on; with and without
// FTZ/DAZ, which the update runs under. Then the whole update against the references, and
// a non-finite gradient leaving everything untouched.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork
@testable import RawSpeechTraining

@Suite struct RMSPropKernelTests {
    static let counts = [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 100, 1000, 169_731]

    /// Values over many magnitudes (1e-2 to 1e2), so rounding differences would show, and
    /// one in ten tiny (~1e-21), whose squares are subnormal.
    static func gradient(_ count: Int, _ rng: inout SeededGenerator) -> [Float] {
        (0 ..< count).map { _ in
            let magnitude = rng.nextUniform() < 0.1 ? 1e-21 : Foundation.pow(10, 4 * rng.nextUniform() - 2)
            return Float(rng.nextGaussian() * magnitude)
        }
    }

    @Test func sumOfSquaresIsBitwiseTheReferenceInEveryVariant() {
        var rng = SeededGenerator(seed: 3)
        for count in Self.counts {
            let g = Self.gradient(count, &rng)
            let reference = RMSProp.referenceSumOfSquares(g)
            for variant in KernelVariant.runnable {
                let sum = g.withUnsafeBufferPointer { RMSProp.sumOfSquares($0, variant: variant) }
                #expect(sum.bitPattern == reference.bitPattern, "variant \(variant) count \(count): \(sum) vs \(reference)")
            }
            // And the order is a sound one: the plain one-sum loop agrees to Double rounding.
            var plain = 0.0
            for x in g { plain += Double(x) * Double(x) }
            #expect(abs(reference - plain) <= 1e-12 * max(plain, 1e-300), "count \(count): \(reference) vs \(plain)")
        }
    }

    /// As the update runs it (with FTZ/DAZ, which both paths obey) and without.
    @Test(arguments: [false, true]) func stepIsBitwiseTheReferenceInEveryVariant(flushing: Bool) {
        if flushing { return DenormalFlush.run { stepIsBitwiseTheReferenceInEveryVariant(flushing: false) } }
        var rng = SeededGenerator(seed: 4)
        let rule = RMSProp.Rule(scale: 0.37, rate: 1e-4, keep: 0.9, blend: Float(1 - 0.9), floor: 1e-6)
        for count in Self.counts {
            let g = Self.gradient(count, &rng)
            let p0 = (0 ..< count).map { _ in Float(rng.nextGaussian()) }
            // Some zero averages (the first step) next to grown ones.
            let v0 = (0 ..< count).map { _ in rng.nextUniform() < 0.2 ? 0 : Float(rng.nextUniform() * 10) }
            var pRef = p0, vRef = v0
            pRef.withUnsafeMutableBufferPointer { p in
                vRef.withUnsafeMutableBufferPointer { v in
                    g.withUnsafeBufferPointer { RMSProp.referenceStep(p, meanSquare: v, gradient: $0, rule: rule) }
                }
            }
            for variant in KernelVariant.runnable {
                var p = p0, v = v0
                p.withUnsafeMutableBufferPointer { pp in
                    v.withUnsafeMutableBufferPointer { vp in
                        g.withUnsafeBufferPointer { RMSProp.step(pp, meanSquare: vp, gradient: $0, rule: rule, variant: variant) }
                    }
                }
                let pSame = zip(p, pRef).allSatisfy { $0.bitPattern == $1.bitPattern }
                let vSame = zip(v, vRef).allSatisfy { $0.bitPattern == $1.bitPattern }
                #expect(pSame && vSame, "variant \(variant) count \(count): parameters \(pSame), averages \(vSame)")
            }
        }
    }

    @Test func updateIsTheReferencePasses() {
        var rng = SeededGenerator(seed: 5)
        let count = 169_731
        var parameters = (0 ..< count).map { _ in Float(rng.nextGaussian()) }
        var optimizer = RMSProp(parameterCount: count)
        var pRef = parameters, vRef = optimizer.meanSquare
        for _ in 0 ..< 3 {  // norms above the clip (scaled) and below it
            let g = Self.gradient(count, &rng).map { $0 * Float(rng.nextUniform() * 2e-3) }
            let norm = optimizer.update(parameters: &parameters, gradient: g, learningRate: 1e-4, decay: 0.9,
                                        epsilon: 1e-6, clip: 1)
            let expectedNorm = RMSProp.referenceSumOfSquares(g).squareRoot()
            #expect(norm.bitPattern == expectedNorm.bitPattern)
            let rule = RMSProp.Rule(scale: Float(norm > 1 ? 1 / norm : 1), rate: 1e-4, keep: 0.9,
                                    blend: Float(1 - 0.9), floor: 1e-6)
            DenormalFlush.run {
                pRef.withUnsafeMutableBufferPointer { p in
                    vRef.withUnsafeMutableBufferPointer { v in
                        g.withUnsafeBufferPointer { RMSProp.referenceStep(p, meanSquare: v, gradient: $0, rule: rule) }
                    }
                }
            }
            #expect(parameters == pRef && optimizer.meanSquare == vRef)
        }
    }

    @Test func nonFiniteGradientChangesNothing() {
        var optimizer = RMSProp(parameterCount: 40)
        var parameters = [Float](repeating: 1, count: 40)
        var gradient = [Float](repeating: 0.5, count: 40)
        optimizer.update(parameters: &parameters, gradient: gradient, learningRate: 0.1, decay: 0.9, epsilon: 1e-6, clip: 1)
        let (before, averages) = (parameters, optimizer.meanSquare)
        for bad in [Float.nan, .infinity] {
            gradient[17] = bad
            let norm = optimizer.update(parameters: &parameters, gradient: gradient, learningRate: 0.1, decay: 0.9,
                                        epsilon: 1e-6, clip: 1)
            #expect(!norm.isFinite)
            #expect(parameters == before && optimizer.meanSquare == averages)
        }
    }
}
