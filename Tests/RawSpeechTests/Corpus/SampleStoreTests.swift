// The split stores `preprocess` writes: 16-bit sources round-trip exactly through int16 and
// give the float32 store's samples and statistics; a flipped byte anywhere in the samples
// is an error before its block reaches a reader (a batch, a validation pass, a score); a
// damaged header or index, a truncated file and a mismatched pair are refused at open;
// a run stopped at any stage (pieces only, samples renamed without index) finishes with the
// same bytes as an uninterrupted one; version-1 shard folders are still read.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest
@testable import RawSpeechNetwork
@testable import RawSpeechTraining
@testable import RawSpeechExperiment

@Suite struct SampleStoreTests {
    /// 16-bit WAVs (ramps, full scale included) in train/valid/test, and their manifest.
    func corpus(_ scratch: ScratchFolder, lengths: [Int] = [3000, 4000, 5000, 2500, 3500],
                splits: [Split] = [.train, .train, .train, .valid, .test]) throws -> (Manifest, [[Int32]]) {
        var entries: [ManifestEntry] = []
        var contents: [[Int32]] = []
        for (i, length) in lengths.enumerated() {
            var pcm = Signals.pcm16Ramp(count: length, start: -3000 + 50 * i, step: 11 + i)
            pcm[0] = Int32.min          // full scale both ways (16-bit values, left-justified)
            pcm[1] = Int32(32767) << 16
            let url = scratch.file("audio/f\(i).wav")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AudioFile.write(pcm: pcm, channels: 1, sampleRate: 16000, to: url, format: .wav16)
            var entry = ManifestEntry(audioFilepath: "audio/f\(i).wav", duration: Double(length) / 16000,
                                      split: splits[i], speaker: "s", sha256: try SHA256.hexDigest(ofFile: url))
            entry.line = i + 1
            entries.append(entry)
            contents.append(pcm)
        }
        let manifest = Manifest(entries: entries, url: scratch.file("m.jsonl"))
        try manifest.write(to: manifest.url)
        return (manifest, contents)
    }

    func options(_ format: SampleFormat = .int16, blockBytes: Int = 1024, jobs: Int = 2) -> PreprocessOptions {
        // The corpus is 16 kHz; the rate is given because some tests call the per-file step directly.
        var options = PreprocessOptions(sampleRate: 16_000, jobs: jobs, sampleFormat: format)
        options.blockBytes = blockBytes
        return options
    }

    @Test func sixteenBitSourcesRoundTripExactlyInEitherFormat() throws {
        let scratch = ScratchFolder()
        let (manifest, contents) = try corpus(scratch)
        let int16 = try Preprocessor.run(manifest: manifest, output: scratch.file("i"), options: options(.int16))
        let float32 = try Preprocessor.run(manifest: manifest, output: scratch.file("f"), options: options(.float32))
        #expect(int16.sampleFormat == .int16 && float32.sampleFormat == .float32)
        // The same samples, so the same statistics to the last bit.
        #expect(int16.trainMean.bitPattern == float32.trainMean.bitPattern)
        #expect(int16.trainStd.bitPattern == float32.trainStd.bitPattern)
        #expect(int16.splits == float32.splits)
        let json = String(decoding: try Data(contentsOf: scratch.file("i/summary.json")), as: UTF8.self)
        #expect(json.contains("\"sample_format\" : \"int16\""))
        for folder in [try DataFolder(url: scratch.file("i")), try DataFolder(url: scratch.file("f"))] {
            var all: [Recording] = []
            for split in Split.allCases { all += try folder.recordings(split: split) }
            #expect(all.map(\.name) == ["f0", "f1", "f2", "f3", "f4"])
            for (recording, pcm) in zip(all, contents) {
                let exact = recording.samples.count == pcm.count && zip(recording.samples, pcm).allSatisfy { $0 == Float($1) * 0x1p-31 }
                #expect(exact, "\(recording.name)")
            }
        }
        // Half the bytes.
        let sizes = try ["i", "f"].map {
            try FileManager.default.attributesOfItem(atPath: scratch.file("\($0)/train.samples").path)[.size] as! Int
        }
        #expect(sizes[0] - StoreHeader.size == 2 * 12000 && sizes[1] - StoreHeader.size == 4 * 12000)
    }

