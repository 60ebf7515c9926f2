// Every numeric flag of every subcommand, given 0, -1, 2^31, 2^63 - 1, 1e308, inf and nan
// through the built binary: each value is either refused with an error naming the flag and
// a non-zero exit, or accepted and the command completes. Never a trap (SIGILL, SIGSEGV),
// never a hang (each run has 20 s), never a run that trains and then fails elsewhere.
// The flags come from a list kept here and checked against each command's --help, so a new
// option cannot be left out: it must be listed as numeric or as not numeric.
import Foundation
import Testing
@testable import RawSpeechCore

@Suite(.serialized) struct NumericFlagTests {
    static let values = ["0", "-1", "2147483648", "9223372036854775807", "1e308", "inf", "nan"]

    /// One subcommand: its words, the arguments it runs with, its numeric flags, and the
    /// options that take a value but not a number.
    struct Command: Sendable {
        var words: [String]
        /// Called with a fresh scratch path per invocation (an output no other run shares).
        var base: @Sendable (String) -> [String]
        var numeric: [String]
        var other: [String]
        /// A path in `base` that does not exist, when the command is run dry (an accepted
        /// value then ends on the error that names it, before any long work).
        var dryMarker: String? = nil
    }

    struct Outcome: Sendable {
        var arguments: [String]
        var status: Int32
        var signaled: Bool
        var timedOut: Bool
        var stderr: String
        var seconds: Double = 0
    }

    /// Runs the binary with a time limit; a run past it is killed and reported.
    static func run(_ binary: URL, _ arguments: [String], seconds: Double = 20) throws -> Outcome {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"  // a trap is seen by its signal; skip the slow backtrace
        process.environment = environment
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        let started = Date()
        try process.run()
        nonisolated(unsafe) var stderr = Data()
        let reader = DispatchGroup()
        DispatchQueue.global().async(group: reader) { stderr = err.fileHandleForReading.readDataToEndOfFile() }
        let timedOut = done.wait(timeout: .now() + seconds) == .timedOut
        if timedOut {
            kill(process.processIdentifier, SIGKILL)
            done.wait()
        }
        reader.wait()
        return Outcome(arguments: arguments, status: process.terminationStatus,
                       signaled: process.terminationReason == .uncaughtSignal, timedOut: timedOut,
                       stderr: String(decoding: stderr, as: UTF8.self), seconds: Date().timeIntervalSince(started))
    }

