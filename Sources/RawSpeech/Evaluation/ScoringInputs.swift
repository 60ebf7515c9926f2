// Turns what a user names on `rawspeech score`'s command line (audio files of any format
// and rate, and manifests) into ScoreInputs at a model's sample rate: every file streamed
// through AudioReader (libsndfile, then libsoxr to the model's rate), files read in parallel.
// A file that cannot be used becomes a failed input carrying a reason (the scorer lists it
// and scores the rest); only an unreadable manifest stops the whole call. Recordings too long
// to hold can be left to be streamed by the scorer instead. No printing.
import RawSpeechCore
import RawSpeechAudio
import RawSpeechCorpus
import RawSpeechIngest
import Dispatch
import Foundation

/// One thing to read: an audio file, optionally described by a manifest line.
public struct AudioSource: Sendable {
    /// How the report names it (the path as given, or resolved from the manifest).
    public var path: String
    public var url: URL
    /// For headerless files listed in a manifest.
    public var raw: RawFormat?
    /// The manifest's SHA-256 of the file, checked before reading when present.
    public var sha256: String?

    public init(path: String, url: URL, raw: RawFormat? = nil, sha256: String? = nil) {
        self.path = path
        self.url = url
        self.raw = raw
        self.sha256 = sha256
    }
}

/// Why an input file cannot be scored by this model (besides unreadable audio).
public enum ScoringInputError: Error, CustomStringConvertible {
    /// The file's rate is below the model's: upsampling invents no content above its Nyquist.
    case rateBelowModel(path: String, fileRate: Int, modelRate: Int)
    /// A folder was named where an audio file belongs.
    case folder(path: String)
    /// "-": standard input cannot be scored (the scorer reads files twice: length, then samples).
    case standardInput
    /// A sample far outside [-1, 1] (or not finite after resampling): figures on it would be
    /// meaningless or infinite. `second` is its time at the model's rate.
    case absurdSample(path: String, value: Float, second: Double)

    public var description: String {
        switch self {
        case let .rateBelowModel(path, fileRate, modelRate):
            "\(path): sampled at \(fileRate) Hz, below the model's \(modelRate) Hz: it holds nothing above \(fileRate / 2) Hz "
                + "for the model to predict (score it with a model trained at \(fileRate) Hz or less)"
        case let .folder(path):
            "\(path): is a folder, not an audio file (name its files, or list them with `rawspeech manifest` and score the manifest)"
        case .standardInput:
            "reading standard input is not supported: save the audio to a file and score that"
        case let .absurdSample(path, value, second):
            "\(path): a sample at \(String(format: "%.3f", second)) s is \(value), far outside [-1, 1] "
                + "(more than \(Int(ScoringInputs.amplitudeLimit))x full scale): not audio on the waveform scale "
                + "(a float file written in 16-bit units?); no figure is reported"
        }
    }
}

public enum ScoringInputs {
    /// Samples beyond ±100 (40 dB above full scale) are refused: float files hold [-1, 1],
    /// a few overs are clipping, but 100x is another scale (or garbage), and an NLL or SNR
    /// of it would be infinite or meaningless.
    public static let amplitudeLimit: Float = 100

    /// Whether `argument` names a manifest: `.jsonl`, or `.jsonl.gz` (Manifest.load reads gzip).
    public static func isManifest(_ argument: String) -> Bool {
        let name = argument.lowercased()
        return name.hasSuffix(".jsonl") || name.hasSuffix(".jsonl.gz")
    }

    /// The sources named by `arguments`: a `.jsonl` (or `.jsonl.gz`) is a manifest (its
    /// `split` entries, paths relative to it), anything else an audio file. Throws only for an
    /// unreadable manifest.
    public static func sources(_ arguments: [String], split: Split) throws -> [AudioSource] {
        var sources: [AudioSource] = []
        for argument in arguments {
            let url = URL(fileURLWithPath: argument)
            if isManifest(argument) {
                let manifest = try Manifest.load(url)
                for entry in manifest.entries where entry.split == split {
                    let audio = manifest.audioURL(entry)
                    sources.append(AudioSource(path: audio.path, url: audio, raw: entry.raw, sha256: entry.sha256))
                }
            } else {
                sources.append(AudioSource(path: argument, url: url))
            }
        }
        return sources
    }

    /// Reads every source as mono at `sampleRate`, `jobs` files at a time; order kept. A
    /// recording longer than `streamAbove` samples is not read but left as `.stream` for the
    /// scorer to read block by block (constant memory).
    public static func read(_ sources: [AudioSource], sampleRate: Int, streamAbove: Int? = nil,
                            jobs: Int = ProcessInfo.processInfo.activeProcessorCount) -> [ScoreInput] {
        let slots = ConcurrentResults<ScoreInput>(count: sources.count)
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, sources.count))) { _ in
            while let i = slots.next() {
                let source = sources[i]
                do {
                    try checkIsFile(source)
                    if let streamAbove, try AudioReader(url: source.url, raw: source.raw, sampleRate: sampleRate).expectedSamples > streamAbove {
                        slots.set(i, .stream(source))
                    } else {
                        slots.set(i, .recording(ScoredRecording(path: source.path, samples: try read(source, sampleRate: sampleRate))))
                    }
                } catch {
                    slots.set(i, .failed(path: source.path, error: reason(error, path: source.url.path)))
                }
            }
        }
        return slots.values.map { $0! }
    }

    /// One file's samples at `sampleRate`, after its checksum and rate are checked.
    public static func read(_ source: AudioSource, sampleRate: Int) throws -> [Float] {
        var samples: [Float] = []
        try forEachBlock(source, sampleRate: sampleRate) { samples.append(contentsOf: $0) }
        return samples
    }

    /// Streams one file at `sampleRate` block by block, after its checksum and rate are
    /// checked; a sample beyond `amplitudeLimit` (or not finite) stops it with an error.
    public static func forEachBlock(_ source: AudioSource, sampleRate: Int, _ body: ([Float]) throws -> Void) throws {
        try checkIsFile(source)
        let reader = try CheckedAudio.open(source.url, raw: source.raw, sha256: source.sha256, sampleRate: sampleRate)
        guard reader.sourceSampleRate >= sampleRate else {
            throw ScoringInputError.rateBelowModel(path: source.url.path, fileRate: reader.sourceSampleRate, modelRate: sampleRate)
        }
        var position = 0
        try reader.forEachBlock { block in
            if let bad = block.firstIndex(where: { !(abs($0) <= amplitudeLimit) }) {
                throw ScoringInputError.absurdSample(path: source.url.path, value: block[bad],
                                                     second: Double(position + bad) / Double(sampleRate))
            }
            position += block.count
            try body(block)
        }
    }

    /// Refuses a folder, and "-" when no file of that name exists, with errors that say so
    /// (rather than libsndfile's "file not found").
    static func checkIsFile(_ source: AudioSource) throws {
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: source.url.path, isDirectory: &isFolder)
        if exists && isFolder.boolValue { throw ScoringInputError.folder(path: source.url.path) }
        if !exists && source.path == "-" { throw ScoringInputError.standardInput }
    }

    /// An error's text without a leading "path: " (the report names the file separately).
    package static func reason(_ error: Error, path: String) -> String {
        let text = "\(error)"
        return text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text
    }
}
