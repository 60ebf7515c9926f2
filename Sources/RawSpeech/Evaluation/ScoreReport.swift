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
    /// The spectral error of the one-step prediction against the true waveform.
    public var lsdDB: Double
    public var spectralConvergence: Double
    public var snrDB: Double
    public var segsnrDB: Double
    /// Likelihood in the model's normalized units, when known.
    public var normalized: Likelihood?

    public init(frames: Int, likelihood: Likelihood, spectral: SpectralScores, normalized: Likelihood? = nil) {
        self.init(frames: frames, likelihood: likelihood, lsdDB: spectral.lsdDB,
                  spectralConvergence: spectral.spectralConvergence, snrDB: spectral.snrDB,
                  segsnrDB: spectral.segmentalSNRDB, normalized: normalized)
    }

    public init(frames: Int, likelihood: Likelihood, lsdDB: Double, spectralConvergence: Double,
                snrDB: Double, segsnrDB: Double, normalized: Likelihood? = nil) {
        self.frames = frames
        self.likelihood = likelihood
        self.lsdDB = lsdDB
        self.spectralConvergence = spectralConvergence
        self.snrDB = snrDB
        self.segsnrDB = segsnrDB
        self.normalized = normalized
    }

    /// Frame-weighted means of every figure over `scores`; nil when there are none (or no
    /// frames). `normalized` is averaged only when every file has it. A file with +∞ SNR
    /// makes the total SNR +∞, as the mean of the numbers would.
    public static func frameWeightedMean(_ scores: [Scores]) -> Scores? {
        let frames = scores.reduce(0) { $0 + $1.frames }
        guard frames > 0 else { return nil }
        func mean(_ figure: (Scores) -> Double) -> Double {
            scores.reduce(0.0) { $0 + Double($1.frames) * figure($1) } / Double(frames)
        }
        func meanLikelihood(_ of: (Scores) -> Likelihood) -> Likelihood {
            Likelihood(nllPerFrame: mean { of($0).nllPerFrame }, nllPerSample: mean { of($0).nllPerSample },
                       bitsPerSample: mean { of($0).bitsPerSample })
        }
        let normalized = scores.allSatisfy { $0.normalized != nil } ? meanLikelihood { $0.normalized! } : nil
        return Scores(frames: frames, likelihood: meanLikelihood(\.likelihood), lsdDB: mean(\.lsdDB),
                      spectralConvergence: mean(\.spectralConvergence), snrDB: mean(\.snrDB),
                      segsnrDB: mean(\.segsnrDB), normalized: normalized)
    }

    package enum CodingKeys: String, CodingKey {
        case frames, lsdDB = "lsd_db", spectralConvergence = "spectral_convergence"
        case snrDB = "snr_db", segsnrDB = "segsnr_db", normalized
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        frames = try c.decode(Int.self, forKey: .frames)
        likelihood = try Likelihood(from: decoder)   // the same object, flattened
        lsdDB = try c.decodeFigure(.lsdDB)
        spectralConvergence = try c.decodeFigure(.spectralConvergence)
        snrDB = try c.decodeFigure(.snrDB, null: .infinity)
        segsnrDB = try c.decodeFigure(.segsnrDB, null: .infinity)
        normalized = try c.decodeIfPresent(Likelihood.self, forKey: .normalized)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(frames, forKey: .frames)
        try likelihood.encode(to: encoder)
        try c.encodeFigure(lsdDB, .lsdDB)
        try c.encodeFigure(spectralConvergence, .spectralConvergence)
        try c.encodeFigure(snrDB, .snrDB)
        try c.encodeFigure(segsnrDB, .segsnrDB)
        try c.encodeIfPresent(normalized, forKey: .normalized)
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

    public init(model: String, files: [FileScore], baseline: BaselineScores? = nil) {
        self.model = model
        self.files = files
        total = Scores.frameWeightedMean(files.compactMap(\.scores))
        self.baseline = baseline
    }

    /// True when some file could not be scored (the CLI's exit code).
    public var hasFailures: Bool {
        files.contains { $0.scores == nil } || (baseline?.files.contains { $0.scores == nil } ?? false)
    }

    package enum CodingKeys: String, CodingKey { case model, files, total, baseline, outOfBand = "out_of_band" }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(files, forKey: .files)
        try c.encode(total, forKey: .total)
        try c.encode(baseline, forKey: .baseline)
        try c.encodeIfPresent(outOfBand, forKey: .outOfBand)
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