    /// The options of `words` that take a value, from --help ("--units <units>").
    static func helpOptions(_ binary: URL, _ words: [String]) throws -> Set<String> {
        var options: Set<String> = []
        for line in try CommandLineTests().run(words + ["--help"]).stdout.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("-") else { continue }
            let words = text.split(separator: " ")
            for (index, word) in words.enumerated().dropLast() where word.hasPrefix("--") && words[index + 1].hasPrefix("<") {
                options.insert(String(word.trimmingCharacters(in: CharacterSet(charactersIn: ","))))
            }
        }
        return options
    }

    /// `base` with `flag` (and what it excludes) taken out, then `flag=value` added.
    static func arguments(_ base: [String], _ flag: String, _ value: String, spaced: Bool = false) -> [String] {
        var excluded: Set<String> = [flag]
        if flag == "--params" { excluded.insert("--units") }
        if flag == "--units" { excluded.insert("--params") }
        var kept: [String] = []
        var index = 0
        while index < base.count {
            if excluded.contains(base[index]) { index += 2; continue }
            kept.append(base[index])
            index += 1
        }
        return kept + (spaced ? [flag, value] : ["\(flag)=\(value)"])
    }

    @Test func everyNumericFlagRefusesOrSurvivesHostileValues() throws {
        let binary = try #require(CommandLineTests.binary(), "rawspeech binary not found")
        let scratch = ScratchFolder()
        let data = try TrainCommandTests.makeData(scratch, name: "data")
        let manifest = scratch.file("m.jsonl").path
        let corpus = scratch.file("corpus").path
        let wav = corpus + "/ann/take.wav"
        let model = scratch.file("model").path
        let trained = try TrainCommandTests.command(["train", data, "--output", model, "--updates", "5"] + TrainCommandTests.tiny)
        #expect(trained.status == 0, "\(trained.stderr)")
        let missing = scratch.file("no-such-data").path
        let tiny = TrainCommandTests.tiny

        let commands: [Command] = [
            Command(words: ["manifest"], base: { [corpus, "--output", $0 + ".jsonl", "--test", "0", "--valid", "0.34"] },
                    numeric: ["--speaker-level", "--valid", "--test", "--seed"], other: ["--from", "--output", "--split-by"]),
            Command(words: ["preprocess"], base: { [manifest, "--output", $0] },
                    numeric: ["--sample-rate", "--jobs", "--frame-input", "--frame-target", "--frame-hop"],
                    other: ["--output", "--sample-format"]),
            Command(words: ["train"], base: { [data, "--output", $0] + tiny + ["--updates", "3", "--minutes", "0.01", "--threads", "1"] },
                    numeric: ["--units", "--params", "--layers", "--components", "--sigma-floor", "--learning-rate", "--clip",
                              "--weight-noise", "--batch", "--steps", "--eval-every", "--patience", "--updates", "--minutes",
                              "--checkpoint-every", "--seed", "--threads", "--valid-seconds", "--accumulate"],
                    other: ["--output", "--cell", "--gru-form"]),
            Command(words: ["score"], base: { _ in [model, wav, "--baseline", "none", "--no-save", "--jobs", "1"] },
                    numeric: ["--stream-above", "--jobs"], other: ["--json", "--split", "--baseline"]),
            Command(words: ["generate"], base: { [model, "--seconds", "0.05", "--output", $0 + ".wav", "--data", data] },
                    numeric: ["--seconds", "--steps", "--tempo", "--temperature", "--component-temperature", "--sigma-scale", "--seed"],
                    other: ["--output", "--prime", "--data"]),
            // Dry: the runs a comparison launches are `train`s, whose flags are tested above.
            Command(words: ["compare"], base: { [missing, "--output", $0, "--cells", "gru", "--params", "2k",
                                                 "--learning-rates", "0.001", "--minutes", "0.01", "--jobs", "1"] },
                    numeric: ["--params", "--trials", "--learning-rates", "--seeds", "--minutes", "--updates", "--weight-noise", "--batch",
                              "--steps", "--eval-every", "--patience", "--jobs", "--seed", "--valid-seconds", "--accumulate"],
                    other: ["--cells", "--output"], dryMarker: missing),
            Command(words: ["report"], base: { _ in [] }, numeric: [], other: ["--output", "--title"]),
            Command(words: ["midi"], base: { [missing, "test/000", "--output", $0 + ".mid"] }, numeric: ["--tempo"], other: ["--output"],
                    dryMarker: missing),
            Command(words: ["export"], base: { _ in [] }, numeric: [], other: ["--output"]),
            Command(words: ["bench", "train"], base: { _ in ["--units", "8", "--components", "2", "--batch", "2", "--steps", "5",
                                                         "--seconds", "0.05", "--threads", "1"] },
                    numeric: ["--units", "--params", "--layers", "--components", "--sigma-floor", "--batch", "--steps",
                              "--weight-noise", "--seconds", "--threads", "--parallel", "--accumulate"],
                    other: ["--cell", "--gru-form"]),
            Command(words: ["bench", "score"], base: { _ in ["--units", "8", "--seconds", "0.2", "--repeats", "1", "--recordings", "1"] },
                    numeric: ["--units", "--seconds", "--recordings", "--repeats", "--generate-seconds"], other: ["--cell", "--gru-form"]),
            Command(words: ["blas-info"], base: { _ in [] }, numeric: [], other: []),
        ]

        // The list above against the binary's own help: every option is accounted for.
        for command in commands {
            let listed = Set(command.numeric + command.other)
            let shown = try Self.helpOptions(binary, command.words)
            #expect(shown == listed, "rawspeech \(command.words.joined(separator: " ")): --help shows \(shown.sorted()), the test lists \(listed.sorted())")
        }

        // Every (command, flag, value), four at a time.
        var cases: [(Command, String, [String])] = []
        for command in commands {
            for flag in command.numeric {
                for (index, value) in Self.values.enumerated() {
                    let out = scratch.file("out-\(cases.count)-\(index)").path
                    cases.append((command, flag, command.words + Self.arguments(command.base(out), flag, value)))
                }
                // The spaced form of a negative number (once per command: it fails in parsing,
                // whatever the flag): refused, saying how to write it.
                if flag == command.numeric.first {
                    let out = scratch.file("out-\(cases.count)-spaced").path
                    cases.append((command, flag, command.words + Self.arguments(command.base(out), flag, "-1", spaced: true)))
                }
            }
        }
        let invocations = cases.map(\.2)
        let results = ConcurrentResults<Outcome>(count: cases.count)
        let next = NSLock()
        nonisolated(unsafe) var cursor = 0
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            while true {
                next.lock()
                let index = cursor
                cursor += 1
                next.unlock()
                guard index < invocations.count else { return }
                if let outcome = try? Self.run(binary, invocations[index]) { results.set(index, outcome) }
            }
        }
        var accepted: [String] = []
        for (index, (command, flag, arguments)) in cases.enumerated() {
            let line = "rawspeech " + arguments.joined(separator: " ")
            guard let outcome = results.values[index] else { Issue.record("\(line): could not run"); continue }
            #expect(!outcome.timedOut, "\(line): still running after 20 s")
            #expect(!outcome.signaled, "\(line): killed by signal \(outcome.status)\n\(outcome.stderr.prefix(400))")
            guard !outcome.timedOut, !outcome.signaled else { continue }
            if outcome.status == 0 {
                accepted.append(arguments.last!)
                continue
            }
            let named = outcome.stderr.contains(flag) || (command.dryMarker.map { outcome.stderr.contains($0) } ?? false)
            #expect(named, "\(line): exit \(outcome.status) without naming \(flag):\n\(outcome.stderr.prefix(600))")
            if arguments.last == "-1" && arguments[arguments.count - 2] == flag {
                #expect(outcome.stderr.contains("\(flag)=-1"), "\(line): no hint how to write a negative value:\n\(outcome.stderr)")
            }
        }
        #expect(cases.count > 300)
        if ProcessInfo.processInfo.environment["RAWSPEECH_FLAG_TIMES"] != nil {
            let timed = results.values.compactMap { $0 }.sorted { $0.seconds > $1.seconds }
            for outcome in timed.prefix(40) { print(String(format: "%.2f s  exit %d  ", outcome.seconds, outcome.status) + outcome.arguments.joined(separator: " ")) }
            print("accepted: \(accepted.joined(separator: " "))")
        }
    }

    /// Values each within its flag's bounds whose product is too big: refused by the memory
    /// budget, naming the flags, before the data folder is even read.
    @Test(arguments: [["train", "no-data", "--output", "no-run", "--units", "60000"],
                      ["train", "no-data", "--output", "no-run", "--batch", "60000", "--steps", "1000"],
                      ["bench", "train", "--layers", "64", "--units", "8000"],
                      ["bench", "score", "--units", "60000"]])
    func aModelTooBigForMemoryIsRefusedNamingItsFlags(arguments: [String]) throws {
        let binary = try #require(CommandLineTests.binary())
        let outcome = try Self.run(binary, arguments)
        #expect(!outcome.timedOut && !outcome.signaled)
        #expect(outcome.status == 64 && outcome.stderr.contains("GB") && outcome.stderr.contains(arguments[arguments.count - 2]),
                "\(outcome.stderr)")
    }
}
