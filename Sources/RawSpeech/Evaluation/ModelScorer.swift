// Scores a trained predictor on recordings: likelihood per file and in total (waveform and
// normalized units), and the spectral error of its teacher-forced one-step prediction, for
// the model and, when given, the linear baseline on the same files. It is what
// `rawspeech score` and `rawspeech compare` call; it reads no files and prints nothing
// (recordings arrive as samples at the model's rate, already resampled by the caller).
//
// Recurrent models run through Network's SequenceScorer (the same computation as the
// trainer's validation, batched across files, each from a zero state); the linear model
// through LinearPredictor. The spectral measures run on all cores, one file per task.
// Inputs marked `.stream` (too long to hold) go through StreamingScorer instead, one at a
// time in constant memory, read once for model and baseline.
//
// Alignment of the one-step prediction (I = input 20, D = target 10, hop 10): frame t sees
// s[hop t ..< hop t + I] and predicts s[hop t + I ..< hop t + I + D]. The prediction of each
// frame is the mixture's mean (for the linear model its A x + c), denormalized. Laid end to
// end, frame t contributes its first `hop` samples and the last frame all D, so the
// prediction waveform covers s[I ..< hop (F - 1) + I + D] exactly once (F = frames). The
// reference is the same stretch of the true waveform: the first I samples (which no frame
// predicts, having no context) and the < hop trailing samples no complete frame reaches are
// left out of both. A model whose hop exceeds D would leave gaps and is refused.
import RawSpeechCore
import RawSpeechNetwork
import Dispatch
import Foundation

/// One recording to score: a name for the report (its path) and its samples in waveform
/// units (floats in [-1, 1]) at the model's sample rate.
public struct ScoredRecording: Sendable {
    public var path: String
    public var samples: [Float]

    public init(path: String, samples: [Float]) {
        self.path = path
        self.samples = samples
    }
}

/// An input of `ModelScorer.score(inputs:)`: samples to score, or why the caller could not
/// read them (listed in the report as a failed file, in input order).
public enum ScoreInput: Sendable {
    case recording(ScoredRecording)
    case failed(path: String, error: String)
    /// A recording too long to hold: read block by block and scored by StreamingScorer.
    case stream(AudioSource)
}

/// Why a model cannot be scored at all (per-file problems become failed files instead).
public enum ModelScorerError: Error, Equatable, CustomStringConvertible {
    case unusableModel(String)

    public var description: String {
        switch self {
        case .unusableModel(let reason): "model cannot be scored: \(reason)"
        }
    }
}

/// Why one recording cannot be scored: too short for a model frame or an STFT frame.
package enum RecordingTooShort: Error, CustomStringConvertible {
    case frames(samples: Int, needed: Int)
    case spectral(samples: Int, needed: Int)

    package var description: String {
        switch self {
        case let .frames(samples, needed):
            "recording too short: \(samples) samples, the model needs at least \(needed) (one frame)"
        case let .spectral(samples, needed):
            "recording too short: its one-step prediction spans \(samples) samples, the spectral measures need at least \(needed) (one STFT frame)"
        }
    }
}

/// What one model produced on one recording, before the spectral measures.
package struct ModelOutput {
    /// Mean NLL per frame, normalized units (the mean of the per-frame values, in Double).
    package var normalizedNLL: Double
    package var frames: Int
    /// The one-step prediction, waveform units, aligned with `reference`.
    package var prediction: [Float]
    package var reference: [Float]
}

/// Likelihood and one-step spectral error of a trained predictor (and its baseline).
public final class ModelScorer {
    public let model: TrainedModel
    public let baseline: TrainedModel?
    /// The report's "model" field.
    public var modelName: String
    /// Recordings run side by side through a recurrent model (SequenceScorer's B).
    public var batch = 16
    /// Steps per chunk (SequenceScorer's T): long enough for big GEMMs, small in memory.
    public var steps = 100

    public init(model: TrainedModel, baseline: TrainedModel? = nil) {
        self.model = model
        self.baseline = baseline
        modelName = ModelScorer.describe(model)
    }

    /// "gru-227", "lstm-195x2", "linear": how a model is named when no path is given.
    public static func describe(_ model: TrainedModel) -> String {
        guard model.kind == .recurrent else { return "linear" }
        let layers = model.config.layers > 1 ? "x\(model.config.layers)" : ""
        return "\(model.config.cell.rawValue)-\(model.config.units)\(layers)"
    }

    /// Scores whole recordings (all readable). See `score(inputs:)`.
    public func score(_ recordings: [(name: String, samples: [Float])]) throws -> ScoreReport {
        try score(inputs: recordings.map { .recording(ScoredRecording(path: $0.name, samples: $0.samples)) })
    }

