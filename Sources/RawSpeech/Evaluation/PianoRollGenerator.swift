// Free-running music from a music model (`rawspeech generate` on a model with the Bernoulli
// head): at each step the model reads the previous step's notes (all zeros at the start, as
// in training), gives each of the 88 keys a probability, and every key is drawn on or off
// independently with the seeded generator; the draw is the next step's input. Optionally it
// first reads a real piece (teacher-forced, its notes are not in the output) and continues
// it. It reuses Network's forward pass one step at a time (B = 1, T = 1), writes no files and
// prints nothing: MIDIFile turns the steps into notes.
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechNetwork
import Foundation

/// Samples piano rolls from a trained music model.
public final class PianoRollGenerator {
    public let model: TrainedModel
    private let network: RecurrentMDN<Float>
    private let workspace: RecurrentMDN<Float>.Workspace
    private let notes: Int

    public init(model: TrainedModel, name: String) throws {
        try PianoRollScoring.check(model, name: name)
        self.model = model
        network = RecurrentMDN<Float>(config: model.config)
        workspace = network.makeWorkspace(batch: 1, steps: 1)
        workspace.computesInputGradient = false
        notes = model.config.targetSize
    }

    /// `steps` sampled steps, each the MIDI notes sounding (lowest first). A key sounds with
    /// probability sigmoid(logit / temperature) (temperature 1: the model's own; towards 0:
    /// only keys the model favours, deterministically at 0). `prime` is run first.
    public func generate(steps: Int, seed: UInt64, temperature: Float = 1, prime: PianoRoll? = nil) -> [[Int]] {
        var rng = SeededGenerator(seed: seed)
        var state = [Float](repeating: 0, count: network.stateSize)
        var input = [Float](repeating: 0, count: notes)
        let zeros = [Float](repeating: 0, count: notes)
        if let prime {
            // Teacher-forced: each step reads the real previous step; the last step is the
            // first input of the continuation.
            let (inputs, _) = prime.inputsAndTargets
            for t in 0 ..< prime.steps {
                _ = network.forward(parameters: model.parameters, inputs: Array(inputs[t * notes ..< (t + 1) * notes]),
                                    targets: zeros, state: &state, workspace: workspace, steps: 1)
            }
            input = Array(prime.floats[(prime.steps - 1) * notes ..< prime.steps * notes])
        }
        var output: [[Int]] = []
        output.reserveCapacity(steps)
        for _ in 0 ..< steps {
            _ = network.forward(parameters: model.parameters, inputs: input, targets: zeros, state: &state,
                                workspace: workspace, steps: 1)
            let logits = workspace.headOutputs
            var sounding: [Int] = []
            for k in 0 ..< notes {
                let on: Bool
                if temperature == 0 {
                    on = logits[k] > 0
                } else {
                    let p = Double(BernoulliKernel<Float>.sigmoid(logits[k] / temperature))
                    on = rng.nextUniform() < p
                }
                input[k] = on ? 1 : 0
                if on { sounding.append(PianoRoll.lowestNote + k) }
            }
            output.append(sounding)
        }
        return output
    }
}
