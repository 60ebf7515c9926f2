// Weight noise, the paper's regulariser (paper.md, "Training recipe": Gaussian noise of
// standard deviation 0.075 on the weights). The trainer takes each gradient at perturbed
// weights and applies it to the clean ones; this file only draws the perturbation.
//
// The draws are counter-based: the weights are cut into blocks of `blockSize`, and block j's
// noise comes from its own generator seeded by (seed, rollbacks, update, j). So any thread
// (or process) can draw any block, threads split the blocks between them, and the noise is
// the same bits whatever the split; a resumed run redraws an update's noise from its counters
// alone. Gaussians come in pairs from Marsaglia's polar method in Float (two 24-bit uniforms
// from one 64-bit draw, one FastMath.log and one square root per two draws, no cosine):
// 3.4x less CPU than the Box-Muller draw in Double, one of its pair discarded, that an update
// used before (6.5 ms against 1.9 ms per update at the paper's GRU; docs/PERFORMANCE.md,
// "Data parallel across processes": "What this round changed"). With AVX-512, CKernels'
// Gaussians.c draws 16 candidate pairs at a time, to the same bits.
import Dispatch
import RawSpeechCore
import RawSpeechNetwork

/// Weight noise (Graves 2011): the gradient is taken at weights perturbed by Gaussian noise
/// of standard deviation `std`, and applied to the clean weights. Only the weight matrices
/// in `ranges` are perturbed (paper.md: "noise added to the weights"); biases stay clean.
public enum WeightNoise {
    /// Weights per block of draws: enough that seeding a block's generator costs nothing,
    /// few enough (65 for the paper's GRU) that two threads split them evenly.
    public static let blockSize = 4096

    /// What an update's noise is a function of: a rolled-back update draws other noise.
    public struct Key: Equatable, Sendable {
        public var seed: UInt64, rollbacks: Int, update: Int
        public init(seed: UInt64, rollbacks: Int, update: Int) {
            (self.seed, self.rollbacks, self.update) = (seed, rollbacks, update)
        }
    }

    /// Writes `clean` into `noisy`, plus noise of `key` inside `ranges`: the k-th weight
    /// (counting through `ranges` in order) gets draw k % blockSize of block k / blockSize.
    /// `parts` threads draw contiguous shares of the blocks; the result does not depend on it.
    public static func perturb(_ clean: [Float], into noisy: inout [Float], ranges: [Range<Int>],
                               std: Double, key: Key, parts: Int = 1) {
        precondition(clean.count == noisy.count)
        noisy.withUnsafeMutableBufferPointer { n in
            clean.withUnsafeBufferPointer { n.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
        }
        guard std > 0 else { return }
        // starts[r]: weights before ranges[r] (the flat index of its first weight); then the total.
        let starts = ranges.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        let blocks = (starts.last! + blockSize - 1) / blockSize
        let parts = max(1, min(parts, blocks))
        clean.withUnsafeBufferPointer { c in
            noisy.withUnsafeMutableBufferPointer { n in
                // Each block writes only its own weights: the parts never touch the same index.
                nonisolated(unsafe) let (cleanBase, noisyBase) = (c.baseAddress!, n.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    for block in ParallelStep.rows(part, of: parts, in: blocks) {
                        fill(block: block, key: key, std: std, ranges: ranges, starts: starts,
                             clean: cleanBase, noisy: noisyBase)
                    }
                }
            }
        }
    }

    /// Blocks of draws for `weights` weights.
    public static func blockCount(weights: Int) -> Int { (weights + blockSize - 1) / blockSize }

    /// The flat weight indices (0 ..< weights, counting through the ranges) of `blocks`.
    public static func span(of blocks: Range<Int>, weights: Int) -> Range<Int> {
        min(weights, blocks.lowerBound * blockSize) ..< min(weights, blocks.upperBound * blockSize)
    }

    /// The noise alone (std x draw) of `blocks`, at their flat indices of `noise` (one value
    /// per weight, in `ranges` order; other indices untouched), drawn by `parts` threads:
    /// what `perturb` adds there, to the bit. Processes that share a machine each draw some
    /// blocks and all-gather the rest (Trainer), instead of each drawing all of them.
    public static func draw(blocks: Range<Int>, weights: Int, std: Double, key: Key, parts: Int = 1,
                            into noise: inout [Float]) {
        precondition(noise.count >= weights && blocks.upperBound <= blockCount(weights: weights))
        let parts = max(1, min(parts, blocks.count))
        let std = Float(std)
        noise.withUnsafeMutableBufferPointer { n in
            nonisolated(unsafe) let base = n.baseAddress!
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let share = ParallelStep.rows(part, of: parts, in: blocks.count)
                withUnsafeTemporaryAllocation(of: Float.self, capacity: blockSize) { z in
                    for block in blocks.lowerBound + share.lowerBound ..< blocks.lowerBound + share.upperBound {
                        let span = span(of: block ..< block + 1, weights: weights)
                        gaussians(key, block: block, count: span.count, into: z.baseAddress!)
                        for f in span { base[f] = std * z[f - span.lowerBound] }
                    }
                }
            }
        }
    }

