// One writer per output folder. Two `train` runs (or `preprocess`, or `compare`) aimed at the
// same folder would interleave their files into a run nobody made; the second is refused,
// naming the process that holds the folder. The lock is an flock(2) on FOLDER/.rawspeech.lock:
// the kernel drops it when its process dies, however it dies, so a lock left by a killed
// process is taken over by the next run without any clean-up. Not a lock between machines
// sharing a network file system (docs/RELIABILITY.md).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a folder could not be locked.
public enum FolderLockError: Error, Sendable, CustomStringConvertible, LocalizedError {
    /// Another live process holds it; `holder` is what that process wrote ("pid 123: train").
    case busy(path: String, holder: String)
    case failed(path: String, reason: String)

    public var description: String {
        switch self {
        case .busy(let path, let holder):
            return "\(path): in use by another rawspeech process (\(holder)); wait for it, or choose another folder"
        case .failed(let path, let reason):
            return "\(path): cannot lock the folder: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// An exclusive lock on a folder, held until `release()` or until the value is gone.
public final class FolderLock: @unchecked Sendable {
    public static let fileName = ".rawspeech.lock"
    public let folder: URL
    private var descriptor: Int32

    /// Takes the lock on `folder` (created if missing) for `purpose` (e.g. "train"), or throws
    /// `.busy` naming the process that holds it. Never waits.
    public init(folder: URL, purpose: String) throws {
        self.folder = folder
        let path = folder.appendingPathComponent(Self.fileName).path
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw FolderLockError.failed(path: folder.path, reason: error.localizedDescription)
        }
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FolderLockError.failed(path: folder.path, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(descriptor)
            descriptor = -1
            if reason == EWOULDBLOCK {
                throw FolderLockError.busy(path: folder.path, holder: holder.isEmpty ? "holder unknown" : holder)
            }
            throw FolderLockError.failed(path: folder.path, reason: String(cString: strerror(reason)))
        }
        // Say who holds it, for the message a second process prints.
        let note = "pid \(getpid()): \(purpose)\n"
        _ = ftruncate(descriptor, 0)
        _ = note.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    /// Gives the folder back (also done when the process ends, however it ends).
    public func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
