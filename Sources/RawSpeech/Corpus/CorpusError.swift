// Errors of the Corpus stage. Each names the manifest line and the file, so a user can go
// straight to the line to fix; an AudioError underneath keeps its own wording.
import Foundation

public enum CorpusError: Error, Sendable, CustomStringConvertible {
    case manifestUnreadable(path: String, reason: String)
    case malformedLine(manifest: String, line: Int, reason: String)
    case unknownValue(manifest: String, line: Int, field: String, value: String, known: [String])
    case checksumMismatch(path: String, expected: String, actual: String)
    case duplicateName(manifest: String, line: Int, name: String)
    /// Anything that went wrong with the file at a manifest line.
    indirect case entry(manifest: String, line: Int, error: any Error)
    case badShard(path: String, reason: String)
    /// A split's sample store (`<split>.samples` or `<split>.index`) is damaged or mismatched.
    case badStore(path: String, reason: String)
    case badDataFolder(path: String, reason: String)
    case noAudioFound(directory: String)
    /// A data folder of the other kind: music where audio is read, or the reverse.
    case wrongDataKind(path: String, found: DataKind, expected: DataKind)
    /// A piano-roll JSON that cannot be read, or a place in it that breaks the format
    /// (`place`: "train, chorale 17, step 4"; empty for the whole file).
    case badPianoRoll(path: String, place: String, reason: String)

    public var description: String {
        switch self {
        case .manifestUnreadable(let path, let reason): return "\(path): cannot read manifest: \(reason)"
        case .malformedLine(let manifest, let line, let reason): return "\(manifest):\(line): malformed manifest line: \(reason)"
        case .unknownValue(let manifest, let line, let field, let value, let known):
            return "\(manifest):\(line): unknown \(field) \"\(value)\" (known: \(known.joined(separator: ", ")))"
        case .checksumMismatch(let path, let expected, let actual):
            return "\(path): sha256 mismatch: manifest says \(expected), file has \(actual) (file changed? regenerate the manifest)"
        case .duplicateName(let manifest, let line, let name):
            return "\(manifest):\(line): recording name \"\(name)\" appears twice (two files differ only by extension?)"
        case .entry(let manifest, let line, let error): return "\(manifest):\(line): \(error)"
        case .badShard(let path, let reason): return "\(path): bad shard: \(reason) (rerun `rawspeech preprocess` to rebuild it)"
        case .badStore(let path, let reason):
            return "\(path): bad sample store: \(reason) (`rawspeech verify DATADIR` checks every block; rerun `rawspeech preprocess` to rebuild it)"
        case .badDataFolder(let path, let reason): return "\(path): not a usable data folder: \(reason) (run `rawspeech preprocess`)"
        case .noAudioFound(let directory): return "\(directory): no audio files libsndfile reads were found"
        case .wrongDataKind(let path, let found, let expected):
            return "\(path): \(found == .audio ? "an" : "a") \(found.label) data folder (summary.json kind \"\(found.rawValue)\"), where \(expected.label) data is needed"
        case .badPianoRoll(let path, let place, let reason):
            return place.isEmpty ? "\(path): not a usable piano-roll file: \(reason)" : "\(path): \(place): \(reason)"
        }
    }
}

extension CorpusError: LocalizedError {
    public var errorDescription: String? { description }
}
