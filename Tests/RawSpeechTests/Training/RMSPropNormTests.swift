// RMSProp's gradient norm (eight partial sums, for speed) against the plain one-sum loop,
// on lengths that leave every tail size, and on values spanning many magnitudes.
import Foundation
import Testing
@testable import RawSpeech

@Suite struct RMSPropNormTests {
    @Test func partialSumsMatchThePlainLoop() {
        var rng = SeededGenerator(seed: 3)
        for count in [0, 1, 7, 8, 9, 15, 16, 17, 1000, 169_731] {
            let gradient = (0 ..< count).map { _ in Float(rng.nextGaussian() * Foundation.pow(10, 4 * rng.nextUniform() - 2)) }
            let fast = RMSProp.norm(gradient), plain = RMSProp.referenceNorm(gradient)
            #expect(abs(fast - plain) <= 1e-12 * max(plain, 1e-300), "count \(count): \(fast) vs \(plain)")
        }
    }
}
