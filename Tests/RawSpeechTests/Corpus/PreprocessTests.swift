// Preprocessing as the later stages see it: exact samples and frame windows at file edges
// through DataFolder, summary.json totals and train statistics, resampling, parallel runs
// that agree with serial ones, resume, and every bad input (error naming the manifest line
// and file, no shard or temporary file left behind; --skip-bad lists it instead).
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest

/// Collects progress events from worker threads.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [PreprocessEvent] = []
    func add(_ e: PreprocessEvent) { lock.lock(); items.append(e); lock.unlock() }
    var reused: [String: Bool] {
        lock.lock(); defer { lock.unlock() }
        var result: [String: Bool] = [:]
        for case .finished(let name, _, _, let reused) in items { result[name] = reused }
        return result
    }
}

@Suite struct PreprocessTests {
    /// Writes 16-bit files with the given lengths at `rate` and a manifest listing them.
    func corpus(_ scratch: ScratchFolder, lengths: [Int], rate: Int = 16000,
                splits: [Split]? = nil) throws -> (Manifest, [[Int32]]) {
        var entries: [ManifestEntry] = []
        var contents: [[Int32]] = []
        for (i, length) in lengths.enumerated() {
            let pcm = Signals.pcm16Ramp(count: length, start: -3000 + 50 * i, step: 11)
            let url = scratch.file("audio/f\(i).wav")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AudioFile.write(pcm: pcm, channels: 1, sampleRate: rate, to: url, format: .wav16)
            var entry = ManifestEntry(audioFilepath: "audio/f\(i).wav", duration: Double(length) / Double(rate),
                                      split: splits?[i] ?? .train, speaker: "s", sha256: try SHA256.hexDigest(ofFile: url))
            entry.line = i + 1
            entries.append(entry)
            contents.append(pcm)
        }
        let manifest = Manifest(entries: entries, url: scratch.file("m.jsonl"))
        try manifest.write(to: manifest.url)
        return (manifest, contents)
    }

    func leftovers(in folder: URL) -> [String] {
        // Temporaries of either naming scheme (a failed run keeps its finished pieces to resume).
        (FileManager.default.enumerator(atPath: folder.path)?.allObjects as? [String] ?? []).filter {
            $0.hasSuffix(".tmp") || ($0 as NSString).lastPathComponent.hasPrefix(".tmp-")
        }
    }

