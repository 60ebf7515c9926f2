// `rawspeech score MODEL DATADIR --split S` when DATADIR is a piano-roll (music) folder: the
// music model's NLL per time step of every piece of the split (Evaluation/PianoRollScoring),
// printed, and written as JSON with --json and as RUNDIR/score.json (docs/EVALUATION.md).
import ArgumentParser
import Foundation
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechNetwork
import RawSpeechTraining
import RawSpeechEvaluation

extension ScoreCommand {
    /// The piano-roll folder among the inputs, if one is (then it must be the only input).
    func musicFolder() throws -> URL? {
        let folders = inputs.map { URL(fileURLWithPath: $0) }.filter {
            (try? DataKind.of(folder: $0)) == .pianoroll
        }
        guard let folder = folders.first else { return nil }
        guard inputs.count == 1 else {
            throw ValidationError("\(folder.path) is a piano-roll (music) folder: score it alone, not with other inputs")
        }
        return folder
    }

    func runMusic(_ folderURL: URL, source: ModelSource) throws {
        if baseline != "auto" {
            printError("error: --baseline is for speech models (the linear baseline of audio); a music score reports the independent-notes reference")
            throw ExitCode.failure
        }
        let report: PianoRollScoreReport
        let started = Date()
        do {
            let folder = try PianoRollFolder(url: folderURL)
            report = try PianoRollScoring.score(source.model, modelName: model, folder: folder, split: split)
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        print(Self.describe(report), terminator: "")
        printError(String(format: "scored %d steps in %.2f s", report.steps, Date().timeIntervalSince(started)))
        if let json { try writeMusic(report, to: URL(fileURLWithPath: json)) }
        if save, let run = source.runFolder { try writeMusic(report, to: run.url.appendingPathComponent("score.json")) }
    }

    /// A few lines: the split's figure, the reference, the best and worst pieces.
    static func describe(_ report: PianoRollScoreReport) -> String {
        var lines = ["\(report.model) (\(report.modelName)) on \(report.data), split \(report.split.rawValue): "
                     + "\(report.pieces) pieces, \(report.steps) steps"]
        lines.append(String(format: "  NLL %.3f nats per time step (%.4f per note, %.2f bits per step)",
                            report.nllPerStep, report.nllPerNote, report.bitsPerStep))
        lines.append(String(format: "  independent notes at their train-split frequencies: %.3f nats per step",
                            report.independentNotesNLLPerStep))
        let ordered = report.perPiece.sorted { $0.nllPerStep < $1.nllPerStep }
        if let best = ordered.first, let worst = ordered.last {
            lines.append(String(format: "  best piece %@ %.3f, worst %@ %.3f nats per step (all in the JSON)",
                                best.name, best.nllPerStep, worst.name, worst.nllPerStep))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func writeMusic(_ report: PianoRollScoreReport, to url: URL) throws {
        try AtomicFile.write(try report.jsonData(), to: url)
        printError("wrote \(url.path)")
    }
}
