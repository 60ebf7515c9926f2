// The folder scan behind `rawspeech manifest` on the trees corpora come in: LibriSpeech's
// SPEAKER/CHAPTER/utt.flac (--speaker-level), trees of symbolic links (with a loop), files
// libsndfile opens but rawspeech refuses; and split-less manifests given splits (--from).
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest

@Suite struct ManifestScanTests {
    /// SPEAKER/CHAPTER/SPEAKER-CHAPTER-000N.wav for 4 speakers with 3 chapters each.
    func libriSpeechTree(in scratch: ScratchFolder) throws -> URL {
        let root = scratch.file("LibriSpeech/dev-clean")
        for speaker in ["19", "26", "32", "40"] {
            for chapter in ["198", "495", "1000"] {
                let folder = root.appendingPathComponent("\(speaker)/\(chapter)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try AudioFile.write(Signals.sine(frequency: 200, sampleRate: 16000, count: 800), sampleRate: 16000,
                                    to: folder.appendingPathComponent("\(speaker)-\(chapter)-0001.wav"))
            }
        }
        return root
    }

    @Test func speakerLevelKeepsEachSpeakersChaptersInOneSplit() throws {
        let scratch = ScratchFolder()
        let root = try libriSpeechTree(in: scratch)
        let options = SplitOptions(valid: 0.25, test: 0.25, seed: 5)
        let byLevel = try ManifestBuilder.scan(directory: root, manifestURL: scratch.file("m.jsonl"), options: options, speakerLevel: 1)
        #expect(byLevel.entries.count == 12)
        #expect(Set(byLevel.entries.compactMap(\.speaker)) == ["19", "26", "32", "40"])
        for speaker in ["19", "26", "32", "40"] {
            let splits = Set(byLevel.entries.filter { $0.speaker == speaker }.map(\.split))
            #expect(splits.count == 1, "speaker \(speaker) in \(splits)")
        }
        // The default (the folder holding the file) names chapters: 12 units, not 4.
        let byParent = try ManifestBuilder.scan(directory: root, manifestURL: scratch.file("m.jsonl"), options: options)
        #expect(Set(byParent.entries.compactMap(\.speaker)) == ["198", "495", "1000"])
        let level2 = try ManifestBuilder.scan(directory: root, manifestURL: scratch.file("m.jsonl"), options: options, speakerLevel: 2)
        #expect(level2.entries.map(\.speaker) == byParent.entries.map(\.speaker))
        // A level deeper than the files is an error naming a file, not a silent fallback.
        #expect(throws: ManifestBuildError.self) {
            _ = try ManifestBuilder.scan(directory: root, manifestURL: scratch.file("m.jsonl"), options: options, speakerLevel: 3)
        }
    }

    @Test func symbolicLinksAreFollowedOnceAndLoopsEnd() throws {
        let scratch = ScratchFolder()
        let real = try libriSpeechTree(in: scratch)
        // A tree of links: links/<speaker> -> real/<speaker>, plus a link back up (a loop) and a
        // second link to a speaker already linked, and a dangling link.
        let links = scratch.file("links")
        try FileManager.default.createDirectory(at: links, withIntermediateDirectories: true)
        for speaker in ["19", "26", "32", "40"] {
            try FileManager.default.createSymbolicLink(at: links.appendingPathComponent(speaker),
                                                       withDestinationURL: real.appendingPathComponent(speaker))
        }
        try FileManager.default.createSymbolicLink(at: real.appendingPathComponent("19/198/loop"), withDestinationURL: links)
        try FileManager.default.createSymbolicLink(at: links.appendingPathComponent("zz-again"), withDestinationURL: real.appendingPathComponent("26"))
        try FileManager.default.createSymbolicLink(at: links.appendingPathComponent("gone"), withDestinationURL: scratch.file("nowhere"))
        // A file-level link too.
        let single = scratch.file("single")
        try FileManager.default.createDirectory(at: single.appendingPathComponent("ann"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: single.appendingPathComponent("ann/take.wav"),
                                                   withDestinationURL: real.appendingPathComponent("19/198/19-198-0001.wav"))

        let manifest = try ManifestBuilder.scan(directory: links, manifestURL: scratch.file("m.jsonl"),
                                                options: SplitOptions(), speakerLevel: 1)
        #expect(manifest.entries.count == 12, "\(manifest.entries.map(\.audioFilepath))")
        #expect(manifest.entries.allSatisfy { $0.audioFilepath.hasPrefix("links/") }, "paths through the links")
        #expect(Set(manifest.entries.compactMap(\.speaker)) == ["19", "26", "32", "40"])
        let linked = try ManifestBuilder.scan(directory: single, manifestURL: scratch.file("m.jsonl"), options: SplitOptions())
        #expect(linked.entries.map(\.audioFilepath) == ["single/ann/take.wav"] && linked.entries[0].speaker == "ann")
        #expect(linked.entries[0].duration == 0.05)
    }

    @Test func filesRawspeechWouldRefuseAreListedNotSilentlyKept() throws {
        let scratch = ScratchFolder()
        let corpus = scratch.file("corpus/ann")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        try AudioFile.write(Signals.sine(frequency: 200, sampleRate: 16000, count: 800), sampleRate: 16000,
                            to: corpus.appendingPathComponent("good.wav"))
        let bad = corpus.appendingPathComponent("onehertz.wav")
        try AudioFile.write(Signals.sine(frequency: 200, sampleRate: 16000, count: 16000), sampleRate: 16000, to: bad)
        var bytes = [UInt8](try Data(contentsOf: bad))
        bytes.replaceSubrange(24 ..< 28, with: [1, 0, 0, 0]) // the rate field: 1 Hz
        try Data(bytes).write(to: bad)
        try FileManager.default.copyItem(at: HostileHeaderTests.damagedOgg, to: corpus.appendingPathComponent("cut.ogg"))
        // A WAV named .raw: its manifest line would need "encoding", so it is listed, not kept.
        try FileManager.default.copyItem(at: corpus.appendingPathComponent("good.wav"), to: corpus.appendingPathComponent("misnamed.raw"))
        try Data(repeating: 0, count: 640).write(to: corpus.appendingPathComponent("real.raw")) // truly headerless: ignored

        let manifest = try ManifestBuilder.scan(directory: scratch.file("corpus"), manifestURL: scratch.file("m.jsonl"), options: SplitOptions())
        #expect(manifest.entries.map(\.audioFilepath) == ["corpus/ann/cut.ogg", "corpus/ann/good.wav"])
        #expect(manifest.entries[0].duration > 0.5 && manifest.entries[0].duration < 1.2, "not 576460752303423.5 s")
        #expect(manifest.rejected.map(\.path) == [corpus.appendingPathComponent("misnamed.raw").path, bad.path])
        #expect(manifest.rejected[1].error.contains("implausible sample rate 1 Hz"), "\(manifest.rejected[1].error)")
        // What it wrote loads again (a .raw line without "encoding" would not).
        try manifest.write(to: scratch.file("m.jsonl"))
        #expect(try Manifest.load(scratch.file("m.jsonl")).entries.count == 2)
    }

    @Test func splitLessManifestGetsTheScansSplits() throws {
        let scratch = ScratchFolder()
        let root = try libriSpeechTree(in: scratch)
        let options = SplitOptions(valid: 0.25, test: 0.25, seed: 9)
        let scanned = try ManifestBuilder.scan(directory: root, manifestURL: scratch.file("a/m.jsonl"), options: options, speakerLevel: 1)
        // The same lines without "split", written in another folder.
        var text = ""
        for entry in scanned.entries {
            text += #"{"audio_filepath":"\#(entry.audioFilepath)","duration":\#(entry.duration),"speaker":"\#(entry.speaker!)"}"# + "\n"
        }
        let splitless = scratch.file("a/nosplit.jsonl")
        try FileManager.default.createDirectory(at: scratch.file("a"), withIntermediateDirectories: true)
        try text.write(to: splitless, atomically: true, encoding: .utf8)
        // preprocess (requireSplit) refuses it, pointing at --from.
        do { _ = try Manifest.load(splitless); Issue.record("loaded") } catch {
            #expect("\(error)".contains("nosplit.jsonl:1:") && "\(error)".contains("--from"), "\(error)")
        }
        let loaded = try Manifest.load(splitless, requireSplit: false)
        let out = scratch.file("b/c/new.jsonl")
        let resplit = ManifestBuilder.resplit(loaded, writingTo: out, options: options)
        #expect(resplit.entries.map(\.split) == scanned.entries.map(\.split))
        #expect(resplit.entries.map { resplit.audioURL($0).path } == scanned.entries.map { scanned.audioURL($0).path },
                "relative paths rewritten for the new folder")
        try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
        try resplit.write(to: out)
        #expect(try Manifest.load(out).entries.map(\.split) == scanned.entries.map(\.split))
    }
}
