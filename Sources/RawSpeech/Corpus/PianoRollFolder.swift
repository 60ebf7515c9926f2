// A piano-roll (music) data folder: summary.json (`kind: "pianoroll"`, + summary.sha256) and
// one `<split>.rolls` file per split. A rolls file is a RecordFile (magic RSPROLLS, version,
// SHA-256 of everything before it) with two records: `index`, the JSON list of pieces
// ({name, steps}), and `keys`, every step's 88 bytes of 0/1, pieces one after another. The
// whole JSB set is 2 MB, so each file is read and checked whole, and summary.json also
// records each file's SHA-256: a rolls file from another run is refused, not mixed in.
// Audio folders are DataFolder's; each refuses the other kind (DataKind).
import RawSpeechCore
import Foundation

/// A piano-roll data folder, opened and its summary checked.
public struct PianoRollFolder: Sendable {
    /// The rolls file's magic and format version.
    public static let magic = "RSPROLLS"
    public static let version: UInt32 = 1

    public let url: URL
    public let summary: PianoRollSummary
    /// Hex SHA-256 of summary.json's bytes: what a run records to know its data folder again.
    public let summarySHA256: String

    /// Opens `url`: reads summary.json, checks it against summary.sha256 (required here:
    /// piano-roll folders were always written with it) and that it describes piano rolls.
    public init(url: URL) throws {
        self.url = url
        let checked = try DataFolder.readSummary(folder: url)
        let summaryURL = url.appendingPathComponent(DataFolder.summaryFile)
        let kind = try DataKind.of(summary: checked.bytes, path: summaryURL.path)
        guard kind == .pianoroll else { throw CorpusError.wrongDataKind(path: url.path, found: kind, expected: .pianoroll) }
        guard checked.verified else {
            throw CorpusError.badDataFolder(path: url.path, reason: "no \(DataFolder.checksumFile) beside \(DataFolder.summaryFile)")
        }
        do { summary = try JSONDecoder().decode(PianoRollSummary.self, from: checked.bytes) } catch {
            throw CorpusError.badDataFolder(path: summaryURL.path, reason: "unreadable piano-roll summary: \(error)")
        }
        guard summary.notes == PianoRoll.notes, summary.lowestNote == PianoRoll.lowestNote else {
            throw CorpusError.badDataFolder(
                path: summaryURL.path,
                reason: "rolls of \(summary.notes) notes from MIDI \(summary.lowestNote); this build reads \(PianoRoll.notes) from \(PianoRoll.lowestNote)")
        }
        summarySHA256 = checked.sha256
    }

    /// The pieces of `split` in the source's order, the file checked against summary.json.
    public func sequences(_ split: Split) throws -> [PianoRoll] {
        let entry = summary.split(split)
        guard !entry.file.isEmpty else {
            throw CorpusError.badDataFolder(path: url.path, reason: "summary.json lists no \(split.rawValue) split")
        }
        // A bare file name inside the folder: summary.json is data, and "../x" or "/x" in it
        // would read a file elsewhere under this folder's name.
        guard !entry.file.contains("/"), entry.file != ".", entry.file != ".." else {
            throw CorpusError.badDataFolder(path: url.appendingPathComponent(DataFolder.summaryFile).path,
                                            reason: "the \(split.rawValue) split's file \"\(entry.file)\" is not a file name in the folder")
        }
        let fileURL = url.appendingPathComponent(entry.file)
        func bad(_ reason: String) -> CorpusError { .badDataFolder(path: fileURL.path, reason: reason) }
        guard let bytes = FileManager.default.contents(atPath: fileURL.path) else { throw bad("missing or unreadable") }
        guard SHA256.hex(SHA256.digest(bytes)) == entry.sha256 else {
            throw bad("its SHA-256 is not the one summary.json records (damaged, or written by another run; re-run preprocess)")
        }
        let file = try RecordFile.read(from: fileURL, magic: Self.magic, version: Self.version, kind: "piano-roll file")
        let index = try file.json([IndexEntry].self, "index", path: fileURL.path)
        let keys = [UInt8](try file.bytes("keys", path: fileURL.path))
        // Each piece within the keys first, so the sum cannot overflow whatever a crafted index says.
        let most = keys.count / PianoRoll.notes
        let steps = index.allSatisfy({ $0.steps > 0 && $0.steps <= most }) ? index.reduce(0) { $0 + $1.steps } : -1
        guard steps >= 0, steps * PianoRoll.notes == keys.count else {
            throw bad("its index lists \(steps) steps, its keys hold \(keys.count) bytes (88 per step)")
        }
        guard index.count == entry.sequences, steps == entry.steps else {
            throw bad("holds \(index.count) pieces of \(steps) steps, summary.json says \(entry.sequences) of \(entry.steps)")
        }
        guard keys.allSatisfy({ $0 <= 1 }) else { throw bad("a key byte other than 0 or 1") }
        // notes_on is what "notes per step" figures are printed from: it must be the keys' own count.
        let sounding = keys.reduce(0) { $0 + Int($1) }
        guard sounding == entry.notesOn else {
            throw bad("holds \(sounding) sounding notes, summary.json says \(entry.notesOn) (summary.json edited? re-run preprocess)")
        }
        var rolls: [PianoRoll] = []
        var start = 0
        for piece in index {
            let end = start + piece.steps * PianoRoll.notes
            rolls.append(PianoRoll(name: piece.name, keys: Array(keys[start ..< end])))
            start = end
        }
        return rolls
    }

    /// Reads and checks every split's rolls file; returns the bytes checked.
    @discardableResult
    public func verifyAll() throws -> Int {
        var bytes = 0
        for split in Split.allCases where summary.splits[split.rawValue] != nil {
            bytes += try sequences(split).reduce(0) { $0 + $1.keys.count }
        }
        return bytes
    }

    /// Writes `splits` into `folder` (created if needed): each split's rolls file, then
    /// summary.json with its sidecar, each atomically, so a crash leaves no summary that
    /// names files not yet written. `source` and `sourceSHA256` say what it was made from.
    public static func write(_ splits: [Split: [PianoRoll]], source: String, sourceSHA256: String,
                             to folder: URL) throws -> PianoRollSummary {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var entries: [String: PianoRollSplitSummary] = [:]
        for split in Split.allCases {
            guard let rolls = splits[split] else { continue }
            var file = RecordFile()
            try file.append("index", json: rolls.map { IndexEntry(name: $0.name, steps: $0.steps) })
            file.append("keys", bytes: Data(rolls.flatMap(\.keys)))
            let name = "\(split.rawValue).rolls"
            let fileURL = folder.appendingPathComponent(name)
            try file.write(to: fileURL, magic: magic, version: version)
            let written = try Data(contentsOf: fileURL)
            entries[split.rawValue] = PianoRollSplitSummary(
                sequences: rolls.count, steps: rolls.reduce(0) { $0 + $1.steps },
                notesOn: rolls.reduce(0) { $0 + $1.noteCount }, file: name, sha256: SHA256.hex(SHA256.digest(written)))
        }
        let summary = PianoRollSummary(source: source, sourceSHA256: sourceSHA256, splits: entries)
        try DataFolder.writeSummary(summary, to: folder)
        return summary
    }

    /// One piece as the rolls file's index lists it.
    private struct IndexEntry: Codable {
        var name: String
        var steps: Int
    }
}
