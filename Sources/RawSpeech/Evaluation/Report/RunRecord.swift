// Reads what the report shows from a run folder written by `rawspeech train` (and later
// `score` and `generate`). It only reads; it never changes a run folder.
//
// What it reads:
//   metrics.jsonl   required; Core's MetricsLine per line, read by RunFolder as the trainer
//                   reads it (a figure not measured at an update is NaN). A cut-off last
//                   line (a run still writing) is skipped with a note; any other bad line is
//                   an error naming the line.
//   config.json     optional; "cell" and "units" (top level, or under "model") name the run
//                   in legends; "sample_rate" (default 16000) is the rate of raw .f32 signals.
//   score.json      optional; a ScoreReport (`rawspeech score --json`), or for a music run a
//                   PianoRollScoreReport ("kind": "pianoroll").
//   A run is a music run (NLL per time step, no spectrograms) when config.json's data_kind
//   is "pianoroll" or training.model.output "bernoulli", or its score.json is a piano-roll one.
//   generated-roll.json  optional, music runs: the last `generate`'s roll (GeneratedRoll).
//   spectrograms/   optional (RunSignals); signals to draw: NAME.f32 (raw little-endian float32, mono, at
//                   the config's sample rate) and, when the caller passes an audio reader,
//                   any other audio file. reference / prediction / generated come first, titled
//                   "held-out recording", "block prediction", "generated sample".
import RawSpeechCore
import Foundation

/// What the report takes from config.json: the names `RunDescription` writes (top level),
/// or the same under "model" as older runs wrote them.
struct RunLabel: Decodable {
    var cell: String?
    var units: Int?
    var sampleRate: Int?
    var model: Nested?
    var training: Training?
    /// "pianoroll" for a music run (absent: audio).
    var dataKind: String?

    /// training.model.output: "bernoulli" for a music model (absent for speech).
    struct Training: Decodable {
        var model: Model?
        struct Model: Decodable { var output: String? }
    }

    struct Nested: Decodable {
        var cell: String?
        var units: Int?
        var sampleRate: Int?
        enum CodingKeys: String, CodingKey { case cell, units, sampleRate = "sample_rate" }
    }

    enum CodingKeys: String, CodingKey { case cell, units, sampleRate = "sample_rate", model, training, dataKind = "data_kind" }
}

/// Everything the report shows about one run.
public struct RunRecord: Sendable {
    /// The folder's name: the run's label.
    public var name: String
    public var path: String
    /// "tanh", "gru", "lstm", "linear", ... (nil without config.json).
    public var cell: String?
    public var units: Int?
    public var sampleRate: Int
    public var points: [MetricsLine]
    public var score: ScoreReport?
    /// A music run's score.json.
    public var musicScore: PianoRollScoreReport?
    /// A music run: NLL in nats per time step (88 notes), no audio signals.
    public var isMusic: Bool
    /// A music run's last generated roll (RUNDIR/generated-roll.json).
    public var generatedRoll: GeneratedRoll?
    public var spectrograms: [SpectrogramInput]
    /// Things skipped while reading, for the CLI to show as warnings.
    public var notes: [String]

    /// "gru-227 (GRU, 227 units)": the legend label.
    public var label: String {
        guard let cell else { return name }
        let units = self.units.map { ", \($0) units" } ?? ""
        return "\(name) (\(cell.uppercased() == "TANH" ? "tanh" : cell.uppercased())\(units))"
    }

    public init(name: String, path: String, cell: String?, units: Int?, sampleRate: Int = 16_000,
                points: [MetricsLine], score: ScoreReport? = nil, spectrograms: [SpectrogramInput] = [],
                notes: [String] = [], musicScore: PianoRollScoreReport? = nil, isMusic: Bool = false,
                generatedRoll: GeneratedRoll? = nil) {
        self.musicScore = musicScore
        self.generatedRoll = generatedRoll
        self.isMusic = isMusic || musicScore != nil
        self.name = name
        self.path = path
        self.cell = cell
        self.units = units
        self.sampleRate = sampleRate
        self.points = points
        self.score = score
        self.spectrograms = spectrograms
        self.notes = notes
    }
}

/// Reads an audio file other than raw .f32: mono samples and their rate.
public typealias AudioFileReader = @Sendable (URL) throws -> (samples: [Float], sampleRate: Int)

