// What `rawspeech score` reports, as plain Codable values whose JSON is the contract in
// issue 4: per-file figures (or the error that stopped a file), frame-weighted totals, and
// the same for the linear baseline. It aggregates numbers; it computes neither likelihoods
// nor spectra (SpectralMetrics and Network do) and prints nothing (ScoreTable formats).
//
// JSON (snake_case keys are stable; new keys may be added):
//   {"model": "runs/gru-227",
//    "files": [{"path": "a.wav", "frames": 1598, "nll_per_frame": -21.3, "nll_per_sample": -2.13,
//               "bits_per_sample": -3.07, "lsd_db": 7.1, "spectral_convergence": 0.41,
//               "snr_db": 9.8, "segsnr_db": 6.2,
//               "normalized": {"nll_per_frame": 3.1, "nll_per_sample": 0.31, "bits_per_sample": 0.45}},
//              {"path": "b.wav", "error": "recording too short: ..."}],
//    "total": {...the per-file keys without "path"..., or null when no file was scored},
//    "baseline": {"model": "linear", "files": [...], "total": {...}} or null}
// Non-finite figures are written as null (JSON has no infinity). In practice only snr_db
// can be infinite (+∞: the estimate is exact), so a null snr_db or segsnr_db reads back as
// +∞ and any other null figure as NaN. (A silent reference with a non-silent estimate has
// SNR -∞; it too is written as null and reads back as +∞: look at the file.)
//
// Added keys (issue 10; readers of the keys above need not know them): per file
// "level_dbfs" and "near_silent", "bits_per_sample_16bit" (= bits_per_sample + 15, the same
// density over 16-bit integer levels); per total "spectral_frames" and "near_silent_files";
// at the top "context_samples", "predicted_samples", "near_silent_below_dbfs" and
// "baseline_note". Near-silent files (level below Scores.nearSilentDBFS) keep their
// likelihood in the totals but are left out of the spectral ones: an almost silent
// reference makes SNR and spectral convergence ratios of noise to nothing, and one such
// file would outweigh hours of speech. A total whose spectral figures cover no frame has
// them null, read back as NaN.
import Foundation

/// Likelihood figures in one set of units. NLL is in nats; lower is better.
public struct Likelihood: Codable, Equatable, Sendable {
    public var nllPerFrame: Double
    public var nllPerSample: Double
    public var bitsPerSample: Double

    /// From the mean NLL per frame of `samplesPerFrame` predicted samples (10 in the paper):
    /// per sample is per frame / samplesPerFrame, bits are nats / ln 2.
    public init(nllPerFrame: Double, samplesPerFrame: Int) {
        self.nllPerFrame = nllPerFrame
        nllPerSample = nllPerFrame / Double(samplesPerFrame)
        bitsPerSample = nllPerSample / log(2)
    }

    public init(nllPerFrame: Double, nllPerSample: Double, bitsPerSample: Double) {
        self.nllPerFrame = nllPerFrame
        self.nllPerSample = nllPerSample
        self.bitsPerSample = bitsPerSample
    }

    /// What to add to waveform-unit bits per sample to compare with a model of 16-bit
    /// integer samples: the density over floats in [-1, 1] integrated over one level's width
    /// 2^-15 gives P(level) ≈ p(x) 2^-15, so -log2 P = -log2 p + 15.
    public static let bits16Offset = 15.0

    /// The NLL per frame in waveform units from one in normalized units, when the model saw
    /// (x - mean) / std: the density of x is that of the normalized value divided by std per
    /// dimension, so NLL_waveform = NLL_normalized + D ln(std).
    public static func waveformNLLPerFrame(normalized: Double, std: Double, samplesPerFrame: Int) -> Double {
        normalized + Double(samplesPerFrame) * log(std)
    }

    package enum CodingKeys: String, CodingKey {
        case nllPerFrame = "nll_per_frame", nllPerSample = "nll_per_sample", bitsPerSample = "bits_per_sample"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        nllPerFrame = try c.decodeFigure(.nllPerFrame)
        nllPerSample = try c.decodeFigure(.nllPerSample)
        bitsPerSample = try c.decodeFigure(.bitsPerSample)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeFigure(nllPerFrame, .nllPerFrame)
        try c.encodeFigure(nllPerSample, .nllPerSample)
        try c.encodeFigure(bitsPerSample, .bitsPerSample)
    }
}

