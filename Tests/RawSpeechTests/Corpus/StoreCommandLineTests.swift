// The store through the built binary: `preprocess` killed with SIGKILL at several moments
// and rerun ends with the files of an uninterrupted run, byte for byte; `verify` passes an
// intact folder and names the damaged block of a flipped one; a version-1 folder's message.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio
@testable import RawSpeechCorpus

@Suite(.serialized) struct StoreCommandLineTests {
    /// 40 short 16-bit WAVs (a few seconds of audio in all) and their manifest.
    func corpus(_ scratch: ScratchFolder) throws -> String {
        let corpus = scratch.file("corpus")
        for i in 0 ..< 40 {
            let dir = corpus.appendingPathComponent("s\(i % 5)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let signal = syntheticSignal(seconds: 0.2 + 0.01 * Double(i), seed: UInt64(i) + 3)
            try AudioFile.write(pcm: signal.map { Int32(SampleFormat.quantize($0)) << 16 }, channels: 1, sampleRate: 16000,
                                to: dir.appendingPathComponent("take\(i).wav"), format: .wav16)
        }
        let manifest = scratch.file("m.jsonl").path
        let made = try TrainCommandTests.command(["manifest", corpus.path, "--output", manifest, "--split-by", "file",
                                                  "--valid", "0.2", "--test", "0.1", "--seed", "2"])
        #expect(made.status == 0, "\(made.stderr)")
        return manifest
    }

    static let files = ["summary.json", "train.samples", "train.index", "valid.samples", "valid.index",
                        "test.samples", "test.index"]

    @Test func preprocessKilledAtAnyMomentResumesToTheSameBytes() throws {
        let scratch = ScratchFolder()
        let manifest = try corpus(scratch)
        let reference = scratch.file("reference").path
        #expect(try TrainCommandTests.command(["preprocess", manifest, "--output", reference, "--jobs", "2"]).status == 0)
        var killedMidway = 0
        for (attempt, delay) in [0.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5].enumerated() {
            let out = scratch.file("killed-\(attempt)").path
            let process = try TrainCommandTests.launch(["preprocess", manifest, "--output", out, "--jobs", "2"])
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { killedMidway += 1 }
            // Kill the rerun too, once, then finish.
            let again = try TrainCommandTests.launch(["preprocess", manifest, "--output", out, "--jobs", "1"])
            Thread.sleep(forTimeInterval: delay / 2)
            kill(again.processIdentifier, SIGKILL)
            again.waitUntilExit()
            let finished = try TrainCommandTests.command(["preprocess", manifest, "--output", out, "--jobs", "2"])
            #expect(finished.status == 0, "\(finished.stderr)")
            for name in Self.files {
                let a = try Data(contentsOf: URL(fileURLWithPath: reference).appendingPathComponent(name))
                let b = try Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent(name))
                #expect(a == b, "attempt \(attempt) (killed after \(delay) s): \(name) differs")
            }
            let left = (FileManager.default.enumerator(atPath: out)?.allObjects as? [String] ?? []).filter {
                $0.hasPrefix(".pieces") || ($0 as NSString).lastPathComponent.hasPrefix(".tmp-")
            }
            #expect(left.isEmpty, "attempt \(attempt): \(left)")
        }
        #expect(killedMidway >= 2, "the runs ended before they could be killed")
    }

    @Test func verifyPassesIntactFoldersAndNamesADamagedBlock() throws {
        let scratch = ScratchFolder()
        let manifest = try corpus(scratch)
        let data = scratch.file("data")
        #expect(try TrainCommandTests.command(["preprocess", manifest, "--output", data.path, "--sample-format", "float32"]).status == 0)
        let summary = String(decoding: try Data(contentsOf: data.appendingPathComponent("summary.json")), as: UTF8.self)
        #expect(summary.contains("\"sample_format\" : \"float32\""))
        let intact = try TrainCommandTests.command(["verify", data.path])
        #expect(intact.status == 0 && intact.stdout.contains("intact"), "\(intact.stdout) \(intact.stderr)")

        let samples = data.appendingPathComponent("train.samples")
        var bytes = [UInt8](try Data(contentsOf: samples))
        bytes[bytes.count - 3] ^= 0x08
        try Data(bytes).write(to: samples)
        let damaged = try TrainCommandTests.command(["verify", data.path])
        #expect(damaged.status == 1)
        #expect(damaged.stderr.contains("train.samples") && damaged.stderr.contains("block 0")
                && damaged.stderr.contains("rawspeech preprocess"), "\(damaged.stderr)")
        // Training refuses it too, before its first update reaches the weights.
        let train = try TrainCommandTests.command(["train", data.path, "--units", "8", "--updates", "50", "--output",
                                                   scratch.file("run").path])
        #expect(train.status != 0 && train.stderr.contains("does not match its SHA-256"), "\(train.stderr)")

        let bad = try TrainCommandTests.command(["preprocess", manifest, "--output", scratch.file("x").path, "--sample-format", "int24"])
        #expect(bad.status != 0 && bad.stderr.contains("--sample-format must be int16 or float32"))
    }
}
