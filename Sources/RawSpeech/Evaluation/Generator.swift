// Free-running synthesis (`rawspeech generate`): the model predicts a density over the next
// D samples from the last I, one draw is taken from it, and the draw becomes part of the
// next input, step after step (B = 1, T = 1), in the model's normalized units; the result
// is denormalized and clipped to [-1, 1]. Priming runs the model over a real recording
// first (teacher-forced, so its state is warm) and continues from that recording's last I
// samples. Recurrent models sample their mixture (MixtureDensity.sample, at a temperature);
// the linear baseline samples its Gaussian. It reuses Network's forward pass, writes no
// files and prints nothing.
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
    private let network: RecurrentMDN<Float>?
    private let mixture: MixtureDensity
    private let linear: LinearPredictor?
    // One-step buffers, allocated once: inputs (1, 1, I), targets (1, 1, D), state (1, S).
    private var input: [Float]
    private var target: [Float]
    private var state: [Float]
    private let stepWorkspace: RecurrentMDN<Float>.Workspace?

    public init(model: TrainedModel) throws {
        try ModelScorer.check(model, role: "model")
        guard model.frame.hop == model.frame.target else {
            throw GeneratorError.unsupportedFrames("frames advance by \(model.frame.hop) but predict \(model.frame.target) samples")
        }
        self.model = model
        mixture = MixtureDensity(config: model.config)
        input = [Float](repeating: 0, count: model.frame.input)
        target = [Float](repeating: 0, count: model.frame.target)
        switch model.kind {
        case .recurrent:
            let network = RecurrentMDN<Float>(config: model.config)
            self.network = network
            linear = nil
            stepWorkspace = network.makeWorkspace(batch: 1, steps: 1)
            state = [Float](repeating: 0, count: network.stateSize)
        case .linear:
            network = nil
            linear = LinearPredictor(parameters: model.parameters, inputSize: model.frame.input, targetSize: model.frame.target)
            stepWorkspace = nil
            state = []
        }
    }

    /// `count` new samples (waveform units, clipped to [-1, 1]), continuing `prime` when it
    /// is given (at the model's rate; at least I samples to be of use), else starting from
    /// silence. Same seed, model and prime: the same samples.
    public func generate(samples count: Int, prime: [Float]? = nil, temperature: Float = 1,
                         seed: UInt64 = 1) -> [Float] {
        let (I, D) = (model.frame.input, model.frame.target)
        var rng = SeededGenerator(seed: seed)
        for i in state.indices { state[i] = 0 }
        // The context window: the last I samples, normalized. Silence when unprimed.
        var context = [Float](repeating: model.normalization.normalize(0), count: I)
        if let prime, prime.count >= I {
            let normalized = prime.map(model.normalization.normalize)
            warmUp(on: normalized)
            context = Array(normalized.suffix(I))
        }
        var output: [Float] = []
        output.reserveCapacity(count + D)
        while output.count < count {
            let draw = step(context, temperature: temperature, rng: &rng)
            context.removeFirst(D)
            context.append(contentsOf: draw)
            for value in draw { output.append(min(1, max(-1, model.normalization.denormalize(value)))) }
        }
        return Array(output.prefix(count))
    }

    /// One draw of the next D normalized samples given the last I.
    private func step(_ context: [Float], temperature: Float, rng: inout SeededGenerator) -> [Float] {
        if let linear {
            let mean = linear.predict(input: context)
            let (I, D) = (model.frame.input, model.frame.target)
            let spread = temperature > 0 ? temperature.squareRoot() : 0
            return (0 ..< D).map { d in
                mean[d] + linear.parameters[D * I + D + d] * spread * Float(rng.nextGaussian())
            }
        }
        for i in input.indices { input[i] = context[i] }
        _ = network!.forward(parameters: model.parameters, inputs: input, targets: target, state: &state,
                             workspace: stepWorkspace!, steps: 1)
        return mixture.sample(outputs: stepWorkspace!.headOutputs, temperature: temperature, rng: &rng)
    }

    /// Runs the model teacher-forced over `primer` (normalized) so that its state has seen
    /// every input frame up to the last I samples; frames are aligned to end there.
    private func warmUp(on primer: [Float]) {
        guard let network else { return }   // the linear model has no state
        let (I, hop) = (model.frame.input, model.frame.hop)
        // Frames whose inputs end at the primer's end minus a multiple of hop; the last of
        // them is the context `generate` then predicts from, so it is left out here.
        let start = (primer.count - I) % hop
        let frames = (primer.count - I - start) / hop   // complete frames before the last input
        guard frames > 0 else { return }
        let steps = min(frames, 100)
        let workspace = network.makeWorkspace(batch: 1, steps: steps)
        var inputs = [Float](repeating: 0, count: steps * I)
        let targets = [Float](repeating: 0, count: steps * model.frame.target)
        var first = 0
        while first < frames {
            let chunk = min(steps, frames - first)
            for t in 0 ..< chunk {
                let at = start + hop * (first + t)
                for i in 0 ..< I { inputs[t * I + i] = primer[at + i] }
            }
            _ = network.forward(parameters: model.parameters, inputs: inputs, targets: targets, state: &state,
                                workspace: workspace, steps: chunk)
            first += chunk
        }
    }
}
