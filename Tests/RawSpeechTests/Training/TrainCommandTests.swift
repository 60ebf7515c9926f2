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
        (["--cell", "linear", "--units", "32"], "--cell linear takes no --units"),
        (["--cell", "linear", "--layers", "2"], "--cell linear takes no --layers"),
        (["--cell", "linear", "--components", "4"], "--cell linear takes no --components"),
        (["--cell", "linear", "--gru-form", "cudnn"], "--cell linear takes no --gru-form"),
        (["--threads", "0"], "--threads"),
    ])
    func invalidFlagsAreNamed(flags: [String], named: String) throws {
        let result = try Self.command(["train", "/nonexistent", "--output", "/tmp/unused-run"] + flags)
        #expect(result.status != 0)
        #expect(result.stderr.contains(named), "\(result.stderr)")
    }

    /// Resuming a run that already reached --updates trains nothing and says so, with the
    /// flag that would continue it; the run still ends at that update.
    @Test func resumingAFinishedRunSaysThereIsNothingToTrain() throws {
        let scratch = ScratchFolder()
        let data = try Self.makeData(scratch, name: "data")
        let run = scratch.file("run").path
        #expect(try Self.command(["train", data, "--output", run, "--updates", "10"] + Self.tiny).status == 0)
        let again = try Self.command(["train", data, "--output", run, "--updates", "10", "--resume"] + Self.tiny)
        #expect(again.status == 0)
        #expect(again.stderr.contains("already at update 10") && again.stderr.contains("larger --updates"), "\(again.stderr)")
        #expect((again.stdout + again.stderr).contains("after 10 updates"), "\(again.stdout)")
    }

    @Test func resumeRefusesAChangedShapeAndAppliesANewSchedule() throws {
        let scratch = ScratchFolder()
        let data = try Self.makeData(scratch, name: "data")
        let run = scratch.file("run").path
        let first = try Self.command(["train", data, "--output", run, "--updates", "20"] + Self.tiny)
        #expect(first.status == 0, "\(first.stderr)")
        let checkpoint = URL(fileURLWithPath: run + "/checkpoint.ckpt")
        let before = try Data(contentsOf: checkpoint)

        for (flags, message) in [
            (["--cell", "lstm"], "--cell lstm differs from the run's gru; start a new --output or drop the flag"),
            (["--seed", "6"], "--seed 6 differs from the run's 5"),
            (["--batch", "8"], "--batch 8 differs from the run's 4"),
        ] {
            // Later flags win: the run's own tiny flags, then the change.
            let refused = try Self.command(["train", data, "--output", run, "--resume"] + Self.tiny + flags)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains(message), "\(refused.stderr)")
        }
        let linear = try Self.command(["train", data, "--output", run, "--resume", "--cell", "linear"])
        #expect(linear.status != 0 && linear.stderr.contains("--cell linear differs from the run's gru"), "\(linear.stderr)")
        let budget = try Self.command(["train", data, "--output", run, "--resume", "--params", "3k"])
        #expect(budget.status != 0)
        #expect(budget.stderr.contains("--params 3k gives --units 22, which differs from the run's 12"), "\(budget.stderr)")
        #expect(try Data(contentsOf: checkpoint) == before, "a refused resume changed the checkpoint")

        // Only the flags given count: no model flags at all resumes the run as it was, and the
        // new stopping rule and learning rate apply.
        let resumed = try Self.command(["train", data, "--output", run, "--resume", "--updates", "60",
                                        "--learning-rate", "3e-3"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let state = try Checkpoint.readState(from: checkpoint)
        #expect(state.progress.update == 60 && state.config.updates == 60)
        #expect(state.config.learningRate == 3e-3 && state.progress.learningRate == 3e-3)
        #expect(state.config.model.units == 12 && state.config.seed == 5 && state.config.batch == 4)
        let lines = try RunFolder(url: URL(fileURLWithPath: run)).readMetrics()
        #expect(lines.last?.update == 60 && lines.last?.learningRate == 3e-3)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: run + "/config.json"))) as! [String: Any]
        #expect(config["learning_rate"] as? Double == 3e-3)
    }

    @Test func helpListsEveryFlagWithItsDefault() throws {
        // Help text wraps at the terminal's width: compare with the whitespace collapsed.
        func text(_ arguments: [String]) throws -> String {
            try Self.command(arguments).stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        let help = try text(["train", "--help"])
        for flag in ["--cell", "--units", "--params", "--layers", "--components", "--gru-form", "--sigma-floor",
                     "--output", "--learning-rate", "--clip", "--weight-noise", "--batch", "--steps", "--updates",
                     "--minutes", "--eval-every", "--patience", "--checkpoint-every", "--seed", "--threads", "--resume"] {
            #expect(help.contains(" " + flag + " "), "train --help lacks \(flag)")
        }
        for text in ["default: gru", "default: 169k", "default: 0.001)", "default: 0.075", "default: 32", "default: 500"] {
            #expect(help.contains(text), "train --help lacks \(text)")
        }
        let compare = try text(["compare", "--help"])
        #expect(compare.contains("(default: 169k)") && !compare.contains("ParameterBudget"), "\(compare)")
        #expect(compare.contains("default 5; 3 with --quick"), "\(compare)")
    }

    /// `bench train` on the shared model and batch flags: the fields tools/bench-train reads.
    @Test func benchTrainPrintsItsFields() throws {
        let result = try Self.command(["bench", "train", "--cell", "lstm", "--units", "8", "--components", "2",
                                       "--batch", "4", "--steps", "10", "--seconds", "0.05", "--parallel", "2", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(fields["cell"] as? String == "lstm" && fields["units"] as? Int == 8 && fields["components"] as? Int == 2)
        #expect(fields["batch"] as? Int == 4 && fields["steps"] as? Int == 10 && fields["parallel"] as? Int == 2)
        for key in ["train_steps_per_second", "inference_steps_per_second", "train_steps_per_cpu_second",
                    "train_sgemm_bound_steps_per_second", "train_fraction_of_sgemm_bound", "final_loss"] {
            let value = fields[key] as? Double
            #expect(value?.isFinite == true && value! != 0, "\(key): \(String(describing: fields[key]))")
        }
        let linear = try Self.command(["bench", "train", "--cell", "linear"])
        #expect(linear.status != 0 && linear.stderr.contains("--cell"))
    }

    @Test func missingDataFolderIsNamed() throws {
        let result = try Self.command(["train", "/nonexistent/data", "--output", "/tmp/unused-run-2"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent/data"), "\(result.stderr)")
    }
}
