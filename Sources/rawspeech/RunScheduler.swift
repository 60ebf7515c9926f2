// Runs `rawspeech train` child processes, several at once, each logging to its run folder's
// train.log, and measures what each consumed: the child is spawned with posix_spawn and
// reaped with wait4, whose rusage is that child's own CPU time (user + system, all its
// threads). With more than one job each child gets one OpenBLAS thread: two single-threaded
// trainings on two cores beat one two-threaded one for these small GEMMs.
//
// In waves (`compare --minutes`), a new set of runs starts only when the previous set has
// finished, so runs on a wall-clock budget share the machine with as many peers as each
// other and no run gets a core to itself while the others split theirs.
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
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
        /// User + system CPU seconds of the child (wait4's rusage).
        var cpuSeconds: Double
    }

    let jobs: Int
    let waves: Bool
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

    init(jobs: Int, waves: Bool = false, interrupt: InterruptFlag) {
        self.jobs = jobs
        self.waves = waves
        self.interrupt = interrupt
    }

    /// Runs every job, at most `jobs` at a time (in waves when `waves`); calls
    /// `onStart`/`onFinish` as they go. Stops starting new jobs once an interrupt is
    /// requested (running ones checkpoint: Ctrl-C reaches them too, as one process group).
    func run(_ queue: [Job], onStart: (Job, Int) -> Void, onFinish: (Finished, Int) -> Void) throws -> [Finished] {
        var pending = queue[...]
        var running: [(job: Job, pid: pid_t, started: Date)] = []
        var finished: [Finished] = []
        var environment = ProcessInfo.processInfo.environment
        if jobs > 1 { environment["OPENBLAS_NUM_THREADS"] = "1" }
        // Children are not ranks of an MPI job this process may belong to (compare under mpirun).
        for name in environment.keys where ["OMPI_", "PMI_", "PMIX_"].contains(where: name.hasPrefix) {
            environment[name] = nil
        }
        while !pending.isEmpty || !running.isEmpty {
            if !waves || running.isEmpty {
                while running.count < jobs, let job = pending.first, !interrupt.isRequested {
                    pending = pending.dropFirst()
                    try FileManager.default.createDirectory(at: job.log.deletingLastPathComponent(),
                                                            withIntermediateDirectories: true)
                    let pid = try Self.spawn(job, environment: environment)
                    running.append((job, pid, Date()))
                    onStart(job, queue.count - pending.count)
                }
            }
            if interrupt.isRequested && !pending.isEmpty { pending = [] }
            usleep(200_000)
            running.removeAll { job, pid, started in
                var status: Int32 = 0
                var usage = rusage()
                let reaped = wait4(pid, &status, WNOHANG, &usage)
                guard reaped == pid || (reaped == -1 && errno == ECHILD) else { return false }
                func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
                let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                let done = Finished(job: job, status: reaped == pid ? exit : -1,
                                    seconds: Date().timeIntervalSince(started),
                                    cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime))
                finished.append(done)
                onFinish(done, finished.count)
                return true
            }
        }
        return finished
    }

    /// `/proc/self/exe job.arguments...` with stdout and stderr to the job's log (truncated)
    /// and stdin from /dev/null; signal mask and SIGINT/SIGTERM handling reset to defaults.
    static func spawn(_ job: Job, environment: [String: String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, job.log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let executable = "/proc/self/exe"
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + job.arguments).map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
        guard result == 0 else {
            throw ValidationError("cannot start `rawspeech \(job.arguments.joined(separator: " "))`: \(String(cString: strerror(result)))")
        }
        return pid
    }
}