    @Test func int16ClampsAndRoundsFloats() {
        #expect(SampleFormat.quantize(1.0) == 32767 && SampleFormat.quantize(-1.5) == -32768)
        #expect(SampleFormat.quantize(0.5 / 32768) == 1 && SampleFormat.quantize(.nan) == 0)
        for q in [Int16.min, -1, 0, 1, 12345, .max] { #expect(SampleFormat.quantize(Float(q) / 32768) == q) }
    }

    /// Every byte of the train samples, flipped one at a time in a fresh copy, makes reading
    /// the recording that holds it fail, and no other recording's read fails unless it
    /// shares the block; training and measuring from the folder fail too.
    @Test func aFlippedSampleByteIsCaughtBeforeUse() throws {
        let scratch = ScratchFolder()
        let (manifest, _) = try corpus(scratch)
        let clean = scratch.file("clean")
        _ = try Preprocessor.run(manifest: manifest, output: clean, options: options(blockBytes: 1024))
        let samples = try Data(contentsOf: clean.appendingPathComponent("train.samples"))
        let payload = samples.count - StoreHeader.size
        var rng = SeededGenerator(seed: 3)
        // First and last byte, a byte in every block, and random ones.
        var positions = [0, payload - 1] + stride(from: 512, to: payload, by: 1024).map { $0 }
        positions += (0 ..< 8).map { _ in Int(rng.next() % UInt64(payload)) }
        let damaged = scratch.file("damaged")
        try FileManager.default.copyItem(at: clean, to: damaged)
        let url = damaged.appendingPathComponent("train.samples")
        for position in positions {
            var bytes = [UInt8](samples)
            bytes[StoreHeader.size + position] ^= 1 << UInt8(position % 8)
            try Data(bytes).write(to: url)
            let folder = try DataFolder(url: damaged)   // opening reads no samples
            let store = try #require(folder.stores[.train])
            let holder = try #require(store.recordings.firstIndex { ($0.offset * 2 ..< ($0.offset + $0.count) * 2).contains(position) })
            let error = #expect(throws: CorpusError.self) { _ = try store.samples(holder) }
            #expect("\(error!)".contains("block \(position / 1024)") && "\(error!)".contains("rawspeech preprocess"))
            // A fresh open, read through training: the batch that would carry it throws.
            let data = try TrainingData.load(try DataFolder(url: damaged))
            #expect(throws: CorpusError.self) {
                for i in 0 ..< data.train.count { _ = try data.train.samples(i) }
            }
            #expect(throws: CorpusError.self) { try DataFolder(url: damaged).verifyAll() }
        }
        // Through a trainer's batches and a measurer's score.
        var bytes = [UInt8](samples)
        bytes[StoreHeader.size + payload / 2] ^= 0x10
        try Data(bytes).write(to: url)
        #expect(throws: CorpusError.self) {
            let data = try TrainingData.load(try DataFolder(url: damaged))
            let run = temporaryRunFolder("store-damage")
            defer { try? FileManager.default.removeItem(at: run.url) }
            try run.create()
            var config = TrainingConfig(model: ModelConfig(cell: .gru, units: 8, components: 2))
            config.batch = 8
            config.steps = 20
            let trainer = try Trainer(config: config, data: data, run: run, resume: false)
            var before = trainer.state.model.parameters
            // The step whose batch would carry the damaged block throws and updates nothing.
            defer { #expect(trainer.state.model.parameters == before, "an update from damaged samples") }
            for _ in 0 ..< 500 {
                before = trainer.state.model.parameters
                _ = try trainer.step()
            }
        }
        let model = try LinearBaseline.fit(data: TrainingData.load(DataFolder(url: clean))).trained
        #expect(throws: CorpusError.self) { _ = try RunMeasurer(folder: DataFolder(url: damaged)).nll(model, split: .train) }
        // The clean copy reads and verifies.
        try DataFolder(url: clean).verifyAll()
    }

    @Test func damagedHeadersIndexesAndMismatchedPairsAreRefusedAtOpen() throws {
        let scratch = ScratchFolder()
        let (manifest, _) = try corpus(scratch)
        let clean = scratch.file("clean")
        _ = try Preprocessor.run(manifest: manifest, output: clean, options: options())
        var other = manifest
        other.entries[0].audioFilepath = "audio/f1.wav"   // another run: f1's samples under f0's name
        other.entries[0].sha256 = other.entries[1].sha256
        other.entries.remove(at: 1)
        let otherFolder = scratch.file("other")
        _ = try Preprocessor.run(manifest: other, output: otherFolder, options: options())

        func refused(_ name: String, _ change: (URL) throws -> Void) throws {
            let copy = scratch.file("case-\(name)")
            try FileManager.default.copyItem(at: clean, to: copy)
            try change(copy)
            let error = #expect(throws: CorpusError.self, "\(name)") { _ = try DataFolder(url: copy) }
            #expect("\(error!)".contains("rawspeech preprocess"), "\(name): \(error!)")
        }
        func flip(_ file: String, at offset: Int) -> (URL) throws -> Void {
            { folder in
                let url = folder.appendingPathComponent(file)
                var bytes = [UInt8](try Data(contentsOf: url))
                bytes[offset] ^= 0x01
                try Data(bytes).write(to: url)
            }
        }
        for offset in [0, 9, 17, 25, 33, 45, 80] { try refused("header-\(offset)", flip("train.samples", at: offset)) }
        for offset in [0, 8, 40, 100] { try refused("index-\(offset)", flip("train.index", at: offset)) }
        try refused("truncated") { folder in
            let url = folder.appendingPathComponent("train.samples")
            let data = try Data(contentsOf: url)
            try data.prefix(data.count - 2).write(to: url)
        }
        try refused("missing-index") { try FileManager.default.removeItem(at: $0.appendingPathComponent("valid.index")) }
        try refused("other-run-index") { folder in
            let target = folder.appendingPathComponent("train.index")
            try FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(at: otherFolder.appendingPathComponent("train.index"), to: target)
        }
        try refused("other-run-pair") { folder in
            for name in ["train.index", "train.samples"] {
                let target = folder.appendingPathComponent(name)
                try FileManager.default.removeItem(at: target)
                try FileManager.default.copyItem(at: otherFolder.appendingPathComponent(name), to: target)
            }
        }
    }

