// Runs a trained recurrent model over whole recordings, several side by side in one batch,
// each from a zero state, and collects every frame's NLL (and optionally the mixture's mean,
// the one-step prediction). Validation during training and `rawspeech score` both use it,
// so the figures they report are the same computation.
import RawSpeechCore
import Foundation

/// Per-frame results for one recording.
public struct FrameResults: Sendable {
    /// NLL of each frame in nats, normalized units.
    public var nll: [Float]
    /// The mixture mean of each frame's D targets, laid end to end (frames x D), normalized
    /// units; empty unless asked for.
    public var means: [Float]

    public init(nll: [Float], means: [Float]) {
        self.nll = nll
        self.means = means
    }
}

/// Batched, chunked inference over recordings of any length.
public final class SequenceScorer {
    public let model: RecurrentMDN<Float>
    public let spec: FrameSpec
    private let workspace: RecurrentMDN<Float>.Workspace
    private let mixture: MixtureDensity
    private let batch: Int
    private let steps: Int
    // Chunk buffers, allocated once: inputs (T, B, I), targets (T, B, D), state (B, S).
    private var inputs: [Float]
    private var targets: [Float]
    private var state: [Float]

    public init(model: RecurrentMDN<Float>, spec: FrameSpec,
                batch: Int = 16, steps: Int = 100) {
        precondition(spec.input == model.config.inputSize && spec.target == model.config.targetSize)
        self.model = model
        self.spec = spec
        self.batch = batch
        self.steps = steps
        workspace = model.makeWorkspace(batch: batch, steps: steps)
        mixture = MixtureDensity(config: model.config)
        inputs = [Float](repeating: 0, count: steps * batch * spec.input)
        targets = [Float](repeating: 0, count: steps * batch * spec.target)
        state = [Float](repeating: 0, count: batch * model.stateSize)
    }

    /// Every frame's NLL (and mixture mean if `means`) for each recording of normalized
    /// samples, under `parameters`.
    public func run(_ recordings: [[Float]], parameters: [Float], means wantMeans: Bool = false) -> [FrameResults] {
        var results = recordings.map { recording -> FrameResults in
            let frames = spec.frameCount(samples: recording.count)
            return FrameResults(nll: [Float](repeating: 0, count: frames),
                                means: wantMeans ? [Float](repeating: 0, count: frames * spec.target) : [])
        }
        // Longest first, so recordings of similar length share a batch and little is padding.
        let order = recordings.indices.sorted { recordings[$0].count > recordings[$1].count }
        var start = 0
        while start < order.count {
            let group = Array(order[start ..< min(start + batch, order.count)])
            runGroup(group, recordings: recordings, parameters: parameters, results: &results,
                     wantMeans: wantMeans)
            start += batch
        }
        return results
    }

    private func runGroup(_ group: [Int], recordings: [[Float]], parameters: [Float],
                          results: inout [FrameResults], wantMeans: Bool) {
        let (I, D) = (spec.input, spec.target)
        let frameCounts = group.map { results[$0].nll.count }
        let framed = group.map { FramedSamples(samples: recordings[$0], spec: spec) }
        let longest = frameCounts.max() ?? 0
        for i in state.indices { state[i] = 0 }
        var first = 0
        while first < longest {
            let chunk = min(steps, longest - first)
            inputs.withUnsafeMutableBufferPointer { inputBuffer in
                targets.withUnsafeMutableBufferPointer { targetBuffer in
                    let x = inputBuffer.baseAddress!, y = targetBuffer.baseAddress!
                    for t in 0 ..< chunk {
                        for b in 0 ..< batch {
                            let row = t * batch + b
                            let frame = first + t
                            if b < group.count && frame < frameCounts[b] {
                                framed[b].copy(frame: frame, input: x + row * I, target: y + row * D)
                            } else {
                                // Padding: a finished (or absent) stream sees zeros; its NLL is ignored.
                                (x + row * I).update(repeating: 0, count: I)
                                (y + row * D).update(repeating: 0, count: D)
                            }
                        }
                    }
                }
            }
            _ = model.forward(parameters: parameters, inputs: inputs, targets: targets,
                              state: &state, workspace: workspace, steps: chunk)
            let nll = workspace.frameNLL  // (chunk, B)
            let outputs = wantMeans ? workspace.headOutputs : []  // (chunk, B, O)
            let O = model.config.headOutputs
            for b in 0 ..< group.count {
                let r = group[b]
                for t in 0 ..< chunk where first + t < frameCounts[b] {
                    let frame = first + t
                    let row = t * batch + b
                    results[r].nll[frame] = nll[row]
                    if wantMeans {
                        outputs.withUnsafeBufferPointer { o in
                            results[r].means.withUnsafeMutableBufferPointer { m in
                                Self.mixtureMean(o.baseAddress! + row * O, components: mixture.components,
                                                 dimensions: D, into: m.baseAddress! + frame * D)
                            }
                        }
                    }
                }
            }
            first += chunk
        }
    }

    /// sum_k pi_k mu_k of one frame's raw head outputs, as `MixtureDensity.mean` computes it
    /// but without its per-call arrays: scoring asks for it at every frame.
    package static func mixtureMean(_ outputs: UnsafePointer<Float>, components K: Int, dimensions D: Int,
                            into mean: UnsafeMutablePointer<Float>) {
        var maximum = -Double.infinity
        for k in 0 ..< K { maximum = Swift.max(maximum, Double(outputs[k])) }
        var total = 0.0
        for d in 0 ..< D { mean[d] = 0 }
        for k in 0 ..< K { total += Foundation.exp(Double(outputs[k]) - maximum) }
        for k in 0 ..< K {
            let weight = Float(Foundation.exp(Double(outputs[k]) - maximum) / total)
            let mu = outputs + K + k * D
            for d in 0 ..< D { mean[d] += weight * mu[d] }
        }
    }
}
