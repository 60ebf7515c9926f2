// Runs `rawspeech train` child processes, several at once, each logging to its run folder's
// train.log. With more than one job each child gets one OpenBLAS thread: two single-threaded
// trainings on two cores beat one two-threaded one for these small GEMMs.
import Foundation

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
