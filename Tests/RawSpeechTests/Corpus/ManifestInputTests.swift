// Manifests as they arrive from elsewhere: integers past Int32 or given as `true`, CRLF line
// ends, a byte-order mark, gzip compression, no lines at all. Each is either read as meant or
// refused with the manifest, the line and the field; none traps.
import Foundation
import Testing
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest

@Suite struct ManifestInputTests {
    func parse(_ line: String) throws -> ManifestEntry {
        try Manifest.parse(line, line: 3, manifest: "m.jsonl")
    }

    static let raw = #""audio_filepath":"x.raw","duration":1,"split":"train","encoding":"pcm_s16le""#

    @Test(arguments: [
        (#"{\#(raw),"sample_rate":2147483648}"#, "\"sample_rate\" must be a positive integer in 1000...768000, not 2147483648"),
        (#"{\#(raw),"sample_rate":16000,"channels":4294967296}"#, "\"channels\" must be a positive integer in 1...1024"),
        (#"{\#(raw),"sample_rate":16000,"channels":18446744073709551616000}"#, "\"channels\" must be a positive integer"),
        (#"{\#(raw),"sample_rate":true}"#, "\"sample_rate\" must be a number, not true"),
        (#"{\#(raw),"sample_rate":16000,"channels":false}"#, "\"channels\" must be a number, not false"),
        (#"{\#(raw),"sample_rate":16000.5}"#, "\"sample_rate\" must be a positive integer"),
        (#"{\#(raw),"sample_rate":1}"#, "\"sample_rate\" must be a positive integer in 1000...768000, not 1"),
        (#"{\#(raw),"sample_rate":-16000}"#, "\"sample_rate\" must be a positive integer in 1000...768000"),
        (#"{\#(raw),"sample_rate":"16000"}"#, "\"sample_rate\" must be a number, not a string"),
        (#"{"audio_filepath":"x.wav","duration":true,"split":"train"}"#, "\"duration\" must be a number, not true"),
        (#"{"audio_filepath":"x.wav","duration":576460752303423.5,"split":"train"}"#, "\"duration\" must be a non-negative number"),
        (#"{"audio_filepath":"x.sln","duration":1,"split":"train"}"#, "looks headerless"),
    ])
    func refusesOutOfRangeAndNonIntegerFields(line: String, reason: String) {
        do {
            let entry = try parse(line)
            Issue.record("accepted \(line) as \(entry)")
        } catch {
            #expect("\(error)".hasPrefix("m.jsonl:3: "), "\(error)")
            #expect("\(error)".contains(reason), "\(error)")
        }
    }

    @Test func acceptsIntegersAtTheBounds() throws {
        let low = try parse(#"{\#(Self.raw),"sample_rate":1000,"channels":1024}"#)
        #expect(low.raw == RawFormat(sampleRate: 1000, encoding: .pcm_s16le, channels: 1024))
        let high = try parse(#"{\#(Self.raw),"sample_rate":768000,"channels":1}"#)
        #expect(high.sampleRate == 768_000)
    }

    static let lines = [
        #"{"audio_filepath":"a.wav","duration":1,"split":"train"}"#,
        #"{"audio_filepath":"b.wav","duration":2,"split":"test","speaker":"s"}"#,
    ]

    @Test func crlfAndByteOrderMarkAreRead() throws {
        let scratch = ScratchFolder()
        let url = scratch.file("m.jsonl")
        try Data([0xEF, 0xBB, 0xBF] + Array((Self.lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)).write(to: url)
        let manifest = try Manifest.load(url)
        #expect(manifest.entries.map(\.audioFilepath) == ["a.wav", "b.wav"])
        #expect(manifest.entries.map(\.line) == [1, 2])
        #expect(manifest.entries[1].speaker == "s", "no \\r left on the last field")
    }

    @Test func aLineThatIsNotUTF8SpoilsOnlyItself() throws {
        let scratch = ScratchFolder()
        let url = scratch.file("m.jsonl")
        try Data(Array((Self.lines[0] + "\n").utf8) + [0xFF, 0xFE, 0x0A] + Array(Self.lines[1].utf8)).write(to: url)
        #expect(throws: (any Error).self) { _ = try Manifest.load(url) }
        do { _ = try Manifest.load(url) } catch { #expect("\(error)".contains("m.jsonl:2: malformed manifest line: not UTF-8"), "\(error)") }
        let skipping = try Manifest.load(url, skipBad: true)
        #expect(skipping.entries.map(\.line) == [1, 3] && skipping.rejected.map(\.line) == [2])
    }

    /// gzip through the system's gzip, so the test does not check our inflate against itself.
    func gzip(_ text: String, in scratch: ScratchFolder, name: String) throws -> URL {
        let plain = scratch.file(name)
        try text.write(to: plain, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-n", plain.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return scratch.file(name + ".gz")
    }

    @Test func gzipManifestsAreReadByTheirMagic() throws {
        let scratch = ScratchFolder()
        let gz = try gzip(Self.lines.joined(separator: "\n") + "\n", in: scratch, name: "m.jsonl")
        #expect(try Manifest.load(gz).entries.map(\.audioFilepath) == ["a.wav", "b.wav"])
        // The magic, not the name, decides; concatenated members are one file (`cat a.gz b.gz`).
        let second = try gzip(Self.lines[1].replacingOccurrences(of: "b.wav", with: "c.wav") + "\n", in: scratch, name: "n.jsonl")
        let both = scratch.file("both.jsonl")
        try Data(try Data(contentsOf: gz) + Data(contentsOf: second)).write(to: both)
        #expect(try Manifest.load(both).entries.map(\.audioFilepath) == ["a.wav", "b.wav", "c.wav"])
        #expect(try Manifest.load(both).entries.map(\.line) == [1, 2, 3])
    }

    @Test func damagedGzipIsAnErrorNamingTheManifest() throws {
        let scratch = ScratchFolder()
        let gz = try gzip(String(repeating: Self.lines[0] + "\n", count: 200), in: scratch, name: "m.jsonl")
        let bytes = [UInt8](try Data(contentsOf: gz))
        for (name, damaged) in [("cut", Array(bytes.prefix(bytes.count / 2))), ("garbage", Array(bytes.prefix(10)) + [UInt8](repeating: 0xAB, count: 64))] {
            let url = scratch.file("\(name).jsonl.gz")
            try Data(damaged).write(to: url)
            do {
                _ = try Manifest.load(url)
                Issue.record("\(name): read")
            } catch {
                #expect("\(error)".contains(url.path) && "\(error)".contains("gzip"), "\(error)")
            }
        }
    }

    @Test func onlyRegularFilesAreReadAsManifests() throws {
        do { _ = try Manifest.load(URL(fileURLWithPath: "/dev/zero")); Issue.record("read /dev/zero") } catch {
            #expect("\(error)".contains("/dev/zero") && "\(error)".contains("not a regular file"), "\(error)")
        }
        let scratch = ScratchFolder()
        try (Self.lines[0] + "\n").write(to: scratch.file("real.jsonl"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: scratch.file("link.jsonl"), withDestinationURL: scratch.file("real.jsonl"))
        #expect(try Manifest.load(scratch.file("link.jsonl")).entries.count == 1)
    }

    @Test func emptyManifestsAreRefused() throws {
        let scratch = ScratchFolder()
        for (name, text) in [("empty", ""), ("blank", "\n  \n\r\n")] {
            let url = scratch.file("\(name).jsonl")
            try text.write(to: url, atomically: true, encoding: .utf8)
            #expect(throws: CorpusError.self) { _ = try Manifest.load(url) }
            do { _ = try Manifest.load(url) } catch { #expect("\(error)".contains("no recordings"), "\(error)") }
        }
        // Every line rejected by --skip-bad: nothing to preprocess, so no (empty) data folder.
        let url = scratch.file("bad.jsonl")
        try "{\"audio_filepath\":\"a.wav\"}\n".write(to: url, atomically: true, encoding: .utf8)
        let manifest = try Manifest.load(url, skipBad: true)
        #expect(manifest.entries.isEmpty && manifest.rejected.count == 1)
        #expect(throws: CorpusError.self) {
            _ = try Preprocessor.run(manifest: manifest, output: scratch.file("data"), options: PreprocessOptions(jobs: 1, skipBad: true))
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.file("data").path))
    }
}
