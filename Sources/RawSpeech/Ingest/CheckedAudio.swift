// The one way a listed audio file is opened: when a manifest gives its SHA-256, the bytes
// are checked first (a missing file and a changed one each get their own error), then the
// file is opened through AudioReader at the wanted rate. Preprocessing and scoring both
// read manifest entries through it. No printing.
import RawSpeechCore
import RawSpeechAudio
import RawSpeechCorpus
import Foundation

public enum CheckedAudio {
    /// A reader of `url` (headerless when `raw` is given) at `sampleRate` (the file's own
    /// when nil), after its bytes are checked against `sha256` when one is given.
    public static func open(_ url: URL, raw: RawFormat? = nil, sha256: String? = nil,
                            sampleRate: Int? = nil) throws -> AudioReader {
        if let expected = sha256 {
            guard FileManager.default.fileExists(atPath: url.path) else { throw AudioError.missingFile(path: url.path) }
            let actual = try SHA256.hexDigest(ofFile: url)
            if actual != expected { throw CorpusError.checksumMismatch(path: url.path, expected: expected, actual: actual) }
        }
        return try AudioReader(url: url, raw: raw, sampleRate: sampleRate)
    }
}
