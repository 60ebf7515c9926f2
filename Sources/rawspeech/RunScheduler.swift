// Runs `rawspeech train` child processes, several at once, each logging to its run folder's
// train.log. With more than one job each child gets one OpenBLAS thread: two single-threaded
// trainings on two cores beat one two-threaded one for these small GEMMs.
import ArgumentParser
import Foundation
import RawSpeechTraining

final class RunScheduler {
    struct Job {
        var label: String
        var arguments: [String]
        var log: URL
    }

    struct Finished {
        var job: Job
        var status: Int32
        var seconds: Double
    }

    let jobs: Int
    let interrupt: InterruptFlag

    /// `rawspeech train DATA --output RUN ...`: the run of `settings` (and `threads`, each
    /// run's share of the cores). Parsed back before it is used, so a setting that does not
    /// survive the trip through the flags is an error here, not a wrong run.
    static func trainArguments(_ data: String, output: URL, settings: TrainingSettings, threads: Int? = nil) throws -> [String] {
        var arguments = [data, "--output", output.path] + settings.arguments
        if let threads { arguments += ["--threads", "\(threads)"] }
        let parsed = try TrainCommand.parse(arguments)
        guard parsed.options.settings == settings, parsed.threads == threads else {
            throw ValidationError("internal error: `rawspeech train \(arguments.joined(separator: " "))` does not give the planned run")
        }
        return ["train"] + arguments
    }

    init(jobs: Int, interrupt: InterruptFlag) {
        self.jobs = jobs
        self.interrupt = interrupt
    }

    /// Runs every job, at most `jobs` at a time; calls `onStart`/`onFinish` as they go.
    /// Stops starting new jobs once an interrupt is requested (running ones checkpoint).
    func run(_ queue: [Job], onStart: (Job, Int) -> Void, onFinish: (Finished, Int) -> Void) throws -> [Finished] {
        var pending = queue[...]
        var running: [(Job, Process, Date)] = []
        var finished: [Finished] = []
        var environment = ProcessInfo.processInfo.environment
        if jobs > 1 { environment["OPENBLAS_NUM_THREADS"] = "1" }
        // Children are not ranks of an MPI job this process may belong to (compare under mpirun).
        for name in environment.keys where ["OMPI_", "PMI_", "PMIX_"].contains(where: name.hasPrefix) {
            environment[name] = nil
        }
        while !pending.isEmpty || !running.isEmpty {
            while running.count < jobs, let job = pending.first, !interrupt.isRequested {
                pending = pending.dropFirst()
                try FileManager.default.createDirectory(at: job.log.deletingLastPathComponent(),
                                                        withIntermediateDirectories: true)
                FileManager.default.createFile(atPath: job.log.path, contents: nil)
                let log = try FileHandle(forWritingTo: job.log)
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
                process.arguments = job.arguments
                process.environment = environment
                process.standardOutput = log
                process.standardError = log
                try process.run()
                running.append((job, process, Date()))
                onStart(job, queue.count - pending.count)
            }
            if interrupt.isRequested && !pending.isEmpty { pending = [] }
            usleep(200_000)
            running.removeAll { job, process, started in
                guard !process.isRunning else { return false }
                let done = Finished(job: job, status: process.terminationStatus,
                                    seconds: Date().timeIntervalSince(started))
                finished.append(done)
                onFinish(done, finished.count)
                return true
            }
        }
        return finished
    }
}
