// Small helpers every command shares: errors on stderr, opening a model, durations as text.
// (Progress output is ProgressDisplay.)
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