extension Report {
    /// Reads a run folder (see the file header for what it contains).
    public static func loadRun(at url: URL, readAudio: AudioFileReader? = nil) throws -> RunRecord {
        let folder = RunFolder(url: url)
        guard FileManager.default.fileExists(atPath: folder.metrics.path) else {
            // A compare folder holds runs one level down, and its own report: point there.
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("plan.json").path) {
                throw ReportError.notARunFolder(path: url.path, reason: "no metrics.jsonl: it is a `rawspeech compare` folder, whose "
                    + "report is \(url.appendingPathComponent("report/index.html").path); its runs are \(url.path)/CELL/RUN")
            }
            throw ReportError.notARunFolder(path: url.path, reason: "no metrics.jsonl")
        }
        var notes: [String] = []
        let metrics: (lines: [MetricsLine], skippedIncompleteLine: Bool)
        do {
            metrics = try folder.readMetricsLines()
        } catch let error as RecordFileError {
            throw ReportError.badFile(path: error.path, reason: error.reason)
        }
        if metrics.skippedIncompleteLine {
            notes.append("\(folder.metrics.path): line \(metrics.lines.count + 1) is incomplete (run still writing?), skipped")
        }

        var cell: String?, units: Int?, sampleRate = 16_000, isMusic = false
        do {
            if let label = try folder.readConfig(RunLabel.self) {
                isMusic = label.dataKind == "pianoroll" || label.training?.model?.output == "bernoulli"
                cell = label.cell ?? label.model?.cell
                units = label.units ?? label.model?.units
                sampleRate = label.sampleRate ?? label.model?.sampleRate ?? 16_000
            } else {
                notes.append("\(folder.config.path): missing; the run is labelled by its folder name")
            }
        } catch let error as RecordFileError {
            throw ReportError.badFile(path: error.path, reason: error.reason)
        }

        var score: ScoreReport?
        var musicScore: PianoRollScoreReport?
        let scoreURL = url.appendingPathComponent("score.json")
        if FileManager.default.fileExists(atPath: scoreURL.path) {
            struct Kind: Decodable { var kind: String? }
            do {
                let bytes = try Data(contentsOf: scoreURL)
                if (try? JSONDecoder().decode(Kind.self, from: bytes))?.kind == "pianoroll" {
                    musicScore = try JSONDecoder().decode(PianoRollScoreReport.self, from: bytes)
                } else {
                    score = try ScoreReport.decode(bytes)
                }
            } catch {
                throw ReportError.badFile(path: scoreURL.path, reason: "not a score report (\(error))")
            }
        }

        var generatedRoll: GeneratedRoll?
        let rollURL = url.appendingPathComponent(GeneratedRoll.fileName)
        if FileManager.default.fileExists(atPath: rollURL.path) {
            do {
                let roll = try JSONDecoder().decode(GeneratedRoll.self, from: Data(contentsOf: rollURL))
                guard roll.tempoBPM.isFinite, MIDIFile.tempoRange.contains(roll.tempoBPM),
                      roll.steps.allSatisfy({ $0.allSatisfy { (0 ... 127).contains($0) } }) else {
                    throw ReportError.badFile(path: rollURL.path, reason: "a tempo outside \(MIDIFile.tempoRange) bpm or a note outside MIDI 0...127")
                }
                generatedRoll = roll
            } catch let error as ReportError {
                throw error
            } catch {
                throw ReportError.badFile(path: rollURL.path, reason: "not a generated roll (\(error))")
            }
        }

        let spectrograms = try readSpectrogramInputs(RunSignals(run: url).folder,
                                                     sampleRate: sampleRate, readAudio: readAudio, notes: &notes)
        return RunRecord(name: url.standardizedFileURL.lastPathComponent, path: url.path, cell: cell, units: units,
                         sampleRate: sampleRate, points: metrics.lines, score: score, spectrograms: spectrograms, notes: notes,
                         musicScore: musicScore, isMusic: isMusic || generatedRoll != nil, generatedRoll: generatedRoll)
    }

    package static func readSpectrogramInputs(_ folder: URL, sampleRate: Int, readAudio: AudioFileReader?,
                                      notes: inout [String]) throws -> [SpectrogramInput] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        let order = Dictionary(uniqueKeysWithValues: RunSignals.Name.allCases.enumerated().map { ($1.rawValue, $0) })
        let files = names.filter { !$0.hasPrefix(".") }.sorted { a, b in
            let (sa, sb) = ((a as NSString).deletingPathExtension, (b as NSString).deletingPathExtension)
            return (order[sa] ?? order.count, a) < (order[sb] ?? order.count, b)
        }
        var inputs: [SpectrogramInput] = []
        for name in files {
            let url = folder.appendingPathComponent(name)
            let stem = (name as NSString).deletingPathExtension
            let title = RunSignals.Name(rawValue: stem)?.title ?? stem
            if url.pathExtension == "f32" {
                inputs.append(SpectrogramInput(title: title, samples: try RunSignals.read(url), sampleRate: sampleRate))
            } else if let readAudio {
                let audio = try readAudio(url)
                inputs.append(SpectrogramInput(title: title, samples: audio.samples, sampleRate: audio.sampleRate))
            } else {
                notes.append("\(url.path): no audio reader for .\(url.pathExtension) here, skipped")
            }
        }
        return inputs
    }
}
