// Scores a trained predictor on recordings: likelihood per file and in total (waveform and
// normalized units), and the spectral error of its teacher-forced block prediction, for
// the model and, when given, the linear baseline on the same files. It is what
// `rawspeech score` and `rawspeech compare` call; it reads no files and prints nothing
// (recordings arrive as samples at the model's rate, already resampled by the caller).
//
// Models run through Network's Predictor (recurrent ones batched across files of similar
// length (BatchPlan), each from a zero state, by SequenceScorer: the same computation as the
// trainer's validation; the linear baseline frame by frame). The spectral measures run on all cores, one file per task.
// Inputs marked `.stream` (too long to hold) go through StreamingScorer instead, one at a
// time in constant memory, read once for model and baseline.
//
// Alignment of the block prediction (I = input 20, D = target 10, hop 10): frame t sees
// s[hop t ..< hop t + I] and predicts s[hop t + I ..< hop t + I + D]. The prediction of each
// frame is the mixture's mean (for the linear model its A x + c), denormalized. Laid end to
// end, frame t contributes its first `hop` samples and the last frame all D, so the
// prediction waveform covers s[I ..< hop (F - 1) + I + D] exactly once (F = frames). The
// reference is the same stretch of the true waveform: the first I samples (which no frame
// predicts, having no context) and the < hop trailing samples no complete frame reaches are
// left out of both. A model whose hop exceeds D would leave gaps and is refused. It is a
// block prediction: the D samples of a frame are predicted together from the I before, so
// the first is one sample ahead and the last D; its SNR is lower than a one-sample-ahead
// predictor's would be, and the report says so (ScoreTable.notes, docs/EVALUATION.md).
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
            "recording too short: its block prediction spans \(samples) samples, the spectral measures need at least \(needed) (one STFT frame)"
        }
    }
}

