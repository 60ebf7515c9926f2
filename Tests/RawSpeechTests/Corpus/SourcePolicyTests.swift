// A manifest from elsewhere may not read other files: with "encoding" any bytes became a
// shard (/etc/passwd came back byte for byte). Headerless reads need an audio extension on
// the name and on the real path; audio outside the manifest's folder and the current folder
// needs --allow-outside. docs/RELIABILITY.md states the rules.
import Foundation
import Testing
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest

@Suite struct SourcePolicyTests {
    @Test(arguments: ["/etc/passwd", "../../etc/passwd", "keys/id_rsa", "notes.txt", "a.wav"])
    func encodingOnlyForHeaderlessAudioNames(path: String) {
        let line = #"{"audio_filepath":"\#(path)","duration":1,"split":"train","encoding":"pcm_u8","sample_rate":8000}"#
        do {
            _ = try Manifest.parse(line, line: 4, manifest: "m.jsonl")
            Issue.record("accepted \(path)")
        } catch {
            #expect("\(error)".hasPrefix("m.jsonl:4: ") && "\(error)".contains("headerless audio extension"), "\(error)")
        }
    }

    @Test func headerlessExtensionsAreAccepted() throws {
        for ext in ["raw", "pcm", "sln", "RAW"] {
            let line = #"{"audio_filepath":"a.\#(ext)","duration":1,"split":"train","encoding":"pcm_s16le","sample_rate":8000}"#
            #expect(try Manifest.parse(line, line: 1, manifest: "m.jsonl").raw != nil)
        }
    }

    /// scratch/inside/m.jsonl naming `path`, one entry.
    func manifest(_ path: String, raw: RawFormat? = nil, in scratch: ScratchFolder) throws -> Manifest {
        try FileManager.default.createDirectory(at: scratch.file("inside"), withIntermediateDirectories: true)
        var entry = ManifestEntry(audioFilepath: path, duration: 0.05, split: .train, raw: raw)
        entry.line = 1
        return Manifest(entries: [entry], url: scratch.file("inside/m.jsonl"))
    }

    func failure(_ manifest: Manifest, output: URL, allowOutside: Bool = false) -> String? {
        do {
            _ = try Preprocessor.run(manifest: manifest, output: output, options: PreprocessOptions(jobs: 1, allowOutside: allowOutside))
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func audioOutsideTheManifestsFolderNeedsAllowOutside() throws {
        let scratch = ScratchFolder()
        try FileManager.default.createDirectory(at: scratch.file("elsewhere"), withIntermediateDirectories: true)
        try AudioFile.write(Signals.sine(frequency: 300, sampleRate: 16000, count: 800), sampleRate: 16000,
                            to: scratch.file("elsewhere/take.wav"))
        for path in ["../elsewhere/take.wav", scratch.file("elsewhere/take.wav").path, "sub/../../elsewhere/take.wav"] {
            let m = try manifest(path, in: scratch)
            let error = try #require(failure(m, output: scratch.file("data")), "read \(path)")
            #expect(error.contains("m.jsonl:1:") && error.contains("outside the manifest's folder") && error.contains("--allow-outside"), "\(error)")
            #expect(failure(m, output: scratch.file("data"), allowOutside: true) == nil)
        }
        // Inside is fine, however it is spelled.
        try FileManager.default.copyItem(at: scratch.file("elsewhere/take.wav"), to: scratch.file("inside/take.wav"))
        #expect(failure(try manifest("./x/../take.wav", in: scratch), output: scratch.file("d2")) == nil)
        #expect(failure(try manifest(scratch.file("inside/take.wav").path, in: scratch), output: scratch.file("d3")) == nil)
    }

    @Test func aRawLinkToAFileNotNamedAsAudioIsRefused() throws {
        let scratch = ScratchFolder()
        try FileManager.default.createDirectory(at: scratch.file("inside"), withIntermediateDirectories: true)
        try Data("root:x:0:0:root:/root:/bin/bash\n".utf8).write(to: scratch.file("inside/secret"))
        try FileManager.default.createSymbolicLink(at: scratch.file("inside/x.raw"), withDestinationURL: scratch.file("inside/secret"))
        let m = try manifest("x.raw", raw: RawFormat(sampleRate: 8000, encoding: .pcm_u8), in: scratch)
        let error = try #require(failure(m, output: scratch.file("data"), allowOutside: true))
        #expect(error.contains("really") && error.contains("secret") && error.contains("headerless"), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: scratch.file("data/train/x.shard").path))
    }

    @Test func theCommandLineRefusesAndAllows() throws {
        let scratch = ScratchFolder()
        try FileManager.default.createDirectory(at: scratch.file("m"), withIntermediateDirectories: true)
        try AudioFile.write(Signals.sine(frequency: 300, sampleRate: 16000, count: 800), sampleRate: 16000, to: scratch.file("take.wav"))
        let manifest = scratch.file("m/m.jsonl")
        try #"{"audio_filepath":"../take.wav","duration":0.05,"split":"train"}"#.write(to: manifest, atomically: true, encoding: .utf8)
        let cli = CommandLineTests()
        let refused = try cli.run(["preprocess", manifest.path, "--output", scratch.file("d").path])
        #expect(refused.status != 0 && refused.stderr.contains("--allow-outside"), "\(refused.stderr)")
        let allowed = try cli.run(["preprocess", manifest.path, "--output", scratch.file("d").path, "--allow-outside"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
    }
}
