// Progress output for long commands: a redrawn bar on a terminal, plain lines otherwise
// (logs and CI read those). Fed from worker threads, so it serializes behind a lock.
import Foundation

final class ProgressDisplay: @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private let total: Double
    private let unit: String
    private var done = 0.0
    private var count = 0
    private let start = Date()

    /// `total` in `unit`s (e.g. seconds of audio).
    init(total: Double, unit: String) {
        self.total = max(total, 1e-9)
        self.unit = unit
    }

    /// Records `amount` more done; `line` is shown as its own line when not on a terminal.
    func advance(by amount: Double, line: String) {
        lock.lock(); defer { lock.unlock() }
        done += amount
        count += 1
        if isTerminal {
            let fraction = min(1, done / total)
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let elapsed = Date().timeIntervalSince(start)
            let text = String(format: "\r[%@] %3.0f%%  %d files  %.0f/%.0f %@  %.1fs", bar, fraction * 100,
                              count, done, total, unit, elapsed)
            FileHandle.standardError.write(Data(text.utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// A message that must not be overwritten by the bar.
    func note(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + line + "\n").utf8))
    }

    func close() {
        lock.lock(); defer { lock.unlock() }
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
