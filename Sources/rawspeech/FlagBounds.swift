// The bounds every numeric flag is held to, checked in each command's `validate()` before any
// work: zero, negative, huge (2^31, 2^63, 1e308), infinite and NaN values are refused naming
// the flag, instead of trapping in an Int conversion, allocating a 7 GB model, or training
// for minutes and failing at the first save. The bounds are generous (typos and hostile
// scripts, not experiments, are kept out); the memory a model and batch would need is
// checked separately (TrainingLimits).
import ArgumentParser

/// Refuses `value` unless it lies in `range`: "--units must be in 1...65536 (got 2147483648)".
/// `rule` words the range when its bounds read badly ("positive, at most 1000000").
func check<T: Comparable>(_ flag: String, _ value: T?, in range: ClosedRange<T>, _ rule: String? = nil) throws {
    guard let value, !range.contains(value) else { return }
    throw ValidationError("\(flag) must be \(rule ?? "in \(range.lowerBound)...\(range.upperBound)") (got \(value))")
}

/// Bounds shared by several commands.
enum FlagBounds {
    /// Threads or parallel jobs: more than this on one machine is a typo.
    static let threads = 1 ... 256
    /// Minutes of one run: two years.
    static let minutes = Double.leastNonzeroMagnitude ... 1_000_000
    static let minutesRule = "positive, at most 1000000"
    /// Weight-noise std in normalized units (the paper's 0.075; 1 already drowns the weights).
    static let weightNoise = 0.0 ... 1
    static let weightNoiseRule = "0 (off) to 1"
    /// Seconds of audio a command makes or times: an hour.
    static let seconds = Double.leastNonzeroMagnitude ... 3_600
    static let secondsRule = "positive, at most 3600"
}
