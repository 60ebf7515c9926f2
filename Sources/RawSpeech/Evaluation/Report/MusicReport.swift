// The report's music parts: a music run's (piano-roll) NLL is in nats per time step, summed
// over the 88 notes, not per 10-sample frame, so the curves say which; its score table lists
// the split's figure, the independent-notes reference and every piece. Music runs have no
// audio, hence no spectrograms: the page says how to listen instead (generate -> MIDI).
import Foundation

extension Report {
    /// The y-axis label of the learning curves for these runs.
    static func nllUnit(_ runs: [RunRecord]) -> String {
        let music = runs.filter(\.isMusic).count
        if music == 0 { return "NLL (nats per frame)" }
        return music == runs.count ? "NLL (nats per time step)" : "NLL (nats per frame; music: per time step)"
    }

    /// The sentence under the learning curves.
    static func curvesNote(_ runs: [RunRecord]) -> String {
        let speech = "Negative log-likelihood of the validation set in nats per frame (10 predicted samples); lower is better."
        let music = "Negative log-likelihood of the validation set in nats per time step, summed over the 88 notes (the paper's Table 2 unit); lower is better."
        let sentence: String
        switch runs.filter(\.isMusic).count {
        case 0: sentence = speech
        case runs.count: sentence = music
        default: sentence = speech + " Music runs: " + music.prefix(1).lowercased() + music.dropFirst()
        }
        return sentence + " Dashed lines are the training NLL."
    }

    /// The music runs' score tables, and how to listen to a music model.
    static func musicScoresHTML(_ runs: [RunRecord]) -> String {
        let music = runs.filter(\.isMusic)
        guard !music.isEmpty else { return "" }
        var out = "<h2>Music scores</h2>\n<p class=\"note\">NLL in nats per time step, summed over the 88 notes; "
            + "each piece scored whole from a zero state. Music runs have no spectrograms: "
            + "<code>rawspeech generate RUNDIR --steps 64 --output sample.mid</code> writes a MIDI file to listen to.</p>\n"
        for run in music {
            out += "<h3>\(SVG.escape(run.label))</h3>\n"
            guard let score = run.musicScore else {
                out += "<p class=\"note\">not scored yet: <code>rawspeech score \(SVG.escape(run.path)) DATADIR --split test</code></p>\n"
                continue
            }
            out += musicScoreTableHTML(score)
        }
        return out
    }

    /// One music score report: the split's figures, then every piece (collapsed).
    public static func musicScoreTableHTML(_ report: PianoRollScoreReport) -> String {
        var out = "<table class=\"scores\">\n<tr><th class=\"name\">split</th><th>pieces</th><th>steps</th>"
            + "<th>NLL/step</th><th>NLL/note</th><th>bits/step</th><th>independent notes NLL/step</th></tr>\n"
        let cells = [String(report.pieces), String(report.steps), ScoreTable.number(report.nllPerStep, 3),
                     ScoreTable.number(report.nllPerNote, 4), ScoreTable.number(report.bitsPerStep, 2),
                     ScoreTable.number(report.independentNotesNLLPerStep, 3)]
        out += "<tr class=\"total\"><td class=\"name\" title=\"\(SVG.escape(report.data))\">\(SVG.escape(report.split.rawValue))</td>"
            + cells.map { "<td>\($0)</td>" }.joined() + "</tr>\n</table>\n"
        out += "<details><summary>every piece (\(report.perPiece.count))</summary>\n<table class=\"scores\">\n"
            + "<tr><th class=\"name\">piece</th><th>steps</th><th>NLL</th><th>NLL/step</th></tr>\n"
        for piece in report.perPiece {
            out += "<tr><td class=\"name\">\(SVG.escape(piece.name))</td><td>\(piece.steps)</td>"
                + "<td>\(ScoreTable.number(piece.nll, 1))</td><td>\(ScoreTable.number(piece.nllPerStep, 3))</td></tr>\n"
        }
        return out + "</table>\n</details>\n"
    }
}
