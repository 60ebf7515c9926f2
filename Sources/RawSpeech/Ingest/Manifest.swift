// The manifest: one JSON object per line listing a corpus's recordings, with NeMo's field
// names (`audio_filepath`, `duration`) plus `split`, `speaker`, `sha256`, and for headerless
// files `sample_rate`, `encoding`, `channels`. Paths are relative to the manifest's folder
// (or absolute). Parsing is strict about the fields it knows (a typo'd split is an error,
// with its line) and ignores fields it does not (NeMo's `text`, for instance).
import RawSpeechCore
import RawSpeechAudio
import RawSpeechCorpus
import Foundation

/// One recording in a manifest.
public struct ManifestEntry: Codable, Equatable, Sendable {
    public var audioFilepath: String
    public var duration: Double
    public var split: Split
    public var speaker: String?
    public var sha256: String?
    public var sampleRate: Int?
    public var encoding: RawEncoding?
    public var channels: Int?
    /// 1-based line in the manifest it came from (0 if built in memory).
    public var line: Int = 0

    package enum CodingKeys: String, CodingKey {
        case audioFilepath = "audio_filepath", duration, split, speaker, sha256
        case sampleRate = "sample_rate", encoding, channels
    }

    public init(audioFilepath: String, duration: Double, split: Split, speaker: String? = nil,
                sha256: String? = nil, raw: RawFormat? = nil) {
        self.audioFilepath = audioFilepath
        self.duration = duration
        self.split = split
        self.speaker = speaker
        self.sha256 = sha256
        sampleRate = raw?.sampleRate
        encoding = raw?.encoding
        channels = raw?.channels
    }

    /// How to read the file if it is headerless (the manifest gave an encoding).
    public var raw: RawFormat? {
        guard let encoding, let sampleRate else { return nil }
        return RawFormat(sampleRate: sampleRate, encoding: encoding, channels: channels ?? 1)
    }
}

public struct Manifest: Sendable {
    public var entries: [ManifestEntry]
    /// The manifest file, for error messages and resolving relative paths.
    public var url: URL
    /// Lines `load(_:skipBad:)` could not parse, when told to skip them.
    public var rejected: [SkippedFile]

    public init(entries: [ManifestEntry], url: URL, rejected: [SkippedFile] = []) {
        self.entries = entries
        self.url = url
        self.rejected = rejected
    }

    /// Where an entry's audio is.
    public func audioURL(_ entry: ManifestEntry) -> URL {
        entry.audioFilepath.hasPrefix("/")
            ? URL(fileURLWithPath: entry.audioFilepath)
            : url.deletingLastPathComponent().appendingPathComponent(entry.audioFilepath).standardizedFileURL
    }

    /// Reads a manifest; a bad line is an error naming it, or with `skipBad` is listed in
    /// `rejected` (its path if it has a readable one) and left out.
    public static func load(_ url: URL, skipBad: Bool = false) throws -> Manifest {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw CorpusError.manifestUnreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        var entries: [ManifestEntry] = []
        var rejected: [SkippedFile] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            do {
                entries.append(try parse(trimmed, line: index + 1, manifest: url.path))
            } catch let error as CorpusError where skipBad {
                let object = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any]
                rejected.append(SkippedFile(path: object?["audio_filepath"] as? String ?? "", line: index + 1,
                                            error: error.description))
            }
        }
        return Manifest(entries: entries, url: url, rejected: rejected)
    }

    /// Parses one line, naming the field and line of anything wrong.
    package static func parse(_ text: String, line: Int, manifest: String) throws -> ManifestEntry {
        func malformed(_ reason: String) -> CorpusError { .malformedLine(manifest: manifest, line: line, reason: reason) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { throw malformed("not valid JSON") }
        guard let fields = object as? [String: Any] else { throw malformed("not a JSON object") }
        func string(_ key: String, required: Bool) throws -> String? {
            guard let value = fields[key], !(value is NSNull) else {
                if required { throw malformed("missing \"\(key)\"") }
                return nil
            }
            guard let s = value as? String else { throw malformed("\"\(key)\" must be a string") }
            return s
        }
        func number(_ key: String) throws -> NSNumber? {
            guard let value = fields[key], !(value is NSNull) else { return nil }
            guard let n = value as? NSNumber else {
                throw malformed("\"\(key)\" must be a number")
            }
            return n
        }
        let path = try string("audio_filepath", required: true)!
        if path.isEmpty { throw malformed("empty \"audio_filepath\"") }
        guard let duration = try number("duration")?.doubleValue else { throw malformed("missing \"duration\"") }
        if !duration.isFinite || duration < 0 { throw malformed("\"duration\" must be a non-negative number") }
        let splitName = try string("split", required: true)!
        guard let split = Split(rawValue: splitName) else {
            throw CorpusError.unknownValue(manifest: manifest, line: line, field: "split", value: splitName,
                                           known: Split.allCases.map(\.rawValue))
        }
        var entry = ManifestEntry(audioFilepath: path, duration: duration, split: split,
                                  speaker: try string("speaker", required: false))
        entry.line = line
        if let sha = try string("sha256", required: false) {
            let hex = sha.lowercased()
            guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else { throw malformed("\"sha256\" must be 64 hex digits") }
            entry.sha256 = hex
        }
        if let name = try string("encoding", required: false) {
            guard let encoding = RawEncoding(rawValue: name) else {
                throw CorpusError.unknownValue(manifest: manifest, line: line, field: "encoding", value: name,
                                               known: RawEncoding.allCases.map(\.rawValue))
            }
            entry.encoding = encoding
        }
        for key in ["sample_rate", "channels"] {
            guard let n = try number(key) else { continue }
            guard n.doubleValue == n.doubleValue.rounded(), n.intValue > 0 else {
                throw malformed("\"\(key)\" must be a positive integer")
            }
            if key == "sample_rate" { entry.sampleRate = n.intValue } else { entry.channels = n.intValue }
        }
        if entry.encoding != nil, entry.sampleRate == nil {
            throw malformed("a headerless file (\"encoding\" given) needs \"sample_rate\"")
        }
        if entry.encoding == nil, ["raw", "pcm"].contains((path as NSString).pathExtension.lowercased()) {
            throw malformed("\(path) looks headerless: give \"sample_rate\" and \"encoding\" (e.g. pcm_s16le)")
        }
        return entry
    }

    /// Writes the manifest as JSON lines with sorted keys (stable diffs), atomically.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = ""
        for entry in entries {
            text += String(decoding: try encoder.encode(entry), as: UTF8.self) + "\n"
        }
        try AtomicFile.write(Data(text.utf8), to: url)
    }
}
