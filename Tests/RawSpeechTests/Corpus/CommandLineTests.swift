// The command line end to end: the built `rawspeech` binary makes a manifest of generated
// WAVs, preprocesses it, resumes, and fails with a message naming the file and line on a
// bad one. Catches what library tests cannot: flags, exit codes, where output goes.
import Foundation
import Testing
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest

@Suite struct CommandLineTests {
    /// The `rawspeech` executable built next to this test bundle.
    static func binary() -> URL? {
        var candidates: [URL] = []
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(runner.deletingLastPathComponent().appendingPathComponent("rawspeech"))
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("rawspeech"))
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/rawspeech"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    struct Run { var status: Int32; var stdout: String; var stderr: String }

    func run(_ arguments: [String]) throws -> Run {
        let binary: URL = try #require(Self.binary(), "rawspeech binary not found next to the tests")
        let (status, stdout, stderr) = try EvalProcess.run(binary.path, arguments)
        return Run(status: status, stdout: stdout, stderr: stderr)
    }

    @Test func manifestThenPreprocess() throws {
        let scratch = ScratchFolder()
        let corpus = scratch.file("corpus")
        // Three speakers, one-second stereo WAVs at 22.05 kHz: downmix and resampling on the way.
        for (i, speaker) in ["ann", "ben", "cy"].enumerated() {
            let dir = corpus.appendingPathComponent(speaker)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let left = Signals.sine(frequency: 200 + 100 * Double(i), sampleRate: 22050, count: 22050)
            try AudioFile.write(interleaved: zip(left, left).flatMap { [$0, $1 * 0.5] }, channels: 2,
                                sampleRate: 22050, to: dir.appendingPathComponent("take.wav"))
        }
        let manifest = scratch.file("m.jsonl").path
        let made = try run(["manifest", corpus.path, "--output", manifest, "--seed", "3"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("3 files"))
        #expect(try Manifest.load(URL(fileURLWithPath: manifest)).entries.count == 3)

        let data = scratch.file("data").path
        let first = try run(["preprocess", manifest, "--output", data, "--jobs", "2", "--sample-rate", "16000"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("line 1") && !first.stderr.contains("\r"), "plain lines when not a terminal")
        let summary = try JSONDecoder().decode(DataSummary.self, from: Data(contentsOf: URL(fileURLWithPath: data + "/summary.json")))
        #expect(summary.sampleRate == 16000)
        #expect(Split.allCases.map { summary.splits[$0.rawValue]!.files } == [1, 1, 1])
        #expect(Split.allCases.allSatisfy { summary.splits[$0.rawValue]!.samples == 16000 })

        let second = try run(["preprocess", manifest, "--output", data, "--sample-rate", "16000"])
        #expect(second.status == 0)
        #expect(second.stderr.components(separatedBy: "kept from earlier run").count == 4)
    }

    @Test func badFileExitsNonZeroNamingIt() throws {
        let scratch = ScratchFolder()
        try Data("no audio here".utf8).write(to: scratch.file("bad.wav"))
        try AudioFile.write(Signals.sine(frequency: 300, sampleRate: 16000, count: 800), sampleRate: 16000, to: scratch.file("good.wav"))
        let manifest = scratch.file("m.jsonl")
        try """
        {"audio_filepath":"good.wav","duration":0.05,"split":"train"}
        {"audio_filepath":"bad.wav","duration":1,"split":"test"}

        """.write(to: manifest, atomically: true, encoding: .utf8)
        let failed = try run(["preprocess", manifest.path, "--output", scratch.file("d").path])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("m.jsonl:2:") && failed.stderr.contains("bad.wav"), "\(failed.stderr)")

        let skipped = try run(["preprocess", manifest.path, "--output", scratch.file("d").path, "--skip-bad"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stdout.contains("skipped 1 bad files"))

        let malformed = scratch.file("m2.jsonl")
        try "{\"audio_filepath\":\"good.wav\",\"duration\":1,\"split\":\"dev\"}\n".write(to: malformed, atomically: true, encoding: .utf8)
        let rejected = try run(["preprocess", malformed.path, "--output", scratch.file("d2").path])
        #expect(rejected.status != 0)
        #expect(rejected.stderr.contains("m2.jsonl:1: unknown split \"dev\""), "\(rejected.stderr)")

        // --skip-bad also skips a malformed line, and lists it with its line number.
        try "{\"audio_filepath\":\"good.wav\",\"duration\":1,\"split\":\"train\"}\n{\"audio_filepath\":\"bad.wav\",\"split\":\"dev\"}\n"
            .write(to: malformed, atomically: true, encoding: .utf8)
        let tolerated = try run(["preprocess", malformed.path, "--output", scratch.file("d3").path, "--skip-bad"])
        #expect(tolerated.status == 0, "\(tolerated.stderr)")
        let summary = try JSONDecoder().decode(DataSummary.self, from: Data(contentsOf: scratch.file("d3/summary.json")))
        #expect(summary.skipped.map(\.line) == [2] && summary.skipped.map(\.path) == ["bad.wav"])
        #expect(summary.splits["train"]!.files == 1)
    }
}
