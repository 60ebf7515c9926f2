// The one way rawspeech replaces a file: write the whole new content under a temporary name
// in the same folder, then rename it over the target, so a reader (or a crash) sees either
// the old file or the whole new one, never a half-written mix.
import Foundation

/// Writes files under a temporary name in the same folder, then renames over the target,
/// so readers see either the old file or the whole new one.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw RecordFileError(path: url.path, reason: "cannot rename into place: \(String(cString: strerror(errno)))")
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw RecordFileError(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
