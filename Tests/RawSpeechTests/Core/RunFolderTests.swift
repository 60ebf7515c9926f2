// metrics.jsonl has one reader, Core's RunFolder, for the trainer and the report: lines the
// trainer writes read back exactly, figures other tools leave out read as NaN, a cut-off
// last line is skipped and said so, and any other bad line names its line.
import Foundation
import Testing
@testable import RawSpeechCore

@Suite struct RunFolderTests {
    @Test func metricsLinesReadBack() throws {
        let scratch = ScratchFolder()
        let run = RunFolder(url: scratch.url)
        let written = [MetricsLine(update: 100, seconds: 1.5, trainNLL: 2.25, validNLL: .nan, validNLLWaveform: -3,
                                   learningRate: 1e-3),
                       MetricsLine(update: 200, seconds: 3, trainNLL: 2, validNLL: 1.75, validNLLWaveform: -4,
                                   learningRate: 1e-3)]
        for line in written { try run.appendMetrics(line) }
        let read = try run.readMetrics()
        #expect(read.count == 2 && read[1] == written[1] && read[0].validNLL.isNaN && read[0].trainNLL == 2.25)

        try "{\"update\": 1, \"seconds\": 0.5, \"valid_nll\": null}\n{\"update\": 2, \"seco"
            .write(to: run.metrics, atomically: true, encoding: .utf8)
        let partial = try run.readMetricsLines()
        #expect(partial.skippedIncompleteLine && partial.lines.count == 1)
        #expect(partial.lines[0].update == 1 && partial.lines[0].validNLL.isNaN && partial.lines[0].learningRate.isNaN)

        try "{\"update\": 1, \"seconds\": 1}\n{\"seconds\": 2}\n".write(to: run.metrics, atomically: true, encoding: .utf8)
        #expect { try run.readMetrics() } throws: { "\($0)".contains("metrics.jsonl: line 2 is not a metrics record") }
    }

    @Test func configReadsThroughTheFolderDecoder() throws {
        struct Rate: Decodable { var sampleRate: Int; var best: Double
            enum CodingKeys: String, CodingKey { case sampleRate = "sample_rate", best } }
        let scratch = ScratchFolder()
        let run = RunFolder(url: scratch.url)
        #expect(try run.readConfig(Rate.self) == nil)
        try "{\"sample_rate\": 8000, \"best\": \"Infinity\", \"other\": [1]}".write(to: run.config, atomically: true, encoding: .utf8)
        let rate = try #require(try run.readConfig(Rate.self))
        #expect(rate.sampleRate == 8000 && rate.best == .infinity)
        try "[]".write(to: run.config, atomically: true, encoding: .utf8)
        #expect(throws: RecordFileError.self) { try run.readConfig(Rate.self) }
    }
}
