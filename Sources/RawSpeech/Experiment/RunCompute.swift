// What a comparison's run actually consumed, and its learning curve read at equal budgets.
// RUNDIR/compute.json is written by whoever launched the run (the scheduler measures the
// child's CPU time with wait4), summed over the sessions of a resumed run. The curve helpers
// read metrics.jsonl: the best validation NLL a run had reached by a given update or second,
// the figure at which runs of unequal length are compared.
import RawSpeechCore
import Foundation

/// RUNDIR/compute.json: CPU and wall-clock seconds of the `rawspeech train` processes of a
/// run (all sessions), and the threads each had.
public struct RunCompute: Codable, Equatable, Sendable {
    /// User + system CPU seconds of the training processes (children's rusage).
    public var cpuSeconds: Double
    /// Wall-clock seconds from launch to exit, process start-up included.
    public var wallSeconds: Double
    public var threads: Int?
    public var sessions: Int

    package enum CodingKeys: String, CodingKey {
        case cpuSeconds = "cpu_seconds", wallSeconds = "wall_seconds", threads, sessions
    }

    public init(cpuSeconds: Double = 0, wallSeconds: Double = 0, threads: Int? = nil, sessions: Int = 0) {
        self.cpuSeconds = cpuSeconds
        self.wallSeconds = wallSeconds
        self.threads = threads
        self.sessions = sessions
    }

    public static func url(in run: URL) -> URL { run.appendingPathComponent("compute.json") }

    /// The run's record, nil when it has none (trained outside `compare`).
    public static func read(in run: URL) -> RunCompute? {
        guard let data = try? Data(contentsOf: url(in: run)) else { return nil }
        return try? RunFolder.decoder().decode(RunCompute.self, from: data)
    }

    /// Adds one session's figures to the run's record.
    public static func add(cpuSeconds: Double, wallSeconds: Double, threads: Int?, in run: URL) throws {
        var record = read(in: run) ?? RunCompute()
        record.cpuSeconds += cpuSeconds
        record.wallSeconds += wallSeconds
        record.threads = threads
        record.sessions += 1
        try RunFolder.writeJSON(record, to: url(in: run))
    }
}

/// Reading learning curves (metrics.jsonl lines) at a common budget.
public enum LearningCurve {
    /// The lowest finite validation NLL among evaluations at or before `update` (what the
    /// run's best model had reached by then); nil when none was measured by then.
    public static func bestValidNLL(_ lines: [MetricsLine], byUpdate update: Int) -> Double? {
        lines.filter { $0.update <= update && $0.validNLL.isFinite }.map(\.validNLL).min()
    }

    /// The same by `seconds` of training (metrics.jsonl's wall-clock seconds).
    public static func bestValidNLL(_ lines: [MetricsLine], bySeconds seconds: Double) -> Double? {
        lines.filter { $0.seconds <= seconds && $0.validNLL.isFinite }.map(\.validNLL).min()
    }

    /// The budget every curve reached: the smallest of their last updates and last seconds
    /// (nil without curves).
    public static func commonReach(_ curves: [[MetricsLine]]) -> (updates: Int, seconds: Double)? {
        let ends = curves.compactMap(\.last)
        guard ends.count == curves.count, !ends.isEmpty else { return nil }
        return (ends.map(\.update).min()!, ends.map(\.seconds).min()!)
    }
}
