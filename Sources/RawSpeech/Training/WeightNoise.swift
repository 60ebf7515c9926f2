// Weight noise, the paper's regulariser (paper.md, "Training recipe": Gaussian noise of
// standard deviation 0.075 on the weights). The trainer takes each gradient at perturbed
// weights and applies it to the clean ones; this file only draws the perturbation.
import RawSpeechCore

/// Weight noise (Graves 2011): the gradient is taken at weights perturbed by Gaussian noise
/// of standard deviation `std`, and applied to the clean weights. Only the weight matrices
/// in `ranges` are perturbed (paper.md: "noise added to the weights"); biases stay clean.
public enum WeightNoise {
    /// Writes `clean` into `noisy`, plus noise drawn from `rng` inside `ranges`.
    public static func perturb(_ clean: [Float], into noisy: inout [Float], ranges: [Range<Int>],
                               std: Double, rng: inout SeededGenerator) {
        precondition(clean.count == noisy.count)
        for i in 0 ..< clean.count { noisy[i] = clean[i] }
        guard std > 0 else { return }
        for range in ranges {
            for i in range { noisy[i] = clean[i] + Float(std * rng.nextGaussian()) }
        }
    }
}
