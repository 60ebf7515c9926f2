// Batches of similar length (issue 10: 15 files of 0.5 to 20 s in one padded batch were
// 4.5x slower than one by one): the plan's bounds, and the same figures however files are
// grouped.
import Foundation
import Testing
@testable import RawSpeechEvaluation

extension EvaluationTests {
    @Suite struct BatchPlanTests {
        @Test func groupsBoundPadding() {
            let lengths = (0 ..< 15).map { Int((0.5 + 19.5 * Double($0) / 14) * 16_000) }
            let groups = BatchPlan.groups(lengths: lengths, batch: 16)
            #expect(groups.flatMap { $0 }.sorted() == Array(0 ..< 15), "every file once")
            var padded = 0
            for group in groups {
                let longest = group.map { lengths[$0] }.max()!
                padded += longest * group.count
                #expect(group.count <= 16)
                #expect(group.count == 1 || group.count >= BatchPlan.minimumBatch, "\(group)")
                #expect(group.allSatisfy { Double(lengths[$0]) >= BatchPlan.minimumShare * Double(longest) }, "\(group)")
            }
            #expect(Double(padded) <= 1.25 * Double(lengths.reduce(0, +)))
            // Equal lengths stay one batch; more than `batch` of them are split.
            #expect(BatchPlan.groups(lengths: [Int](repeating: 8_000, count: 8), batch: 16) == [Array(0 ..< 8)])
            #expect(BatchPlan.groups(lengths: [Int](repeating: 8_000, count: 20), batch: 16).map(\.count) == [16, 4])
            #expect(BatchPlan.groups(lengths: [Int](repeating: 8_000, count: 19), batch: 16).map(\.count) == [16, 1, 1, 1])
            #expect(BatchPlan.groups(lengths: [], batch: 16).isEmpty)
        }

        /// Mixed lengths scored together give each file's figures as scored alone.
        @Test func groupingDoesNotChangeFigures() throws {
            let recordings = [2.0, 0.3, 1.9, 0.31, 1.85, 0.32, 1.95, 0.33, 0.5].enumerated().map { i, seconds in
                (name: "r\(i)", samples: ScoringModels.waveform(seconds: seconds, seed: 500 + UInt64(i)))
            }
            let scorer = ModelScorer(model: ScoringModels.gru)
            let together = try scorer.score(recordings)
            for (i, recording) in recordings.enumerated() {
                let alone = try #require(try scorer.score([recording]).files[0].scores)
                let batched = try #require(together.files[i].scores)
                #expect(alone.frames == batched.frames)
                EvalCheck.expectClose([batched.likelihood.nllPerFrame, batched.lsdDB, batched.snrDB],
                                      [alone.likelihood.nllPerFrame, alone.lsdDB, alone.snrDB], relative: 1e-5, "file \(i)")
            }
        }
    }
}
