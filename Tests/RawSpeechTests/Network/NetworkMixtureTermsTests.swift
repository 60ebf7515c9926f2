// The mixture head's exp/log pass: CKernels' AVX-512 version (what Float runs on this
// CPU) against the plain Swift loop in Float, on every tail length, on log-stds across the
// whole clamped range of exp, and with a NaN (which must come out as NaN).
import Testing
@testable import RawSpeech

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
}
