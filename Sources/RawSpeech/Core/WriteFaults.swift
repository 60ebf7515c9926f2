// A seam for tests of what a full disk does: while a redirection is installed, the file
// writers of this module (AtomicFile, AppendOnlyFile) write the bytes for a matching path to
// another path, such as /dev/full, whose writes fail with ENOSPC as a full disk's do. The
// error then takes the real path of every writer's own error handling. Never installed
// outside tests; a `package` symbol, so no other module can reach it either.
import Foundation

package enum WriteFaults {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var redirections: [String: String] = [:]

    /// Writes to `path` go to `target` until `remove(path)`.
    package static func redirect(_ path: String, to target: String) {
        lock.withLock { redirections[path] = target }
    }

    package static func remove(_ path: String) {
        lock.withLock { _ = redirections.removeValue(forKey: path) }
    }

    /// Where bytes meant for `path` are written.
    static func target(for path: String) -> String {
        lock.withLock { redirections.isEmpty ? path : redirections[path] ?? path }
    }
}