/// What one model produced on one recording, before the spectral measures.
package struct ModelOutput {
    /// Mean NLL per frame, normalized units (the mean of the per-frame values, in Double).
    package var normalizedNLL: Double
    package var frames: Int
    /// The block prediction, waveform units, aligned with `reference`.
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
    /// The band the model's training data had (config.json's bandwidth_hz): when below the
    /// model's Nyquist frequency, each input's energy above it is measured (`BandCheck`).
    public var trainedBandwidthHz: Double?

    /// Why the report has no baseline, when that needs saying (the report's baseline_note).
    public var baselineNote: String?

    /// A baseline that is the model itself is dropped (a model is not its own baseline) and
    /// the report says why; so is the missing baseline of a linear model.
    public init(model: TrainedModel, baseline: TrainedModel? = nil) {
        self.model = model
        modelName = ModelScorer.describe(model)
        if let baseline, Self.isSameModel(model, baseline) {
            self.baseline = nil
            baselineNote = model.kind == .linear ? "no baseline: the model is the linear baseline"
                : "no baseline: the baseline given is the model itself"
        } else {
            self.baseline = baseline
            if baseline == nil && model.kind == .linear { baselineNote = "no baseline: the model is the linear baseline" }
        }
    }

    /// The same predictor: kind, weights, framing, normalization and rate all equal.
    public static func isSameModel(_ a: TrainedModel, _ b: TrainedModel) -> Bool {
        a.kind == b.kind && a.parameters == b.parameters && a.frame == b.frame
            && a.normalization == b.normalization && a.sampleRate == b.sampleRate
    }

    /// Why figures must not be reported for a file: a non-finite NLL (the model's density
    /// underflowed on the samples) or a NaN spectral figure (a NaN prediction). +∞ SNR is an
    /// exact prediction and ±∞ spectral convergence a silent reference: both stay figures.
    package static func nonFiniteReason(nllPerFrame: Double, spectral: SpectralScores) -> String? {
        if !nllPerFrame.isFinite {
            return "the NLL is \(nllPerFrame) (not finite): the model gives these samples no usable density, so no figure is reported"
        }
        if spectral.lsdDB.isNaN || spectral.snrDB.isNaN {
            return "the prediction is not a number (NaN): no figure is reported"
        }
        return nil
    }

    /// "gru-227", "lstm-195x2", "linear": how a model is named when no path is given.
    public static func describe(_ model: TrainedModel) -> String { model.name }

    /// Scores whole recordings (all readable). See `score(inputs:)`.
    public func score(_ recordings: [(name: String, samples: [Float])]) throws -> ScoreReport {
        try score(inputs: recordings.map { .recording(ScoredRecording(path: $0.name, samples: $0.samples)) })
    }

    /// The report over `inputs`, in their order: failed inputs stay failed, recordings too
    /// short for one frame (or one STFT frame of prediction) fail with a reason, the rest are
    /// scored. Throws only when the model (or baseline) itself is unusable.
    public func score(inputs: [ScoreInput]) throws -> ScoreReport {
        _ = try Self.predictor(model, role: "model")
        if let baseline {
            _ = try Self.predictor(baseline, role: "baseline")
            // Both read the same samples, at the model's rate.
            guard baseline.sampleRate == model.sampleRate else {
                throw ModelScorerError.unusableModel("baseline: at \(baseline.sampleRate) Hz, the model at \(model.sampleRate) Hz")
            }
        }
        var streamed: [Int: (model: FileScore, baseline: FileScore?)] = [:]
        var band: [Int: Double] = [:]
        for (index, input) in inputs.enumerated() {
            let meter = bandMeter()
            switch input {
            case .stream(let source): streamed[index] = try stream(source, meter: meter)
            case .recording(let recording): meter?.append(recording.samples)
            case .failed: break
            }
            band[index] = meter?.fraction
        }
        let files = try evaluate(model, inputs, streamed: streamed.mapValues(\.model))
        let baselineScores = try baseline.map {
            BaselineScores(model: Self.describe($0), files: try evaluate($0, inputs, streamed: streamed.compactMapValues(\.baseline)))
        }
        var report = ScoreReport(model: modelName, files: files, baseline: baselineScores,
                                 baselineNote: baseline == nil ? baselineNote : nil,
                                 contextSamples: model.frame.input, predictedSamples: model.frame.target)
        if let trainedBandwidthHz, bandMeter() != nil {
            report.outOfBand = BandCheck(trainedBandwidthHz: trainedBandwidthHz, files: inputs.indices.compactMap { index in
                band[index].map { (path: files[index].path, fraction: $0) }
            })
        }
        return report
    }

    /// A meter of energy above the trained band, when that band is narrower than the model's.
    private func bandMeter() -> BandMeter? {
        guard let trainedBandwidthHz, trainedBandwidthHz < Double(model.sampleRate) / 2 else { return nil }
        return BandMeter(sampleRate: model.sampleRate, bandwidthHz: trainedBandwidthHz)
    }

    /// One long recording through StreamingScorers for the model and the baseline, read once.
    private func stream(_ source: AudioSource, meter: BandMeter? = nil) throws -> (model: FileScore, baseline: FileScore?) {
        let scorer = try StreamingScorer(model: model, steps: steps)
        let baselineScorer = try baseline.map { try StreamingScorer(model: $0, steps: steps) }
        do {
            try ScoringInputs.forEachBlock(source, sampleRate: model.sampleRate) { block in
                scorer.append(block)
                baselineScorer?.append(block)
                meter?.append(block)
            }
        } catch {
            let failed = FileScore.failed(path: source.path, error: ScoringInputs.reason(error, path: source.url.path))
            return (failed, baseline == nil ? nil : failed)
        }
        return (scorer.finish(path: source.path), baselineScorer?.finish(path: source.path))
    }

    /// The aligned reference and block prediction of `recording` (waveform units), for
    /// the report's spectrograms; nil when it is too short for one frame.
    public func onePrediction(_ recording: [Float]) throws -> (reference: [Float], prediction: [Float])? {
        _ = try Self.predictor(model, role: "model")
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
        let spectral = ConcurrentResults<Result<SpectralScores, Error>>(count: recordings.count)
        DispatchQueue.concurrentPerform(iterations: recordings.count) { i in
            guard let output = outputs[i] else { return }
            let metrics = SpectralMetrics(sampleRate: model.sampleRate)
            metrics.append(reference: output.reference, estimate: output.prediction)
            spectral.set(i, Result { try metrics.result() })
        }
        let spectralScores = spectral.values
        let D = model.frame.target
        let offset = model.normalization.nllOffset(dimensions: D)
        for (index, input) in inputs.enumerated() {
            guard case .recording(let r) = input, let i = slot[index], let output = outputs[i] else { continue }
            switch spectralScores[i]! {
            case .failure(let error as EvaluationError):
                if case let .tooShort(samples, needed) = error {
                    results[index] = .failed(path: r.path, error: RecordingTooShort.spectral(samples: samples, needed: needed).description)
                } else {
                    results[index] = .failed(path: r.path, error: "\(error)")
                }
            case .failure(let error):
                results[index] = .failed(path: r.path, error: "\(error)")
            case .success(let scores):
                if let reason = Self.nonFiniteReason(nllPerFrame: output.normalizedNLL + offset, spectral: scores) {
                    results[index] = .failed(path: r.path, error: reason)
                    continue
                }
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
        let predictor = try Self.predictor(model, role: "model")
        let spec = predictor.frame, normalization = predictor.normalization
        let normalizedRecordings = recordings.map { $0.map(normalization.normalize) }
        var perFrame = [FrameResults](repeating: FrameResults(nll: [], means: []), count: recordings.count)
        if predictor.stateSize == 0 {
            // Frames are independent (the linear model): no padding, all files at once.
            perFrame = predictor.frames(of: normalizedRecordings, batch: batch, steps: steps)
        } else {
            // Recurrent: batches of similar length (BatchPlan), each from a zero state.
            for group in BatchPlan.groups(lengths: recordings.map(\.count), batch: batch) {
                let results = predictor.frames(of: group.map { normalizedRecordings[$0] }, batch: batch, steps: steps)
                for (index, result) in zip(group, results) { perFrame[index] = result }
            }
        }
        return zip(recordings, perFrame).map { samples, result in
            let frames = result.nll.count
            guard frames > 0 else { return nil }
            var sum = 0.0
            for value in result.nll { sum += Double(value) }
            let prediction = spec.stitchTargets(result.means, frames: frames, closing: true).map(normalization.denormalize)
            let start = spec.targetStart(0)
            return ModelOutput(normalizedNLL: sum / Double(frames), frames: frames, prediction: prediction,
                               reference: Array(samples[start ..< start + prediction.count]))
        }
    }

    /// Refuses models whose shape does not hold together (a hand-edited or foreign file), or
    /// whose frames leave gaps in the block prediction; else the model as a Predictor.
    package static func predictor(_ model: TrainedModel, role: String) throws -> any Predictor {
        do {
            try model.validate()
        } catch {
            throw ModelScorerError.unusableModel("\(role): \(error)")
        }
        guard model.frame.hop <= model.frame.target else {
            throw ModelScorerError.unusableModel(
                "\(role): frames advance by \(model.frame.hop) samples but predict only \(model.frame.target): the block prediction would have gaps")
        }
        return try model.makePredictor()
    }
}
