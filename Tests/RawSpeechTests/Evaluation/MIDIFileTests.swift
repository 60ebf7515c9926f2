// The MIDI writer, checked by an independent reader: files rawspeech writes are read back with
// PyPI's mido (tools/midi-notes.py in the reference environment) and must hold the notes,
// start and end ticks, velocities, tempo and length written; a real JSB chorale survives the
// round trip roll -> MIDI -> roll step for step. Plus the variable-length quantities of the
// MIDI specification's own examples.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechCorpus
@testable import RawSpeechIngest
@testable import RawSpeechEvaluation

@Suite(.serialized) struct MIDIFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// What mido read from a file.
    struct Read: Decodable {
        var type: Int
        var ticks_per_beat: Int
        var tempos: [Int]
        var names: [String]
        var notes: [[Int]]
        var unclosed: Int
        var seconds: Double
    }

    struct ReaderFailed: Error, CustomStringConvertible { let description: String }

    /// The reference environment's python with mido (tools/test installs it up front).
    private static let python: Result<String, Error> = Result {
        let (status, stdout, stderr) = try EvalProcess.run(root.appendingPathComponent("tools/reference-env").path, ["mido"])
        guard status == 0 else { throw ReaderFailed(description: "tools/reference-env mido failed: \(stderr)") }
        return stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func readWithMido(_ url: URL) throws -> Read {
        let (status, stdout, stderr) = try EvalProcess.run(try python.get(),
                                                           [root.appendingPathComponent("tools/midi-notes.py").path, url.path])
        guard status == 0 else { throw ReaderFailed(description: "mido could not read \(url.path): \(stderr)") }
        return try JSONDecoder().decode(Read.self, from: Data(stdout.utf8))
    }

    @Test func variableLengthQuantitiesOfTheSpecification() {
        let examples: [(Int, [UInt8])] = [(0, [0x00]), (0x40, [0x40]), (0x7F, [0x7F]), (0x80, [0x81, 0x00]),
                                          (0x2000, [0xC0, 0x00]), (0x3FFF, [0xFF, 0x7F]), (0x4000, [0x81, 0x80, 0x00]),
                                          (0x1FFFFF, [0xFF, 0xFF, 0x7F]), (0x200000, [0x81, 0x80, 0x80, 0x00]),
                                          (0x0FFFFFFF, [0xFF, 0xFF, 0xFF, 0x7F])]
        for (value, bytes) in examples { #expect(MIDIFile.variableLength(value) == bytes, "\(value)") }
    }

    @Test func heldKeysBecomeOneNote() {
        // C held three steps, E for one then again after a rest, G at the very end.
        let file = MIDIFile(roll: [[60, 64], [60], [60, 64], [], [67]], ticksPerStep: 100)
        #expect(file.notes == [MIDIFile.Note(pitch: 60, start: 0, duration: 300), MIDIFile.Note(pitch: 64, start: 0, duration: 100),
                               MIDIFile.Note(pitch: 64, start: 200, duration: 100), MIDIFile.Note(pitch: 67, start: 400, duration: 100)])
        #expect(abs(file.seconds - 500.0 / 480 * 0.5) < 1e-12, "120 bpm: half a second a quarter")
    }

    @Test func midoReadsTheNotesTempoAndLength() throws {
        let scratch = ScratchFolder()
        let url = scratch.file("notes.mid")
        // Long notes (delta times of two and three bytes), overlaps, a note starting where its
        // pitch ends, both ends of the piano, a slow tempo.
        let notes = [MIDIFile.Note(pitch: 21, start: 0, duration: 960), MIDIFile.Note(pitch: 108, start: 240, duration: 20_000, velocity: 127),
                     MIDIFile.Note(pitch: 60, start: 960, duration: 480, velocity: 1), MIDIFile.Note(pitch: 60, start: 1440, duration: 480)]
        let file = MIDIFile(notes: notes, ticksPerQuarter: 480, tempoBPM: 72, name: "test piece")
        try file.write(to: url)
        let read = try Self.readWithMido(url)
        #expect(read.type == 0 && read.ticks_per_beat == 480 && read.unclosed == 0)
        #expect(read.tempos == [833_333], "60,000,000 / 72 microseconds a quarter")
        #expect(read.names == ["test piece"])
        #expect(read.notes == [[21, 0, 960, 80, 0], [108, 240, 20_240, 127, 0], [60, 960, 1440, 1, 0], [60, 1440, 1920, 80, 0]])
        #expect(abs(read.seconds - file.seconds) < 1e-6, "mido: \(read.seconds) s, ours \(file.seconds) s")
        #expect(abs(file.seconds - 20_240.0 / 480 * 0.833_333) < 1e-9)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0 != "notes.mid" }
        #expect(leftovers.isEmpty, "no temporary file left: \(leftovers)")
    }

    /// A real chorale from the shared JSB file, roll -> MIDI -> (mido) -> roll, step for step.
    @Test func aJSBChoraleSurvivesTheRoundTrip() throws {
        let url = try #require(PianoRollFolderTests.jsbChorales(), "corpora/jsb_chorales.json not found")
        let chorale = try #require(PianoRollSource(url: url).splits[.test]?.first)
        let steps = (0 ..< chorale.steps).map { chorale.midiNotes(step: $0) }
        let scratch = ScratchFolder()
        let midiURL = scratch.file("chorale.mid")
        try MIDIFile(roll: steps, tempoBPM: 100).write(to: midiURL)
        let read = try Self.readWithMido(midiURL)
        var roll = [[Int]](repeating: [], count: chorale.steps)
        for note in read.notes {
            #expect(note[1] % 480 == 0 && note[2] % 480 == 0, "notes on step boundaries")
            for t in note[1] / 480 ..< note[2] / 480 { roll[t].append(note[0]) }
        }
        #expect(roll.map { $0.sorted() } == steps)
        #expect(abs(read.seconds - Double(chorale.steps) * 0.6) < 1e-6 || steps.last!.isEmpty, "a quarter note is 0.6 s at 100 bpm")
    }
}
