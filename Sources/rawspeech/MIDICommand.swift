// `rawspeech midi DATADIR PIECE --output FILE.mid`: one piece of a piano-roll folder as a MIDI
// file (Evaluation/MIDIFile, as `generate` writes a music model's samples), so a listener can
// hear the real chorales next to what a model made of them.
import ArgumentParser
import Foundation
import RawSpeechCorpus
import RawSpeechEvaluation

struct MIDICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "midi",
        abstract: "Write one piece of a piano-roll (music) data folder as a MIDI file.",
        discussion: """
        PIECE is a name as `score --json` lists them (train/000, test/076). Each step is a \
        quarter note at --tempo; keys held over consecutive steps are one note, as in `generate`.
        """)

    @Argument(help: ArgumentHelp("A piano-roll data folder (from `rawspeech preprocess SET.json`).", valueName: "DATADIR"))
    var dataFolder: String

    @Argument(help: ArgumentHelp("The piece, e.g. test/000.", valueName: "PIECE"))
    var piece: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The MIDI file to write.", valueName: "FILE.mid"))
    var output: String

    @Option(help: ArgumentHelp("Quarter notes a minute.", valueName: "BPM"))
    var tempo: Double = GenerateCommand.defaultTempo

    func validate() throws {
        try check("--tempo", tempo, in: MIDIFile.tempoRange)
        guard GenerateCommand.isMIDI(output) else { throw ValidationError("--output must name a .mid file (got \(output))") }
    }

    func run() throws {
        do {
            let folder = try PianoRollFolder(url: URL(fileURLWithPath: dataFolder))
            guard let split = piece.split(separator: "/").first.flatMap({ Split(rawValue: String($0)) }),
                  let roll = try folder.sequences(split).first(where: { $0.name == piece }) else {
                throw ValidationError("no piece \(piece) in \(dataFolder) (names are like test/000)")
            }
            let file = MIDIFile(roll: (0 ..< roll.steps).map(roll.midiNotes(step:)), tempoBPM: tempo, name: "\(piece) of \(folder.summary.source)")
            try file.write(to: URL(fileURLWithPath: output))
            print(String(format: "wrote %@: %@, %d steps, %.1f s at %g bpm, %d notes", output, piece, roll.steps, file.seconds, tempo, file.notes.count))
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
    }
}
