// A Standard MIDI File writer (format 0: one track), so a person can listen to what a music
// model learned: `rawspeech generate` turns its sampled piano roll into notes here. A key that
// sounds at consecutive steps is one held note (a piano roll cannot tell a held note from a
// repeated one; holding is how the JSB chorales sound). Time is in ticks, `ticksPerQuarter`
// to the quarter note, and one roll step is `ticksPerStep` ticks (a quarter note by default,
// the JSB step); the tempo meta event says how many quarter notes a minute. It writes, it
// does not read: tests read its files back with PyPI's mido.
import RawSpeechCore
import Foundation

/// A one-track Standard MIDI File of notes on one channel.
public struct MIDIFile: Sendable, Equatable {
    /// One note: MIDI number, start and length in ticks, key velocity (1...127).
    public struct Note: Sendable, Equatable {
        public var pitch: Int
        public var start: Int
        public var duration: Int
        public var velocity: Int

        public init(pitch: Int, start: Int, duration: Int, velocity: Int = MIDIFile.defaultVelocity) {
            self.pitch = pitch
            self.start = start
            self.duration = duration
            self.velocity = velocity
        }
    }

    /// A moderate mezzo-forte for every note: the roll has no dynamics to give.
    public static let defaultVelocity = 80
    /// Tempos the file can state: 60,000,000 / bpm microseconds per quarter must fit 24 bits.
    public static let tempoRange = 4.0 ... 1000.0

    public var ticksPerQuarter: Int
    public var tempoBPM: Double
    public var notes: [Note]
    /// The track name meta event (what a player shows).
    public var name: String

    public init(notes: [Note], ticksPerQuarter: Int = 480, tempoBPM: Double = 120, name: String = "rawspeech") {
        precondition(Self.tempoRange.contains(tempoBPM), "tempo \(tempoBPM) bpm outside \(Self.tempoRange)")
        precondition(ticksPerQuarter > 0 && ticksPerQuarter < 0x8000, "ticks per quarter must fit 15 bits")
        self.notes = notes
        self.ticksPerQuarter = ticksPerQuarter
        self.tempoBPM = tempoBPM
        self.name = name
    }

    /// The notes of `roll` (steps of MIDI note numbers): each run of consecutive steps in which
    /// a key sounds becomes one note, `ticksPerStep` ticks a step.
    public init(roll: [[Int]], ticksPerStep: Int = 480, ticksPerQuarter: Int = 480, tempoBPM: Double = 120,
                name: String = "rawspeech") {
        var notes: [Note] = []
        var sounding: [Int: Int] = [:]  // pitch -> step it started
        for t in 0 ... roll.count {
            let now = t < roll.count ? Set(roll[t]) : []
            for (pitch, start) in sounding where !now.contains(pitch) {
                notes.append(Note(pitch: pitch, start: start * ticksPerStep, duration: (t - start) * ticksPerStep))
                sounding[pitch] = nil
            }
            for pitch in now where sounding[pitch] == nil { sounding[pitch] = t }
        }
        notes.sort { ($0.start, $0.pitch) < ($1.start, $1.pitch) }
        self.init(notes: notes, ticksPerQuarter: ticksPerQuarter, tempoBPM: tempoBPM, name: name)
    }

    /// Microseconds per quarter note, as the tempo meta event states it.
    public var microsecondsPerQuarter: Int { Int((60_000_000 / tempoBPM).rounded()) }

    /// The file's bytes: header chunk MThd (format 0, one track), then the track chunk MTrk:
    /// track name, tempo, 4/4 time, piano program, the notes (at equal ticks offs before ons,
    /// so a note ending where another of its pitch starts is heard twice), end of track.
    public func bytes() -> Data {
        var events: [(tick: Int, order: Int, bytes: [UInt8])] = []
        for note in notes {
            let pitch = UInt8(clamping: note.pitch), velocity = UInt8(clamping: note.velocity)
            events.append((note.start, 1, [0x90, pitch, velocity]))
            events.append((note.start + note.duration, 0, [0x80, pitch, 0]))
        }
        events.sort { ($0.tick, $0.order, $0.bytes[1]) < ($1.tick, $1.order, $1.bytes[1]) }

        var track: [UInt8] = []
        let nameBytes = Array(name.utf8.prefix(127))
        track += [0x00, 0xFF, 0x03, UInt8(nameBytes.count)] + nameBytes
        let tempo = microsecondsPerQuarter
        track += [0x00, 0xFF, 0x51, 0x03, UInt8(tempo >> 16 & 0xFF), UInt8(tempo >> 8 & 0xFF), UInt8(tempo & 0xFF)]
        track += [0x00, 0xFF, 0x58, 0x04, 4, 2, 24, 8]  // 4/4, 24 clocks a click, 8 32nds a quarter
        track += [0x00, 0xC0, 0x00]  // program 0: acoustic grand piano
        var previous = 0
        for event in events {
            track += Self.variableLength(event.tick - previous) + event.bytes
            previous = event.tick
        }
        track += [0x00, 0xFF, 0x2F, 0x00]

        var file: [UInt8] = Array("MThd".utf8) + Self.bigEndian(6, bytes: 4)
        file += Self.bigEndian(0, bytes: 2) + Self.bigEndian(1, bytes: 2) + Self.bigEndian(ticksPerQuarter, bytes: 2)
        file += Array("MTrk".utf8) + Self.bigEndian(track.count, bytes: 4) + track
        return Data(file)
    }

    /// Writes the file atomically (a temporary name, then renamed).
    public func write(to url: URL) throws {
        try AtomicFile.write(bytes(), to: url)
    }

    /// How many seconds the notes last as a player times them (the end of the last note, at
    /// the tempo the file states: whole microseconds per quarter).
    public var seconds: Double {
        let end = notes.map { $0.start + $0.duration }.max() ?? 0
        return Double(end) / Double(ticksPerQuarter) * Double(microsecondsPerQuarter) / 1e6
    }

    /// MIDI's variable-length quantity: 7 bits a byte, most significant first, the high bit
    /// set on every byte but the last.
    static func variableLength(_ value: Int) -> [UInt8] {
        precondition(value >= 0 && value < 1 << 28, "a MIDI delta time is 0 to 2^28 - 1 ticks")
        var bytes = [UInt8(value & 0x7F)]
        var rest = value >> 7
        while rest > 0 {
            bytes.insert(UInt8(rest & 0x7F) | 0x80, at: 0)
            rest >>= 7
        }
        return bytes
    }

    static func bigEndian(_ value: Int, bytes count: Int) -> [UInt8] {
        (0 ..< count).reversed().map { UInt8(value >> (8 * $0) & 0xFF) }
    }
}
