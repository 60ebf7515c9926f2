// Issue 11's first report end to end: `rawspeech score` on a good WAV and the OGG whose
// damaged last page makes libsndfile report INT64_MAX frames. The OGG used to trap the
// whole run (Int(Double(Int64.max)) in the resampled length); now both files are scored.
import Foundation
import Testing
@testable import RawSpeechAudio

@Suite struct DamagedOggScoreTests {
    @Test func scoreReadsTheDamagedOggAlongsideOthers() throws {
        let scratch = ScratchFolder()
        let (run, test, _) = try EvaluationTests.ScoreCommandLineTests().makeRun(scratch)
        let cli = CommandLineTests()
        let result = try cli.run(["score", run.path, test.path, HostileHeaderTests.damagedOgg.path])
        #expect(result.status == 0, "status \(result.status): \(result.stderr)")
        #expect(result.stdout.contains("ogg-damaged-last-page") && result.stdout.contains("total"), "\(result.stdout)")
    }
}
