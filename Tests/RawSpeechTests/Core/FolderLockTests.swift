// One writer per folder: a second lock on a held folder is refused naming the holder, a
// released (or dead process's) lock is taken over.
import Foundation
import Testing
@testable import RawSpeechCore

@Suite struct FolderLockTests {
    func folder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("rawspeech-lock-\(UUID().uuidString)")
    }

    @Test func secondWriterIsRefusedNamingTheHolder() throws {
        let dir = folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try FolderLock(folder: dir, purpose: "train")
        let error = #expect(throws: FolderLockError.self) { _ = try FolderLock(folder: dir, purpose: "train") }
        #expect(error?.description.contains(dir.path) == true)
        #expect(error?.description.contains("pid \(getpid()): train") == true, "\(String(describing: error))")
        first.release()
        let again = try FolderLock(folder: dir, purpose: "compare")
        again.release()
    }

    /// A lock file left behind by a process that died (its flock is gone with it) does not
    /// block the next run.
    @Test func staleLockFileIsTakenOver() throws {
        let dir = folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "pid 999999: train\n".write(to: dir.appendingPathComponent(FolderLock.fileName), atomically: false, encoding: .utf8)
        let lock = try FolderLock(folder: dir, purpose: "train")
        let note = try String(contentsOf: dir.appendingPathComponent(FolderLock.fileName), encoding: .utf8)
        #expect(note == "pid \(getpid()): train\n")
        lock.release()
    }
}
