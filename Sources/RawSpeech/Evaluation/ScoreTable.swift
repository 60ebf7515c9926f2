// The terminal table of `rawspeech score`: a pure function from a ScoreReport to text, so the
// CLI prints it and tests compare it, and the HTML report shows the same columns. One row per
// file, then the total; the linear baseline's rows follow under their own heading, and a last
// line says how far the model is ahead of the baseline in bits per sample. Failed files show
// their error in place of figures. No colours or terminal codes: it is also read in logs.
import Foundation

/// Formats score reports as fixed-width text.
public enum ScoreTable {
    /// Column headings, in the order of `cells(_:)`.
    public static let headings = ["frames", "nll/frame", "nll/sample", "bits/sample",
                                  "LSD dB", "SC", "SNR dB", "segSNR dB"]

    /// The figures of one row as display strings (infinite SNR shows as "inf").
    public static func cells(_ s: Scores) -> [String] {
        [String(s.frames), number(s.likelihood.nllPerFrame, 3), number(s.likelihood.nllPerSample, 4),
         number(s.likelihood.bitsPerSample, 4), number(s.lsdDB, 2), number(s.spectralConvergence, 3),
         number(s.snrDB, 2), number(s.segsnrDB, 2)]
    }

    /// The whole table, lines joined by "\n" with a trailing newline.
    public static func render(_ report: ScoreReport, maxPathWidth: Int = 40) -> String {
        var rows: [[String]] = []
        var notes: [String] = []
        func section(_ title: String, _ files: [FileScore], _ total: Scores?) {
            rows.append([title] + headings)
            for file in files {
                let name = shortened(file.path, to: maxPathWidth)
                switch file {
                case let .scored(_, s): rows.append([name] + cells(s))
                case let .failed(_, error): rows.append([name, "error: \(error)"])
                }
            }
            if let total { rows.append(["total"] + cells(total)) }
            rows.append([])
        }
        section("model: \(report.model)", report.files, report.total)
        if let baseline = report.baseline {
            section("baseline: \(baseline.model)", baseline.files, baseline.total)
            if let model = report.total, let base = baseline.total {
                let gain = base.likelihood.bitsPerSample - model.likelihood.bitsPerSample
                notes.append("model vs baseline: \(number(gain, 4)) bits/sample fewer, "
                             + "LSD \(number(base.lsdDB - model.lsdDB, 2)) dB lower, "
                             + "SNR \(number(model.snrDB - base.snrDB, 2)) dB higher")
            }
        }
        let failed = report.files.filter { $0.scores == nil }.count
        if failed > 0 { notes.append("\(failed) of \(report.files.count) files could not be scored") }
        return layout(rows) + notes.map { $0 + "\n" }.joined()
    }

    /// Left-aligned first column, right-aligned figures; an error row runs across the figures.
    package static func layout(_ rows: [[String]]) -> String {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows where row.count == columns {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        for row in rows where row.count == 2 { widths[0] = max(widths[0], row[0].count) }
        var text = ""
        for row in rows {
            if row.isEmpty { text += "\n"; continue }
            var line = row[0].padding(toLength: widths[0], withPad: " ", startingAt: 0)
            if row.count == columns {
                for i in 1 ..< columns { line += "  " + String(repeating: " ", count: widths[i] - row[i].count) + row[i] }
            } else {
                line += "  " + row.dropFirst().joined(separator: "  ")
            }
            while line.hasSuffix(" ") { line.removeLast() }
            text += line + "\n"
        }
        return text
    }

    /// A path cut to its last `width` characters, marked with a leading "...".
    package static func shortened(_ path: String, to width: Int) -> String {
        path.count <= width ? path : "..." + path.suffix(max(1, width - 3))
    }

    /// Fixed decimals; "inf", "-inf" or "nan" for non-finite values.
    public static func number(_ value: Double, _ decimals: Int) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        let text = String(format: "%.\(decimals)f", value)
        // Rounding a tiny negative number gives "-0.000"; a sign on zero only distracts.
        return text.allSatisfy { "-0.".contains($0) } ? String(text.drop { $0 == "-" }) : text
    }
}
