// Weight noise (moved here from RecordFileTests): the draws are N(0, std^2) on the weights only (biases clean), a pure function of
// (seed, rollbacks, update) whatever the number of threads drawing them, and another
// update, rollback or seed gives other noise.
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork
@testable import RawSpeechTraining

@Suite struct WeightNoiseTests {
    let layout = RecurrentMDN<Float>(config: ModelConfig(cell: .lstm, units: 128, components: 5)).layout
    var clean: [Float] { (0 ..< layout.count).map { Float($0 % 13) * 0.01 } }  // not all equal: a mixed-up index shows

    func noisy(_ key: WeightNoise.Key, std: Double = 0.075, parts: Int = 1) -> [Float] {
        var out = [Float](repeating: .nan, count: clean.count)
        WeightNoise.perturb(clean, into: &out, ranges: layout.weightRanges, std: std, key: key, parts: parts)
        return out
    }

    @Test func theNoiseIsGaussianOnTheWeightsOnly() {
        let key = WeightNoise.Key(seed: 3, rollbacks: 0, update: 17)
        let (x, c) = (noisy(key), clean)
        var isWeight = [Bool](repeating: false, count: c.count)
        for range in layout.weightRanges { for i in range { isWeight[i] = true } }
        var (n, sum, squares, fourth) = (0.0, 0.0, 0.0, 0.0)
        for i in c.indices {
            if !isWeight[i] { #expect(x[i] == c[i], "bias \(i) perturbed"); continue }
            let z = Double(x[i] - c[i]) / 0.075
            (n, sum, squares, fourth) = (n + 1, sum + z, squares + z * z, fourth + z * z * z * z)
        }
        #expect(n > 80_000 && n == Double(layout.weightRanges.reduce(0) { $0 + $1.count }))
        let (mean, variance) = (sum / n, squares / n - (sum / n) * (sum / n))
        // Standard errors at n ~ 90K: mean 0.003, variance 0.005, kurtosis ~0.02.
        #expect(abs(mean) < 0.02, "mean \(mean)")
        #expect(abs(variance - 1) < 0.03, "variance \(variance)")
        #expect(abs(fourth / n / (variance * variance) - 3) < 0.15, "kurtosis \(fourth / n / (variance * variance))")
        // No zero draws where a draw was due (a skipped block would leave the clean value).
        #expect(c.indices.filter { isWeight[$0] && x[$0] == c[$0] }.count < 5)
    }

    @Test func anyNumberOfThreadsDrawsTheSameBits() {
        let key = WeightNoise.Key(seed: 1, rollbacks: 2, update: 40)
        let one = noisy(key, parts: 1)
        for parts in [2, 3, 7, 1000] {
            #expect(noisy(key, parts: parts).map(\.bitPattern) == one.map(\.bitPattern), "\(parts) parts")
        }
    }

    /// What replicas on one machine do: each draws some blocks, they gather the rest.
    @Test func blocksDrawnApartAndAddedGiveThePerturbation() {
        let key = WeightNoise.Key(seed: 4, rollbacks: 1, update: 9)
        let weights = layout.weightRanges.reduce(0) { $0 + $1.count }
        let blocks = WeightNoise.blockCount(weights: weights)
        #expect(blocks > 3 && weights % WeightNoise.blockSize != 0)  // a partial last block
        var noise = [Float](repeating: .nan, count: weights)
        for member in 0 ..< 3 {
            WeightNoise.draw(blocks: ParallelStep.rows(member, of: 3, in: blocks), weights: weights, std: 0.075,
                             key: key, parts: 2, into: &noise)
        }
        var out = [Float](repeating: .nan, count: clean.count)
        WeightNoise.add(noise, to: clean, into: &out, ranges: layout.weightRanges)
        #expect(out.map(\.bitPattern) == noisy(key).map(\.bitPattern))
        #expect(WeightNoise.span(of: 0 ..< blocks, weights: weights) == 0 ..< weights)
    }

    @Test func theKeyChoosesTheNoise() {
        let base = WeightNoise.Key(seed: 1, rollbacks: 0, update: 5)
        let reference = noisy(base)
        #expect(noisy(base) == reference)
        for other in [WeightNoise.Key(seed: 2, rollbacks: 0, update: 5), WeightNoise.Key(seed: 1, rollbacks: 1, update: 5),
                      WeightNoise.Key(seed: 1, rollbacks: 0, update: 6)] {
            let x = noisy(other)
            let same = x.indices.filter { x[$0] == reference[$0] }.count
            #expect(same < clean.count / 10, "\(other): \(same) of \(clean.count) values equal")
        }
        #expect(noisy(base, std: 0) == clean)
    }

    /// CKernels' AVX-512 polar method (Gaussians.c) gives the Swift loop's draws bit for bit,
    /// so a run's noise does not depend on the CPU: every count's tail (odd counts drop the
    /// last b), a whole block, several generators. Without AVX-512 the kernel declines and
    /// the check is that it wrote nothing.
    @Test func theVectorDrawsAreTheSwiftLoopsBits() {
        for (seed, count) in [(1, 1), (2, 2), (3, 3), (4, 17), (5, 31), (6, 32), (7, 33), (8, 1001),
                              (9, WeightNoise.blockSize - 1), (10, WeightNoise.blockSize)] {
            let key = WeightNoise.Key(seed: UInt64(seed), rollbacks: seed % 2, update: 40 + seed)
            var reference = [Float](repeating: .nan, count: count), vector = reference
            var rng = WeightNoise.generator(key, block: seed)
            WeightNoise.gaussiansReference(&rng, count: count, into: &reference)
            let ran = Kernels.polarGaussians(state: WeightNoise.generator(key, block: seed).state, count: count,
                                             into: &vector)
            if ran {
                #expect(vector.map(\.bitPattern) == reference.map(\.bitPattern), "seed \(seed), \(count) draws")
            } else {
                let untouched = vector.allSatisfy { $0.isNaN }
                #expect(untouched, "seed \(seed): a kernel that declines writes nothing")
            }
            let drawn = reference.allSatisfy(\.isFinite) && reference.contains(where: { $0 != 0 })
            #expect(drawn, "seed \(seed): the reference drew \(reference.prefix(4))")
        }
        var untouched = [Float](repeating: .nan, count: 4)
        let portableRan = Kernels.polarGaussians(state: [1, 2, 3, 4], count: 4, into: &untouched, variant: .portable)
        let stillUntouched = untouched.allSatisfy { $0.isNaN }
        #expect(!portableRan && stillUntouched)
    }
}
