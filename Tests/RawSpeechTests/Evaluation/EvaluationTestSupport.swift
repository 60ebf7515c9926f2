// Helpers shared by the Evaluation tests: a tolerance that says what it measures, seeded
// test signals, and the fixture folder. Not a test itself.
import Foundation
import Testing
@testable import RawSpeechCore

/// Groups the Evaluation suites, so `swift test --filter Evaluation` selects them all.
@Suite enum EvaluationTests {}

enum EvalCheck {
    /// |a - b| <= relative * max(|a|, |b|) + absolute (swift-numerics' isApproximatelyEqual
    /// with an absolute floor, so values near zero compare sensibly). Infinities must match.
    static func close(_ a: Double, _ b: Double, relative: Double = 1e-4, absolute: Double = 1e-9) -> Bool {
        if a.isInfinite || b.isInfinite { return a == b }
        return abs(a - b) <= relative * max(abs(a), abs(b)) + absolute
    }

    /// Records one failure naming the worst few pairs and the largest difference.
    static func expectClose(_ actual: [Double], _ expected: [Double], relative: Double = 1e-4,
                            absolute: Double = 1e-9, _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, "\(what): \(actual.count) vs \(expected.count) values",
                sourceLocation: sourceLocation)
        let pairs = zip(actual, expected).enumerated().map { (i, p) in (i, p.0, p.1, abs(p.0 - p.1)) }
        let bad = pairs.filter { !close($0.1, $0.2, relative: relative, absolute: absolute) }
        if !bad.isEmpty {
            let worst = bad.sorted { $0.3 > $1.3 }.prefix(4)
                .map { "[\($0.0)] \($0.1) vs \($0.2)" }.joined(separator: ", ")
            Issue.record("\(what): \(bad.count) of \(pairs.count) differ beyond rel \(relative); worst \(worst); max diff \(bad.map(\.3).max()!)",
                         sourceLocation: sourceLocation)
        }
    }

    /// Seeded white noise, uniform in [-amplitude, amplitude].
    static func noise(_ count: Int, seed: UInt64, amplitude: Float = 0.1) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0 ..< count).map { _ in Float(generator.nextUniform() * 2 - 1) * amplitude }
    }

    static var fixtures: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    }
}
