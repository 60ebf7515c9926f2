// config.json as `train` writes it: the band the training data had (an upsampled folder's
// bandwidth_hz), the data folder referenced by path and checksum rather than copied, and a
// linear run that says linear with no units, layers or recurrent model settings.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio
@testable import RawSpeechTraining

@Suite(.serialized) struct RunDescriptionTests {
    /// Three speakers at 8 kHz, preprocessed (explicitly) at 16 kHz.
    static func upsampledData(_ scratch: ScratchFolder) throws -> String {
        let corpus = scratch.file("corpus")
        for (i, speaker) in ["ann", "ben", "cy"].enumerated() {
            let dir = corpus.appendingPathComponent(speaker)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let signal = syntheticSignal(seconds: 1.5, seed: UInt64(i) + 7)
            try AudioFile.write(signal, sampleRate: 8000, to: dir.appendingPathComponent("take.wav"))
        }
        let manifest = scratch.file("m.jsonl").path
        _ = try TrainCommandTests.command(["manifest", corpus.path, "--output", manifest, "--valid", "0.34", "--test", "0", "--seed", "1"])
        let data = scratch.file("data").path
        let made = try TrainCommandTests.command(["preprocess", manifest, "--output", data, "--sample-rate", "16000"])
        #expect(made.status == 0, "\(made.stderr)")
        return data
    }

    static func config(_ run: String) throws -> (json: [String: Any], bytes: Int) {
        let data = try Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))
        return (try JSONSerialization.jsonObject(with: data) as! [String: Any], data.count)
    }

    @Test func configRecordsTheBandAndReferencesTheData() throws {
        let scratch = ScratchFolder()
        let data = try Self.upsampledData(scratch)
        let run = scratch.file("gru").path
        let trained = try TrainCommandTests.command(["train", data, "--output", run, "--updates", "10"] + TrainCommandTests.tiny)
        #expect(trained.status == 0, "\(trained.stderr)")
        let (config, bytes) = try Self.config(run)
        #expect(config["sample_rate"] as? Int == 16000)
        #expect(config["bandwidth_hz"] as? Double == 4000 && config["source_rates"] as? [Int] == [8000])
        #expect(config["cell"] as? String == "gru" && config["units"] as? Int == 12 && config["learning_rate"] != nil)
        let summary = try #require(config["summary"] as? [String: Any])
        let file = URL(fileURLWithPath: data + "/summary.json")
        #expect(summary["path"] as? String == file.path)
        #expect(summary["sha256"] as? String == (try SHA256.hexDigest(ofFile: file)))
        #expect(summary["recordings"] as? Int == 3 && summary["bandwidth_hz"] as? Double == 4000)
        #expect(summary["train_std"] != nil && summary["frame"] != nil && (summary["splits"] as? [String: Any])?["train"] != nil)
        #expect(bytes < 8000, "config.json is \(bytes) bytes: the data summary is referenced, not embedded")
    }

    @Test func linearRunSaysLinear() throws {
        let scratch = ScratchFolder()
        let data = try Self.upsampledData(scratch)
        let run = scratch.file("linear").path
        let trained = try TrainCommandTests.command(["train", data, "--output", run, "--cell", "linear"])
        #expect(trained.status == 0, "\(trained.stderr)")
        let (config, _) = try Self.config(run)
        #expect(config["cell"] as? String == "linear")
        for key in ["units", "layers", "components", "learning_rate"] { #expect(config[key] == nil, "\(key)") }
        let training = try #require(config["training"] as? [String: Any])
        #expect(training["linear"] as? Bool == true && training["model"] == nil, "\(training)")
        #expect(config["recurrent_params"] as? Int == 0)
    }
}
