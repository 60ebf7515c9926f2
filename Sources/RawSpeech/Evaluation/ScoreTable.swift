// The terminal table of `rawspeech score`: a pure function from a ScoreReport to text, so the
// CLI prints it and tests compare it, and the HTML report shows the same columns. One row per
// file, then the total; the linear baseline's rows follow under their own heading, then
// notes: what the figures that could mislead mean (negative bits, the block prediction,
// near-silent files), why there is no baseline, and how far the model is ahead of the
// baseline, each difference worded by its sign. Failed files show their error in place of
// figures. No colours or terminal codes: it is also read in logs.
import Foundation

/// Formats score reports as fixed-width text.
public enum ScoreTable {
    /// Column headings, in the order of `cells(_:)`. "16-bit bits" is bits/sample + 15 and
    /// "level dBFS" the file's RMS level (see `notes`).
    public static let headings = ["frames", "nll/frame", "nll/sample", "bits/sample", "16-bit bits",
                                  "level dBFS", "LSD dB", "SC", "SNR dB", "segSNR dB"]

    /// The figures of one row as display strings (infinite SNR shows as "inf"; a total has
    /// no level: "-").
    public static func cells(_ s: Scores) -> [String] {
        [String(s.frames), number(s.likelihood.nllPerFrame, 3), number(s.likelihood.nllPerSample, 4),
         number(s.likelihood.bitsPerSample, 4), number(s.likelihood.bitsPerSample + Likelihood.bits16Offset, 4),
         s.levelDBFS.map { number($0, 1) } ?? "-",
         number(s.lsdDB, 2), number(s.spectralConvergence, 3), number(s.snrDB, 2), number(s.segsnrDB, 2)]
    }

    /// A file's name in the first column, marked when it is near-silent.
    public static func rowName(_ path: String, _ scores: Scores?, width: Int) -> String {
        shortened(path, to: width) + (scores?.isNearSilent == true ? " (near-silent)" : "")
    }

    /// The whole table, lines joined by "\n" with a trailing newline.
    public static func render(_ report: ScoreReport, maxPathWidth: Int = 40) -> String {
        var rows: [[String]] = []
        func section(_ title: String, _ files: [FileScore], _ total: Scores?) {
            rows.append([title] + headings)
            for file in files {
                let name = rowName(file.path, file.scores, width: maxPathWidth)
                switch file {
                case let .scored(_, s): rows.append([name] + cells(s))
                case let .failed(_, error): rows.append([name, "error: \(error)"])
                }
            }
            if let total { rows.append(["total"] + cells(total)) }
            rows.append([])
        }
        section("model: \(report.model)", report.files, report.total)
        if let baseline = report.baseline { section("baseline: \(baseline.model)", baseline.files, baseline.total) }
        return layout(rows) + notes(report).map { $0 + "\n" }.joined()
    }

    /// What the figures mean where they could mislead, how the model compares with the
    /// baseline, and what is missing: the lines under the table (and the HTML report's).
    public static func notes(_ report: ScoreReport) -> [String] {
        var notes: [String] = []
        if report.total != nil {
            notes.append("bits/sample: a continuous density over samples as floats in [-1, 1], negative when it is sharper "
                         + "than uniform; 16-bit bits = bits/sample + 15, the same density over 16-bit integer levels "
                         + "(width 2^-15): the figure to compare with a discrete model of 16-bit audio.")
            let block = report.predictedSamples.map { "\($0)-sample" } ?? "block"
            let context = report.contextSamples.map { " from the \($0) before" } ?? ""
            notes.append("LSD, SC, SNR, segSNR: of the \(block) block prediction (each frame's next "
                         + "\(report.predictedSamples.map(String.init) ?? "D") samples predicted together\(context), teacher-forced, "
                         + "the density's mean), not of a one-sample-ahead predictor.")
        }
        if let total = report.total, let silent = total.nearSilentFiles, silent > 0 {
            let threshold = number(Scores.nearSilentDBFS, 0)
            if total.spectralFrames == 0 {
                notes.append("every scored file is near-silent (level below \(threshold) dBFS): no spectral total "
                             + "(a ratio to almost nothing); the likelihood total covers them.")
            } else {
                notes.append("\(silent) near-silent file\(silent == 1 ? "" : "s") (level below \(threshold) dBFS): left out of "
                             + "the spectral totals (a ratio to almost nothing), kept in the likelihood totals.")
            }
        }
        if let note = report.baselineNote { notes.append(note) }
        if let model = report.total, let base = report.baseline?.total {
            var parts = [signed(base.likelihood.bitsPerSample - model.likelihood.bitsPerSample, 4,
                                "bits/sample fewer", "bits/sample more")]
            if !base.lsdDB.isNaN && !model.lsdDB.isNaN {
                parts.append("LSD " + signed(base.lsdDB - model.lsdDB, 2, "dB lower", "dB higher"))
            }
            let snr = model.snrDB - base.snrDB
            if !snr.isNaN { parts.append("SNR " + signed(snr, 2, "dB higher", "dB lower")) }
            notes.append("model vs baseline: " + parts.joined(separator: ", "))
        }
        let failed = report.files.filter { $0.scores == nil }.count
        if failed > 0 { notes.append("\(failed) of \(report.files.count) files could not be scored") }
        return notes
    }

    /// "1.20 dB lower" for 1.2 and "0.50 dB higher" for -0.5: a difference said with the
    /// word for its sign rather than a minus sign before a word that says the opposite.
    package static func signed(_ amount: Double, _ decimals: Int, _ positive: String, _ negative: String) -> String {
        amount < 0 ? "\(number(-amount, decimals)) \(negative)" : "\(number(amount, decimals)) \(positive)"
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
