// What the built binary does to a folder two processes want, to a run killed between its
// evaluations and its first checkpoint, and to a data folder whose summary.json changed:
// a second writer is refused by name, a killed run's lock is taken over, metrics.jsonl
// never repeats an update, and a changed summary is refused instead of silently training.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechCorpus
@testable import RawSpeechTraining

@Suite(.serialized) struct RunFolderSafetyTests {
    typealias Train = TrainCommandTests

    /// Waits (at most `seconds`) for `condition` while `process` runs; true if it came.
    static func wait(for process: Process, seconds: Double = 120, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }

    static func updates(_ folder: String) throws -> [Int] {
        try RunFolder(url: URL(fileURLWithPath: folder)).readMetrics().map(\.update)
    }

    @Test func aSecondTrainOnTheSameFolderIsRefusedAndAKilledRunsLockIsTakenOver() throws {
        let scratch = ScratchFolder()
        let data = try Train.makeData(scratch, name: "data")
        let run = scratch.file("run").path
        let first = try Train.launch(["train", data, "--output", run, "--updates", "1000000"] + Train.tiny)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL); first.waitUntilExit() } }
        let checkpoint = run + "/checkpoint.ckpt"
        #expect(Self.wait(for: first) { FileManager.default.fileExists(atPath: checkpoint) }, "no checkpoint came")

        let second = try Train.command(["train", data, "--output", run, "--updates", "20", "--resume"] + Train.tiny)
        #expect(second.status != 0, "a second writer was let in")
        #expect(second.stderr.contains(run) && second.stderr.contains("in use"), "\(second.stderr)")
        #expect(second.stderr.contains("pid \(first.processIdentifier)"), "\(second.stderr)")
        #expect(first.isRunning, "the first run was disturbed")

        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let killedAt = try Checkpoint.readState(from: URL(fileURLWithPath: checkpoint)).progress.update
        let resumed = try Train.command(["train", data, "--output", run, "--updates", "\(killedAt + 50)", "--resume"] + Train.tiny)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming at update \(killedAt)"), "\(resumed.stderr)")
    }

    @Test func aSecondPreprocessOrCompareOnTheSameFolderIsRefused() throws {
        let scratch = ScratchFolder()
        let data = try Train.makeData(scratch, name: "data")
        // Hold each folder as a running command would, then ask the binary for it.
        let held = try FolderLock(folder: URL(fileURLWithPath: data), purpose: "preprocess")
        let again = try Train.command(["preprocess", scratch.file("m.jsonl").path, "--output", data])
        #expect(again.status != 0)
        #expect(again.stderr.contains(data) && again.stderr.contains("in use"), "\(again.stderr)")
        held.release()

        let comparison = scratch.file("cmp")
        let heldComparison = try FolderLock(folder: comparison, purpose: "compare")
        let compare = try Train.command(["compare", data, "--output", comparison.path, "--cells", "gru", "--params", "2k",
                                         "--learning-rates", "0.001", "--minutes", "0.01", "--jobs", "1"])
        #expect(compare.status != 0)
        #expect(compare.stderr.contains(comparison.path) && compare.stderr.contains("in use"), "\(compare.stderr)")
        #expect(!FileManager.default.fileExists(atPath: comparison.appendingPathComponent("plan.json").path))
        heldComparison.release()
    }

    /// Killed after three evaluations and before its first checkpoint, rerun with or without
    /// --resume: metrics.jsonl reads 10, 20, 30 (it read 10, 20, 30, 10, 20, 30).
    @Test(arguments: [false, true]) func aRunKilledBeforeItsFirstCheckpointLeavesNoDuplicateLines(resume: Bool) throws {
        let scratch = ScratchFolder()
        let data = try Train.makeData(scratch, name: "data")
        let run = scratch.file("run").path
        let flags = Train.tiny + ["--eval-every", "10", "--checkpoint-every", "1000"]
        let first = try Train.launch(["train", data, "--output", run, "--updates", "1000000"] + flags)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL); first.waitUntilExit() } }
        #expect(Self.wait(for: first) { ((try? Self.updates(run)) ?? []).count >= 3 }, "no evaluations came")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: run + "/checkpoint.ckpt"))

        let again = try Train.command(["train", data, "--output", run, "--updates", "30"] + flags + (resume ? ["--resume"] : []))
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Self.updates(run) == [10, 20, 30])
    }

    @Test func aChangedSummaryIsRefusedNamingItAndPreprocess() throws {
        let scratch = ScratchFolder()
        let data = try Train.makeData(scratch, name: "data")
        let summary = URL(fileURLWithPath: data + "/summary.json")
        #expect(try DataFolder(url: URL(fileURLWithPath: data)).summaryVerified)
        // One digit of train_mean changed: every model trained on it would be silently off.
        var text = try String(contentsOf: summary, encoding: .utf8)
        let range = try #require(text.range(of: #""train_mean" : -?[0-9]"#, options: .regularExpression))
        let last = text.index(before: range.upperBound)
        text.replaceSubrange(last ... last, with: text[last] == "7" ? "8" : "7")
        try Data(text.utf8).write(to: summary)

        let run = try Train.command(["train", data, "--output", scratch.file("run").path, "--updates", "5"] + Train.tiny)
        #expect(run.status != 0, "training ran on a changed summary.json")
        #expect(run.stderr.contains(summary.path) && run.stderr.contains("preprocess"), "\(run.stderr)")
        #expect(throws: CorpusError.self) { try DataFolder(url: URL(fileURLWithPath: data)) }
    }

    @Test func aFolderWithoutTheChecksumIsReadWithAWarning() throws {
        let scratch = ScratchFolder()
        let data = try Train.makeData(scratch, name: "data")
        try FileManager.default.removeItem(atPath: data + "/" + DataFolder.checksumFile)
        #expect(try !DataFolder(url: URL(fileURLWithPath: data)).summaryVerified)
        let run = try Train.command(["train", data, "--output", scratch.file("run").path, "--updates", "5"] + Train.tiny)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("warning") && run.stderr.contains(DataFolder.checksumFile), "\(run.stderr)")
    }

    /// A run resumed on another data folder, even one with the same normalization and frames,
    /// is refused: the checkpoint records its summary.json's SHA-256.
    @Test func resumingOnAnotherDataFolderIsRefused() throws {
        let scratch = ScratchFolder()
        let data = try Train.makeData(scratch, name: "data")
        let run = scratch.file("run").path
        let done = try Train.command(["train", data, "--output", run, "--updates", "50"] + Train.tiny)
        #expect(done.status == 0, "\(done.stderr)")
        #expect(try Checkpoint.readState(from: URL(fileURLWithPath: run + "/checkpoint.ckpt")).dataSummarySHA256 != nil)
        let config = try String(contentsOfFile: run + "/config.json", encoding: .utf8)
        #expect(config.contains("data_summary_sha256"))

        // Another folder: the same shards and statistics, a summary that says one more thing.
        let other = scratch.file("other").path
        try FileManager.default.copyItem(atPath: data, toPath: other)
        var summary = try JSONDecoder().decode(DataSummary.self, from: Data(contentsOf: URL(fileURLWithPath: other + "/summary.json")))
        summary.skipped.append(SkippedFile(path: "gone.wav", line: 9, error: "not audio"))
        try DataFolder.writeSummary(summary, to: URL(fileURLWithPath: other))

        let resumed = try Train.command(["train", other, "--output", run, "--updates", "100", "--resume"] + Train.tiny)
        #expect(resumed.status != 0, "resumed on another data folder")
        #expect(resumed.stderr.contains(run + "/checkpoint.ckpt") && resumed.stderr.contains("data folder the run started with"),
                "\(resumed.stderr)")
        let same = try Train.command(["train", data, "--output", run, "--updates", "100", "--resume"] + Train.tiny)
        #expect(same.status == 0, "\(same.stderr)")
    }
}
