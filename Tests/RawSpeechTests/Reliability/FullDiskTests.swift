// A full disk in the middle of a run: each file the trainer writes (checkpoint.ckpt,
// model.ckpt, metrics.jsonl) is sent to /dev/full in turn (WriteFaults), so the kernel
// fails the write with ENOSPC as a full disk does. The run stops with an error naming that
// file, leaves no temporary behind and its last checkpoint whole, and a resume once space is
// back ends with exactly the weights and metrics of a run that never saw the full disk.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork
@testable import RawSpeechTraining

@Suite(.serialized) struct FullDiskTests {
    static func config() -> TrainingConfig {
        var config = TrainingConfig(model: ModelConfig(cell: .gru, units: 16, components: 2))
        config.batch = 4
        config.steps = 10
        config.updates = 120
        config.evalEvery = 20
        config.checkpointEvery = 40
        config.patience = 0
        return config
    }

    /// `file` fails from the checkpoint at update `after` on (0: from the start, so the run
    /// never checkpoints and a resume starts afresh: its metrics were duplicated before).
    @Test(arguments: [("checkpoint.ckpt", 40), ("model.ckpt", 40), ("metrics.jsonl", 40), ("checkpoint.ckpt", 0)])
    func aFullDiskNamesTheFileAndTheRunResumesExactly(file: String, after: Int) throws {
        let data = syntheticData(trainSeconds: 2, validSeconds: 0.5)
        let whole = temporaryRunFolder("whole")
        let split = temporaryRunFolder("full-disk")
        defer {
            try? FileManager.default.removeItem(at: whole.url)
            try? FileManager.default.removeItem(at: split.url)
        }
        try whole.create()
        try split.create()
        _ = try Trainer(config: Self.config(), data: data, run: whole, resume: false).train()

        // The disk fills up after the first checkpoint.
        let path = split.url.appendingPathComponent(file).path
        defer { WriteFaults.remove(path) }
        if after == 0 { WriteFaults.redirect(path, to: "/dev/full") }
        let error = #expect(throws: (any Error).self) {
            _ = try Trainer(config: Self.config(), data: data, run: split, resume: false).train(onEvent: { event in
                if case .checkpoint(after) = event { WriteFaults.redirect(path, to: "/dev/full") }
            })
        }
        let message = "\(error.map { "\($0)" } ?? "")"
        #expect(message.contains(path), "the error does not name \(file): \(message)")
        let left = try FileManager.default.contentsOfDirectory(atPath: split.url.path)
        #expect(!left.contains { $0.hasPrefix(".tmp-") }, "temporaries left behind: \(left)")
        if after > 0 {
            let saved = try Checkpoint.readState(from: split.checkpoint).progress.update
            #expect(saved == (file == "model.ckpt" ? 80 : 40))
            _ = try Checkpoint.loadModel(from: split.model)
        } else {
            #expect(!FileManager.default.fileExists(atPath: split.checkpoint.path))
        }

        // Space is back: the resumed run ends where the uninterrupted one did.
        WriteFaults.remove(path)
        _ = try Trainer(config: Self.config(), data: data, run: split, resume: true).train()
        let a = try Checkpoint.readState(from: whole.checkpoint)
        let b = try Checkpoint.readState(from: split.checkpoint)
        #expect(b.progress.update == 120)
        #expect(Signals.mismatch(a.model.parameters, b.model.parameters) == nil)
        #expect(Signals.mismatch(a.bestParameters, b.bestParameters) == nil)
        #expect(try whole.readMetrics().map(\.update) == split.readMetrics().map(\.update))
        #expect(try whole.readMetrics().map(\.validNLL) == split.readMetrics().map(\.validNLL))
    }

    /// metrics.jsonl linked to /dev/zero: refused as what it is (Foundation's own refusal said
    /// "You don't have permission", which sent users to chmod).
    @Test func aLogThatIsNotARegularFileIsRefusedAsSuch() throws {
        let scratch = ScratchFolder()
        let data = try TrainCommandTests.makeData(scratch, name: "data")
        let run = scratch.file("run").path
        let done = try TrainCommandTests.command(["train", data, "--output", run, "--updates", "50"] + TrainCommandTests.tiny)
        #expect(done.status == 0, "\(done.stderr)")
        try FileManager.default.removeItem(atPath: run + "/metrics.jsonl")
        try FileManager.default.createSymbolicLink(atPath: run + "/metrics.jsonl", withDestinationPath: "/dev/zero")
        let binary = try #require(CommandLineTests.binary())
        let resumed = try NumericFlagTests.run(binary, ["train", data, "--output", run, "--updates", "100", "--resume"] + TrainCommandTests.tiny)
        #expect(!resumed.timedOut && !resumed.signaled, "train --resume hung or crashed on metrics.jsonl -> /dev/zero")
        #expect(resumed.status != 0 && resumed.stderr.contains(run + "/metrics.jsonl") && resumed.stderr.contains("not a regular file"),
                "\(resumed.stderr)")
    }

    @Test func configurationsBeyondTheLimitsAreRefusedBeforeAllocating() throws {
        var config = TrainingConfig.defaults
        try config.check()
        config.clip = .infinity
        #expect(throws: TrainingError.invalidConfig(field: "clip", reason: "must be in 0.0...1000000.0 (got inf)")) { try config.check() }
        config = .defaults
        config.batch = 65_536
        #expect { try config.check() } throws: { error in
            guard case TrainingError.tooLarge(let bytes, _)? = error as? TrainingError else { return false }
            return bytes > TrainingLimits.memoryBytes
        }
        config = .defaults
        config.model.layers = 2_147_483_648
        #expect { try config.check() } throws: { ($0 as? TrainingError).map { "\($0)" }?.hasPrefix("layers") ?? false }
        // The estimate itself never overflows, whatever the values.
        config.model.units = .max
        config.batch = .max
        #expect(config.estimatedBytes() > TrainingLimits.memoryBytes)
    }
}
