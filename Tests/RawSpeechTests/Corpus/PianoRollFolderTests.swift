// The piano-roll (music) data folder: a small synthetic set round trip (rolls, names, the
// shifted input/target pair, summary counts), each error of the JSON reader naming the place,
// damage to a rolls file or the summary caught on load, each folder kind refused by the other
// kind's reader, and the real JSB Chorales file's published counts (229/76/77 pieces,
// 13,807/4,602/4,725 steps).
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechCorpus
@testable import RawSpeechIngest

@Suite struct PianoRollFolderTests {
    /// Three splits of a few short pieces, including a rest (empty step) and both piano ends.
    static let smallSet = """
    {"train": [[[60, 64, 67], [], [21, 108]], [[62], [62, 62, 65]]],
     "valid": [[[48]]],
     "test": [[[50, 53], [55]]]}
    """

    func write(_ text: String, _ scratch: ScratchFolder, name: String = "set.json") throws -> URL {
        let url = scratch.file(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func roundTripOfASmallSet() throws {
        let scratch = ScratchFolder()
        let source = try write(Self.smallSet, scratch)
        let summary = try PianoRollSource.preprocess(source, output: scratch.file("data"))
        let folder = try PianoRollFolder(url: scratch.file("data"))
        #expect(folder.summary == summary)
        #expect(summary.kind == .pianoroll && summary.notes == 88 && summary.lowestNote == 21)
        #expect(summary.source == "set.json" && summary.sourceSHA256 == SHA256.hex(SHA256.digest(Data(Self.smallSet.utf8))))
        #expect(Split.allCases.map { summary.split($0).sequences } == [2, 1, 1])
        #expect(Split.allCases.map { summary.split($0).steps } == [5, 1, 2])
        #expect(Split.allCases.map { summary.split($0).notesOn } == [3 + 0 + 2 + 1 + 2, 1, 3])

        let train = try folder.sequences(.train)
        #expect(train.map(\.name) == ["train/000", "train/001"])
        #expect(train.map(\.steps) == [3, 2])
        #expect((0 ..< 3).map { train[0].midiNotes(step: $0) } == [[60, 64, 67], [], [21, 108]])
        #expect(train[1].midiNotes(step: 1) == [62, 65], "a note listed twice is one note")
        #expect(try folder.sequences(.test)[0].midiNotes(step: 1) == [55])

        // Key k is MIDI 21 + k; fill writes 88 floats of 0/1.
        var step = [Float](repeating: -1, count: 88)
        step.withUnsafeMutableBufferPointer { train[0].fill(step: 2, into: $0.baseAddress!) }
        #expect(step.indices.filter { step[$0] != 0 } == [0, 87] && step[0] == 1 && step[87] == 1)

        // Input t is roll t - 1 (zeros at t = 0), target t is roll t: n steps, n predictions.
        let (input, target) = train[0].inputsAndTargets
        #expect(input.count == 3 * 88 && target == train[0].floats)
        #expect(input[0 ..< 88].allSatisfy { $0 == 0 })
        #expect(Array(input[88 ..< 176]) == Array(target[0 ..< 88]))
        #expect(Array(input[176 ..< 264]) == Array(target[88 ..< 176]))
        #expect(try folder.verifyAll() == (5 + 1 + 2) * 88)
    }

    @Test(arguments: [
        ("[1, 2]", "", "the top level must be an object"),
        ("{\"train\": [[[60]]], \"valid\": [[[60]]]}", "", "no \"test\" split"),
        ("{\"train\": [[[60]]], \"valid\": [[[60]]], \"test\": {}}", "test", "must be an array of pieces"),
        ("{\"train\": [], \"valid\": [[[60]]], \"test\": [[[60]]]}", "train", "no pieces"),
        ("{\"train\": [[[60]], []], \"valid\": [[[60]]], \"test\": [[[60]]]}", "train, piece 1", "no time steps"),
        ("{\"train\": [[[60]], 7], \"valid\": [[[60]]], \"test\": [[[60]]]}", "train, piece 1", "must be an array of time steps"),
        ("{\"train\": [[[60]]], \"valid\": [[[60], 61]], \"test\": [[[60]]]}", "valid, piece 0, step 1", "must be an array of MIDI note numbers"),
        ("{\"train\": [[[60]]], \"valid\": [[[60]]], \"test\": [[[60], [60.5]]]}", "test, piece 0, step 1", "60.5 is not an integer"),
        ("{\"train\": [[[60]]], \"valid\": [[[60]]], \"test\": [[[60], [true]]]}", "test, piece 0, step 1", "true is not an integer"),
        ("{\"train\": [[[60]]], \"valid\": [[[60]]], \"test\": [[[60], [\"60\"]]]}", "test, piece 0, step 1", "a string is not an integer"),
        ("{\"train\": [[[60], [20]]], \"valid\": [[[60]]], \"test\": [[[60]]]}", "train, piece 0, step 1", "MIDI note 20 is outside"),
        ("{\"train\": [[[60], [109]]], \"valid\": [[[60]]], \"test\": [[[60]]]}", "train, piece 0, step 1", "MIDI note 109 is outside"),
        ("{\"train\": [[[60]]], \"valid\": [[[60]]], \"test\": [[[60]]]", "", "not valid JSON"),
    ])
    func badFilesNameThePlace(text: String, place: String, reason: String) throws {
        let scratch = ScratchFolder()
        let source = try write(text, scratch)
        do {
            _ = try PianoRollSource(url: source)
            Issue.record("accepted \(text)")
        } catch let error as CorpusError {
            let message = error.description
            let prefix = place.isEmpty ? "\(source.path): not a usable piano-roll file: " : "\(source.path): \(place)"
            #expect(message.hasPrefix(prefix) && message.contains(reason), "\(message)")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.file("data").path))
    }

    @Test func damageIsCaughtOnLoad() throws {
        let scratch = ScratchFolder()
        let data = scratch.file("data")
        _ = try PianoRollSource.preprocess(try write(Self.smallSet, scratch), output: data)
        let rolls = data.appendingPathComponent("train.rolls")
        let original = try Data(contentsOf: rolls)
        // One flipped bit in the keys (a note switched on), anywhere in the file.
        for offset in [original.count / 2, original.count - 40, 20] {
            var damaged = original
            damaged[offset] ^= 1
            try damaged.write(to: rolls)
            let folder = try PianoRollFolder(url: data)
            #expect(throws: CorpusError.self) { try folder.sequences(.train) }
            #expect(throws: CorpusError.self) { try folder.verifyAll() }
            #expect(try folder.sequences(.valid).count == 1, "other splits still read")
        }
        try original.write(to: rolls)
        #expect(try PianoRollFolder(url: data).sequences(.train).count == 2)

        // A rolls file that is whole but not the one summary.json describes (another run's).
        let otherData = scratch.file("other")
        _ = try PianoRollSource.preprocess(try write(Self.smallSet.replacingOccurrences(of: "[62]", with: "[63]"), scratch, name: "b.json"),
                                           output: otherData)
        try FileManager.default.removeItem(at: rolls)
        try FileManager.default.copyItem(at: otherData.appendingPathComponent("train.rolls"), to: rolls)
        #expect(throws: CorpusError.self) { try PianoRollFolder(url: data).sequences(.train) }

        // summary.json edited after the fact: refused before anything is read.
        let summaryURL = data.appendingPathComponent("summary.json")
        let summary = try String(contentsOf: summaryURL, encoding: .utf8)
        try Data(summary.replacingOccurrences(of: "\"steps\" : 5", with: "\"steps\" : 6").utf8).write(to: summaryURL)
        #expect(throws: CorpusError.self) { try PianoRollFolder(url: data) }
    }

    /// summary.json edited with its checksum rewritten (as a user who knows the format would):
    /// a file name leading out of the folder and a notes_on the keys do not have are refused.
    @Test func editedSummaryWithANewChecksumIsStillChecked() throws {
        let scratch = ScratchFolder()
        let data = scratch.file("data")
        _ = try PianoRollSource.preprocess(try write(Self.smallSet, scratch), output: data)
        let summaryURL = data.appendingPathComponent("summary.json")
        let original = try String(contentsOf: summaryURL, encoding: .utf8)
        func edit(_ from: String, _ to: String) throws -> PianoRollFolder {
            let text = original.replacingOccurrences(of: from, with: to)
            #expect(text != original, "\(from) not in summary.json")
            try Data(text.utf8).write(to: summaryURL)
            let sum = SHA256.hex(SHA256.digest(Data(text.utf8)))
            try Data("\(sum)  summary.json\n".utf8).write(to: data.appendingPathComponent("summary.sha256"))
            return try PianoRollFolder(url: data)
        }
        try FileManager.default.copyItem(at: data.appendingPathComponent("train.rolls"), to: scratch.file("elsewhere.rolls"))
        let outside = try edit("\"file\" : \"train.rolls\"", "\"file\" : \"..\\/elsewhere.rolls\"")
        #expect { try outside.sequences(.train) } throws: { "\($0)".contains("not a file name in the folder") }
        let trainOn = try PianoRollFolder(url: data).summary.split(.train).notesOn
        let inflated = try edit("\"notes_on\" : \(trainOn)", "\"notes_on\" : \(trainOn + 1000)")
        #expect { try inflated.sequences(.train) } throws: { "\($0)".contains("sounding notes") }
        #expect(throws: CorpusError.self) { try inflated.verifyAll() }
        // The same folder with its file name and count as preprocess wrote them reads.
        _ = try edit("\"notes_on\" : \(trainOn)", "\"notes_on\" : \(trainOn)\n")
        #expect(try PianoRollFolder(url: data).verifyAll() > 0)
    }

    /// A piano-roll file over 32 MB is refused before it is read: parsing one takes up to
    /// ~100 times its size in memory (a 256 MB limit let a file exhaust the machine).
    @Test func aPianoRollFileOver32MBIsRefusedUnread() throws {
        let scratch = ScratchFolder()
        let big = scratch.file("big.json")
        FileManager.default.createFile(atPath: big.path, contents: Data("{\"train\": [".utf8))
        let handle = try FileHandle(forWritingTo: big)
        try handle.truncate(atOffset: UInt64(PianoRollSource.maxBytes) + 1)  // sparse: no 32 MB written
        try handle.close()
        #expect(PianoRollSource.maxBytes == 32 << 20)
        #expect { _ = try PianoRollSource(url: big) } throws: { "\($0)".contains("more than the 32 MB a piano-roll file may have") }
    }

    /// A split given twice is refused (JSONSerialization kept one of the two in silence); a
    /// repeated key elsewhere, or "train" inside a string or a nested object, is not a split.
    @Test func aSplitGivenTwiceIsRefused() throws {
        let scratch = ScratchFolder()
        let twice = #"{"train": [[[60]]], "valid": [[[60]]], "test": [[[60]]], "train" : [[[61]]]}"#
        #expect { _ = try PianoRollSource(url: try write(twice, scratch, name: "twice.json")) } throws: {
            "\($0)".contains("\"train\" appears twice")
        }
        let fine = #"{"note": "a \"train\": here", "meta": {"train": 1, "x": {"train": 2}}, "train": [[[60]]], "valid": [[[60]]], "test": [[[60]]], "x": 1, "x": 2}"#
        #expect(try PianoRollSource(url: try write(fine, scratch, name: "fine.json")).splits[.train]?.count == 1)
    }

    @Test func eachReaderRefusesTheOtherKind() throws {
        let scratch = ScratchFolder()
        let music = scratch.file("music")
        _ = try PianoRollSource.preprocess(try write(Self.smallSet, scratch), output: music)
        #expect(try DataKind.of(folder: music) == .pianoroll)
        do {
            _ = try DataFolder(url: music)
            Issue.record("DataFolder read a music folder")
        } catch let error as CorpusError {
            #expect(error.description.contains("piano-roll (music) data folder") && error.description.contains("audio (speech) data is needed"))
        }

        let speech = scratch.file("speech")
        try FileManager.default.createDirectory(at: speech, withIntermediateDirectories: true)
        try DataFolder.writeSummary(DataSummary(sampleRate: 16000, frame: .paper, splits: [:], trainMean: 0, trainStd: 1, skipped: []),
                                    to: speech)
        #expect(try DataKind.of(folder: speech) == .audio, "no kind field: audio, as every folder before music")
        do {
            _ = try PianoRollFolder(url: speech)
            Issue.record("PianoRollFolder read an audio folder")
        } catch let error as CorpusError {
            #expect(error.description.contains("audio (speech) data folder") && error.description.contains("piano-roll (music) data is needed"))
        }
    }

    @Test func recognisesPianoRollFilesNotManifests() throws {
        let scratch = ScratchFolder()
        #expect(PianoRollSource.recognises(try write("{\"train\": [[[60]]]}", scratch, name: "rolls.txt")))
        #expect(PianoRollSource.recognises(try write("anything", scratch, name: "broken.json")), ".json is read as piano rolls, errors and all")
        #expect(!PianoRollSource.recognises(try write("{\"audio_filepath\": \"a.wav\", \"duration\": 1, \"split\": \"train\"}\n", scratch, name: "one.jsonl")))
        #expect(!PianoRollSource.recognises(try write("{\"audio_filepath\": \"a.wav\"}\n{\"audio_filepath\": \"b.wav\"}\n", scratch, name: "m.jsonl")))
    }

    /// The JSB Chorales file (corpora/jsb_chorales.json, from ../shared/data): the split sizes the
    /// literature gives, so the per-step NLL is normalised by the same step counts.
    @Test func jsbChoralesHaveThePublishedCounts() throws {
        let url = try #require(Self.jsbChorales(), "corpora/jsb_chorales.json not found")
        let scratch = ScratchFolder()
        let summary = try PianoRollSource.preprocess(url, output: scratch.file("jsb"))
        #expect(Split.allCases.map { summary.split($0).sequences } == [229, 76, 77])
        #expect(Split.allCases.map { summary.split($0).steps } == [13807, 4602, 4725])
        let folder = try PianoRollFolder(url: scratch.file("jsb"))
        let test = try folder.sequences(.test)
        #expect(test.reduce(0) { $0 + $1.steps } == 4725)
        #expect(test.allSatisfy { roll in (0 ..< roll.steps).allSatisfy { roll.midiNotes(step: $0).count <= 4 } }, "four voices")
    }

    /// The built binary: preprocess recognises the JSON, verify checks the rolls, audio flags
    /// and audio commands refuse music with a message and a non-zero exit.
    @Test func commandLine() throws {
        let binary = try #require(CommandLineTests.binary(), "rawspeech binary not found next to the tests")
        let scratch = ScratchFolder()
        let source = try write(Self.smallSet, scratch)
        let data = scratch.file("data").path
        let made = try EvalProcess.run(binary.path, ["preprocess", source.path, "--output", data])
        #expect(made.0 == 0, "\(made.2)")
        #expect(made.1.contains("train    2 pieces       5 steps"), "\(made.1)")
        let verified = try EvalProcess.run(binary.path, ["verify", data])
        #expect(verified.0 == 0 && verified.1.contains("intact: 4 pieces"), "\(verified.1)\(verified.2)")

        let flagged = try EvalProcess.run(binary.path, ["preprocess", source.path, "--output", data + "2", "--sample-rate", "8000"])
        #expect(flagged.0 != 0 && flagged.2.contains("--sample-rate"), "\(flagged.2)")
        // `train` and `compare` run on music folders (MusicCompareCommandTests); the linear baseline does not.
        let trained = try EvalProcess.run(binary.path, ["train", data, "--cell", "linear", "--output", scratch.file("run").path])
        #expect(trained.0 != 0 && trained.2.contains("--cell linear is for audio"), "\(trained.2)")

        var rolls = try Data(contentsOf: URL(fileURLWithPath: data + "/valid.rolls"))
        rolls[rolls.count / 2] ^= 0x01
        try rolls.write(to: URL(fileURLWithPath: data + "/valid.rolls"))
        let damaged = try EvalProcess.run(binary.path, ["verify", data])
        #expect(damaged.0 != 0 && damaged.2.contains("valid.rolls"), "\(damaged.2)")

        let bad = try write("{\"train\": [[[60, 200]]], \"valid\": [[[60]]], \"test\": [[[60]]]}", scratch, name: "bad.json")
        let refused = try EvalProcess.run(binary.path, ["preprocess", bad.path, "--output", scratch.file("bad").path])
        #expect(refused.0 != 0 && refused.2.contains("bad.json: train, piece 0, step 0 (counting from 0): MIDI note 200"), "\(refused.2)")
    }

    /// corpora/jsb_chorales.json in the repository (the shared data folder's file, committed).
    static func jsbChorales() -> URL? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let url = root.appendingPathComponent("corpora/jsb_chorales.json")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
}
