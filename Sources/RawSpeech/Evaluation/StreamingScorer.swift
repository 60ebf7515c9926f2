// Scores one recording of any length in constant memory: blocks of waveform samples go in
// as they are read (AudioReader), frames are run through the model's PredictorStream chunk
// by chunk with its state carried (B = 1), and the NLL sum and the spectral measures are accumulated as the
// aligned prediction appears. `rawspeech score` uses it for recordings too long to hold
// (ModelScorer holds whole recordings so that it can batch several); the figures are the
// same computation (the same forward pass and alignment, see ModelScorer's header), equal
// up to float rounding from the different batch shape. It reads no files and prints nothing.
//
// I = inputs (20), D = predicted samples (10), hop (10), T = steps per chunk.
import RawSpeechCore
import RawSpeechNetwork
import Foundation

/// Streaming likelihood and one-step spectral error of one model on one recording.
public final class StreamingScorer {
    public let model: TrainedModel
    private let spec: FrameSpec
    private let normalization: Normalization
    private let steps: Int
    private let stream: any PredictorStream
    private let metrics: SpectralMetrics
    // Samples not yet consumed, normalized and as given (the reference is the waveform
    // itself, not a round trip through normalization); `pending[0]` is sample `hop * nextFrame`.
    private var pending: [Float] = []
    private var pendingWaveform: [Float] = []
    private var nextFrame = 0
    private var samplesSeen = 0
    private var nllSum = 0.0
    // Chunk results, allocated once: NLL (T) and predictions (T, D), normalized.
    private var nll: [Float]
    private var means: [Float]
    private var lastPrediction: [Float]    // the latest frame's D predicted samples, waveform
    private var lastReference: [Float]     // and the true samples they predict

    public init(model: TrainedModel, steps: Int = 100) throws {
        let predictor = try ModelScorer.predictor(model, role: "model")
        self.model = model
        spec = predictor.frame
        normalization = predictor.normalization
        self.steps = steps
        stream = predictor.makeStream(steps: steps)
        metrics = SpectralMetrics(sampleRate: predictor.sampleRate)
        nll = [Float](repeating: 0, count: steps)
        means = [Float](repeating: 0, count: steps * spec.target)
        lastPrediction = []
        lastReference = []
    }

    /// Adds the next block of the recording (waveform units, at the model's rate).
    public func append(_ block: [Float]) {
        samplesSeen += block.count
        pending.reserveCapacity(steps * spec.hop + spec.span + block.count)
        for x in block { pending.append(normalization.normalize(x)) }
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
        let waveform = normalized + normalization.nllOffset(dimensions: D)
        if let reason = ModelScorer.nonFiniteReason(nllPerFrame: waveform, spectral: scores) {
            return .failed(path: path, error: reason)
        }
        return .scored(path: path, Scores(frames: nextFrame, likelihood: Likelihood(nllPerFrame: waveform, samplesPerFrame: D),
                                          spectral: scores, normalized: Likelihood(nllPerFrame: normalized, samplesPerFrame: D)))
    }

    /// Runs the next `count` frames (all within `pending`) and feeds their predictions on.
    private func runChunk(_ count: Int) {
        let (D, hop) = (spec.target, spec.hop)
        do {
            let framed = FramedSamples(samples: pending, spec: spec)
            nll.withUnsafeMutableBufferPointer { n in
                means.withUnsafeMutableBufferPointer { m in
                    stream.advance(framed, frames: 0 ..< count, nll: n.baseAddress!, means: m.baseAddress!)
                }
            }
        }
        for t in 0 ..< count { nllSum += Double(nll[t]) }
        // Frame t's first hop predictions against the true samples they predict.
        let estimate = spec.stitchTargets(means, frames: count, closing: false).map(normalization.denormalize)
        let start = spec.targetStart(0)
        metrics.append(reference: Array(pendingWaveform[start ..< start + estimate.count]), estimate: estimate)
        let last = count - 1
        lastPrediction = (0 ..< D).map { normalization.denormalize(means[last * D + $0]) }
        lastReference = Array(FramedSamples(samples: pendingWaveform, spec: spec).target(last))
        pending.removeFirst(count * hop)
        pendingWaveform.removeFirst(count * hop)
        nextFrame += count
    }
}
