// `rawspeech report RUNDIR... --output DIR`: the HTML report (and its figures as SVG files)
// of one or more training runs. Reading, drawing and writing live in
// Sources/RawSpeech/Evaluation/Report; this file turns arguments into calls and results into
// text and an exit code.
import ArgumentParser
import Foundation
import RawSpeechEvaluation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML page with the learning curves, scores and spectrograms of training runs.",
        discussion: """
        Each RUNDIR is a folder written by `rawspeech train` (metrics.jsonl, config.json), \
        optionally with score.json from `rawspeech score --json` and signals to draw in \
        spectrograms/ (reference.f32, prediction.f32, generated.f32: raw float32 at the run's rate). \
        Writes DIR/index.html, self-contained, and each figure as DIR/*.svg. Music runs (trained on \
        a piano-roll folder) have their NLL in nats per time step, a score table per piece and, \
        after `rawspeech generate RUNDIR ... --output FILE.mid`, the sampled piano roll with its \
        MIDI file; no spectrograms.
        """)

    @Argument(help: ArgumentHelp("Run folders, one line each in the learning curves.", valueName: "RUNDIR"))
    var runDirectories: [String]

    @Option(name: .shortAndLong, help: ArgumentHelp("Folder to write index.html and the SVG figures into.", valueName: "DIR"))
    var output: String

    @Option(help: "The page's heading.")
    var title = "rawspeech report"

    func validate() throws {
        if runDirectories.isEmpty { throw ValidationError("give at least one run folder") }
    }

    func run() throws {
        var runs: [RunRecord] = []
        var failed = 0
        for path in runDirectories {
            do {
                let run = try Report.loadRun(at: URL(fileURLWithPath: path))
                for note in run.notes { FileHandle.standardError.write(Data("warning: \(note)\n".utf8)) }
                runs.append(run)
            } catch {
                // Other runs still make a report; the exit code says one was left out.
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                failed += 1
            }
        }
        guard !runs.isEmpty else { throw ExitCode.failure }
        let files = try Report.write(Report.document(runs: runs, title: title), to: URL(fileURLWithPath: output))
        for file in files { print(file.path) }
        if failed > 0 { throw ExitCode.failure }
    }
}
