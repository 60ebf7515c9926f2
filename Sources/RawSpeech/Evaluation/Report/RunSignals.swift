// RUNDIR/spectrograms/: the signals `rawspeech report` draws as spectrograms, written by
// `score` (a held-out recording and its block prediction), `generate` and `compare` (a
// generated sample), and read back by the report (RunRecord). One type owns the folder's
// names and the .f32 format (raw little-endian float32, mono, at the run's sample rate) so
// that the writers and the reader cannot drift apart. No printing.
import RawSpeechCore
import RawSpeechAudio
import Foundation

/// The spectrogram signals of one run folder.
public struct RunSignals: Sendable {
    /// RUNDIR/spectrograms.
    public let folder: URL

    /// The well-known signals, in the report's display order, with their titles.
    public enum Name: String, CaseIterable, Sendable {
        case reference, prediction, generated

        public var title: String {
            switch self {
            case .reference: "held-out recording"
            case .prediction: "block prediction (one frame ahead)"
            case .generated: "generated sample"
            }
        }
    }

    /// The signals of the run folder at `run`.
    public init(run: URL) { folder = run.appendingPathComponent("spectrograms") }

    public func url(_ name: Name) -> URL { folder.appendingPathComponent("\(name.rawValue).f32") }

    /// Writes `samples` as NAME.f32 (atomically; the folder is created when missing).
    public func write(_ samples: [Float], as name: Name) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try AtomicFile.write(Self.encode(samples), to: url(name))
    }

    /// The first usable input's first 10 s (and the model's I samples of context) and the
    /// model's block prediction of them, as reference.f32 and prediction.f32. A streamed
    /// input is read only as far as needed. Nothing is written when no input has a frame.
    public func writeOnePrediction(_ scorer: ModelScorer, inputs: [ScoreInput]) throws {
        let rate = scorer.model.sampleRate, wanted = 10 * rate + scorer.model.frame.input
        var head: [Float]?
        for input in inputs where head == nil {
            switch input {
            case .recording(let r): head = Array(r.samples.prefix(wanted))
            case .stream(let source):   // only its first seconds are read
                var samples: [Float] = []
                let reader = try AudioReader(url: source.url, raw: source.raw, sampleRate: rate)
                var block: [Float] = []
                while samples.count < wanted, try reader.read(into: &block) { samples += block }
                head = Array(samples.prefix(wanted))
            case .failed: continue
            }
        }
        guard let head, let signals = try scorer.onePrediction(head) else { return }
        try write(signals.reference, as: .reference)
        try write(signals.prediction, as: .prediction)
    }

    /// Raw little-endian float32.
    public static func encode(_ samples: [Float]) -> Data {
        var data = Data(capacity: samples.count * 4)
        for sample in samples { withUnsafeBytes(of: sample.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// The samples of a .f32 file; a length that is not a whole number of floats is an error.
    public static func read(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        guard data.count % 4 == 0 else {
            throw ReportError.badFile(path: url.path, reason: "\(data.count) bytes is not a whole number of float32 samples")
        }
        return data.withUnsafeBytes { raw in
            (0 ..< data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }
}
