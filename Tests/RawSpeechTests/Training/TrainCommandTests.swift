// `rawspeech train` end to end through the built binary: a run killed with SIGKILL and
// resumed ends with exactly the weights of an uninterrupted run; Ctrl-C saves a checkpoint;
// bad flags and a data folder of another sample rate or frame size give clear errors.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio
@testable import RawSpeechTraining

@Suite(.serialized) struct TrainCommandTests {
    /// A data folder of three speakers' synthetic sines at `rate` Hz with `frameInput` inputs.
    static func makeData(_ scratch: ScratchFolder, name: String, rate: Int = 16000,
                         frameInput: Int = 20) throws -> String {
        let corpus = scratch.file("corpus")
        if !FileManager.default.fileExists(atPath: corpus.path) {
            for (i, speaker) in ["ann", "ben", "cy"].enumerated() {
                let dir = corpus.appendingPathComponent(speaker)
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                let signal = syntheticSignal(seconds: 1.5, seed: UInt64(i) + 7)
                try AudioFile.write(signal, sampleRate: 16000, to: dir.appendingPathComponent("take.wav"))
            }
        }
        let manifest = scratch.file("m.jsonl").path
        _ = try command(["manifest", corpus.path, "--output", manifest, "--valid", "0.34", "--test", "0", "--seed", "1"])
        let data = scratch.file(name).path
        let made = try command(["preprocess", manifest, "--output", data, "--sample-rate", "\(rate)",
                                "--frame-input", "\(frameInput)"])
        #expect(made.status == 0, "\(made.stderr)")
        return data
    }

    static let tiny = ["--units", "12", "--components", "2", "--batch", "4", "--steps", "10",
                       "--eval-every", "50", "--checkpoint-every", "50", "--patience", "0", "--seed", "5"]

    static func launch(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = try #require(CommandLineTests.binary(), "rawspeech binary not found")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @discardableResult
    static func command(_ arguments: [String]) throws -> CommandLineTests.Run {
        try CommandLineTests().run(arguments)
    }

    @Test func killedAndResumedRunEndsWithTheSameWeights() throws {
        let scratch = ScratchFolder()
        let data = try Self.makeData(scratch, name: "data")
        let updates = "3000"
        let whole = scratch.file("whole").path
        let done = try Self.command(["train", data, "--output", whole, "--updates", updates] + Self.tiny)
        #expect(done.status == 0, "\(done.stderr)")

        // Kill -9 once the first checkpoint is on disk, well before the last update.
        let split = scratch.file("split").path
        let process = try Self.launch(["train", data, "--output", split, "--updates", updates] + Self.tiny)
        let checkpoint = split + "/checkpoint.ckpt"
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint) && process.isRunning && Date() < deadline {
            usleep(2_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the run ended before it could be killed")
        let killedAt = try Checkpoint.readState(from: URL(fileURLWithPath: checkpoint)).progress.update
        #expect(killedAt < 3000)

        let resumed = try Self.command(["train", data, "--output", split, "--updates", updates, "--resume"] + Self.tiny)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming at update \(killedAt)"))
        let a = try Checkpoint.readState(from: URL(fileURLWithPath: whole + "/checkpoint.ckpt"))
        let b = try Checkpoint.readState(from: URL(fileURLWithPath: checkpoint))
        #expect(a.progress.update == 3000 && b.progress.update == 3000)
        #expect(Signals.mismatch(a.model.parameters, b.model.parameters) == nil,
                "resumed weights differ from the uninterrupted run's")
        #expect(Signals.mismatch(a.bestParameters, b.bestParameters) == nil)
        let metricsA = try RunFolder(url: URL(fileURLWithPath: whole)).readMetrics()
        let metricsB = try RunFolder(url: URL(fileURLWithPath: split)).readMetrics()
        #expect(metricsA.map(\.update) == metricsB.map(\.update))
        #expect(metricsA.map(\.validNLL) == metricsB.map(\.validNLL))
    }

    @Test func interruptSavesACheckpoint() throws {
        let scratch = ScratchFolder()
        let data = try Self.makeData(scratch, name: "data")
        let run = scratch.file("run").path
        let process = try Self.launch(["train", data, "--output", run, "--updates", "1000000"] + Self.tiny)
        let checkpoint = run + "/checkpoint.ckpt"
        while !FileManager.default.fileExists(atPath: checkpoint) && process.isRunning { usleep(2_000) }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let saved = try Checkpoint.readState(from: URL(fileURLWithPath: checkpoint))
        #expect(saved.progress.update > 0 && saved.progress.update < 1_000_000)
        // Without --resume the folder is not overwritten.
        let again = try Self.command(["train", data, "--output", run, "--updates", "10"] + Self.tiny)
        #expect(again.status != 0 && again.stderr.contains("--resume"))
    }

    @Test func dataOfAnotherRateOrFrameIsRefusedOnResume() throws {
        let scratch = ScratchFolder()
        let data = try Self.makeData(scratch, name: "data16k")
        let run = scratch.file("run").path
        #expect(try Self.command(["train", data, "--output", run, "--updates", "20"] + Self.tiny).status == 0)

        let data8k = try Self.makeData(scratch, name: "data8k", rate: 8000)
        let rate = try Self.command(["train", data8k, "--output", run, "--updates", "40", "--resume"] + Self.tiny)
        #expect(rate.status != 0)
        #expect(rate.stderr.contains("16000 Hz") && rate.stderr.contains("8000 Hz"), "\(rate.stderr)")

        let data16 = try Self.makeData(scratch, name: "frame16", frameInput: 16)
        let frame = try Self.command(["train", data16, "--output", run, "--updates", "40", "--resume"] + Self.tiny)
        #expect(frame.status != 0)
        #expect(frame.stderr.contains("20/10/10") && frame.stderr.contains("16/10/10"), "\(frame.stderr)")
    }

    @Test(arguments: [
        (["--batch", "0"], "--batch"),
        (["--units", "10", "--params", "169k"], "--units or --params"),
        (["--learning-rate", "-1"], "--learning-rate"),
        (["--cell", "rnn"], "--cell"),
        (["--params", "lots"], "--params"),
    ])
    func invalidFlagsAreNamed(flags: [String], named: String) throws {
        let result = try Self.command(["train", "/nonexistent", "--output", "/tmp/unused-run"] + flags)
        #expect(result.status != 0)
        #expect(result.stderr.contains(named), "\(result.stderr)")
    }

    @Test func missingDataFolderIsNamed() throws {
        let result = try Self.command(["train", "/nonexistent/data", "--output", "/tmp/unused-run-2"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent/data"), "\(result.stderr)")
    }
}
