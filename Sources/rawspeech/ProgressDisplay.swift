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
    private var lastDraw = Date.distantPast

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
            // Ten redraws a second are enough for the eye; thousands of small files would
            // otherwise spend their time repainting the terminal.
            if Date().timeIntervalSince(lastDraw) >= 0.1 { drawBar() }
        } else {
            write(line + "\n")
        }
    }

    /// A message that must not be overwritten by the bar.
    func note(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        write((isTerminal ? "\r\u{1B}[K" : "") + line + "\n")
    }

    /// Draws the final state of the bar and ends its line.
    func close() {
        lock.lock(); defer { lock.unlock() }
        if isTerminal && count > 0 { drawBar(); write("\n") }
    }

    private func drawBar() {
        lastDraw = Date()
        let fraction = min(1, done / total)
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let elapsed = lastDraw.timeIntervalSince(start)
        write(String(format: "\r[%@] %3.0f%%  %d files  %.0f/%.0f %@  %.1fs", bar, fraction * 100,
                     count, done, total, unit, elapsed))
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