/// The figures of one file, or of a total.
public struct Scores: Codable, Equatable, Sendable {
    /// Model frames scored (each predicts samplesPerFrame samples): the weight in totals.
    public var frames: Int
    /// Likelihood in waveform units (samples as floats in [-1, 1]).
    public var likelihood: Likelihood
    /// The spectral error of the block prediction against the true waveform.
    public var lsdDB: Double
    public var spectralConvergence: Double
    public var snrDB: Double
    public var segsnrDB: Double
    /// Likelihood in the model's normalized units, when known.
    public var normalized: Likelihood?
    /// A file's level over the scored stretch of the reference, dBFS (20 log10 of its RMS,
    /// full scale 1.0; -∞ for digital silence); nil in totals and in older reports.
    public var levelDBFS: Double?
    /// In a total: the frames the spectral figures average over (those of the files that
    /// are not near-silent); nil in a file's figures.
    public var spectralFrames: Int?
    /// In a total: the files left out of the spectral figures as near-silent.
    public var nearSilentFiles: Int?

    /// Files quieter than this (dBFS, RMS of the scored stretch) are near-silent: their
    /// spectral figures measure the model's noise against almost nothing (SNR far below 0,
    /// spectral convergence far above 1) and are left out of spectral totals. -50 dBFS is
    /// about 25 dB below speech at a normal recording level (-20 to -30 dBFS) and above
    /// the background noise of a quiet room recorded at that level.
    public static let nearSilentDBFS = -50.0

    /// Whether this file's level is below `nearSilentDBFS` (false when the level is unknown).
    public var isNearSilent: Bool { levelDBFS.map { $0 < Scores.nearSilentDBFS } ?? false }

    public init(frames: Int, likelihood: Likelihood, spectral: SpectralScores, normalized: Likelihood? = nil) {
        self.init(frames: frames, likelihood: likelihood, lsdDB: spectral.lsdDB,
                  spectralConvergence: spectral.spectralConvergence, snrDB: spectral.snrDB,
                  segsnrDB: spectral.segmentalSNRDB, normalized: normalized)
        levelDBFS = spectral.referenceRMS.isNaN ? nil : 20 * log10(spectral.referenceRMS)
    }

    public init(frames: Int, likelihood: Likelihood, lsdDB: Double, spectralConvergence: Double,
                snrDB: Double, segsnrDB: Double, normalized: Likelihood? = nil, levelDBFS: Double? = nil) {
        self.frames = frames
        self.likelihood = likelihood
        self.lsdDB = lsdDB
        self.spectralConvergence = spectralConvergence
        self.snrDB = snrDB
        self.segsnrDB = segsnrDB
        self.normalized = normalized
        self.levelDBFS = levelDBFS
    }

    /// Frame-weighted means of every figure over `scores`; nil when there are none (or no
    /// frames). The likelihood covers every file; the spectral figures only the files that
    /// are not near-silent (NaN when every file is). `normalized` is averaged only when
    /// every file has it. A file with +∞ SNR makes the total SNR +∞, as the mean would.
    public static func frameWeightedMean(_ scores: [Scores]) -> Scores? {
        let frames = scores.reduce(0) { $0 + $1.frames }
        guard frames > 0 else { return nil }
        func mean(_ over: [Scores], _ figure: (Scores) -> Double) -> Double {
            let weight = over.reduce(0) { $0 + $1.frames }
            guard weight > 0 else { return .nan }
            return over.reduce(0.0) { $0 + Double($1.frames) * figure($1) } / Double(weight)
        }
        func meanLikelihood(_ of: (Scores) -> Likelihood) -> Likelihood {
            Likelihood(nllPerFrame: mean(scores) { of($0).nllPerFrame }, nllPerSample: mean(scores) { of($0).nllPerSample },
                       bitsPerSample: mean(scores) { of($0).bitsPerSample })
        }
        let normalized = scores.allSatisfy { $0.normalized != nil } ? meanLikelihood { $0.normalized! } : nil
        let audible = scores.filter { !$0.isNearSilent }
        var total = Scores(frames: frames, likelihood: meanLikelihood(\.likelihood), lsdDB: mean(audible, \.lsdDB),
                           spectralConvergence: mean(audible, \.spectralConvergence), snrDB: mean(audible, \.snrDB),
                           segsnrDB: mean(audible, \.segsnrDB), normalized: normalized)
        total.spectralFrames = audible.reduce(0) { $0 + $1.frames }
        total.nearSilentFiles = scores.count - audible.count
        return total
    }

