// Progress output for long commands, the one kind the CLI has: a status line redrawn in
// place on a terminal, plain lines when stderr is a file or a pipe (logs and CI read those).
// `train` replaces the status with its own text; `preprocess` counts work done and shows a
// bar. Fed from worker threads, so it serializes behind a lock.
import Foundation

final class ProgressDisplay: @unchecked Sendable {
    let isTerminal = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()
    private var showing = false            // a status is on the terminal's last line
    private var lastPlain = Date.distantPast
    // Counting work (the bar): nil total when the caller writes its own status.
    private let total: Double?
    private let unit: String
    private var done = 0.0
    private var count = 0
    private let start = Date()
    private var lastDraw = Date.distantPast

    /// A status line the caller writes (`update`).
    init() {
        total = nil
        unit = ""
    }

    /// A bar over `total` in `unit`s (e.g. seconds of audio), moved by `advance`.
    init(total: Double, unit: String) {
        self.total = max(total, 1e-9)
        self.unit = unit
    }

    /// Replaces the status (on a terminal) or prints it now and then (every 5 s elsewhere).
    func update(_ text: String) {
        lock.withLock { show(text, plainEvery: 5) }
    }

    /// Records `amount` more done; `line` is shown as its own line when not on a terminal.
    func advance(by amount: Double, line: String) {
        lock.withLock {
            done += amount
            count += 1
            if isTerminal {
                // Ten redraws a second are enough for the eye; thousands of small files would
                // otherwise spend their time repainting the terminal.
                if Date().timeIntervalSince(lastDraw) >= 0.1 { show(barText(), plainEvery: 0) }
            } else {
                write(line + "\n")
            }
        }
    }

    /// A permanent line above the status (never overwritten by it).
    func log(_ text: String) {
        lock.withLock {
            clear()
            write(text + "\n")
        }
    }

    /// Ends the display: a bar is drawn in its final state and kept; a status is cleared.
    func finish() {
        lock.withLock {
            if isTerminal && total != nil && count > 0 {
                show(barText(), plainEvery: 0)
                write("\n")
                showing = false
            } else {
                clear()
            }
        }
    }

    private func show(_ text: String, plainEvery seconds: Double) {
        if isTerminal {
            write("\r\u{1B}[2K" + text)
            showing = true
        } else if Date().timeIntervalSince(lastPlain) >= seconds {
            write(text + "\n")
            lastPlain = Date()
        }
    }

    private func clear() {
        if showing {
            write("\r\u{1B}[2K")
            showing = false
        }
    }

    private func barText() -> String {
        lastDraw = Date()
        let fraction = min(1, done / (total ?? 1))
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let elapsed = lastDraw.timeIntervalSince(start)
        return String(format: "[%@] %3.0f%%  %d files  %.0f/%.0f %@  %.1fs", bar, fraction * 100,
                      count, done, total ?? 0, unit, elapsed)
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}
