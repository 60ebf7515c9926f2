// A run folder: config.json (the resolved configuration), metrics.jsonl (one line per
// evaluation: the data of the paper's learning-curve figures), checkpoint.ckpt (resume) and
// model.ckpt (the best weights, what `score` and `generate` load), and outcome.json once
// the run has finished.
import Foundation

/// One evaluation, one line of metrics.jsonl: field names are a contract with `report` and
/// other tools. The trainer and the report both read it through this type. A figure not
/// measured at that update is NaN (written as "NaN"; null or absent, as other tools write
/// it, reads as NaN too).
public struct MetricsLine: Codable, Equatable, Sendable {
    public var update: Int
    /// Wall-clock seconds of training since the run started (summed across resumes).
    public var seconds: Double
    /// Mean training loss (NLL per frame, normalized units, with weight noise) since the
    /// previous line.
    public var trainNLL: Double
    /// Validation NLL per frame, normalized units, clean weights.
    public var validNLL: Double
    /// The same in the waveform's own units (samples in [-1, 1]).
    public var validNLLWaveform: Double
    public var learningRate: Double
    /// What `validNLL` was measured on: "whole" (the valid split) or "subset" (a fixed,
    /// seeded part of it, `--valid-seconds`); nil in runs from before subsets.
    public var validSet: String?
    /// Seconds of audio `validNLL` was measured on.
    public var validSeconds: Double?

    package enum CodingKeys: String, CodingKey {
        case update, seconds, trainNLL = "train_nll", validNLL = "valid_nll"
        case validNLLWaveform = "valid_nll_waveform", learningRate = "learning_rate"
        case validSet = "valid_set", validSeconds = "valid_seconds"
    }

    public init(update: Int, seconds: Double, trainNLL: Double, validNLL: Double,
                validNLLWaveform: Double, learningRate: Double) {
        self.update = update
        self.seconds = seconds
        self.trainNLL = trainNLL
        self.validNLL = validNLL
        self.validNLLWaveform = validNLLWaveform
        self.learningRate = learningRate
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func figure(_ key: CodingKeys) throws -> Double { try container.decodeIfPresent(Double.self, forKey: key) ?? .nan }
        update = try container.decode(Int.self, forKey: .update)
        seconds = try container.decode(Double.self, forKey: .seconds)
        trainNLL = try figure(.trainNLL)
        validNLL = try figure(.validNLL)
        validNLLWaveform = try figure(.validNLLWaveform)
        learningRate = try figure(.learningRate)
        validSet = try container.decodeIfPresent(String.self, forKey: .validSet)
        validSeconds = try container.decodeIfPresent(Double.self, forKey: .validSeconds)
    }
}

/// Why the loop ended.
public enum StopReason: String, Codable, Sendable {
    case updates, minutes, earlyStopping = "early_stopping", interrupted
}

/// RUNDIR/outcome.json: how a finished run ended, and how fast it trained.
public struct RunOutcome: Codable, Sendable {
    public var reason: StopReason
    public var updates: Int
    public var seconds: Double
    public var bestValidNLL: Double
    public var bestUpdate: Int
    public var rollbacks: Int
    /// Time steps x batch per wall-clock second, validation passes included.
    public var trainStepsPerSecond: Double
    /// The saved (best) model's NLL per frame on the whole valid split, normalized units:
    /// `bestValidNLL` may be on a subset (metrics.jsonl's `valid_set`). nil in older runs.
    public var wholeValidNLL: Double?

    package enum CodingKeys: String, CodingKey {
        case reason, updates, seconds, bestValidNLL = "best_valid_nll", bestUpdate = "best_update"
        case rollbacks, trainStepsPerSecond = "train_steps_per_second", wholeValidNLL = "whole_valid_nll"
    }