    package enum CodingKeys: String, CodingKey {
        case frames, lsdDB = "lsd_db", spectralConvergence = "spectral_convergence"
        case snrDB = "snr_db", segsnrDB = "segsnr_db", normalized
        case bits16 = "bits_per_sample_16bit", levelDBFS = "level_dbfs", nearSilent = "near_silent"
        case spectralFrames = "spectral_frames", nearSilentFiles = "near_silent_files"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        frames = try c.decode(Int.self, forKey: .frames)
        likelihood = try Likelihood(from: decoder)   // the same object, flattened
        spectralFrames = try c.decodeIfPresent(Int.self, forKey: .spectralFrames)
        // A total over no spectral frame has no spectral figures: null is NaN, not +∞.
        let noSpectra = spectralFrames == 0
        lsdDB = try c.decodeFigure(.lsdDB)
        spectralConvergence = try c.decodeFigure(.spectralConvergence)
        snrDB = try c.decodeFigure(.snrDB, null: noSpectra ? .nan : .infinity)
        segsnrDB = try c.decodeFigure(.segsnrDB, null: noSpectra ? .nan : .infinity)
        normalized = try c.decodeIfPresent(Likelihood.self, forKey: .normalized)
        levelDBFS = c.contains(.levelDBFS) ? try c.decodeFigure(.levelDBFS, null: -.infinity) : nil
        nearSilentFiles = try c.decodeIfPresent(Int.self, forKey: .nearSilentFiles)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(frames, forKey: .frames)
        try likelihood.encode(to: encoder)
        try c.encodeFigure(likelihood.bitsPerSample + Likelihood.bits16Offset, .bits16)
        try c.encodeFigure(lsdDB, .lsdDB)
        try c.encodeFigure(spectralConvergence, .spectralConvergence)
        try c.encodeFigure(snrDB, .snrDB)
        try c.encodeFigure(segsnrDB, .segsnrDB)
        try c.encodeIfPresent(normalized, forKey: .normalized)
        if let levelDBFS {
            try c.encodeFigure(levelDBFS, .levelDBFS)
            try c.encode(isNearSilent, forKey: .nearSilent)
        }
        try c.encodeIfPresent(spectralFrames, forKey: .spectralFrames)
        try c.encodeIfPresent(nearSilentFiles, forKey: .nearSilentFiles)
    }
}

/// One input of `score`: its figures, or why it could not be scored.
public enum FileScore: Codable, Equatable, Sendable {
    case scored(path: String, Scores)
    case failed(path: String, error: String)

    public var path: String {
        switch self {
        case let .scored(path, _), let .failed(path, _): return path
        }
    }

    public var scores: Scores? {
        if case let .scored(_, scores) = self { return scores }
        return nil
    }

    package enum CodingKeys: String, CodingKey { case path, error }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let path = try c.decode(String.self, forKey: .path)
        if let error = try c.decodeIfPresent(String.self, forKey: .error) {
            self = .failed(path: path, error: error)
        } else {
            self = .scored(path: path, try Scores(from: decoder))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        switch self {
        case let .scored(_, scores): try scores.encode(to: encoder)
        case let .failed(_, error): try c.encode(error, forKey: .error)
        }
    }
}

/// The linear baseline's figures on the same files.
public struct BaselineScores: Codable, Equatable, Sendable {
    /// What the baseline is, e.g. "linear" (least-squares prediction from the same 20 samples).
    public var model: String
    public var files: [FileScore]
    /// Frame-weighted means over the scored files; nil when none was scored.
    public var total: Scores?

    public init(model: String, files: [FileScore]) {
        self.model = model
        self.files = files
        total = Scores.frameWeightedMean(files.compactMap(\.scores))
    }

    package enum CodingKeys: String, CodingKey { case model, files, total }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(files, forKey: .files)
        try c.encode(total, forKey: .total)   // explicit null: the key is always there
    }
}