    /// The report over `inputs`, in their order: failed inputs stay failed, recordings too
    /// short for one frame (or one STFT frame of prediction) fail with a reason, the rest are
    /// scored. Throws only when the model (or baseline) itself is unusable.
    public func score(inputs: [ScoreInput]) throws -> ScoreReport {
        try Self.check(model, role: "model")
        if let baseline {
            try Self.check(baseline, role: "baseline")
            // Both read the same samples, at the model's rate.
            guard baseline.sampleRate == model.sampleRate else {
                throw ModelScorerError.unusableModel("baseline: at \(baseline.sampleRate) Hz, the model at \(model.sampleRate) Hz")
            }
        }
        var streamed: [Int: (model: FileScore, baseline: FileScore?)] = [:]
        for (index, input) in inputs.enumerated() {
            if case .stream(let source) = input { streamed[index] = try stream(source) }
        }
        let files = try evaluate(model, inputs, streamed: streamed.mapValues(\.model))
        let baselineScores = try baseline.map {
            BaselineScores(model: Self.describe($0), files: try evaluate($0, inputs, streamed: streamed.compactMapValues(\.baseline)))
        }
        return ScoreReport(model: modelName, files: files, baseline: baselineScores)
    }

    /// One long recording through StreamingScorers for the model and the baseline, read once.
    private func stream(_ source: AudioSource) throws -> (model: FileScore, baseline: FileScore?) {
        let scorer = try StreamingScorer(model: model, steps: steps)
        let baselineScorer = try baseline.map { try StreamingScorer(model: $0, steps: steps) }
        do {
            try ScoringInputs.forEachBlock(source, sampleRate: model.sampleRate) { block in
                scorer.append(block)
                baselineScorer?.append(block)
            }
        } catch {
            let failed = FileScore.failed(path: source.path, error: ScoringInputs.reason(error, path: source.url.path))
            return (failed, baseline == nil ? nil : failed)
        }
        return (scorer.finish(path: source.path), baselineScorer?.finish(path: source.path))
    }

    /// The aligned reference and one-step prediction of `recording` (waveform units), for
    /// the report's spectrograms; nil when it is too short for one frame.
    public func onePrediction(_ recording: [Float]) throws -> (reference: [Float], prediction: [Float])? {
        try Self.check(model, role: "model")
        guard let output = try run(model, [recording])[0] else { return nil }
        return (output.reference, output.prediction)
    }

    // MARK: Per model

    /// Figures of `model` on every input, in order.
    private func evaluate(_ model: TrainedModel, _ inputs: [ScoreInput], streamed: [Int: FileScore]) throws -> [FileScore] {
        var recordings: [[Float]] = []
        var slot: [Int: Int] = [:]   // input index -> recordings index
        var results = [FileScore?](repeating: nil, count: inputs.count)
        for (index, input) in inputs.enumerated() {
            switch input {
            case .failed(let path, let error): results[index] = .failed(path: path, error: error)
            case .stream(let source):
                results[index] = streamed[index] ?? .failed(path: source.path, error: "not streamed (internal error)")
            case .recording(let r):
                let needed = model.frame.span
                if r.samples.count < needed {
                    results[index] = .failed(path: r.path, error: RecordingTooShort.frames(samples: r.samples.count, needed: needed).description)
                } else {
                    slot[index] = recordings.count
                    recordings.append(r.samples)
                }
            }
        }
        let outputs = try run(model, recordings)
        // FFTs per file on all cores; each task owns its SpectralMetrics (and STFT buffers).
        let spectral = Slots<Result<SpectralScores, Error>>(count: recordings.count)
        DispatchQueue.concurrentPerform(iterations: recordings.count) { i in
            guard let output = outputs[i] else { return }
            let metrics = SpectralMetrics(sampleRate: model.sampleRate)
            metrics.append(reference: output.reference, estimate: output.prediction)
            spectral.set(i, Result { try metrics.result() })
        }
        let D = model.frame.target
        let offset = model.normalization.nllOffset(dimensions: D)
        for (index, input) in inputs.enumerated() {
            guard case .recording(let r) = input, let i = slot[index], let output = outputs[i] else { continue }
            switch spectral.values[i]! {
            case .failure(let error as EvaluationError):
                if case let .tooShort(samples, needed) = error {
                    results[index] = .failed(path: r.path, error: RecordingTooShort.spectral(samples: samples, needed: needed).description)
                } else {
                    results[index] = .failed(path: r.path, error: "\(error)")
                }
            case .failure(let error):
                results[index] = .failed(path: r.path, error: "\(error)")
            case .success(let scores):
                let normalized = Likelihood(nllPerFrame: output.normalizedNLL, samplesPerFrame: D)
                let waveform = Likelihood(nllPerFrame: output.normalizedNLL + offset, samplesPerFrame: D)
                results[index] = .scored(path: r.path, Scores(frames: output.frames, likelihood: waveform,
                                                              spectral: scores, normalized: normalized))
            }
        }
        return results.map { $0! }
    }

