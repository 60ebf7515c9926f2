// The only source of randomness in training, generation and data sampling: a seeded
// xoshiro256** generator whose whole state is four words, so checkpoints can save it and
// a resumed run draws exactly the numbers an uninterrupted one would have.

/// A small, fast, seedable generator (xoshiro256**, Blackman & Vigna), state saveable.
public struct SeededGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    /// The four state words, saved in checkpoints.
    public var state: [UInt64] {
        get { [s0, s1, s2, s3] }
        set { (s0, s1, s2, s3) = (newValue[0], newValue[1], newValue[2], newValue[3]) }
    }
    private var s0: UInt64 = 0, s1: UInt64 = 0, s2: UInt64 = 0, s3: UInt64 = 0

    /// Seeds the four state words from `seed` with SplitMix64, as the authors recommend.
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = [splitMix(), splitMix(), splitMix(), splitMix()]
    }

    package enum CodingKeys: String, CodingKey { case state }

    public init(from decoder: Decoder) throws {
        let words = try decoder.container(keyedBy: CodingKeys.self).decode([UInt64].self, forKey: .state)
        guard words.count == 4 else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "generator state needs 4 words"))
        }
        state = words
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
    }

    public mutating func next() -> UInt64 {
        let result = Self.rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotate(s3, 45)
        return result
    }

    private static func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform draw in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal draw (Box-Muller; one of the pair is discarded so that the
    /// sequence depends only on the number of draws, which keeps resume exact).
    public mutating func nextGaussian() -> Double {
        var u = nextUniform()
        while u <= 0 { u = nextUniform() }
        let v = nextUniform()
        return (-2 * _log(u)).squareRoot() * _cos(2 * Double.pi * v)
    }
}

@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }

import Foundation
