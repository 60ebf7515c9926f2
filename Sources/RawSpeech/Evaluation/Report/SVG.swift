// Small SVG helpers shared by the report's figures: text escaping, "nice" axis ticks (1, 2 or
// 5 times a power of ten, as plotting libraries choose them) and compact tick labels. The
// figures themselves are in LinePlot.swift and SpectrogramFigure.swift.
import Foundation

package enum SVG {
    /// Text safe inside XML elements and double-quoted attributes.
    package static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A coordinate with two decimals (enough at screen resolution, and short).
    package static func f(_ value: Double) -> String {
        String(format: "%.2f", value)
    }

    /// Tick values covering `lower ... upper` with about `target` intervals, at multiples of a
    /// step of 1, 2 or 5 times a power of ten.
    package static func ticks(_ lower: Double, _ upper: Double, target: Int = 5) -> [Double] {
        guard upper > lower, lower.isFinite, upper.isFinite else { return [lower] }
        let step = niceStep((upper - lower) / Double(target))
        // A relative slack of 1e-9 keeps 0.3 / 0.1 = 2.9999999999999996 from losing its tick.
        let first = (lower / step - 1e-9).rounded(.up)
        let last = (upper / step + 1e-9).rounded(.down)
        guard last >= first else { return [] }
        // Ticks as integers over a power of ten (3 / 10, not 3 * 0.1 = 0.30000000000000004),
        // so the values are the decimals they are labelled with.
        let scale = step < 1 ? pow(10, (-log10(step)).rounded(.up)) : 1
        let units = (step * scale).rounded()
        return stride(from: first, through: last, by: 1).map { k in
            let value = k * units / scale
            return value == 0 ? 0 : value   // no -0
        }
    }

    package static func niceStep(_ rough: Double) -> Double {
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        for multiple in [1.0, 2, 5, 10] where multiple * magnitude >= rough { return multiple * magnitude }
        return 10 * magnitude
    }

    /// The axis range ticks would make of the data range: extended to the enclosing ticks,
    /// so lines never touch the frame; a single value gets a unit-wide range around it.
    package static func niceRange(_ lower: Double, _ upper: Double, target: Int = 5) -> ClosedRange<Double> {
        guard upper > lower else {
            let pad = max(abs(lower) * 0.1, 1)
            return (lower - pad) ... (upper + pad)
        }
        let step = niceStep((upper - lower) / Double(target))
        return ((lower / step + 1e-9).rounded(.down) * step) ... ((upper / step - 1e-9).rounded(.up) * step)
    }

    /// A tick label: 20k for 20000, 1.5M, 0.25, -3 (trailing zeros dropped).
    package static func label(_ value: Double, step: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1_000_000, step >= 100_000 { return trimmed(value / 1_000_000, step / 1_000_000) + "M" }
        if magnitude >= 10_000, step >= 1_000 { return trimmed(value / 1_000, step / 1_000) + "k" }
        return trimmed(value, step)
    }

    private static func trimmed(_ value: Double, _ step: Double) -> String {
        let decimals = step >= 1 ? 0 : min(6, Int((-log10(step)).rounded(.up)))
        let text = String(format: "%.\(decimals)f", value)
        return text.allSatisfy { "-0.".contains($0) } ? "0" : text
    }
}