/// Everything `rawspeech score` found: the JSON written by `--json`.
public struct ScoreReport: Codable, Equatable, Sendable {
    /// The model scored (its run folder or checkpoint path).
    public var model: String
    public var files: [FileScore]
    /// Frame-weighted means over the scored files; nil when none was scored.
    public var total: Scores?
    /// The linear baseline on the same files, when the model's training data was available.
    public var baseline: BaselineScores?
    /// Each input's energy above the band the model was trained on, when that band is
    /// narrower than the model's rate allows (an upsampled training set).
    public var outOfBand: BandCheck?
    /// Why there is no baseline, when there is none for a reason worth saying (the model is
    /// the linear baseline; its training data could not be found).
    public var baselineNote: String?
    /// The framing of the spectral figures' prediction: each frame predicts
    /// `predictedSamples` samples at once from the `contextSamples` before them (20 and 10 in
    /// the paper), so they measure a block predictor, not a one-sample-ahead one.
    public var contextSamples: Int?
    public var predictedSamples: Int?

    public init(model: String, files: [FileScore], baseline: BaselineScores? = nil, baselineNote: String? = nil,
                contextSamples: Int? = nil, predictedSamples: Int? = nil) {
        self.model = model
        self.files = files
        total = Scores.frameWeightedMean(files.compactMap(\.scores))
        self.baseline = baseline
        self.baselineNote = baselineNote
        self.contextSamples = contextSamples
        self.predictedSamples = predictedSamples
    }

    /// One report over the files of `parts`, in order: what a single call over all their
    /// inputs gives (every file is scored on its own and the totals are frame-weighted means
    /// of the files), for a split scored a group of recordings at a time to bound memory.
    /// The model, framing and notes are the first part's; nil when `parts` is empty.
    public static func concatenating(_ parts: [ScoreReport]) -> ScoreReport? {
        guard let first = parts.first else { return nil }
        let baseline = first.baseline.map { BaselineScores(model: $0.model, files: parts.flatMap { $0.baseline?.files ?? [] }) }
        var report = ScoreReport(model: first.model, files: parts.flatMap(\.files), baseline: baseline,
                                 baselineNote: first.baselineNote, contextSamples: first.contextSamples,
                                 predictedSamples: first.predictedSamples)
        if var band = first.outOfBand {
            band.files = parts.flatMap { $0.outOfBand?.files ?? [] }
            report.outOfBand = band
        }
        return report
    }

    /// True when some file could not be scored (the CLI's exit code).
    public var hasFailures: Bool {
        files.contains { $0.scores == nil } || (baseline?.files.contains { $0.scores == nil } ?? false)
    }

    /// True when the report holds figures (a total), so it may replace an earlier one.
    public var hasFigures: Bool { total != nil }

    package enum CodingKeys: String, CodingKey {
        case model, files, total, baseline
        case baselineNote = "baseline_note", contextSamples = "context_samples", predictedSamples = "predicted_samples"
        case nearSilentBelow = "near_silent_below_dbfs", outOfBand = "out_of_band"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        files = try c.decode([FileScore].self, forKey: .files)
        total = try c.decodeIfPresent(Scores.self, forKey: .total)
        baseline = try c.decodeIfPresent(BaselineScores.self, forKey: .baseline)
        baselineNote = try c.decodeIfPresent(String.self, forKey: .baselineNote)
        contextSamples = try c.decodeIfPresent(Int.self, forKey: .contextSamples)
        predictedSamples = try c.decodeIfPresent(Int.self, forKey: .predictedSamples)
        outOfBand = try c.decodeIfPresent(BandCheck.self, forKey: .outOfBand)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(files, forKey: .files)
        try c.encode(total, forKey: .total)
        try c.encode(baseline, forKey: .baseline)
        try c.encodeIfPresent(outOfBand, forKey: .outOfBand)
        try c.encodeIfPresent(baselineNote, forKey: .baselineNote)
        try c.encodeIfPresent(contextSamples, forKey: .contextSamples)
        try c.encodeIfPresent(predictedSamples, forKey: .predictedSamples)
        try c.encode(Scores.nearSilentDBFS, forKey: .nearSilentBelow)
    }

    /// The report as pretty-printed JSON with sorted keys (stable diffs).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads what `jsonData()` (or `score --json`) wrote.
    public static func decode(_ data: Data) throws -> ScoreReport {
        try JSONDecoder().decode(ScoreReport.self, from: data)
    }
}

// Non-finite figures as JSON null (see the header).
extension KeyedEncodingContainer {
    package mutating func encodeFigure(_ value: Double, _ key: Key) throws {
        if value.isFinite { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}

extension KeyedDecodingContainer {
    package func decodeFigure(_ key: Key, null: Double = .nan) throws -> Double {
        try decodeIfPresent(Double.self, forKey: key) ?? null
    }
}
