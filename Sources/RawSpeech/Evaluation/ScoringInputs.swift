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

    public var description: String {
        switch self {
        case let .rateBelowModel(path, fileRate, modelRate):
            "\(path): sampled at \(fileRate) Hz, below the model's \(modelRate) Hz: it holds nothing above \(fileRate / 2) Hz "
                + "for the model to predict (score it with a model trained at \(fileRate) Hz or less)"
        }
    }
}

public enum ScoringInputs {
    /// The sources named by `arguments`: a `.jsonl` is a manifest (its `split` entries, paths
    /// relative to it), anything else an audio file. Throws only for an unreadable manifest.
    public static func sources(_ arguments: [String], split: Split) throws -> [AudioSource] {
        var sources: [AudioSource] = []
        for argument in arguments {
            let url = URL(fileURLWithPath: argument)
            if url.pathExtension.lowercased() == "jsonl" {
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

    /// Streams one file at `sampleRate` block by block, after its checksum and rate are checked.
    public static func forEachBlock(_ source: AudioSource, sampleRate: Int, _ body: ([Float]) throws -> Void) throws {
        let reader = try CheckedAudio.open(source.url, raw: source.raw, sha256: source.sha256, sampleRate: sampleRate)
        guard reader.sourceSampleRate >= sampleRate else {
            throw ScoringInputError.rateBelowModel(path: source.url.path, fileRate: reader.sourceSampleRate, modelRate: sampleRate)
        }
        try reader.forEachBlock(body)
    }

    /// An error's text without a leading "path: " (the report names the file separately).
    package static func reason(_ error: Error, path: String) -> String {
        let text = "\(error)"
        return text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text
    }
}
