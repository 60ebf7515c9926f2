// Free-running synthesis (`rawspeech generate`): the model predicts a density over the next
// D samples from the last I, one draw is taken from it, and the draw becomes part of the
// next input, step after step (B = 1, T = 1), in the model's normalized units; the result
// is denormalized and clipped to [-1, 1]. Priming runs the model over a real recording
// first (teacher-forced, so its state is warm) and continues from that recording's last I
// samples; the state it leaves is carried through every draw (the primer's influence then
// fades at the rate the model forgets, docs/EVALUATION.md). Recurrent models sample their
// mixture (MixtureDensity.sample with SamplingSettings: a component temperature and a
// sigma scale); the linear baseline samples its Gaussian: both through Network's
// PredictorStream, whose per-step path allocates nothing. It reuses Network's forward
// pass, writes no files and prints nothing.
//
// I = inputs (20), D = predicted samples (10), hop = D (generation needs hop == D: each
// step's draw is exactly the samples between this input and the next).
import RawSpeechCore
import RawSpeechNetwork
import Foundation

public enum GeneratorError: Error, Equatable, CustomStringConvertible {
    case unsupportedFrames(String)

    public var description: String {
        switch self {
        case .unsupportedFrames(let reason): "cannot generate with this model: \(reason)"
        }
    }
}

/// Samples new audio from a trained predictor.
public final class Generator {
    public let model: TrainedModel
    private let predictor: any Predictor
    /// Teacher-forced warm-up chunks of up to 100 frames, then one frame per draw.
    let stream: any PredictorStream

    public init(model: TrainedModel) throws {
        predictor = try ModelScorer.predictor(model, role: "model")
        guard model.frame.hop == model.frame.target else {
            throw GeneratorError.unsupportedFrames("frames advance by \(model.frame.hop) but predict \(model.frame.target) samples")
        }
        self.model = model
        stream = predictor.makeStream(steps: 100)
    }

    /// `count` new samples (waveform units, clipped to [-1, 1]), continuing `prime` when it
    /// is given (at the model's rate; at least I samples to be of use), else starting from
    /// silence, drawn with `settings`. Same seed, model, prime and settings: the same samples.
    public func generate(samples count: Int, prime: [Float]? = nil, settings: SamplingSettings = .model,
                         seed: UInt64 = 1) -> [Float] {
        let (I, D) = (predictor.frame.input, predictor.frame.target)
        let normalization = predictor.normalization
        var rng = SeededGenerator(seed: seed)
        stream.reset()
        let steps = (max(0, count) + D - 1) / D
        // Normalized history: the I samples of context, then every draw after them; step n
        // predicts from history[n*D ..< n*D + I] and writes the next D. Silence when unprimed.
        var history = [Float](repeating: normalization.normalize(0), count: I + steps * D)
        if let prime, prime.count >= I {
            let normalized = prime.map(normalization.normalize)
            warmUp(on: normalized)
            history.replaceSubrange(0 ..< I, with: normalized.suffix(I))
        }
        history.withUnsafeMutableBufferPointer { h in
            let base = h.baseAddress!
            for n in 0 ..< steps {
                stream.sample(input: base + n * D, settings: settings, rng: &rng, into: base + n * D + I)
            }
        }
        return history[I ..< I + max(0, count)].map { min(1, max(-1, normalization.denormalize($0))) }
    }

    /// `generate` at one temperature tau on both axes (`SamplingSettings(temperature:)`):
    /// 1 samples the model's density, 0 takes the likeliest component's mean.
    public func generate(samples count: Int, prime: [Float]? = nil, temperature: Float, seed: UInt64 = 1) -> [Float] {
        generate(samples: count, prime: prime, settings: SamplingSettings(temperature: temperature), seed: seed)
    }

    /// Runs the model teacher-forced over `primer` (normalized) so that its state has seen
    /// every input frame up to the last I samples; frames are aligned to end there.
    private func warmUp(on primer: [Float]) {
        guard predictor.stateSize > 0 else { return }   // nothing to warm
        let spec = predictor.frame
        // Frames whose inputs end at the primer's end minus a multiple of hop; the last of
        // them is the context `generate` then predicts from, so it is left out here (with
        // hop == D, the frames before it are exactly the complete frames from `start`).
        let start = (primer.count - spec.input) % spec.hop
        let framed = FramedSamples(samples: Array(primer[start...]), spec: spec)
        var first = 0
        while first < framed.count {
            let chunk = min(stream.steps, framed.count - first)
            stream.advance(framed, frames: first ..< first + chunk, nll: nil, means: nil)
            first += chunk
        }
    }
}
