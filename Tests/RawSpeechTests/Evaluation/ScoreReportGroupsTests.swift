// `compare` scores a test split a group of recordings at a time and joins the groups'
// reports (ScoreReport.concatenating): the joined report must be the one-call report, file
// for file, with the same totals and baseline, so streaming a large split changes no figure.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork
@testable import RawSpeechEvaluation

extension EvaluationTests {
    @Suite struct ScoreReportGroupsTests {
        @Test func groupsJoinToTheOneCallReport() throws {
            let model = ScoringModels.gru
            let recordings = [0.5, 0.23, 0.71, 0.4].enumerated().map { i, seconds in
                (name: "r\(i)", samples: ScoringModels.waveform(seconds: seconds, seed: 300 + UInt64(i)))
            }
            let scorer = ModelScorer(model: model, baseline: ScoringModels.linear)
            let whole = try scorer.score(recordings)
            let joined = try #require(ScoreReport.concatenating(
                [try scorer.score(Array(recordings[0 ..< 1])), try scorer.score(Array(recordings[1 ..< 4]))]))
            #expect(joined.files.map(\.path) == whole.files.map(\.path))
            #expect(joined.baseline?.files.map(\.path) == whole.baseline?.files.map(\.path))
            let (a, b) = (try #require(joined.total), try #require(whole.total))
            #expect(a.frames == b.frames)
            // Recordings are batched by length, so a group's GEMMs may round differently.
            #expect(EvalCheck.close(a.likelihood.nllPerFrame, b.likelihood.nllPerFrame, relative: 1e-6))
            #expect(EvalCheck.close(a.lsdDB, b.lsdDB, relative: 1e-6))
            let (c, d) = (try #require(joined.baseline?.total), try #require(whole.baseline?.total))
            #expect(EvalCheck.close(c.likelihood.nllPerFrame, d.likelihood.nllPerFrame, relative: 1e-6))
            #expect(joined.contextSamples == whole.contextSamples && joined.predictedSamples == whole.predictedSamples)
            #expect(ScoreReport.concatenating([]) == nil)
        }
    }
}