    /// `clean` into `noisy`, plus `noise[f]` on the f-th weight of `ranges`.
    public static func add(_ noise: [Float], to clean: [Float], into noisy: inout [Float], ranges: [Range<Int>]) {
        precondition(clean.count == noisy.count)
        noisy.withUnsafeMutableBufferPointer { n in
            clean.withUnsafeBufferPointer { n.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
            noise.withUnsafeBufferPointer { z in
                var f = 0
                for range in ranges {
                    for i in range { n[i] += z[f]; f += 1 }
                }
            }
        }
    }

    /// Block `block`'s weights, from its own generator.
    private static func fill(block: Int, key: Key, std: Double, ranges: [Range<Int>], starts: [Int],
                             clean: UnsafePointer<Float>, noisy: UnsafeMutablePointer<Float>) {
        let std = Float(std)
        let first = block * blockSize
        var flat = first
        let end = min(starts.last!, flat + blockSize)
        var r = starts.lastIndex { $0 <= flat }!
        withUnsafeTemporaryAllocation(of: Float.self, capacity: blockSize) { buffer in
            let z = buffer.baseAddress!
            gaussians(key, block: block, count: end - first, into: z)
            while flat < end {
                while starts[r + 1] <= flat { r += 1 }  // skips empty ranges too
                let stop = min(end, starts[r + 1])
                let offset = ranges[r].lowerBound - starts[r]
                for f in flat ..< stop { noisy[f + offset] = clean[f + offset] + std * z[f - first] }
                flat = stop
            }
        }
    }

    /// Block `block`'s first `count` standard normal draws (count <= blockSize), in the order
    /// its weights take them: CKernels' AVX-512 polar method where it runs (Gaussians.c), else
    /// `gaussiansReference`; the same bits either way (tested).
    static func gaussians(_ key: Key, block: Int, count: Int, into z: UnsafeMutablePointer<Float>) {
        var rng = generator(key, block: block)
        if Kernels.polarGaussians(state: rng.state, count: count, into: z) { return }
        gaussiansReference(&rng, count: count, into: z)
    }

    /// `count` draws from `rng`: the pairs of `gaussianPair` in order, a, b, a, b, ..., the
    /// last b dropped when count is odd.
    static func gaussiansReference(_ rng: inout SeededGenerator, count: Int, into z: UnsafeMutablePointer<Float>) {
        var f = 0
        while f < count {
            let (a, b) = gaussianPair(&rng)
            z[f] = a
            if f + 1 < count { z[f + 1] = b }
            f += 2
        }
    }

    /// Block `block`'s generator for `key`: its four numbers mixed by SplitMix64 steps.
    static func generator(_ key: Key, block: Int) -> SeededGenerator {
        func mix(_ x: UInt64) -> UInt64 {
            var z = x &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var h = mix(key.seed)
        for word in [UInt64(truncatingIfNeeded: key.rollbacks), UInt64(truncatingIfNeeded: key.update),
                     UInt64(truncatingIfNeeded: block)] {
            h = mix(h ^ mix(word))
        }
        return SeededGenerator(seed: h)
    }

    /// Two independent standard normal draws (Marsaglia's polar method): u and v uniform in
    /// [-1, 1) on a 2^-23 grid (24 bits each of one 64-bit draw; exact in Float), kept when
    /// inside the unit circle (pi/4 of the time).
    static func gaussianPair(_ rng: inout SeededGenerator) -> (Float, Float) {
        while true {
            let bits = rng.next()
            let u = Float(bits >> 40) * 0x1p-23 - 1
            let v = Float((bits >> 16) & 0xFF_FFFF) * 0x1p-23 - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let m = (-2 * FastMath.log(s) / s).squareRoot()
                return (u * m, v * m)
            }
        }
    }
}
