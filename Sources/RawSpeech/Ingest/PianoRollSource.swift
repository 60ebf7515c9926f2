// Reading a piano-roll JSON: the format of the JSB Chorales file in ../shared/data (and of
// the usual Nottingham / MuseData / Piano-midi.de pickles once converted): one object with
// "train", "valid" and "test" arrays of pieces, each piece an array of time steps, each step
// an array of the MIDI note numbers sounding (possibly none: a rest). Every departure is an
// error naming the file and the place ("train, piece 17, step 4"), never a skipped note. This
// file reads and checks; Corpus/PianoRollFolder stores. It is not a MIDI reader.
import RawSpeechCore
import RawSpeechCorpus
import Foundation

/// A checked piano-roll set: every split's pieces, in file order.
public struct PianoRollSource: Sendable {
    /// Largest file read (the JSB set is 317 KB, 100 times less). JSONSerialization's objects
    /// take up to ~100 bytes of memory per byte of piano-roll JSON (3 million one-note pieces,
    /// 24 MB, took 2.5 GB): at the former 256 MB a file could need ~25 GB and be killed.
    public static let maxBytes = 32 << 20

    public let url: URL
    public let splits: [Split: [PianoRoll]]
    /// Hex SHA-256 of the file's bytes.
    public let sha256: String

    /// Whether `url` is to be read as piano rolls rather than as a manifest: a name ending in
    /// `.json`, or a whole-file JSON object with a "train", "valid" or "test" key (a JSON-lines
    /// manifest is several objects, or one with "audio_filepath").
    public static func recognises(_ url: URL) -> Bool {
        if url.pathExtension.lowercased() == "json" { return true }
        guard let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int,
              size <= maxBytes, let data = FileManager.default.contents(atPath: url.path),
              data.first(where: { !" \t\r\n".utf8.contains($0) }) == UInt8(ascii: "{"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return object["audio_filepath"] == nil && Split.allCases.contains { object[$0.rawValue] != nil }
    }

    /// Reads and checks `url`. Pieces are named "<split>/<index from 0, 3 digits>".
    public init(url: URL) throws {
        self.url = url
        let path = url.path
        func whole(_ reason: String) -> CorpusError { .badPianoRoll(path: path, place: "", reason: reason) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
        guard let size else { throw whole("cannot read it (missing or not a file)") }
        guard size <= Self.maxBytes else { throw whole("\(size) bytes, more than the \(Self.maxBytes >> 20) MB a piano-roll file may have") }
        guard let data = FileManager.default.contents(atPath: path) else { throw whole("cannot read it") }
        sha256 = SHA256.hex(SHA256.digest(data))
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw whole("not valid JSON (\(error.localizedDescription))")
        }
        guard let top = object as? [String: Any] else {
            throw whole("the top level must be an object with \"train\", \"valid\" and \"test\" arrays, not \(JSONNumber.describe(object))")
        }
        if let twice = Self.repeatedTopLevelKey(data), Split(rawValue: twice) != nil {
            throw whole("\"\(twice)\" appears twice at the top level (JSON readers keep one of them silently: which is meant?)")
        }
        var splits: [Split: [PianoRoll]] = [:]
        for split in Split.allCases {
            guard let value = top[split.rawValue] else {
                throw whole("no \"\(split.rawValue)\" split (a piano-roll file needs train, valid and test)")
            }
            splits[split] = try Self.pieces(value, split: split, path: path)
        }
        self.splits = splits
    }

    /// The first key of the top-level object that appears twice, if any (JSONSerialization keeps
    /// one of two "train" arrays without a word). `data` is valid JSON: a scan of its depth-1
    /// strings that are followed by a colon.
    static func repeatedTopLevelKey(_ data: Data) -> String? {
        var seen: Set<String> = []
        var depth = 0, index = data.startIndex
        while index < data.endIndex {
            let byte = data[index]
            if byte == UInt8(ascii: "\"") {
                var end = index + 1
                while end < data.endIndex, data[end] != UInt8(ascii: "\"") { end += data[end] == UInt8(ascii: "\\") ? 2 : 1 }
                if depth == 1, end < data.endIndex {
                    var next = end + 1
                    while next < data.endIndex, " \t\r\n".utf8.contains(data[next]) { next += 1 }
                    if next < data.endIndex, data[next] == UInt8(ascii: ":") {
                        let key = String(decoding: data[(index + 1) ..< end], as: UTF8.self)
                        if !seen.insert(key).inserted { return key }
                    }
                }
                index = end + 1
                continue
            }
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") { depth += 1 }
            if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") { depth -= 1 }
            index += 1
        }
        return nil
    }

    /// One split's pieces, each checked step by step and note by note.
    static func pieces(_ value: Any, split: Split, path: String) throws -> [PianoRoll] {
        func at(_ place: String, _ reason: String) -> CorpusError { .badPianoRoll(path: path, place: place, reason: reason) }
        guard let pieces = value as? [Any] else {
            throw at(split.rawValue, "must be an array of pieces, not \(JSONNumber.describe(value))")
        }
        guard !pieces.isEmpty else { throw at(split.rawValue, "no pieces") }
        return try pieces.enumerated().map { index, piece in
            let place = "\(split.rawValue), piece \(index)"
            guard let steps = piece as? [Any] else {
                throw at(place, "must be an array of time steps, not \(JSONNumber.describe(piece))")
            }
            // An empty piece predicts nothing and would be a zero-length sequence in a batch.
            guard !steps.isEmpty else { throw at(place, "no time steps (a piece needs at least one)") }
            let midiSteps = try steps.enumerated().map { t, step -> [Int] in
                let stepPlace = "\(place), step \(t) (counting from 0)"
                guard let notes = step as? [Any] else {
                    throw at(stepPlace, "must be an array of MIDI note numbers, not \(JSONNumber.describe(step))")
                }
                return try notes.map { note in
                    guard let number = note as? NSNumber, let midi = JSONNumber.integer(number) else {
                        throw at(stepPlace, "\(JSONNumber.describe(note)) is not an integer MIDI note number")
                    }
                    guard PianoRoll.midiRange.contains(midi) else {
                        throw at(stepPlace, "MIDI note \(midi) is outside the piano's \(PianoRoll.midiRange.lowerBound)...\(PianoRoll.midiRange.upperBound)")
                    }
                    return midi
                }
            }
            return PianoRoll(name: String(format: "%@/%03d", split.rawValue, index), midiSteps: midiSteps)
        }
    }

    /// Reads `source` and writes it as a piano-roll data folder at `output`.
    public static func preprocess(_ source: URL, output: URL) throws -> PianoRollSummary {
        let set = try PianoRollSource(url: source)
        return try PianoRollFolder.write(set.splits, source: source.lastPathComponent, sourceSHA256: set.sha256, to: output)
    }
}
