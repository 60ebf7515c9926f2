// Files crafted to pass the checksum but lie in their headers: the readers must answer
// with an error naming the file, never trap. The inputs are the ones tools/fuzz found
// (tools/fuzz-harness/regressions/), rebuilt here from their essential bytes.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechCorpus
@testable import RawSpeechTraining

@Suite struct CraftedFileTests {
    func scratch(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("rawspeech-crafted-\(UUID().uuidString)-\(name)")
    }

    func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// A model file with a valid SHA-256 whose one record claims 2^63 + 5 bytes.
    @Test func recordLengthPastIntMaxIsAnError() throws {
        var body = Array(Checkpoint.modelMagic.utf8)
        body += littleEndian(Checkpoint.version) + littleEndian(UInt32(1))
        body += littleEndian(UInt16(5)) + Array("model".utf8) + littleEndian(UInt64(1) << 63 + 5)
        body += SHA256.digest(body)
        let url = scratch("model.ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(body).write(to: url)
        let error = #expect(throws: RecordFileError.self) { _ = try Checkpoint.loadModel(from: url) }
        #expect(error?.description.contains(url.path) == true)
        #expect(error?.description.contains("more than the file holds") == true, "\(String(describing: error))")
    }

    /// A shard header whose sample count does not fit an Int (and whose byte size would overflow).
    @Test func shardSampleCountPastIntMaxIsAnError() throws {
        var header = ShardHeader(sampleRate: 16_000, sampleCount: 0, payloadSHA256: [UInt8](repeating: 0, count: 32),
                                 sourceSHA256: [UInt8](repeating: 0, count: 32)).encoded()
        header.replaceSubrange(24 ..< 32, with: littleEndian(UInt64.max - 1))
        let url = scratch("a.shard")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(header).write(to: url)
        let error = #expect(throws: CorpusError.self) { _ = try Shard.header(url) }
        #expect(error?.description.contains(url.path) == true)
    }
}
