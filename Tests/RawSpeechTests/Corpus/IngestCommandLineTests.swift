// `rawspeech manifest` and `rawspeech preprocess` end to end on the inputs of issues 10 and
// 11: a manifest with CRLF line ends and an integer past Int32 (with and without
// --skip-bad), --speaker-level on a LibriSpeech-shaped tree, --from on a split-less manifest.
import Foundation
import Testing
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest

@Suite struct IngestCommandLineTests {
    let cli = CommandLineTests()

    @Test func crlfManifestWithAHugeRateFailsNamingTheLineOrIsSkipped() throws {
        let scratch = ScratchFolder()
        try AudioFile.write(Signals.sine(frequency: 300, sampleRate: 16000, count: 800), sampleRate: 16000, to: scratch.file("good.wav"))
        try Data(repeating: 0, count: 3200).write(to: scratch.file("x.raw"))
        let manifest = scratch.file("m.jsonl")
        try ("{\"audio_filepath\":\"good.wav\",\"duration\":0.05,\"split\":\"train\"}\r\n"
            + "{\"audio_filepath\":\"x.raw\",\"duration\":0.1,\"split\":\"train\",\"encoding\":\"pcm_s16le\",\"sample_rate\":2147483648}\r\n")
            .write(to: manifest, atomically: true, encoding: .utf8)
        let failed = try cli.run(["preprocess", manifest.path, "--output", scratch.file("d").path])
        #expect(failed.status == 1, "an error, not a trap (\(failed.status)): \(failed.stderr)")
        #expect(failed.stderr.contains("m.jsonl:2:") && failed.stderr.contains("\"sample_rate\""), "\(failed.stderr)")
        let skipped = try cli.run(["preprocess", manifest.path, "--output", scratch.file("d").path, "--skip-bad"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        let summary = try JSONDecoder().decode(DataSummary.self, from: Data(contentsOf: scratch.file("d/summary.json")))
        #expect(summary.splits["train"]!.files == 1 && summary.skipped.map(\.line) == [2])

        // Nothing readable at all: refused, not an empty data folder with exit 0.
        let hopeless = scratch.file("hopeless.jsonl")
        try "{\"audio_filepath\":\"missing.wav\",\"duration\":1,\"split\":\"train\"}\r\n".write(to: hopeless, atomically: true, encoding: .utf8)
        let none = try cli.run(["preprocess", hopeless.path, "--output", scratch.file("h").path, "--skip-bad"])
        #expect(none.status != 0 && none.stderr.contains("no recordings could be read") && none.stderr.contains("missing.wav"), "\(none.stderr)")

        let empty = scratch.file("empty.jsonl")
        try "\r\n".write(to: empty, atomically: true, encoding: .utf8)
        let refused = try cli.run(["preprocess", empty.path, "--output", scratch.file("e").path, "--skip-bad"])
        #expect(refused.status != 0 && refused.stderr.contains("no recordings"), "\(refused.stderr)")
    }

    @Test func speakerLevelAndFromOnTheCommandLine() throws {
        let scratch = ScratchFolder()
        let root = try ManifestScanTests().libriSpeechTree(in: scratch)
        let manifest = scratch.file("m.jsonl")
        let made = try cli.run(["manifest", root.path, "--output", manifest.path, "--speaker-level", "1",
                                "--valid", "0.25", "--test", "0.25"])
        #expect(made.status == 0, "\(made.stderr)")
        let entries = try Manifest.load(manifest).entries
        #expect(Set(entries.compactMap(\.speaker)) == ["19", "26", "32", "40"])
        for speaker in ["19", "26", "32", "40"] {
            #expect(Set(entries.filter { $0.speaker == speaker }.map(\.split)).count == 1)
        }
        let bad = try cli.run(["manifest", root.path, "--output", manifest.path, "--speaker-level", "0"])
        #expect(bad.status != 0 && bad.stderr.contains("--speaker-level"))

        // Strip the splits, then --from gives them back.
        var text = ""
        for line in try String(contentsOf: manifest, encoding: .utf8).split(separator: "\n") {
            text += String(line).replacing(#/,"split":"[a-z]+"/#, with: "") + "\n"
        }
        let splitless = scratch.file("nosplit.jsonl")
        try text.write(to: splitless, atomically: true, encoding: .utf8)
        #expect(!text.contains("split"))
        let resplit = scratch.file("out/again.jsonl")
        try FileManager.default.createDirectory(at: resplit.deletingLastPathComponent(), withIntermediateDirectories: true)
        let again = try cli.run(["manifest", "--from", splitless.path, "--output", resplit.path, "--valid", "0.25", "--test", "0.25"])
        #expect(again.status == 0, "\(again.stderr)")
        let reloaded = try Manifest.load(resplit)
        #expect(reloaded.entries.map(\.split) == entries.map(\.split))
        #expect(reloaded.entries.first?.audioFilepath.hasPrefix("../LibriSpeech/") == true, "\(reloaded.entries.first?.audioFilepath ?? "")")
    }
}
