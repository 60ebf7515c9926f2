// Manifest parsing (strict about known fields, naming the line of any fault), writing, the
// folder scan behind `rawspeech manifest`, and seeded splits: deterministic, speaker-disjoint.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest

@Suite struct ManifestTests {
    func parse(_ line: String) throws -> ManifestEntry {
        try Manifest.parse(line, line: 7, manifest: "m.jsonl")
    }

    @Test func parsesNeMoFieldsAndRawDescription() throws {
        let entry = try parse(#"{"audio_filepath":"a/b.raw","duration":1.5,"split":"valid","speaker":"s1","sample_rate":8000,"encoding":"pcm_s16be","channels":2,"text":"ignored"}"#)
        #expect(entry.audioFilepath == "a/b.raw")
        #expect(entry.duration == 1.5)
        #expect(entry.split == .valid)
        #expect(entry.raw == RawFormat(sampleRate: 8000, encoding: .pcm_s16be, channels: 2))
        #expect(entry.line == 7)
        let wav = try parse(#"{"audio_filepath":"x.wav","duration":2,"split":"train"}"#)
        #expect(wav.raw == nil && wav.speaker == nil && wav.sha256 == nil)
    }

    @Test(arguments: [
        (#"{"audio_filepath":"x.wav","duration":1,"split":"train""#, "not valid JSON"),
        (#"["x.wav"]"#, "not a JSON object"),
        (#"{"duration":1,"split":"train"}"#, "missing \"audio_filepath\""),
        (#"{"audio_filepath":"x.wav","split":"train"}"#, "missing \"duration\""),
        (#"{"audio_filepath":"x.wav","duration":-1,"split":"train"}"#, "non-negative"),
        (#"{"audio_filepath":"x.wav","duration":1,"split":"training"}"#, "unknown split \"training\""),
        (#"{"audio_filepath":"x.raw","duration":1,"split":"train","sample_rate":8000,"encoding":"s16"}"#, "unknown encoding \"s16\""),
        (#"{"audio_filepath":"x.raw","duration":1,"split":"train","encoding":"pcm_s16le"}"#, "needs \"sample_rate\""),
        (#"{"audio_filepath":"x.raw","duration":1,"split":"train"}"#, "looks headerless"),
        (#"{"audio_filepath":"x.wav","duration":1,"split":"train","sha256":"abc"}"#, "64 hex digits"),
        (#"{"audio_filepath":"x.wav","duration":1,"split":"train","channels":0}"#, "positive integer"),
        (#"{"audio_filepath":7,"duration":1,"split":"train"}"#, "must be a string"),
    ])
    func rejectsBadLines(line: String, reason: String) {
        do {
            _ = try parse(line)
            Issue.record("accepted: \(line)")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("m.jsonl:7: "), "\(text)")
            #expect(text.contains(reason), "\(text)")
        }
    }

    @Test func loadCountsLinesAndRoundTrips() throws {
        let scratch = ScratchFolder()
        let url = scratch.file("m.jsonl")
        let a = ManifestEntry(audioFilepath: "s1/a.wav", duration: 1.25, split: .train, speaker: "s1",
                              sha256: String(repeating: "ab", count: 32))
        let b = ManifestEntry(audioFilepath: "/abs/b.raw", duration: 2, split: .test, speaker: "s2",
                              raw: RawFormat(sampleRate: 16000))
        try Manifest(entries: [a, b], url: url).write(to: url)
        var loaded = try Manifest.load(url)
        #expect(loaded.entries.map(\.line) == [1, 2])
        loaded.entries = loaded.entries.map { var e = $0; e.line = 0; return e }
        #expect(loaded.entries == [a, b])
        #expect(loaded.audioURL(loaded.entries[0]).path == scratch.url.appendingPathComponent("s1/a.wav").standardizedFileURL.path)
        #expect(loaded.audioURL(loaded.entries[1]).path == "/abs/b.raw")

        // A blank line still counts: errors must point at the line an editor shows.
        let text = try String(contentsOf: url, encoding: .utf8) + "\n{\"audio_filepath\": 1}\n"
        try text.write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: CorpusError.self) { try Manifest.load(url) }
        do { _ = try Manifest.load(url) } catch { #expect("\(error)".contains("m.jsonl:4:"), "\(error)") }
    }

    @Test func sha256MatchesKnownVectors() {
        #expect(SHA256.hex(SHA256.digest(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(SHA256.digest([]))
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func entries(speakers: Int, filesEach: Int) -> [ManifestEntry] {
        (0 ..< speakers).flatMap { s in
            (0 ..< filesEach).map { f in
                ManifestEntry(audioFilepath: "spk\(s)/\(f).wav", duration: 1, split: .train, speaker: "spk\(s)")
            }
        }
    }

    @Test func splitsAreDeterministicAndSpeakerDisjoint() {
        var first = entries(speakers: 20, filesEach: 3), second = first, other = first
        let options = SplitOptions(valid: 0.1, test: 0.2, by: .speaker, seed: 42)
        ManifestBuilder.assignSplits(&first, options: options)
        ManifestBuilder.assignSplits(&second, options: options)
        #expect(first == second)
        var speakersOf: [Split: Set<String>] = [:]
        for e in first { speakersOf[e.split, default: []].insert(e.speaker!) }
        #expect(speakersOf[.test]?.count == 4 && speakersOf[.valid]?.count == 2 && speakersOf[.train]?.count == 14)
        #expect(speakersOf[.train]!.isDisjoint(with: speakersOf[.test]!))
        #expect(speakersOf[.train]!.isDisjoint(with: speakersOf[.valid]!))
        #expect(speakersOf[.valid]!.isDisjoint(with: speakersOf[.test]!))
        // Another seed, another draw (for this seed pair; the assignment is deterministic).
        ManifestBuilder.assignSplits(&other, options: SplitOptions(valid: 0.1, test: 0.2, by: .speaker, seed: 43))
        #expect(other.map(\.split) != first.map(\.split))
        // Input order does not matter: units are sorted before the seeded shuffle.
        var reversed = Array(entries(speakers: 20, filesEach: 3).reversed())
        ManifestBuilder.assignSplits(&reversed, options: options)
        #expect(Set(reversed.map { "\($0.audioFilepath) \($0.split)" }) == Set(first.map { "\($0.audioFilepath) \($0.split)" }))
    }

    @Test func splitByFileAndSmallCorpora() {
        var files = entries(speakers: 1, filesEach: 10)
        ManifestBuilder.assignSplits(&files, options: SplitOptions(valid: 0.1, test: 0.1, by: .file, seed: 0))
        #expect(files.filter { $0.split == .test }.count == 1 && files.filter { $0.split == .valid }.count == 1)
        // Two speakers cannot be split three ways: everything trains rather than nothing.
        var two = entries(speakers: 2, filesEach: 2)
        ManifestBuilder.assignSplits(&two, options: SplitOptions())
        #expect(two.allSatisfy { $0.split == .train })
    }

    @Test func scanFindsAudioAndMeasuresIt() throws {
        let scratch = ScratchFolder()
        let corpus = scratch.url.appendingPathComponent("corpus")
        for speaker in ["alice", "bob", "carol"] {
            try FileManager.default.createDirectory(at: corpus.appendingPathComponent(speaker), withIntermediateDirectories: true)
            try AudioFile.write(Signals.sine(frequency: 200, sampleRate: 8000, count: 8000), sampleRate: 8000,
                                to: corpus.appendingPathComponent("\(speaker)/one.wav"))
            try AudioFile.write(Signals.sine(frequency: 200, sampleRate: 16000, count: 4000), sampleRate: 16000,
                                to: corpus.appendingPathComponent("\(speaker)/two.flac"), format: .flac16)
        }
        try Data("not audio".utf8).write(to: corpus.appendingPathComponent("alice/README.txt"))
        let manifestURL = scratch.url.appendingPathComponent("manifests/c.jsonl")
        let manifest = try ManifestBuilder.scan(directory: corpus, manifestURL: manifestURL, options: SplitOptions(seed: 1))
        #expect(manifest.entries.count == 6)
        let first = manifest.entries[0]
        #expect(first.audioFilepath == "../corpus/alice/one.wav")
        #expect(first.speaker == "alice")
        #expect(first.duration == 1.0)
        #expect(manifest.entries[1].duration == 0.25)
        #expect(first.sha256 == (try SHA256.hexDigest(ofFile: corpus.appendingPathComponent("alice/one.wav"))))
        #expect(Set(manifest.entries.map(\.split)) == [.train, .valid, .test])
    }
}
