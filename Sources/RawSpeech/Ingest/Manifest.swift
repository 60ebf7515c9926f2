// The manifest: one JSON object per line listing a corpus's recordings, with NeMo's field
// names (`audio_filepath`, `duration`) plus `split`, `speaker`, `sha256`, and for headerless
// files `sample_rate`, `encoding`, `channels`. Paths are relative to the manifest's folder
// (or absolute). Parsing is strict about the fields it knows (a typo'd split, `true` or
// 2^31 for a sample rate are errors, with their line) and ignores fields it does not (NeMo's
// `text`, for instance). ManifestText turns the file's bytes (gzip or not, CRLF or LF) into lines.
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

    /// A `duration` above this (115 days) is a broken header's, not a recording's.
    public static let maxDuration = 1e7

    /// Extensions of headerless sample files: such a path needs `encoding` and `sample_rate`.
    public static let headerlessExtensions: Set<String> = ["raw", "pcm", "sln", "s16", "u8", "s8", "f32", "f64", "ul", "al", "ulaw", "alaw"]

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

    /// Reads a manifest (plain or gzip, LF or CRLF, with or without a UTF-8 BOM); a bad
    /// line is an error naming it, or with `skipBad` is listed in `rejected` (its path if it
    /// has a readable one) and left out. `requireSplit` false accepts lines without `split`
    /// (they get `.train` until `ManifestBuilder.assignSplits` gives them one). A manifest
    /// with no lines at all is an error: it would make an empty data folder.
    public static func load(_ url: URL, skipBad: Bool = false, requireSplit: Bool = true) throws -> Manifest {
        let lines: [ManifestText.Line]
        do {
            // A regular file of bounded size: /dev/zero or a FIFO would never end.
            let attributes = try FileManager.default.attributesOfItem(atPath: url.resolvingSymlinksInPath().path)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { throw ReasonError("not a regular file") }
            if let size = attributes[.size] as? Int, size > ManifestText.maxBytes {
                throw ReasonError("larger than \(ManifestText.maxBytes >> 20) MB")
            }
            lines = try ManifestText.lines(of: [UInt8](try Data(contentsOf: url)))
        } catch let error as ReasonError {
            throw CorpusError.manifestUnreadable(path: url.path, reason: error.description)
        } catch {
            throw CorpusError.manifestUnreadable(path: url.path, reason: (error as NSError).localizedDescription)
        }
        var entries: [ManifestEntry] = []
        var rejected: [SkippedFile] = []
        var blank = true
        for line in lines {
            let trimmed = line.text?.trimmingCharacters(in: .whitespaces)
            if trimmed?.isEmpty == true { continue }
            blank = false
            do {
                guard let trimmed else {
                    throw CorpusError.malformedLine(manifest: url.path, line: line.number, reason: "not UTF-8 text")
                }
                entries.append(try parse(trimmed, line: line.number, manifest: url.path, requireSplit: requireSplit))
            } catch let error as CorpusError where skipBad {
                let object = trimmed.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                rejected.append(SkippedFile(path: object?["audio_filepath"] as? String ?? "", line: line.number,
                                            error: error.description))
            }
        }
        if blank { throw CorpusError.manifestUnreadable(path: url.path, reason: "no recordings (the manifest is empty)") }
        return Manifest(entries: entries, url: url, rejected: rejected)
    }

    /// Parses one line, naming the field and line of anything wrong. Integer fields must be
    /// JSON integers (not `true`, not `1.5`) within `AudioLimits`' bounds, so nothing later
    /// converts an out-of-range value with a trap.
    package static func parse(_ text: String, line: Int, manifest: String, requireSplit: Bool = true) throws -> ManifestEntry {
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
        /// A JSON number that is not `true`/`false` (which Foundation also hands out as NSNumber).
        func number(_ key: String) throws -> NSNumber? {
            guard let value = fields[key], !(value is NSNull) else { return nil }
            guard let n = value as? NSNumber, !JSONNumber.isBool(n) else {
                throw malformed("\"\(key)\" must be a number, not \(JSONNumber.describe(value))")
            }
            return n
        }
        func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
            guard let n = try number(key) else { return nil }
            guard let value = JSONNumber.integer(n), range.contains(value) else {
                throw malformed("\"\(key)\" must be a positive integer in \(range.lowerBound)...\(range.upperBound), not \(n.stringValue)")
            }
            return value
        }
        let path = try string("audio_filepath", required: true)!
        if path.isEmpty { throw malformed("empty \"audio_filepath\"") }
        if path.utf8.contains(0) { throw malformed("\"audio_filepath\" contains a NUL character") }
        guard let duration = try number("duration")?.doubleValue else { throw malformed("missing \"duration\"") }
        if !duration.isFinite || duration < 0 || duration > ManifestEntry.maxDuration {
            throw malformed("\"duration\" must be a non-negative number of seconds up to \(Int(ManifestEntry.maxDuration))")
        }
        var split = Split.train
        if requireSplit, fields["split"] == nil || fields["split"] is NSNull {
            throw malformed("missing \"split\" (`rawspeech manifest --from THIS.jsonl --output NEW.jsonl` assigns splits)")
        }
        if let splitName = try string("split", required: false) {
            guard let known = Split(rawValue: splitName) else {
                throw CorpusError.unknownValue(manifest: manifest, line: line, field: "split", value: splitName,
                                               known: Split.allCases.map(\.rawValue))
            }
            split = known
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
        entry.sampleRate = try integer("sample_rate", in: AudioLimits.sampleRates)
        entry.channels = try integer("channels", in: AudioLimits.channels)
        if entry.encoding != nil, !ManifestEntry.headerlessExtensions.contains((path as NSString).pathExtension.lowercased()) {
            // With "encoding" any bytes decode as samples: only files named as audio are read so.
            throw malformed("\"encoding\" given for \(path), whose name does not end in a headerless audio extension ("
                            + ManifestEntry.headerlessExtensions.sorted().map { "." + $0 }.joined(separator: " ") + ")")
        }
        if entry.encoding != nil, entry.sampleRate == nil {
            throw malformed("a headerless file (\"encoding\" given) needs \"sample_rate\"")
        }
        if entry.encoding == nil, ManifestEntry.headerlessExtensions.contains((path as NSString).pathExtension.lowercased()) {
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

/// What Foundation's JSONSerialization hands out for a number, told apart.
enum JSONNumber {
    /// `true` and `false` come out as NSNumber too, of their own class.
    static func isBool(_ n: NSNumber) -> Bool { type(of: n) == type(of: NSNumber(value: true)) }

    /// The value if the JSON text was an integer literal that fits in Int (not `1.5`, `1.0`,
    /// `1e3` or a 30-digit number, which come out as doubles or decimals).
    static func integer(_ n: NSNumber) -> Int? {
        if isBool(n) || n is NSDecimalNumber { return nil }
        let type = String(cString: n.objCType)
        guard ["c", "s", "i", "l", "q", "C", "S", "I", "L", "Q"].contains(type) else { return nil }
        return Int(exactly: n.int64Value)
    }

    static func describe(_ value: Any) -> String {
        if let n = value as? NSNumber, isBool(n) { return n.boolValue ? "true" : "false" }
        if value is String { return "a string" }
        if value is NSNull { return "null" }
        if value is [Any] { return "an array" }
        if value is [String: Any] { return "an object" }
        return "\(value)"
    }
}
