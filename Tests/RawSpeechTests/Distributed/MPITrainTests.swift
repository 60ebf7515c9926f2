// `mpirun -np N rawspeech train` end to end, against one process with N threads: the same
// seed and global batch give the same bits; a run moves between 2 ranks and 1 process in
// either direction and continues exactly; kill -9 of one rank ends the job and --resume
// continues from the last checkpoint.
//
// Why the bits agree: with --threads 1 each rank runs ParallelStep over its rows of the batch
// (the rows thread r would get), scaled by rows/B of the global batch, and one in-place
// MPI_Allreduce adds the ranks' gradients. One process with --threads 2 adds the same two
// parts, g = w0 p0 + w1 p1. With two ranks every MPI algorithm computes p0 + p1 or p1 + p0,
// and float addition is commutative: the same bits. With more ranks MPI_SUM may group the
// additions in any way ((a + b) + c or a + (b + c)), and float addition is not associative:
// MPIWorld.orderedSum replaces it there (slices to their owner rank, added in rank order,
// gathered back), which the 3-rank case checks. What would still break it: ranks on CPUs or
// builds that pick other kernels (OPENBLAS_CORETYPE, RAWSPEECH_CKERNELS) — the periodic
// weights check stops such a job.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechTraining

/// mpirun for tests: as root (allowed here by environment), over shared memory without
/// UCX, every job under a time limit (a lost rank can leave the others waiting).
enum MPIRun {
    static var mpirun: String? { EvalProcess.which("mpirun") }

    static func arguments(ranks: Int, _ command: [String]) throws -> [String] {
        let binary = try #require(CommandLineTests.binary(), "rawspeech binary not found").path
        return ["--mca", "pml", "ob1", "--oversubscribe", "-np", "\(ranks)", binary] + command
    }

    static func environment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if getuid() == 0 {
            environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
            environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        }
        environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
        return environment
    }

    /// Starts `mpirun -np ranks rawspeech command...` under `timeout`.
    static func launch(ranks: Int, _ command: [String], seconds: Int = 300) throws -> Process {
        let mpirun = try #require(Self.mpirun, "mpirun not found: run tools/setup (openmpi-bin)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-k", "10", "\(seconds)", mpirun] + (try arguments(ranks: ranks, command))
        process.environment = environment()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("mpirun-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Runs it to the end: the status and what it printed.
    static func run(ranks: Int, _ command: [String], seconds: Int = 300) throws -> (status: Int32, output: String) {
        let mpirun = try #require(Self.mpirun, "mpirun not found: run tools/setup (openmpi-bin)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-k", "10", "\(seconds)", mpirun] + (try arguments(ranks: ranks, command))
        process.environment = environment()
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// The pids of the rawspeech processes whose environment says they are `rank` of a job.
    static func processes(rank: Int? = nil, under folder: String) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let command = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
                  command.contains("rawspeech"), command.contains(folder), !command.contains("mpirun"),
                  !command.contains("timeout"),
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            let variables = String(decoding: environ, as: UTF8.self).split(separator: "\0")
            guard let rank else { return variables.contains { $0.hasPrefix("OMPI_COMM_WORLD_RANK=") } }
            return variables.contains { $0 == "OMPI_COMM_WORLD_RANK=\(rank)" }
        }
    }
}

@Suite(.serialized) struct MPITrainTests {
    static let tiny = TrainCommandTests.tiny

    static func weights(_ run: String) throws -> TrainingState {
        try Checkpoint.readState(from: URL(fileURLWithPath: run + "/checkpoint.ckpt"))
    }

    static func expectSameRun(_ a: String, _ b: String, _ label: String) throws {
        let (x, y) = (try weights(a), try weights(b))
        #expect(x.progress.update == y.progress.update, "\(label): updates")
        #expect(Signals.mismatch(x.model.parameters, y.model.parameters) == nil, "\(label): weights differ")
        #expect(Signals.mismatch(x.bestParameters, y.bestParameters) == nil, "\(label): best weights differ")
        #expect(Signals.mismatch(x.optimizer.meanSquare, y.optimizer.meanSquare) == nil, "\(label): RMSProp state differs")
        #expect(Signals.mismatch(x.carriedState, y.carriedState) == nil, "\(label): carried state differs")
        let metricsA = try RunFolder(url: URL(fileURLWithPath: a)).readMetrics()
        let metricsB = try RunFolder(url: URL(fileURLWithPath: b)).readMetrics()
        #expect(metricsA.map(\.update) == metricsB.map(\.update), "\(label): metrics lines")
        #expect(metricsA.map(\.trainNLL) == metricsB.map(\.trainNLL), "\(label): train NLL")
        #expect(metricsA.map(\.validNLL) == metricsB.map(\.validNLL), "\(label): valid NLL")
    }