    public init(reason: StopReason, updates: Int, seconds: Double, bestValidNLL: Double,
                bestUpdate: Int, rollbacks: Int, trainStepsPerSecond: Double) {
        self.reason = reason
        self.updates = updates
        self.seconds = seconds
        self.bestValidNLL = bestValidNLL
        self.bestUpdate = bestUpdate
        self.rollbacks = rollbacks
        self.trainStepsPerSecond = trainStepsPerSecond
    }
}

/// The files of one training run.
public struct RunFolder: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    public var config: URL { url.appendingPathComponent("config.json") }
    public var metrics: URL { url.appendingPathComponent("metrics.jsonl") }
    public var checkpoint: URL { url.appendingPathComponent("checkpoint.ckpt") }
    public var model: URL { url.appendingPathComponent("model.ckpt") }
    /// Present once the run has finished (not after an interruption).
    public var outcome: URL { url.appendingPathComponent("outcome.json") }

    public func readOutcome() throws -> RunOutcome? {
        guard let data = try? Data(contentsOf: outcome) else { return nil }
        return try Self.decoder().decode(RunOutcome.self, from: data)
    }

    public func create() throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// JSON with sorted keys; infinities and NaN as the strings "Infinity", "-Infinity",
    /// "NaN" (a diverged or unmeasured figure must not make a file unwritable).
    public static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }

    /// Writes a JSON document atomically (sorted keys, so diffs of configs read well).
    public static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        try AtomicFile.write(try encoder(pretty: true).encode(value), to: url)
    }

    public func appendMetrics(_ line: MetricsLine) throws {
        try AppendOnlyFile(url: metrics).append(try Self.encoder(pretty: false).encode(line))
    }

    /// The evaluations recorded so far (none without metrics.jsonl). See `readMetricsLines`.
    public func readMetrics() throws -> [MetricsLine] { try readMetricsLines().lines }

    /// The evaluations recorded so far, and whether a last line without its newline that
    /// does not decode (one a running trainer has not finished writing) was left out. Any
    /// other bad line is an error naming the file and the line.
    public func readMetricsLines() throws -> (lines: [MetricsLine], skippedIncompleteLine: Bool) {
        let log = AppendOnlyFile(url: metrics)
        let rows = try log.lines()
        let decoder = Self.decoder()
        let lines = try rows.enumerated().map { index, row in
            do {
                return try decoder.decode(MetricsLine.self, from: row)
            } catch {
                throw RecordFileError(path: metrics.path, reason: "line \(index + 1) is not a metrics record (\(error))")
            }
        }
        return (lines, try log.hasIncompleteLastLine())
    }

    /// config.json decoded as `T` with this folder's decoder (so a reader may take only the
    /// fields it needs); nil when the run has none.
    public func readConfig<T: Decodable>(_ type: T.Type) throws -> T? {
        guard FileManager.default.fileExists(atPath: config.path) else { return nil }
        do {
            return try Self.decoder().decode(T.self, from: Data(contentsOf: config))
        } catch {
            throw RecordFileError(path: config.path, reason: "not a run configuration (\(error))")
        }
    }

    /// A new run in a folder that may hold a run's leftovers (one killed before its first
    /// checkpoint, a linear baseline): removes metrics.jsonl, model.ckpt and outcome.json, so
    /// the new run's lines and model are never mixed with those of a run that no longer exists.
    public func startFresh() throws {
        for file in [metrics, model, outcome] where FileManager.default.fileExists(atPath: file.path) {
            do { try FileManager.default.removeItem(at: file) } catch {
                throw FileError.writeFailed(path: file.path, reason: "cannot remove a previous run's file: \(error.localizedDescription)")
            }
        }
    }

    /// On resume: drops lines written after the checkpoint, which the resumed run redoes.
    public func truncateMetrics(after update: Int) throws {
        let encoder = Self.encoder(pretty: false)
        guard FileManager.default.fileExists(atPath: metrics.path) else { return }
        let kept = try readMetrics().filter { $0.update <= update }
        try AppendOnlyFile(url: metrics).rewrite(try kept.map { try encoder.encode($0) })
    }
}
