// The errors of plain file work (hashing, atomic replacement, checksummed containers) that
// every stage shares. Each message names the file, so a user knows what to look at.
import Foundation

public enum FileError: Error, Sendable, CustomStringConvertible, LocalizedError {
    case missing(path: String)
    case readFailed(path: String, reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path): return "\(path): file not found"
        case .readFailed(let path, let reason): return "\(path): read error: \(reason)"
        case .writeFailed(let path, let reason): return "\(path): write error: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
