// What a data folder holds: audio (speech, sample stores) or piano rolls (music). The kind is
// summary.json's `kind` field, absent in audio folders (they came first), so a command can
// tell which reader a folder needs before it reads anything else, and refuse the wrong one
// with a message instead of misreading it.
import Foundation

/// The two kinds of data folder.
public enum DataKind: String, Codable, Sendable, CaseIterable {
    case audio, pianoroll

    /// How messages name it.
    public var label: String {
        switch self {
        case .audio: return "audio (speech)"
        case .pianoroll: return "piano-roll (music)"
        }
    }

    /// The kind of the data folder at `folder`, from its summary.json (`kind` absent: audio).
    public static func of(folder: URL) throws -> DataKind {
        let summaryURL = folder.appendingPathComponent(DataFolder.summaryFile)
        guard let data = FileManager.default.contents(atPath: summaryURL.path) else {
            throw CorpusError.badDataFolder(path: folder.path, reason: "no \(DataFolder.summaryFile)")
        }
        return try of(summary: data, path: summaryURL.path)
    }

    /// The kind named by summary.json's bytes.
    static func of(summary data: Data, path: String) throws -> DataKind {
        struct Peek: Decodable { var kind: String? }
        let peek: Peek
        do { peek = try JSONDecoder().decode(Peek.self, from: data) } catch {
            throw CorpusError.badDataFolder(path: path, reason: "unreadable summary: \(error)")
        }
        guard let name = peek.kind else { return .audio }
        guard let kind = DataKind(rawValue: name) else {
            throw CorpusError.badDataFolder(
                path: path, reason: "unknown kind \"\(name)\" (this build reads \(allCases.map(\.rawValue).joined(separator: ", ")); a newer rawspeech wrote it?)")
        }
        return kind
    }
}
