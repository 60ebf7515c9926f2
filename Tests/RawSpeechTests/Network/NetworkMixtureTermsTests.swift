// The transcendental passes CKernels runs in AVX-512 for Float (the mixture head's exp/log
// pass, the gates' sigmoid and tanh) against the plain Swift loops on FastMath, on every
// tail length, across and beyond the clamped ranges, and with NaN where it matters.
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork

@Suite struct NetworkMixtureTermsTests {
    @Test func simdPassMatchesThePlainLoop() {
        var rng = SeededGenerator(seed: 21)
        for count in [1, 5, 15, 16, 17, 31, 200, 203] {
            var logStds = (0 ..< count).map { _ in Float(rng.nextUniform() * 12 - 8) }
            logStds[0] = -100  // below exp's clamp
            if count > 2 { logStds[1] = 100 }  // above it
            let means = (0 ..< count).map { _ in Float(rng.nextGaussian()) }
            let targets = (0 ..< count).map { _ in Float(rng.nextGaussian()) }
            var sigma = [Float](repeating: 0, count: count), terms = sigma
            var sigmaRef = sigma, termsRef = sigma
            logStds.withUnsafeBufferPointer { l in
                means.withUnsafeBufferPointer { m in
                    targets.withUnsafeBufferPointer { t in
                        Float.mixtureTerms(count: count, logStds: l.baseAddress!, means: m.baseAddress!,
                                           targets: t.baseAddress!, floor: 0.05,
                                           sigma: &sigma, terms: &terms)
                        MixtureKernel<Float>.termsReference(count: count, logStds: l.baseAddress!, means: m.baseAddress!,
                                                            targets: t.baseAddress!, floor: 0.05,
                                                            sigma: &sigmaRef, terms: &termsRef)
                    }
                }
            }
            let sigmaCheck = Discrepancy(sigma, sigmaRef, floor: 1e-30)
            let termsCheck = Discrepancy(terms, termsRef, floor: 1)
            #expect(sigmaCheck.worst < 1e-6, "count \(count) sigma: \(sigmaCheck)")
            #expect(termsCheck.worst < 1e-6, "count \(count) terms: \(termsCheck)")
        }
    }

    @Test func nanReachesTheTerms() {
        let logStds: [Float] = [0, .nan, 0], means: [Float] = [.nan, 0, 0], targets: [Float] = [0, 0, 1]
        var sigma = [Float](repeating: 0, count: 3), terms = sigma
        Float.mixtureTerms(count: 3, logStds: logStds, means: means, targets: targets, floor: 0.05,
                           sigma: &sigma, terms: &terms)
        #expect(terms[0].isNaN && terms[1].isNaN && terms[2].isFinite, "\(terms)")
    }

    @Test func gateSigmoidAndTanhMatchFastMath() {
        var rng = SeededGenerator(seed: 22)
        for count in [1, 15, 16, 17, 227, 454, 781] {
            var x = (0 ..< count).map { _ in Float(rng.nextGaussian() * 4) }
            x[0] = -120
            if count > 2 { x[1] = 120; x[2] = 1e-6 }
            var sigmoid = [Float](repeating: 0, count: count), tanh = sigmoid
            Float.sigmoidArray(count: count, x, into: &sigmoid)
            Float.tanhArray(count: count, x, into: &tanh)
            let sigmoidCheck = Discrepancy(sigmoid, x.map(FastMath.sigmoid), floor: 1e-30)
            let tanhCheck = Discrepancy(tanh, x.map(FastMath.tanh), floor: 1e-30)
            #expect(sigmoidCheck.worst < 1e-6, "count \(count) sigmoid: \(sigmoidCheck)")
            #expect(tanhCheck.worst < 1e-6, "count \(count) tanh: \(tanhCheck)")
        }
        // In place, as the gate loops call them.
        var inPlace: [Float] = [0.5, -0.5, 3]
        inPlace.withUnsafeMutableBufferPointer { Float.tanhArray(count: 3, $0.baseAddress!, into: $0.baseAddress!) }
        #expect(Discrepancy(inPlace, [0.5, -0.5, 3].map(FastMath.tanh), floor: 1e-30).worst < 1e-6)
    }
}
