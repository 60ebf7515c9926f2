// The built binary on a small synthetic music folder: `train` with the music defaults,
// resumed; flags that make no sense for music refused by name; and `compare` writing
// results.json with speech's fields (NLL in nats per time step) and the learning curves.
import Foundation
import Testing
@testable import RawSpeechCore

@Suite struct MusicCompareCommandTests {
    /// A piano-roll JSON of synthetic chorales (the chord cycle of MusicTrainerTests, as
    /// MIDI notes 60-71), `train`/`valid`/`test` pieces each.
    static func musicJSON(train: Int = 12, valid: Int = 4, test: Int = 4) -> String {
        func pieces(_ count: Int, seed: UInt64) -> String {
            let rolls = syntheticChorales(count: count, seed: seed)
            return "[" + rolls.map { roll in
                "[" + stride(from: 0, to: roll.count, by: 12).map { start in
                    "[" + (0 ..< 12).filter { roll[start + $0] != 0 }.map { "\(60 + $0)" }.joined(separator: ",") + "]"
                }.joined(separator: ",") + "]"
            }.joined(separator: ",") + "]"
        }
        return "{\"train\": \(pieces(train, seed: 1)), \"valid\": \(pieces(valid, seed: 2)), \"test\": \(pieces(test, seed: 3))}"
    }

    func musicFolder(_ scratch: ScratchFolder, binary: URL) throws -> String {
        let source = scratch.file("set.json")
        try Data(Self.musicJSON().utf8).write(to: source)
        let data = scratch.file("data").path
        let made = try EvalProcess.run(binary.path, ["preprocess", source.path, "--output", data])
        #expect(made.0 == 0, "\(made.2)")
        return data
    }

    @Test func trainOnAMusicFolder() throws {
        let binary = try #require(CommandLineTests.binary(), "rawspeech binary not found next to the tests")
        let scratch = ScratchFolder()
        let data = try musicFolder(scratch, binary: binary)
        let run = scratch.file("run").path
        let trained = try EvalProcess.run(binary.path, ["train", data, "--cell", "lstm", "--output", run, "--updates", "30", "--eval-every", "10"])
        #expect(trained.0 == 0, "\(trained.2)")
        #expect(trained.2.contains("lstm-36 on music"), "the default budget gives the paper's LSTM 36: \(trained.2)")
        #expect(trained.1.contains("nats per step"), "\(trained.1)")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as! [String: Any]
        #expect(config["data_kind"] as? String == "pianoroll")
        #expect(config["budget_params"] as? Int == 19_836)
        let training = config["training"] as! [String: Any]
        #expect(training["batch"] as? Int == 12, "16 chorales by default, at most the 12 there are: \(training)")
        let metrics = try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 3)
        let resumed = try EvalProcess.run(binary.path, ["train", data, "--output", run, "--resume", "--updates", "40", "--eval-every", "10",
                                                        "--threads", "2", "--valid-seconds", "5"])
        #expect(resumed.0 == 0 && resumed.1.contains("after 40 updates"), "\(resumed.1)\(resumed.2)")
        // Speech-only flags are said to be ignored, not dropped in silence.
        #expect(resumed.2.contains("--threads 2 is ignored") && resumed.2.contains("--valid-seconds is ignored"), "\(resumed.2)")

        let accumulated = try EvalProcess.run(binary.path, ["train", data, "--accumulate", "2", "--output", scratch.file("accumulated").path])
        #expect(accumulated.0 != 0 && accumulated.2.contains("--accumulate is for audio"), "\(accumulated.2)")
        let linear = try EvalProcess.run(binary.path, ["train", data, "--cell", "linear", "--output", scratch.file("linear").path])
        #expect(linear.0 != 0 && linear.2.contains("--cell linear is for audio"), "\(linear.2)")
    }

    @Test func compareOnAMusicFolder() throws {
        let binary = try #require(CommandLineTests.binary(), "rawspeech binary not found next to the tests")
        let scratch = ScratchFolder()
        let data = try musicFolder(scratch, binary: binary)
        let out = scratch.file("compare").path
        let compared = try EvalProcess.run(binary.path, ["compare", data, "--output", out, "--trials", "2", "--seeds", "2",
                                                         "--updates", "20", "--eval-every", "10", "--jobs", "2"])
        #expect(compared.0 == 0, "\(compared.2)")
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/results.json"))) as! [String: Any]
        let cells = results["cells"] as! [[String: Any]]
        #expect(cells.map { $0["cell"] as? String } == ["tanh", "gru", "lstm"])
        #expect(cells.map { $0["units"] as? Int } == [100, 46, 36])
        #expect(cells.map { $0["recurrent_params"] as? Int } == [18_900, 18_630, 18_108])
        for cell in cells {
            #expect(cell["seeds"] as? Int == 2)
            for key in ["train_nll", "valid_nll", "test_nll"] {
                let value = try #require(cell[key] as? Double, "\(key)")
                // Per time step of 12 notes sounding ~3.6 at a time: well under 12 * ln 2.
                #expect(value > 0 && value < 12 * log(2.0), "\(key) \(value)")
            }
        }
        let markdown = try String(contentsOfFile: out + "/results.md", encoding: .utf8)
        #expect(markdown.contains("8.54"), "the paper's JSB row")
        #expect(FileManager.default.fileExists(atPath: out + "/report/valid-nll-vs-updates.svg"))
        #expect(FileManager.default.fileExists(atPath: out + "/report/valid-nll-vs-seconds.svg"))

        let steps = try EvalProcess.run(binary.path, ["compare", data, "--output", scratch.file("c2").path, "--steps", "10"])
        #expect(steps.0 != 0 && steps.2.contains("--steps"), "\(steps.2)")
    }
}
