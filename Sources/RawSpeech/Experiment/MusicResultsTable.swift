// results.md of a music comparison: the table in nats per time step (summed over the 88
// notes) beside the paper's JSB Chorales row of Table 2, and the learning-rate search.
import Foundation

extension ComparisonResults {
    /// The paper's JSB Chorales figures (Table 2, train / test NLL per time step).
    public static let paperJSB: [String: (train: Double, test: Double)] = [
        "tanh": (8.82, 9.10), "gru": (6.94, 8.54), "lstm": (8.15, 8.67),
    ]

    /// The music table as Markdown.
    public func musicMarkdown() -> String {
        func f(_ value: Double?) -> String {
            guard let value else { return "-" }
            return value.isFinite ? String(format: "%.2f", value) : "\(value)"
        }
        func pm(_ value: Double, _ spread: Double, _ seeds: Int) -> String {
            seeds > 1 ? "\(f(value)) ± \(f(spread))" : f(value)
        }
        func seconds(_ value: Double?) -> String { value.map { String(format: "%.0f", $0) } ?? "-" }
        var lines = ["# rawspeech compare: results (music)", ""]
        let cap = plan.updates.map { "at most \($0) updates per run" } ?? plan.minutes.map { "\(String(format: "%g", $0)) min per run" } ?? ""
        lines.append("Data: `\(plan.data)`; budget \(plan.budget) recurrent parameters counted with 100 inputs "
            + "(`recurrent params` below is the real count, with the roll's 88); "
            + "\(plan.learningRates.count) learning rate(s) per cell (\(plan.learningRates.map { String(format: "%.2e", $0) }.joined(separator: ", "))), "
            + "\(cap), early stopping after \(plan.patience) evaluations without a better valid NLL (one every \(plan.evalEvery) updates), "
            + "weight noise \(plan.weightNoise), B = \(plan.batch) whole pieces, \(plan.seeds) seed(s) at the best rate.")
        lines.append("")
        lines.append("NLL in nats per time step (the sum over the 88 notes of each step's Bernoulli NLL, averaged over the "
            + "split's steps; clean weights, the best-valid model of each run); mean ± sample std over seeds. "
            + "The paper's figures are its Table 2 (JSB Chorales).")
        lines.append("")
        lines.append("| cell | units | recurrent params | learning rate | updates | wall s | train NLL | valid NLL | test NLL | paper train / test |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        for c in cells {
            let paper = Self.paperJSB[c.cell].map { "\(f($0.train)) / \(f($0.test))" } ?? "-"
            lines.append("| \(c.cell) | \(c.units) | \(c.recurrentParams)\(c.budgetParams.map { " (\($0) counted)" } ?? "") "
                + "| \(String(format: "%.2e", c.learningRate)) | \(seconds(c.updates)) | \(seconds(c.wallSeconds)) "
                + "| \(pm(c.trainNLL, c.trainNLLStd, c.seeds)) | \(pm(c.validNLL, c.validNLLStd, c.seeds)) "
                + "| \(pm(c.testNLL, c.testNLLStd, c.seeds)) | \(paper) |")
        }
        if !trials.isEmpty {
            lines.append("")
            lines.append("Learning-rate search (seed 1; the run with the lowest valid NLL per cell was kept):")
            lines.append("")
            lines.append("| run | learning rate | best valid NLL (nats/step) | updates | CPU s |")
            lines.append("|---|---|---|---|---|")
            for t in trials {
                lines.append("| \(t.folder) | \(String(format: "%.2e", t.learningRate)) | \(f(t.validNLL)) | \(t.updates.map(String.init) ?? "-") | \(seconds(t.cpuSeconds)) |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
