// `rawspeech generate MODEL --steps N --output FILE.mid` for a music model: samples a piano
// roll (Evaluation/PianoRollGenerator) and writes it as a Standard MIDI File
// (Evaluation/MIDIFile), one step a quarter note at --tempo; prints how busy it is next to
// the training data (mean notes sounding per step). Given a run folder, it also keeps the roll
// as RUNDIR/generated-roll.json for `rawspeech report`.
import ArgumentParser
import Foundation
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechTraining
import RawSpeechEvaluation

extension GenerateCommand {
    /// The default tempo of a music model's MIDI file: a moderate chorale pace.
    static let defaultTempo = 120.0

    static func isMIDI(_ path: String) -> Bool {
        ["mid", "midi"].contains(URL(fileURLWithPath: path).pathExtension.lowercased())
    }

    func runMusic(_ source: ModelSource) throws {
        guard Self.isMIDI(output) else {
            printError("error: --output \(output): \(model) is a music model; it writes MIDI (give FILE.mid)")
            throw ExitCode.failure
        }
        for (flag, given) in [("--component-temperature", componentTemperature != nil), ("--sigma-scale", sigmaScale != nil)] where given {
            printError("error: \(flag) is for speech models' mixtures; a music model takes --temperature")
            throw ExitCode.failure
        }
        let bpm = tempo ?? Self.defaultTempo
        let count = steps ?? max(1, Int((seconds! * bpm / 60).rounded()))
        let (folder, folderError) = musicData(source, quiet: prime != nil)
        var primer: PianoRoll?
        if let prime {
            do {
                // The folder's own error when there is one (--data given but not a piano-roll folder).
                guard let folder else {
                    throw folderError ?? ValidationError("no data folder to take \(prime) from (pass --data DATADIR)")
                }
                guard let split = prime.split(separator: "/").first.flatMap({ Split(rawValue: String($0)) }),
                      let piece = try folder.sequences(split).first(where: { $0.name == prime }) else {
                    throw ValidationError("no piece \(prime) in \(folder.url.path) (names are like test/000)")
                }
                primer = piece
            } catch {
                printError("error: --prime: \(error)")
                throw ExitCode.failure
            }
        }
        let generator: PianoRollGenerator
        do { generator = try PianoRollGenerator(model: source.model, name: model) } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        let started = Date()
        let roll = generator.generate(steps: count, seed: seed, temperature: temperature, prime: primer)
        let sample = GeneratedRoll(model: source.model.name, steps: roll, tempoBPM: bpm, seed: seed,
                                   temperature: Double(temperature), prime: prime)
        let file = sample.midi
        try file.write(to: URL(fileURLWithPath: output))
        if let run = source.runFolder {
            // For `rawspeech report`: the roll, from which it draws the figure and remakes the MIDI file.
            try RunFolder.writeJSON(sample, to: run.url.appendingPathComponent(GeneratedRoll.fileName))
        }
        print(String(format: "wrote %@: %d steps, %.1f s at %g bpm (%@, temperature %g, seed %llu%@), generated in %.2f s",
                     output, count, Double(count) * 60 / bpm, bpm, source.model.name, Double(temperature), seed,
                     prime.map { ", continuing \($0)" } ?? "", Date().timeIntervalSince(started)))
        let mean = Double(roll.reduce(0) { $0 + $1.count }) / Double(count)
        let train = folder.map { $0.summary.split(.train) }.map { String(format: " (training data %.2f)", Double($0.notesOn) / Double(max(1, $0.steps))) }
        print(String(format: "%.2f notes sounding per step%@, %d notes in the file", mean, train ?? "", file.notes.count))
    }

    /// The run's (or --data's) piano-roll folder, or nil and why (also printed as a note,
    /// unless `quiet`: --prime then stops with it as its error).
    func musicData(_ source: ModelSource, quiet: Bool = false) -> (PianoRollFolder?, Error?) {
        let url: URL
        if let data {
            url = URL(fileURLWithPath: data)
        } else {
            switch source.dataFolderURL() {
            case .success(let found): url = found
            case .failure(let error):
                if !quiet { printError("note: no training data to compare with: \(error)") }
                return (nil, error)
            }
        }
        do { return (try PianoRollFolder(url: url), nil) } catch {
            if !quiet { printError("note: no training data to compare with: \(error)") }
            return (nil, error)
        }
    }
}
