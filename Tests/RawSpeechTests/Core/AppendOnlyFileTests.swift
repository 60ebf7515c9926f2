// metrics.jsonl survives a crash mid-line and a failed write: readers see whole lines only,
// and a failure names the file.
import Foundation
import Testing
@testable import RawSpeechCore

@Suite struct AppendOnlyFileTests {
    func scratch() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("rawspeech-append-\(UUID().uuidString).jsonl")
    }

    @Test func tornLastLineIsNotALine() throws {
        let url = scratch()
        defer { try? FileManager.default.removeItem(at: url) }
        let log = AppendOnlyFile(url: url)
        try log.append(Data("{\"a\":1}".utf8))
        try log.append(Data("{\"a\":2}".utf8))
        // A crash in the middle of the third write.
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"a\":".utf8))
        try handle.close()
        #expect(try log.lines().map { String(decoding: $0, as: UTF8.self) } == ["{\"a\":1}", "{\"a\":2}"])
    }

    @Test func failedWriteNamesTheFile() throws {
        // /dev/full answers every write with ENOSPC, as a full disk does.
        let log = AppendOnlyFile(url: URL(fileURLWithPath: "/dev/full"))
        let error = #expect(throws: FileError.self) { try log.append(Data("{}".utf8)) }
        #expect(error?.description.contains("/dev/full") == true, "\(String(describing: error))")
        #expect(error?.description.contains("No space left") == true, "\(String(describing: error))")
    }

    @Test func metricsWithATornLineStillRead() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rawspeech-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = RunFolder(url: dir)
        try run.create()
        for update in [10, 20] {
            try run.appendMetrics(MetricsLine(update: update, seconds: 1, trainNLL: 2, validNLL: 3,
                                              validNLLWaveform: -4, learningRate: 1e-3))
        }
        let handle = try FileHandle(forWritingTo: run.metrics)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"update\":30,\"sec".utf8))
        try handle.close()
        #expect(try run.readMetrics().map(\.update) == [10, 20])
        // A resumed run that rewrites the log drops the torn line for good.
        try run.truncateMetrics(after: 10)
        #expect(try run.readMetrics().map(\.update) == [10])
        #expect(try String(contentsOf: run.metrics, encoding: .utf8).hasSuffix("\n"))
    }
}