    @Test func framesAndSamplesAtFileEdges() throws {
        let scratch = ScratchFolder()
        let lengths = [29, 30, 39, 40, 1234]
        let (manifest, contents) = try corpus(scratch, lengths: lengths)
        let out = scratch.file("data")
        let summary = try Preprocessor.run(manifest: manifest, output: out, options: PreprocessOptions(jobs: 2))
        let folder = try DataFolder(url: out)
        #expect(folder.summary == summary)
        let recordings = try folder.recordings(split: .train)
        #expect(recordings.map(\.name) == (0 ..< 5).map { "f\($0)" })
        let spec = FrameSpec.paper
        for (recording, pcm) in zip(recordings, contents) {
            let expected = pcm.map { Float($0) * 0x1p-31 }
            #expect(Signals.mismatch(recording.samples, expected) == nil, "\(recording.name)")
            let framed = recording.framed(spec)
            #expect(framed.count == [29: 0, 30: 1, 39: 1, 40: 2, 1234: 121][pcm.count])
            if framed.count > 0 {
                let last = framed.count - 1
                #expect(Array(framed.input(0)) == Array(expected[0 ..< 20]))
                #expect(Array(framed.target(last)) == Array(expected[10 * last + 20 ..< 10 * last + 30]))
                #expect(10 * last + 30 <= expected.count && 10 * (last + 1) + 30 > expected.count)
            }
        }
        let train = summary.splits["train"]!
        #expect(train.files == 5 && train.samples == lengths.reduce(0, +))
        #expect(train.frames == 0 + 1 + 1 + 2 + 121)
        #expect(abs(train.seconds - Double(lengths.reduce(0, +)) / 16000) < 1e-9)
        #expect(summary.splits["valid"] == SplitSummary() && summary.splits["test"] == SplitSummary())
        // train_mean/std: population statistics of every training sample.
        let all = contents.joined().map { Double($0) * 0x1p-31 }
        let mean = all.reduce(0, +) / Double(all.count)
        let std = (all.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(all.count)).squareRoot()
        #expect(abs(summary.trainMean - mean) < 1e-9 && abs(summary.trainStd - std) < 1e-9)
        // summary.json uses the contract's names.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as! [String: Any]
        for key in ["sample_rate", "frame", "splits", "train_mean", "train_std", "skipped"] { #expect(json[key] != nil, "\(key)") }
    }

    @Test func resamplesAndOnlyTrainCountsForStatistics() throws {
        let scratch = ScratchFolder()
        let (manifest, _) = try corpus(scratch, lengths: [4800, 9600, 2400], rate: 48000, splits: [.train, .valid, .test])
        let summary = try Preprocessor.run(manifest: manifest, output: scratch.file("d"), options: PreprocessOptions(sampleRate: 16000))
        #expect(summary.splits["train"]!.samples == 1600)
        #expect(summary.splits["valid"]!.samples == 3200)
        #expect(summary.splits["test"]!.samples == 800)
        let train = try DataFolder(url: scratch.file("d")).recordings(split: "train")[0].samples.map(Double.init)
        #expect(abs(summary.trainMean - train.reduce(0, +) / 1600) < 1e-9)
    }

    @Test func parallelEqualsSerial() throws {
        let scratch = ScratchFolder()
        let (manifest, _) = try corpus(scratch, lengths: [5000, 300, 7000, 100, 2500, 900], rate: 22050)
        let serial = try Preprocessor.run(manifest: manifest, output: scratch.file("a"), options: PreprocessOptions(jobs: 1))
        let parallel = try Preprocessor.run(manifest: manifest, output: scratch.file("b"), options: PreprocessOptions(jobs: 4))
        #expect(serial == parallel)
    }

    @Test func resumeKeepsValidStoresAndRebuildsDamagedOnes() throws {
        let scratch = ScratchFolder()
        let (manifest, _) = try corpus(scratch, lengths: [3000, 4000, 5000])
        let out = scratch.file("data")
        // 4 KiB blocks: f0 is bytes 0..<6000 of train.samples' samples, f1 6000..<14000, f2 14000..<24000.
        var options = PreprocessOptions()
        options.blockBytes = 4096
        let first = EventLog()
        let summary = try Preprocessor.run(manifest: manifest, output: out, options: options, progress: first.add)
        #expect(first.reused == ["f0": false, "f1": false, "f2": false])

        let again = EventLog()
        #expect(try Preprocessor.run(manifest: manifest, output: out, options: options, progress: again.add) == summary)
        #expect(again.reused == ["f0": true, "f1": true, "f2": true])

        // Flip a byte of f1 in block 2 (only f1's): reading the split fails, a rerun copies
        // f0 and f2 from the store and decodes f1 again.
        let samples = out.appendingPathComponent("train.samples")
        var bytes = [UInt8](try Data(contentsOf: samples))
        bytes[4096 + 10_000] ^= 0x40
        try Data(bytes).write(to: samples)
        #expect(throws: CorpusError.self) { try DataFolder(url: out).recordings(split: .train) }
        let repaired = EventLog()
        #expect(try Preprocessor.run(manifest: manifest, output: out, options: options, progress: repaired.add) == summary)
        #expect(repaired.reused == ["f0": true, "f1": false, "f2": true])
        #expect(try DataFolder(url: out).recordings(split: .train).count == 3)

        // Another target rate is another store.
        let resampled = EventLog()
        _ = try Preprocessor.run(manifest: manifest, output: out, options: PreprocessOptions(sampleRate: 8000), progress: resampled.add)
        #expect(resampled.reused == ["f0": false, "f1": false, "f2": false])
        #expect(leftovers(in: out).isEmpty)
        // A complete run leaves no pieces.
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent(Preprocessor.piecesFolder).path))
    }

    enum Damage: String, CaseIterable { case missing, checksum, empty, headerOnly, truncated, notAudio, nan }

    /// Makes the second of three files bad in the given way.
    func damage(_ kind: Damage, _ scratch: ScratchFolder, _ manifest: inout Manifest) throws {
        let url = manifest.audioURL(manifest.entries[1])
        switch kind {
        case .missing: try FileManager.default.removeItem(at: url)
        case .checksum: manifest.entries[1].sha256 = String(repeating: "0", count: 64)
        case .empty: try Data().write(to: url)
        case .headerOnly: try AudioFile.write([], sampleRate: 16000, to: url)
        case .truncated: let d = try Data(contentsOf: url); try d.prefix(d.count / 2).write(to: url)
        case .notAudio: try Data(String(repeating: "text ", count: 100).utf8).write(to: url)
        case .nan:
            var samples = Signals.sine(frequency: 100, sampleRate: 16000, count: 1000)
            samples[500] = .nan
            try AudioFile.write(samples, sampleRate: 16000, to: url, format: .wavFloat)
        }
        if kind != .checksum, kind != .missing { manifest.entries[1].sha256 = try SHA256.hexDigest(ofFile: url) }
    }

    @Test(arguments: Damage.allCases)
    func badInputFailsNamingLineAndFile(kind: Damage) throws {
        let scratch = ScratchFolder()
        var (manifest, _) = try corpus(scratch, lengths: [2000, 2000, 2000])
        try damage(kind, scratch, &manifest)
        let out = scratch.file("data")
        do {
            _ = try Preprocessor.run(manifest: manifest, output: out, options: PreprocessOptions(jobs: 1))
            Issue.record("\(kind): no error")
        } catch {
            let text = "\(error)"
            #expect(text.hasPrefix("\(manifest.url.path):2: "), "\(text)")
            #expect(text.contains("f1.wav"), "\(text)")
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("train/f1.shard").path))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("summary.json").path))
        #expect(leftovers(in: out).isEmpty)
    }

    @Test(arguments: Damage.allCases)
    func skipBadListsTheFile(kind: Damage) throws {
        let scratch = ScratchFolder()
        var (manifest, _) = try corpus(scratch, lengths: [2000, 2000, 2000])
        try damage(kind, scratch, &manifest)
        let summary = try Preprocessor.run(manifest: manifest, output: scratch.file("d"),
                                           options: PreprocessOptions(skipBad: true))
        #expect(summary.skipped.map(\.line) == [2])
        #expect(summary.skipped.first?.path == "audio/f1.wav")
        #expect(summary.splits["train"]!.files == 2)
        #expect(try DataFolder(url: scratch.file("d")).recordings(split: .train).map(\.name) == ["f0", "f2"])
    }

    @Test func duplicateNamesAreRejected() throws {
        let scratch = ScratchFolder()
        var (manifest, _) = try corpus(scratch, lengths: [100, 100])
        manifest.entries[1].audioFilepath = "audio/f0.flac"
        #expect(throws: CorpusError.self) { try Preprocessor.run(manifest: manifest, output: scratch.file("d"), options: PreprocessOptions()) }
    }
}
