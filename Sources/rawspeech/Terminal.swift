// Terminal output for long work: a status line rewritten in place on a terminal, plain
// lines (at most one every few seconds) when stderr is a file or a pipe.
import ArgumentParser
import Foundation
import RawSpeechTraining

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// A model (run folder, model file or checkpoint) for `score` and `generate`; a path that
/// is none of these is reported and ends the command with exit code 1.
func openModel(_ path: String) throws -> ModelSource {
    do {
        return try ModelSource(url: URL(fileURLWithPath: path))
    } catch {
        printError("error: \(error)")
        throw ExitCode.failure
    }
}

func formatDuration(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    return total >= 3600
        ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
        : String(format: "%d:%02d", total / 60, total % 60)
}

/// A one-line status on stderr.
final class ProgressLine {
    let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastPlain = Date.distantPast
    private var showing = false

    /// Replaces the status (on a terminal) or prints it now and then (elsewhere).
    func update(_ text: String) {
        if isTerminal {
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(text)".utf8))
            showing = true
        } else if Date().timeIntervalSince(lastPlain) >= 5 {
            printError(text)
            lastPlain = Date()
        }
    }

    /// A permanent line above the status.
    func log(_ text: String) {
        clear()
        printError(text)
    }

    func finish() { clear() }

    private func clear() {
        if showing {
            FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
            showing = false
        }
    }
}
