// The one writer of append-only logs (metrics.jsonl): a line is either in the file whole or
// not at all. A write that fails (a full disk, a quota) is cut back off, so the file ends on
// its last complete line and the error names the file; a crash in the middle of a write
// leaves at most a partial last line, which `lines()` does not return. So a run killed or
// starved of disk can always be read, and resumed, afterwards.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct AppendOnlyFile: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    /// Appends `line` and a newline in one piece, or throws with the file unchanged.
    public func append(_ line: Data) throws {
        precondition(!line.contains(0x0A), "one line at a time")
        let path = url.path
        let fd = open(WriteFaults.target(for: path), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var stat = stat()
        guard fstat(fd, &stat) == 0 else { throw FileError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        let before = stat.st_size
        var bytes = line
        bytes.append(0x0A)
        let failure: Int32? = bytes.withUnsafeBytes { raw -> Int32? in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return fsync(fd) == 0 ? nil : errno
        }
        if let failure {
            // Cut the partial line back off: the file must end on a whole line.
            _ = ftruncate(fd, before)
            throw FileError.writeFailed(path: path, reason: String(cString: strerror(failure)))
        }
    }

    /// The complete lines, in order; a last line without its newline (a write cut short by
    /// a crash) is left out. No file: no lines.
    public func lines() throws -> [Data] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        // Only a regular file, said plainly (Foundation refuses /dev/zero with "You don't have permission").
        var status = stat()
        guard stat(url.path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw FileError.readFailed(path: url.path, reason: "not a regular file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw FileError.readFailed(path: url.path, reason: error.localizedDescription)
        }
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { Data($0) }
        lines.removeLast()  // after the last newline: empty, or a torn line
        return lines.filter { !$0.isEmpty }
    }

    /// Whether the file ends in a line without its newline (a write cut short by a crash,
    /// or one a running writer has not finished), which `lines()` leaves out.
    public func hasIncompleteLastLine() throws -> Bool {
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return false }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        guard size > 0 else { return false }
        try handle.seek(toOffset: size - 1)
        return handle.readData(ofLength: 1) != Data([0x0A])
    }

    /// Replaces the whole file with `lines` (atomically), e.g. to drop lines a resumed run redoes.
    public func rewrite(_ lines: [Data]) throws {
        var data = Data()
        for line in lines {
            data.append(line)
            data.append(0x0A)
        }
        try AtomicFile.write(data, to: url)
    }
}
