// A line chart as a standalone SVG string: axes with nice ticks and labels, light grid lines,
// one polyline (an SVG path) per series, and a legend. Enough for the paper's learning-curve
// figures; not a plotting library (no log axes, markers or subplots).
import Foundation

/// One line of a plot.
public struct LineSeries: Sendable {
    public var name: String
    /// A CSS colour.
    public var color: String
    /// Points in data units, drawn in this order; non-finite points are left out.
    public var points: [(x: Double, y: Double)]
    /// Dashed and thinner: a secondary line (e.g. training NLL next to validation NLL).
    public var dashed: Bool
    /// Shown in the legend.
    public var inLegend: Bool

    public init(name: String, color: String, points: [(x: Double, y: Double)], dashed: Bool = false,
                inLegend: Bool = true) {
        self.name = name
        self.color = color
        self.points = points
        self.dashed = dashed
        self.inLegend = inLegend
    }
}

/// A line chart.
public struct LinePlot: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [LineSeries]
    /// A last, grey legend line (e.g. "dashed: training NLL").
    public var legendNote: String?
    public var width = 590.0   // two side by side fit a 1280-pixel window
    public var height = 400.0

    public init(title: String, xLabel: String, yLabel: String, series: [LineSeries], legendNote: String? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.legendNote = legendNote
    }

    /// Categorical colours (Tableau 10): distinct, and readable on white.
    public static let palette = ["#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1",
                                 "#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac"]

    /// The SVG document (no XML prolog, so it can also be inlined in HTML).
    public func svg() -> String {
        let margin = (left: 64.0, right: 16.0, top: 34.0, bottom: 48.0)
        let plotWidth = width - margin.left - margin.right
        let plotHeight = height - margin.top - margin.bottom
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" class="figure line-plot" viewBox="0 0 \(SVG.f(width)) \(SVG.f(height))" \
        width="\(SVG.f(width))" height="\(SVG.f(height))" font-family="sans-serif" font-size="12">
        <title>\(SVG.escape(title))</title>
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(SVG.f(width / 2))" y="20" text-anchor="middle" font-size="14" font-weight="bold">\(SVG.escape(title))</text>\n
        """
        let frame = "<rect x=\"\(SVG.f(margin.left))\" y=\"\(SVG.f(margin.top))\" width=\"\(SVG.f(plotWidth))\" height=\"\(SVG.f(plotHeight))\" fill=\"none\" stroke=\"#444\"/>\n"
        guard !finite.isEmpty else {
            out += frame
            out += "<text x=\"\(SVG.f(width / 2))\" y=\"\(SVG.f(height / 2))\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n</svg>\n"
            return out
        }
        let xRange = SVG.niceRange(finite.map(\.x).min()!, finite.map(\.x).max()!)
        let yRange = SVG.niceRange(finite.map(\.y).min()!, finite.map(\.y).max()!)
        func px(_ x: Double) -> Double {
            margin.left + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * plotWidth
        }
        func py(_ y: Double) -> Double {
            margin.top + (1 - (y - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound)) * plotHeight
        }

        // Grid and ticks first, so the lines are drawn over them.
        let xTicks = SVG.ticks(xRange.lowerBound, xRange.upperBound)
        let yTicks = SVG.ticks(yRange.lowerBound, yRange.upperBound)
        let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1
        let yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        out += "<g class=\"grid\" stroke=\"#e4e4e4\">\n"
        for t in xTicks { out += "<line x1=\"\(SVG.f(px(t)))\" x2=\"\(SVG.f(px(t)))\" y1=\"\(SVG.f(margin.top))\" y2=\"\(SVG.f(margin.top + plotHeight))\"/>\n" }
        for t in yTicks { out += "<line x1=\"\(SVG.f(margin.left))\" x2=\"\(SVG.f(margin.left + plotWidth))\" y1=\"\(SVG.f(py(t)))\" y2=\"\(SVG.f(py(t)))\"/>\n" }
        out += "</g>\n" + frame
        out += "<g class=\"x-axis\" text-anchor=\"middle\">\n"
        for t in xTicks {
            let bottom = margin.top + plotHeight
            out += "<line x1=\"\(SVG.f(px(t)))\" x2=\"\(SVG.f(px(t)))\" y1=\"\(SVG.f(bottom))\" y2=\"\(SVG.f(bottom + 5))\" stroke=\"#444\"/>"
            out += "<text x=\"\(SVG.f(px(t)))\" y=\"\(SVG.f(bottom + 18))\">\(SVG.label(t, step: xStep))</text>\n"
        }
        out += "<text x=\"\(SVG.f(margin.left + plotWidth / 2))\" y=\"\(SVG.f(height - 8))\">\(SVG.escape(xLabel))</text>\n</g>\n"
        out += "<g class=\"y-axis\" text-anchor=\"end\">\n"
        for t in yTicks {
            out += "<line x1=\"\(SVG.f(margin.left - 5))\" x2=\"\(SVG.f(margin.left))\" y1=\"\(SVG.f(py(t)))\" y2=\"\(SVG.f(py(t)))\" stroke=\"#444\"/>"
            out += "<text x=\"\(SVG.f(margin.left - 8))\" y=\"\(SVG.f(py(t) + 4))\">\(SVG.label(t, step: yStep))</text>\n"
        }
        let yMid = margin.top + plotHeight / 2
        out += "<text x=\"16\" y=\"\(SVG.f(yMid))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(SVG.f(yMid)))\">\(SVG.escape(yLabel))</text>\n</g>\n"

        out += "<g class=\"series\" fill=\"none\" stroke-linejoin=\"round\">\n"
        for s in series {
            let points = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            guard !points.isEmpty else { continue }
            // A lone point would be an invisible zero-length path: draw it as a dot.
            if points.count == 1 {
                out += "<circle cx=\"\(SVG.f(px(points[0].x)))\" cy=\"\(SVG.f(py(points[0].y)))\" r=\"3\" fill=\"\(s.color)\"/>\n"
                continue
            }
            let d = points.enumerated().map { (i, p) in (i == 0 ? "M" : "L") + SVG.f(px(p.x)) + " " + SVG.f(py(p.y)) }
                .joined(separator: " ")
            let style = s.dashed ? "stroke-width=\"1.2\" stroke-dasharray=\"5 3\" opacity=\"0.7\"" : "stroke-width=\"2\""
            out += "<path d=\"\(d)\" stroke=\"\(s.color)\" \(style)><title>\(SVG.escape(s.name))</title></path>\n"
        }
        out += "</g>\n" + legend(right: margin.left + plotWidth - 8, top: margin.top + 8)
        return out + "</svg>\n"
    }

    /// The legend box in the top right corner of the plot area.
    private func legend(right: Double, top: Double) -> String {
        var entries = series.filter(\.inLegend).map { (text: $0.name, color: $0.color, dashed: $0.dashed) }
        if let legendNote { entries.append((legendNote, "#888", true)) }
        guard !entries.isEmpty else { return "" }
        let rowHeight = 16.0
        // Width from the longest label at ~6.8 px a character of 12 px sans-serif.
        let boxWidth = 36 + 6.8 * Double(entries.map(\.text.count).max()!)
        let left = right - boxWidth
        var out = "<g class=\"legend\">\n<rect x=\"\(SVG.f(left))\" y=\"\(SVG.f(top))\" width=\"\(SVG.f(boxWidth))\" "
            + "height=\"\(SVG.f(rowHeight * Double(entries.count) + 8))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n"
        for (i, entry) in entries.enumerated() {
            let y = top + 4 + rowHeight * (Double(i) + 0.5)
            let dash = entry.dashed ? " stroke-dasharray=\"5 3\"" : ""
            out += "<line x1=\"\(SVG.f(left + 6))\" x2=\"\(SVG.f(left + 28))\" y1=\"\(SVG.f(y))\" y2=\"\(SVG.f(y))\" stroke=\"\(entry.color)\" stroke-width=\"2\"\(dash)/>"
            out += "<text x=\"\(SVG.f(left + 32))\" y=\"\(SVG.f(y + 4))\">\(SVG.escape(entry.text))</text>\n"
        }
        return out + "</g>\n"
    }
}