    @Test(arguments: [2, 3])
    func ranksGiveTheBitsOfAsManyThreads(ranks: Int) throws {
        let scratch = ScratchFolder()
        let data = try TrainCommandTests.makeData(scratch, name: "data")
        let flags = Self.tiny.filter { $0 != "4" && $0 != "--batch" } + ["--batch", "6", "--updates", "150"]
        let threads = scratch.file("threads").path
        let alone = try TrainCommandTests.command(["train", data, "--output", threads, "--threads", "\(ranks)"] + flags)
        #expect(alone.status == 0, "\(alone.stderr)")
        let job = scratch.file("ranks").path
        let ran = try MPIRun.run(ranks: ranks, ["train", data, "--output", job, "--threads", "1"] + flags)
        #expect(ran.status == 0, "\(ran.output)")
        #expect(ran.output.contains("\(ranks) ranks"), "\(ran.output)")
        try Self.expectSameRun(threads, job, "\(ranks) ranks vs \(ranks) threads")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: job + "/config.json"))) as? [String: Any]
        #expect(config?["ranks"] as? Int == ranks)
    }

    @Test func aRunMovesBetweenTwoRanksAndOneProcess() throws {
        let scratch = ScratchFolder()
        let data = try TrainCommandTests.makeData(scratch, name: "data")
        let whole = scratch.file("whole").path
        let reference = try TrainCommandTests.command(["train", data, "--output", whole, "--threads", "2",
                                                       "--updates", "200"] + Self.tiny)
        #expect(reference.status == 0, "\(reference.stderr)")

        // 2 ranks for 100 updates, then one process with 2 threads to 200.
        let there = scratch.file("ranks-then-threads").path
        let first = try MPIRun.run(ranks: 2, ["train", data, "--output", there, "--threads", "1", "--updates", "100"] + Self.tiny)
        #expect(first.status == 0, "\(first.output)")
        let second = try TrainCommandTests.command(["train", data, "--output", there, "--threads", "2",
                                                    "--updates", "200", "--resume"] + Self.tiny)
        #expect(second.status == 0 && second.stderr.contains("resuming at update 100"), "\(second.stderr)")
        try Self.expectSameRun(whole, there, "2 ranks then 2 threads")

        // And back: one process for 100 updates, then 2 ranks to 200.
        let back = scratch.file("threads-then-ranks").path
        let third = try TrainCommandTests.command(["train", data, "--output", back, "--threads", "2",
                                                   "--updates", "100"] + Self.tiny)
        #expect(third.status == 0, "\(third.stderr)")
        let fourth = try MPIRun.run(ranks: 2, ["train", data, "--output", back, "--threads", "1", "--updates", "200",
                                               "--resume"] + Self.tiny)
        #expect(fourth.status == 0 && fourth.output.contains("resuming at update 100"), "\(fourth.output)")
        try Self.expectSameRun(whole, back, "2 threads then 2 ranks")
    }

    /// --accumulate 2: each rank sums its rows of both micro-batches before the one allreduce,
    /// as each thread's part does before the parts are combined; the checkpoint gathers the
    /// ranks' rows of both micro-batches' carried state. Resumed halfway on the ranks.
    @Test func accumulatingRanksGiveTheBitsOfAsManyThreads() throws {
        let scratch = ScratchFolder()
        let data = try TrainCommandTests.makeData(scratch, name: "data")
        let flags = Self.tiny + ["--accumulate", "2"]
        let threads = scratch.file("threads").path
        let alone = try TrainCommandTests.command(["train", data, "--output", threads, "--threads", "2", "--updates", "150"] + flags)
        #expect(alone.status == 0, "\(alone.stderr)")
        let job = scratch.file("ranks").path
        let first = try MPIRun.run(ranks: 2, ["train", data, "--output", job, "--threads", "1", "--updates", "100"] + flags)
        #expect(first.status == 0, "\(first.output)")
        let refused = try TrainCommandTests.command(["train", data, "--output", job, "--threads", "2", "--updates", "150",
                                                     "--resume"] + Self.tiny + ["--accumulate", "3"])
        #expect(refused.status != 0 && refused.stderr.contains("--accumulate 3 differs from the run's 2"), "\(refused.stderr)")
        let second = try MPIRun.run(ranks: 2, ["train", data, "--output", job, "--threads", "1", "--updates", "150",
                                               "--resume"] + flags)
        #expect(second.status == 0 && second.output.contains("resuming at update 100"), "\(second.output)")
        try Self.expectSameRun(threads, job, "2 ranks vs 2 threads, --accumulate 2")
    }

    @Test func killingOneRankEndsTheJobAndResumeContinues() throws {
        let scratch = ScratchFolder()
        let data = try TrainCommandTests.makeData(scratch, name: "data")
        let run = scratch.file("killed").path
        let job = try MPIRun.launch(ranks: 2, ["train", data, "--output", run, "--threads", "1",
                                               "--updates", "1000000"] + Self.tiny)
        let checkpoint = run + "/checkpoint.ckpt"
        var deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint) && job.isRunning && Date() < deadline { usleep(5_000) }
        let victim = try #require(MPIRun.processes(rank: 1, under: run).first, "rank 1 not found")
        kill(victim, SIGKILL)
        let killed = Date()
        deadline = killed.addingTimeInterval(60)
        while job.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!job.isRunning, "mpirun still running a minute after rank 1 was killed")
        if job.isRunning { job.terminate() }
        job.waitUntilExit()
        #expect(job.terminationStatus != 0, "the job reported success after losing a rank")
        #expect(Date().timeIntervalSince(killed) < 60)
        #expect(MPIRun.processes(under: run).isEmpty, "ranks left running after the job ended")

        // The checkpoint on disk is whole (read and checksummed), and the run continues from it
        // with exactly the weights of a run that was never killed.
        let killedAt = try Self.weights(run).progress.update
        let target = "\(killedAt + 100)"
        let resumed = try MPIRun.run(ranks: 2, ["train", data, "--output", run, "--threads", "1", "--updates", target,
                                                "--resume"] + Self.tiny)
        #expect(resumed.status == 0 && resumed.output.contains("resuming at update \(killedAt)"), "\(resumed.output)")
        let whole = scratch.file("whole").path
        let reference = try TrainCommandTests.command(["train", data, "--output", whole, "--threads", "2",
                                                       "--updates", target] + Self.tiny)
        #expect(reference.status == 0, "\(reference.stderr)")
        let (a, b) = (try Self.weights(whole), try Self.weights(run))
        #expect(a.progress.update == b.progress.update)
        #expect(Signals.mismatch(a.model.parameters, b.model.parameters) == nil, "resumed weights differ")
    }
}
