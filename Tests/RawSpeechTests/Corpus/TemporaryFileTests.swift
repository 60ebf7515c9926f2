// Temporary shards and long paths: a 244-character file name (the old temporary suffix took
// the name past 255 bytes), temporaries left by a killed run (removed at the next start if
// their process is gone, kept if it lives), audio and data folders deeper than libsndfile's
// 1024-byte file-name limit, and no descriptor leaked by files that are not audio.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest

@Suite struct TemporaryFileTests {
    /// A manifest of one 0.05 s WAV at `relative` (folders made), written at scratch/m.jsonl.
    func oneFile(_ relative: String, in scratch: ScratchFolder) throws -> Manifest {
        let short = scratch.file("short.wav")
        try AudioFile.write(Signals.sine(frequency: 300, sampleRate: 16000, count: 800), sampleRate: 16000, to: short)
        let url = scratch.file(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: short, to: url)
        var entry = ManifestEntry(audioFilepath: relative, duration: 0.05, split: .train)
        entry.line = 1
        return Manifest(entries: [entry], url: scratch.file("m.jsonl"))
    }

    @Test func a244CharacterNameBecomesAShard() throws {
        let scratch = ScratchFolder()
        let name = String(repeating: "n", count: 244)
        let manifest = try oneFile("spk/\(name).wav", in: scratch)
        let summary = try Preprocessor.run(manifest: manifest, output: scratch.file("data"), options: PreprocessOptions(jobs: 1))
        #expect(summary.recordings.map(\.name) == ["\(name)"])
        #expect(ShardWriter.temporaryName(for: name + ".shard").utf8.count < 40)
    }

    @Test func pathsPastLibsndfilesLimitAreRead() throws {
        let scratch = ScratchFolder()
        let deep = (1 ... 6).map { String(repeating: "\($0)", count: 200) }.joined(separator: "/")
        let manifest = try oneFile("\(deep)/spk/take.wav", in: scratch)
        #expect(manifest.audioURL(manifest.entries[0]).path.utf8.count > 1200)
        #expect(try AudioFile.probe(manifest.audioURL(manifest.entries[0]))?.frames == 800)
        let output = scratch.file("\(deep)/data")
        let summary = try Preprocessor.run(manifest: manifest, output: output, options: PreprocessOptions(jobs: 1))
        #expect(summary.splits["train"]!.samples == 800)
        let scanned = try ManifestBuilder.scan(directory: scratch.url, manifestURL: scratch.file("m2.jsonl"), options: SplitOptions())
        #expect(scanned.entries.count == 1 && scanned.entries[0].speaker == "spk")
    }

    /// The pid of a process that has exited.
    func deadPid() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test func staleTemporariesOfDeadRunsAreRemovedAtTheStart() throws {
        let scratch = ScratchFolder()
        let manifest = try oneFile("spk/a.wav", in: scratch)
        let train = scratch.file("data/train")
        try FileManager.default.createDirectory(at: train, withIntermediateDirectories: true)
        let dead = try deadPid()
        let deadNew = train.appendingPathComponent(ShardWriter.temporaryName(for: "x.shard", pid: dead))
        let deadOld = train.appendingPathComponent(".x.shard.\(dead).tmp") // version 1's name
        let live = train.appendingPathComponent(ShardWriter.temporaryName(for: "y.shard", pid: getpid()))
        let unrelated = train.appendingPathComponent(".notes.tmp")
        for url in [deadNew, deadOld, live, unrelated] { try Data(repeating: 7, count: 1000).write(to: url) }
        let events = EventLog()
        _ = try Preprocessor.run(manifest: manifest, output: scratch.file("data"), options: PreprocessOptions(jobs: 1)) { events.add($0) }
        #expect(!FileManager.default.fileExists(atPath: deadNew.path))
        #expect(!FileManager.default.fileExists(atPath: deadOld.path))
        #expect(FileManager.default.fileExists(atPath: live.path), "a live writer's temporary is kept")
        #expect(FileManager.default.fileExists(atPath: unrelated.path), "only names the writer makes")
    }

    @Test(arguments: [(".tmp-123-0123456789abcdef", Int32(123)), (".a.shard.77.tmp", 77), (".tmp-1-xyz", nil),
                      (".a.b.77.tmp", nil), ("a.shard", nil), (".tmp-99999999999-0123456789abcdef", nil)] as [(String, Int32?)])
    func temporaryOwner(name: String, pid: Int32?) {
        #expect(ShardWriter.temporaryOwner(name) == pid)
    }

    @Test func filesThatAreNotAudioLeakNoDescriptors() throws {
        let scratch = ScratchFolder()
        let url = scratch.file("notes.wav")
        try Data("not audio at all, just text".utf8).write(to: url)
        func openDescriptors() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0 }
        let before = openDescriptors()
        for _ in 0 ..< 200 { _ = try? AudioFile.probe(url); _ = try? AudioReader(url: url) }
        #expect(openDescriptors() < before + 20, "\(before) -> \(openDescriptors())")
    }
}
