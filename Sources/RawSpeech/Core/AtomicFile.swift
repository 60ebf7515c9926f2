// The one way rawspeech replaces a file: write the whole new content under a temporary name
// in the same folder, then rename it over the target, so a reader (or a crash) sees either
// the old file or the whole new one, never a half-written mix. Whole documents go through
// `write(_:to:)`; files built piece by piece (audio through libsndfile, shards) hold a
// `Pending` file, write to its temporary path and `commit()` it.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes files under a temporary name in the same folder, then renames over the target,
/// so readers see either the old file or the whole new one.
public enum AtomicFile {
    /// Replaces `url` with `data`.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { try data.write(to: $0) }
    }

    /// Replaces `url` with what `body` writes to the temporary path it is given (which it
    /// may create, open and close as it likes). If `body` throws, nothing is replaced.
    public static func write(to url: URL, _ body: (URL) throws -> Void) throws {
        // Foundation says "The file doesn't exist" for a missing folder: name the folder instead.
        let folder = url.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw RecordFileError(path: url.path, reason: "cannot write: no folder \(folder.path) (create it first)")
        }
        let pending = Pending(url)
        let target = WriteFaults.target(for: url.path)
        do {
            try body(target == url.path ? pending.temporaryURL : URL(fileURLWithPath: target))
        } catch {
            throw RecordFileError(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
        try pending.commit()
    }

    /// `.tmp-<pid>-<16 hex digits of the tag's SHA-256>`: short whatever the target's name
    /// (a 250-byte name plus a suffix would pass the 255-byte limit), hidden, and carrying the
    /// writer's pid so a later run can tell a dead writer's leftovers (`temporaryOwner`).
    public static func temporaryName(for tag: String, pid: Int32 = getpid()) -> String {
        ".tmp-\(pid)-" + SHA256.hex(SHA256.digest(Array(tag.utf8))).prefix(16)
    }

    /// The writer's pid if `name` is a temporary file name of this scheme, or of the earlier
    /// `.<name>.<pid>.tmp` / `.<name>.<pid>.<tag>.tmp` ones.
    public static func temporaryOwner(_ name: String) -> Int32? {
        if name.hasPrefix(".tmp-") {
            let parts = name.split(separator: "-")
            guard parts.count == 3, parts[2].count == 16, parts[2].allSatisfy(\.isHexDigit) else { return nil }
            return Int32(parts[1])
        }
        if name.hasPrefix("."), name.hasSuffix(".tmp") {
            let parts = name.dropLast(4).split(separator: ".")
            guard parts.count >= 3 else { return nil }
            if let pid = Int32(parts[parts.count - 1]), parts[parts.count - 2] == "shard" { return pid }
            if parts.count >= 4, UInt32(parts[parts.count - 1]) != nil { return Int32(parts[parts.count - 2]) }
            return nil
        }
        return nil
    }

    /// fsync of the file or folder at `path`: nil when done (or when the file system cannot
    /// sync it: EINVAL, EROFS), else why not (an I/O error: the bytes may not be on disk).
    static func flush(_ path: String) -> String? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return "cannot open \(path): \(String(cString: strerror(errno)))" }
        defer { close(descriptor) }
        if fsync(descriptor) != 0, errno != EINVAL, errno != EROFS {
            return "fsync \(path): \(String(cString: strerror(errno)))"
        }
        return nil
    }

    /// A new file being built at `temporaryURL` (hidden, in the target's folder): `commit()`
    /// renames it onto `url`; dropped uncommitted, it removes the temporary file.
    public final class Pending {
        public let url: URL
        public let temporaryURL: URL
        private var open = true

        public init(_ url: URL) {
            self.url = url
            // The name, the process and a random tag hashed: two writers of one file never
            // share a temporary, and the name stays short whatever the target's length.
            let tag = "\(url.lastPathComponent)/\(UInt64.random(in: 0 ... .max))"
            temporaryURL = url.deletingLastPathComponent().appendingPathComponent(AtomicFile.temporaryName(for: tag))
        }

        deinit { if open { unlink(temporaryURL.path) } }

        /// Renames the finished temporary file over `url` (once; later calls do nothing). The
        /// file's bytes reach the disk first (fsync), and the folder's new entry after, so a
        /// power cut leaves the old file or the whole new one, not a renamed empty one.
        public func commit() throws {
            guard open else { return }
            open = false
            if let reason = AtomicFile.flush(temporaryURL.path) {
                unlink(temporaryURL.path)
                throw RecordFileError(path: url.path, reason: "cannot write to disk: \(reason)")
            }
            guard rename(temporaryURL.path, url.path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporaryURL.path)
                throw RecordFileError(path: url.path, reason: "cannot rename into place: \(reason)")
            }
            _ = AtomicFile.flush(url.deletingLastPathComponent().path)  // the rename itself; best effort
        }

        /// Removes the temporary file; `url` is left as it was.
        public func discard() {
            guard open else { return }
            open = false
            unlink(temporaryURL.path)
        }
    }
}