    /// The states a kill can leave (pieces only; some pieces; the samples file renamed but
    /// not its index; a dead writer's temporary) all finish with the bytes of a clean run.
    @Test func everyInterruptedStateResumesToTheSameBytes() throws {
        let scratch = ScratchFolder()
        let (manifest, _) = try corpus(scratch)
        let reference = scratch.file("reference")
        let summary = try Preprocessor.run(manifest: manifest, output: reference, options: options())
        let files = ["summary.json", "train.samples", "train.index", "valid.samples", "valid.index", "test.samples", "test.index"]
        func same(_ folder: URL) throws {
            for name in files {
                #expect(try Data(contentsOf: folder.appendingPathComponent(name)) == Data(contentsOf: reference.appendingPathComponent(name)),
                        "\(name) differs")
            }
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(Preprocessor.piecesFolder).path))
        }
        let names = try Preprocessor.recordingNames(manifest)
        // Pieces only, for some or all recordings (killed while decoding).
        for count in [0, 2, 5] {
            let out = scratch.file("pieces-\(count)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            for index in 0 ..< count {
                _ = try Preprocessor.process(manifest.entries[index], name: names[index], manifest: manifest, output: out,
                                             options: options())
            }
            #expect(try Preprocessor.run(manifest: manifest, output: out, options: options(jobs: 1)) == summary)
            try same(out)
        }
        // Killed between the renames of train.samples and train.index: an old index (here
        // another run's) beside the new samples; and a dead process's temporary.
        let out = scratch.file("between")
        var shorter = manifest
        shorter.entries.remove(at: 2)
        _ = try Preprocessor.run(manifest: shorter, output: out, options: options())
        for index in manifest.entries.indices {
            _ = try Preprocessor.process(manifest.entries[index], name: names[index], manifest: manifest, output: out,
                                         options: options())
        }
        try FileManager.default.removeItem(at: out.appendingPathComponent("train.samples"))
        try FileManager.default.copyItem(at: reference.appendingPathComponent("train.samples"), to: out.appendingPathComponent("train.samples"))
        #expect(throws: CorpusError.self) { _ = try SampleStore(folder: out, split: .train) }
        try Data([1, 2, 3]).write(to: out.appendingPathComponent(".pieces/train/" + AtomicFile.temporaryName(for: "x", pid: 999_999)))
        #expect(try Preprocessor.run(manifest: manifest, output: out, options: options()) == summary)
        try same(out)
    }

    /// A folder written before stores (one float32 shard per recording, no sample_format)
    /// is still read, checked and trained from.
    @Test func versionOneShardFoldersAreRead() throws {
        let scratch = ScratchFolder()
        let out = scratch.file("v1")
        let signals = (0 ..< 3).map { i in (0 ..< 2000 + 300 * i).map { Float(sin(Double($0) * 0.05 + Double(i))) * 0.3 } }
        var entries: [ShardEntry] = []
        for (i, signal) in signals.enumerated() {
            let relative = "\(i == 2 ? "valid" : "train")/r\(i).shard"
            let url = out.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let writer = try ShardWriter(url: url, sampleRate: 16000, sourceSHA256: [UInt8](repeating: 0, count: 32))
            try writer.append(signal)
            let header = try writer.finish()
            entries.append(ShardEntry(name: "r\(i)", split: i == 2 ? .valid : .train, shard: relative,
                                      samples: signal.count, sha256: SHA256.hex(header.payloadSHA256), line: i + 1))
        }
        let summary = DataSummary(sampleRate: 16000, frame: .paper, splits: [:], trainMean: 0, trainStd: 0.2,
                                  skipped: [], recordings: entries)
        try JSONEncoder().encode(summary).write(to: out.appendingPathComponent("summary.json"))
        let folder = try DataFolder(url: out)
        #expect(folder.isShardFolder && folder.stores.isEmpty)
        #expect(try folder.recordings(split: .train).map(\.samples) == Array(signals.prefix(2)))
        let data = try TrainingData.load(folder)
        #expect(data.train.count == 2 && data.valid.count == 1)
        #expect(try data.valid.samples(0) == signals[2].map(Normalization(mean: 0, std: 0.2).normalize))
        try folder.verifyAll()
    }
}
