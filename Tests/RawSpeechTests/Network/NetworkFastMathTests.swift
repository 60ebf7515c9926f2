// The vectorizable Float exp / log / tanh / sigmoid against the C library, densely over
// the ranges the network meets (log: positive finite arguments only), plus the edges.
import Foundation
import Testing
@testable import RawSpeechNetwork

@Suite struct NetworkFastMathTests {
    static let grid: [Float] = stride(from: -90, through: 90, by: 0.0037).map { Float($0) } + [0, -0, 1e-6, -1e-6, 1e-20]

    @Test func expIsAccurate() {
        var worst = 0.0
        for x in Self.grid where x > -87 && x < 88 {
            let relative = abs(Double(FastMath.exp(x)) - Foundation.exp(Double(x))) / Foundation.exp(Double(x))
            worst = max(worst, relative)
        }
        #expect(worst < 3e-7, "worst relative error \(worst)")
        #expect(FastMath.exp(-1000) >= 0 && FastMath.exp(-1000) < 1e-37)
        #expect(FastMath.exp(1000).isFinite && FastMath.exp(1000) > 1e38)
        #expect(FastMath.exp(.nan).isNaN)
    }

    @Test func logIsAccurate() {
        var worst = 0.0
        for x in Self.grid where x != 0 {
            let y = Foundation.exp(Double(x) / 2)  // 1e-20 ... 1e19
            let absolute = abs(Double(FastMath.log(Float(y))) - Foundation.log(Double(Float(y))))
            worst = max(worst, absolute / max(1, abs(Foundation.log(y))))
        }
        #expect(worst < 3e-7, "worst error \(worst)")
    }

    @Test func tanhAndSigmoidAreAccurate() {
        var worstTanh = 0.0, worstSigmoid = 0.0
        for x in Self.grid {
            let t = Foundation.tanh(Double(x))
            worstTanh = max(worstTanh, abs(Double(FastMath.tanh(x)) - t) / max(abs(t), 1e-3))
            let s = 1 / (1 + Foundation.exp(-Double(x)))
            worstSigmoid = max(worstSigmoid, abs(Double(FastMath.sigmoid(x)) - s) / max(s, 1e-30))
        }
        #expect(worstTanh < 1e-6, "tanh: worst \(worstTanh)")
        #expect(worstSigmoid < 1e-6, "sigmoid: worst \(worstSigmoid)")
        #expect(abs(FastMath.tanh(1e-20) / 1e-20 - 1) < 2e-7)
        #expect(abs(FastMath.tanh(100) - 1) <= 3e-7 && FastMath.tanh(-100) == -FastMath.tanh(100))  // saturates within 2 ulp of 1
        #expect(FastMath.tanh(.nan).isNaN && FastMath.sigmoid(.nan).isNaN)
    }
}
