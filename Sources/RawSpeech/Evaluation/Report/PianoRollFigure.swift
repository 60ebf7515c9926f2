// What a music run generated, for the report: `rawspeech generate` on a run folder keeps the
// sampled roll as RUNDIR/generated-roll.json, and the report draws it as a piano roll (time
// across, pitch up, one bar per held note, octaves marked at each C) with the MIDI file
// beside it as a download (a data: URL, so the page stays self-contained). It draws; it
// samples nothing.
import RawSpeechCore
import Foundation

/// A sampled roll and how it was made, as kept in a run folder.
public struct GeneratedRoll: Codable, Equatable, Sendable {
    /// The file's name inside a run folder.
    public static let fileName = "generated-roll.json"

    /// The model's name ("gru-46").
    public var model: String
    /// The MIDI notes sounding at each step.
    public var steps: [[Int]]
    public var tempoBPM: Double
    public var seed: UInt64
    public var temperature: Double
    /// The piece it continues ("test/000"), if primed.
    public var prime: String?

    package enum CodingKeys: String, CodingKey {
        case model, steps, tempoBPM = "tempo_bpm", seed, temperature, prime
    }

    public init(model: String, steps: [[Int]], tempoBPM: Double, seed: UInt64, temperature: Double, prime: String?) {
        self.model = model
        self.steps = steps
        self.tempoBPM = tempoBPM
        self.seed = seed
        self.temperature = temperature
        self.prime = prime
    }

    /// The MIDI file `generate` writes of it (and the report offers: the same bytes).
    public var midi: MIDIFile { MIDIFile(roll: steps, tempoBPM: tempoBPM, name: "rawspeech \(model) seed \(seed)") }
}

extension Report {
    /// The piano-roll figure of `roll`: one rectangle per note, pitch on the y axis.
    public static func pianoRollSVG(_ roll: GeneratedRoll, title: String) -> String {
        let notes = roll.midi.notes
        let pitches = notes.map(\.pitch)
        let low = (pitches.min() ?? 60) - 2, high = (pitches.max() ?? 72) + 2
        let (left, top, plotWidth, plotHeight) = (56.0, 34.0, 780.0, 300.0)
        let stepWidth = plotWidth / Double(max(1, roll.steps.count))
        let rowHeight = plotHeight / Double(high - low + 1)
        func y(_ pitch: Int) -> Double { top + Double(high - pitch) * rowHeight }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(left + plotWidth + 20))\" height=\"\(Int(top + plotHeight + 44))\" "
            + "font-family=\"sans-serif\" font-size=\"12\">\n"
        svg += "<text x=\"\(SVG.f(left + plotWidth / 2))\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">\(SVG.escape(title))</text>\n"
        svg += "<rect x=\"\(SVG.f(left))\" y=\"\(SVG.f(top))\" width=\"\(SVG.f(plotWidth))\" height=\"\(SVG.f(plotHeight))\" fill=\"#fafafa\" stroke=\"#999\"/>\n"
        for pitch in low ... high where pitch % 12 == 0 {
            // C of each octave: MIDI 60 is C4.
            svg += "<line x1=\"\(SVG.f(left))\" x2=\"\(SVG.f(left + plotWidth))\" y1=\"\(SVG.f(y(pitch) + rowHeight))\" "
                + "y2=\"\(SVG.f(y(pitch) + rowHeight))\" stroke=\"#ddd\"/>\n"
            svg += "<text x=\"\(SVG.f(left - 6))\" y=\"\(SVG.f(y(pitch) + rowHeight))\" text-anchor=\"end\" dy=\"4\">C\(pitch / 12 - 1)</text>\n"
        }
        for note in notes {
            let x = left + Double(note.start) / 480 * stepWidth, width = Double(note.duration) / 480 * stepWidth
            svg += "<rect x=\"\(SVG.f(x))\" y=\"\(SVG.f(y(note.pitch)))\" width=\"\(SVG.f(max(width - 1, 1)))\" "
                + "height=\"\(SVG.f(max(rowHeight - 0.5, 1)))\" fill=\"#1f77b4\"><title>MIDI \(note.pitch)</title></rect>\n"
        }
        svg += "<text x=\"\(SVG.f(left + plotWidth / 2))\" y=\"\(SVG.f(top + plotHeight + 30))\" text-anchor=\"middle\">"
            + "\(roll.steps.count) steps (quarter notes) at \(SVG.label(roll.tempoBPM, step: 1)) bpm</text>\n"
        return svg + "</svg>\n"
    }

    /// The generated-music section of the page for the music runs that kept a sample.
    static func generatedMusicHTML(_ runs: [RunRecord], figures: inout [ReportFigure]) -> String {
        let sampled = runs.filter { $0.generatedRoll != nil }
        guard !sampled.isEmpty else { return "" }
        var out = "<h2>Generated music</h2>\n"
        for run in sampled {
            let roll = run.generatedRoll!
            let svg = pianoRollSVG(roll, title: "Generated: \(run.label)")
            figures.append(ReportFigure(fileName: "generated-roll-\(safeFileName(run.name)).svg", svg: svg))
            let midi = roll.midi.bytes().base64EncodedString()
            let made = "seed \(roll.seed), temperature \(SVG.label(roll.temperature, step: 0.01))"
                + (roll.prime.map { ", continuing \($0)" } ?? "")
            out += "<div class=\"figures\">\n\(svg)</div>\n<p class=\"note\">\(SVG.escape(made)): "
                + "<a download=\"\(SVG.escape(safeFileName(run.name))).mid\" href=\"data:audio/midi;base64,\(midi)\">the MIDI file</a></p>\n"
        }
        return out
    }
}
