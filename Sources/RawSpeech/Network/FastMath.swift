// Float exp / log / tanh / sigmoid for the gate loops and the mixture head, written
// branch-free (clamps and selects, integer tricks instead of conversions that trap) so a
// loop calling them auto-vectorizes; glibc's expf/tanhf are scalar calls and took a third
// of a training step. exp and log follow Cephes (S. Moshier), tanh Eigen's rational fit;
// the tests bound their errors against the C library (relative ~1e-7 where it matters).
// Selects are avoided too: baseline x86-64 (SSE2, no blend) makes the vectorizer's cost
// model reject loops with them. exp clamps its argument (saturating at exp(-87.3) and
// exp(88)) and propagates NaN. Double never comes here: it is the checking precision and
// uses the C library.

package enum FastMath {
    /// 1.5 * 2^23: adding it rounds a float to an integer held in the low mantissa bits.
    @usableFromInline package static let roundingShift: Float = 12_582_912

    @inline(__always)
    package static func exp(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -87.33654), 88.0)
        // x = n ln2 + r, |r| <= ln2 / 2; ln2 split in two so n * ln2 is exact enough.
        let shifted = clamped * 1.442_695_04 + roundingShift
        let n = shifted - roundingShift
        let r = clamped - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let mantissa = p * r * r + r + 1
        // 2^n from n's bits: n sits in shifted's low mantissa bits.
        let exponent = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        let scale = Float(bitPattern: UInt32(bitPattern: (exponent &+ 127) &<< 23))
        return mantissa * scale
    }

    /// Natural log for positive finite x (the mixture head's sigma >= sigmaFloor > 0 and
    /// sums >= 1 are all it is used on; 0, negatives, inf and NaN are not handled).
    /// Branch-free reduction (as musl's logf): x = 2^k m with m in [sqrt(1/2), sqrt(2)).
    @inline(__always)
    package static func log(_ x: Float) -> Float {
        let shifted = x.bitPattern &- 0x3F35_04F3  // bits of sqrt(1/2)
        let k = Float(Int32(bitPattern: shifted) >> 23)
        let m = Float(bitPattern: (shifted & 0x007F_FFFF) &+ 0x3F35_04F3) - 1
        let z = m * m
        var y: Float = 7.037_683_629_2e-2
        y = y * m - 1.151_461_031_0e-1
        y = y * m + 1.167_699_874_0e-1
        y = y * m - 1.242_014_084_6e-1
        y = y * m + 1.424_932_278_7e-1
        y = y * m - 1.666_805_766_5e-1
        y = y * m + 2.000_071_476_5e-1
        y = y * m - 2.499_999_399_3e-1
        y = y * m + 3.333_333_117_4e-1
        y = y * m * z
        y += -2.121_944_4e-4 * k
        y += -0.5 * z
        return m + y + 0.693_359_375 * k
    }

    /// tanh as a rational function x P(x^2) / Q(x^2) on x clamped to +-7.99881 (where
    /// tanh rounds to +-1 in Float): Eigen's fast tanh coefficients. No selects or
    /// branches, so loops calling it vectorize even on baseline x86-64 (SSE2 has no
    /// blend); odd numerator, so small activations keep their relative accuracy.
    @inline(__always)
    package static func tanh(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -7.998_811_7), 7.998_811_7)
        let z = clamped * clamped
        var p: Float = -2.760_768_5e-16
        p = p * z + 2.000_187_9e-13
        p = p * z - 8.604_671_5e-11
        p = p * z + 5.122_297_1e-8
        p = p * z + 1.485_722_4e-5
        p = p * z + 6.372_619_3e-4
        p = p * z + 4.893_524_6e-3
        var q: Float = 1.198_258_4e-6
        q = q * z + 1.185_347_1e-4
        q = q * z + 2.268_434_6e-3
        q = q * z + 4.893_525_2e-3
        return clamped * p / q
    }

    @inline(__always)
    package static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
}
