import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork
@testable import RawSpeechTraining

@Suite struct RecordFileTests {
    func temporaryURL(_ name: String) -> URL {
        FileManager.default.temporaryDirectory
            .appendingPathComponent("rawspeech-recordfile-\(UUID().uuidString)-\(name)")
    }

    @Test func roundTripAndCorruption() throws {
        let url = temporaryURL("a.ckpt")
        defer { try? FileManager.default.removeItem(at: url) }
        var file = RecordFile()
        file.append("weights", floats: [1, -2.5, .pi])
        try file.append("meta", json: ["cell": "gru"])
        try file.write(to: url, magic: "RSTESTv1", version: 3)

        let back = try RecordFile.read(from: url, magic: "RSTESTv1", version: 3, kind: "test file")
        #expect(try back.floats("weights", path: url.path) == [1, -2.5, .pi])
        #expect(try back.json([String: String].self, "meta", path: url.path) == ["cell": "gru"])

        // A newer format version is refused with a message that says what to do.
        #expect(throws: RecordFileError.self) {
            _ = try RecordFile.read(from: url, magic: "RSTESTv1", version: 4, kind: "test file")
        }
        // One flipped byte fails the checksum.
        var bytes = try Data(contentsOf: url)
        bytes[20] ^= 0xFF
        try bytes.write(to: url)
        let error = #expect(throws: RecordFileError.self) {
            _ = try RecordFile.read(from: url, magic: "RSTESTv1", version: 3, kind: "test file")
        }
        #expect(error?.description.contains("checksum") == true)
        #expect(error?.description.contains(url.path) == true)
        // No temporary file is left beside it.
        let siblings = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        #expect(!siblings.contains { $0.hasPrefix(".\(url.lastPathComponent)") })
    }

    @Test func sha256MatchesKnownVector() {
        #expect(SHA256.hex(SHA256.digest(Data("abc".utf8)))
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func rmspropClipsAndSteps() {
        var optimizer = RMSProp(parameterCount: 2)
        var parameters: [Float] = [1, 1]
        // Norm 5 > clip 1: the gradient is rescaled to (0.6, 0.8) before the RMSProp step.
        let norm = optimizer.update(parameters: &parameters, gradient: [3, 4], learningRate: 0.1,
                                    decay: 0.9, epsilon: 0, clip: 1)
        #expect(abs(norm - 5) < 1e-12)
        #expect(abs(optimizer.meanSquare[0] - 0.1 * 0.36) < 1e-7)
        // First step of RMSProp moves each coordinate by lr / sqrt(1 - decay).
        let expected = Float(1 - 0.1 / (0.1 as Double).squareRoot())
        #expect(abs(parameters[0] - expected) < 1e-6 && abs(parameters[1] - expected) < 1e-6)
    }
}
