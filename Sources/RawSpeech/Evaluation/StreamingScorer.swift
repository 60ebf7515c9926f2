// Scores one recording of any length in constant memory: blocks of waveform samples go in
// as they are read (AudioReader), frames are run through the model chunk by chunk with its
// state carried (B = 1), and the NLL sum and the spectral measures are accumulated as the
// aligned prediction appears. `rawspeech score` uses it for recordings too long to hold
// (ModelScorer holds whole recordings so that it can batch several); the figures are the
// same computation (the same forward pass and alignment, see ModelScorer's header), equal
// up to float rounding from the different batch shape. It reads no files and prints nothing.
//
// I = inputs (20), D = predicted samples (10), hop (10), T = steps per chunk.
import RawSpeechCore
import RawSpeechAudio
import RawSpeechNetwork
import Foundation

/// Streaming likelihood and one-step spectral error of one model on one recording.
public final class StreamingScorer {
    public let model: TrainedModel
    private let spec: FrameSpec
    private let steps: Int
    private let network: RecurrentMDN<Float>?
    private let workspace: RecurrentMDN<Float>.Workspace?
    private let linear: LinearPredictor?
    private let mixture: MixtureDensity
    private let metrics: SpectralMetrics
    // Samples not yet consumed, normalized and as given (the reference is the waveform
    // itself, not a round trip through normalization); `pending[0]` is sample `hop * nextFrame`.
    private var pending: [Float] = []
    private var pendingWaveform: [Float] = []
    private var nextFrame = 0
    private var samplesSeen = 0
    private var nllSum = 0.0
    // Chunk buffers, allocated once: inputs (T, I), targets (T, D), state (stateSize).
    private var inputs: [Float]
    private var targets: [Float]
    private var state: [Float]
    private var means: [Float]             // (T, D) this chunk's predictions, normalized
    private var lastPrediction: [Float]    // the latest frame's D predicted samples, waveform
    private var lastReference: [Float]     // and the true samples they predict

    public init(model: TrainedModel, steps: Int = 100) throws {
        try ModelScorer.check(model, role: "model")
        self.model = model
        spec = model.frame
        self.steps = steps
        mixture = MixtureDensity(config: model.config)
        metrics = SpectralMetrics(sampleRate: model.sampleRate)
        inputs = [Float](repeating: 0, count: steps * spec.input)
        targets = [Float](repeating: 0, count: steps * spec.target)
        means = [Float](repeating: 0, count: steps * spec.target)
        lastPrediction = []
        lastReference = []
        switch model.kind {
        case .recurrent:
            let network = RecurrentMDN<Float>(config: model.config)
            self.network = network
            workspace = network.makeWorkspace(batch: 1, steps: steps)
            state = [Float](repeating: 0, count: network.stateSize)
            linear = nil
        case .linear:
            network = nil
            workspace = nil
            state = []
            linear = LinearPredictor(parameters: model.parameters, inputSize: spec.input, targetSize: spec.target)
        }
    }

    /// Adds the next block of the recording (waveform units, at the model's rate).
    public func append(_ block: [Float]) {
        samplesSeen += block.count
        pending.reserveCapacity(steps * spec.hop + spec.span + block.count)
        for x in block { pending.append(model.normalization.normalize(x)) }
        pendingWaveform.append(contentsOf: block)
        while spec.frameCount(samples: pending.count) >= steps { runChunk(steps) }
    }

    /// The figures of the whole recording; `path` names it in the result.
    public func finish(path: String) -> FileScore {
        let remaining = spec.frameCount(samples: pending.count)
        if remaining > 0 { runChunk(remaining) }
        guard nextFrame > 0 else {
            return .failed(path: path, error: RecordingTooShort.frames(samples: samplesSeen, needed: spec.span).description)
        }
        // The last frame's predicted samples beyond the first hop end the prediction.
        metrics.append(reference: Array(lastReference[spec.hop...]), estimate: Array(lastPrediction[spec.hop...]))
        let scores: SpectralScores
        do {
            scores = try metrics.result()
        } catch let EvaluationError.tooShort(samples, needed) {
            return .failed(path: path, error: RecordingTooShort.spectral(samples: samples, needed: needed).description)
        } catch {
            return .failed(path: path, error: "\(error)")
        }
        let D = spec.target
        let normalized = nllSum / Double(nextFrame)
        let waveform = normalized + model.normalization.nllOffset(dimensions: D)
        return .scored(path: path, Scores(frames: nextFrame, likelihood: Likelihood(nllPerFrame: waveform, samplesPerFrame: D),
                                          spectral: scores, normalized: Likelihood(nllPerFrame: normalized, samplesPerFrame: D)))
    }

    /// Runs the next `count` frames (all within `pending`) and feeds their predictions on.
    private func runChunk(_ count: Int) {
        let (I, D, hop) = (spec.input, spec.target, spec.hop)
        for t in 0 ..< count {
            for i in 0 ..< I { inputs[t * I + i] = pending[hop * t + i] }
            for d in 0 ..< D { targets[t * D + d] = pending[hop * t + I + d] }
        }
        if let network, let workspace {
            _ = network.forward(parameters: model.parameters, inputs: inputs, targets: targets, state: &state,
                                workspace: workspace, steps: count)
            let nll = workspace.frameNLL, outputs = workspace.headOutputs
            let O = model.config.headOutputs
            outputs.withUnsafeBufferPointer { o in
                means.withUnsafeMutableBufferPointer { m in
                    for t in 0 ..< count {
                        nllSum += Double(nll[t])
                        SequenceScorer.mixtureMean(o.baseAddress! + t * O, components: mixture.components,
                                                   dimensions: D, into: m.baseAddress! + t * D)
                    }
                }
            }
        } else if let linear {
            for t in 0 ..< count {
                let x = inputs[t * I ..< (t + 1) * I], y = targets[t * D ..< (t + 1) * D]
                nllSum += Double(linear.nll(input: x, target: y))
                let mean = linear.predict(input: x)
                for d in 0 ..< D { means[t * D + d] = mean[d] }
            }
        }
        // Frame t's first hop predictions against the true samples they predict.
        var reference = [Float](repeating: 0, count: count * hop), estimate = reference
        for t in 0 ..< count {
            for d in 0 ..< hop {
                reference[t * hop + d] = pendingWaveform[hop * t + I + d]
                estimate[t * hop + d] = model.normalization.denormalize(means[t * D + d])
            }
        }
        metrics.append(reference: reference, estimate: estimate)
        let last = count - 1
        lastPrediction = (0 ..< D).map { model.normalization.denormalize(means[last * D + $0]) }
        lastReference = Array(pendingWaveform[hop * last + I ..< hop * last + I + D])
        pending.removeFirst(count * hop)
        pendingWaveform.removeFirst(count * hop)
        nextFrame += count
    }
}