    /// NLL and aligned prediction of every recording (nil for one without a frame).
    private func run(_ model: TrainedModel, _ recordings: [[Float]]) throws -> [ModelOutput?] {
        let spec = model.frame
        let normalizedRecordings = recordings.map { $0.map(model.normalization.normalize) }
        let perFrame: [FrameResults]
        switch model.kind {
        case .recurrent:
            let network = RecurrentMDN<Float>(config: model.config)
            let scorer = SequenceScorer(model: network, spec: spec, batch: max(1, min(batch, recordings.count)),
                                        steps: steps)
            perFrame = scorer.run(normalizedRecordings, parameters: model.parameters, means: true)
        case .linear:
            let predictor = LinearPredictor(parameters: model.parameters, inputSize: spec.input, targetSize: spec.target)
            let slots = Slots<FrameResults>(count: recordings.count)
            DispatchQueue.concurrentPerform(iterations: recordings.count) { i in
                slots.set(i, Self.linearFrames(predictor, normalizedRecordings[i], spec: spec))
            }
            perFrame = slots.values.map { $0! }
        }
        return zip(recordings, perFrame).map { samples, result in
            let frames = result.nll.count
            guard frames > 0 else { return nil }
            var sum = 0.0
            for value in result.nll { sum += Double(value) }
            let (I, D, hop) = (spec.input, spec.target, spec.hop)
            let end = spec.samplesSpanned(frames: frames)
            var prediction = [Float](repeating: 0, count: end - I)
            for t in 0 ..< frames {
                let count = t == frames - 1 ? D : hop   // the last frame fills to the end
                for d in 0 ..< count {
                    prediction[hop * t + d] = model.normalization.denormalize(result.means[t * D + d])
                }
            }
            return ModelOutput(normalizedNLL: sum / Double(frames), frames: frames, prediction: prediction,
                               reference: Array(samples[I ..< end]))
        }
    }

    /// The linear predictor's per-frame NLL and prediction on one normalized recording.
    package static func linearFrames(_ predictor: LinearPredictor, _ samples: [Float], spec: FrameSpec) -> FrameResults {
        let framed = FramedSamples(samples: samples, spec: spec)
        var result = FrameResults(nll: [Float](repeating: 0, count: framed.count),
                                  means: [Float](repeating: 0, count: framed.count * spec.target))
        for t in 0 ..< framed.count {
            result.nll[t] = predictor.nll(input: framed.input(t), target: framed.target(t))
            let mean = predictor.predict(input: framed.input(t))
            for d in 0 ..< spec.target { result.means[t * spec.target + d] = mean[d] }
        }
        return result
    }

    /// Refuses models whose shape does not hold together (a hand-edited or foreign file).
    package static func check(_ model: TrainedModel, role: String) throws {
        func fail(_ reason: String) -> ModelScorerError { .unusableModel("\(role): \(reason)") }
        let spec = model.frame, config = model.config
        guard spec.input >= 1, spec.target >= 1, spec.hop >= 1 else { throw fail("frame sizes must be positive") }
        guard spec.input == config.inputSize, spec.target == config.targetSize else {
            throw fail("frames \(spec.input)->\(spec.target) disagree with the network's \(config.inputSize)->\(config.targetSize)")
        }
        guard spec.hop <= spec.target else {
            throw fail("frames advance by \(spec.hop) samples but predict only \(spec.target): the one-step prediction would have gaps")
        }
        guard model.sampleRate > 0 else { throw fail("sample rate \(model.sampleRate) Hz") }
        guard model.normalization.std > 0, model.normalization.std.isFinite, model.normalization.mean.isFinite else {
            throw fail("normalization std \(model.normalization.std)")
        }
        switch model.kind {
        case .recurrent:
            guard config.units > 0, config.layers > 0, config.components > 0 else {
                throw fail("units, layers and components must be positive")
            }
            guard model.parameters.count == config.parameterCount else {
                throw fail("\(model.parameters.count) parameters, its configuration needs \(config.parameterCount)")
            }
        case .linear:
            let needed = LinearPredictor.parameterCount(inputSize: spec.input, targetSize: spec.target)
            guard model.parameters.count == needed else {
                throw fail("\(model.parameters.count) parameters, a linear predictor needs \(needed)")
            }
        }
    }
}

/// Results written by concurrent tasks, one slot each, behind a lock.
package final class Slots<Value>: @unchecked Sendable {
    private let lock = NSLock()
    package private(set) var values: [Value?]
    package init(count: Int) { values = Array(repeating: nil, count: count) }
    package func set(_ i: Int, _ value: Value) { lock.withLock { values[i] = value } }
}
