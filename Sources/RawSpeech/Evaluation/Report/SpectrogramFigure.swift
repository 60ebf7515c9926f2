// Spectrograms side by side as one SVG figure: each panel an embedded PNG (Spectrogram.swift)
// with a time axis in seconds and a frequency axis in kHz, all on one dB scale shown by a
// colour bar, so a held-out recording, its block prediction and a generated sample can be
// compared by eye. It makes no decisions about which signals to show (the report does).
import Foundation

/// A signal to draw as a spectrogram, with its caption.
public struct SpectrogramInput: Sendable {
    public var title: String
    public var samples: [Float]
    public var sampleRate: Int

    public init(title: String, samples: [Float], sampleRate: Int) {
        self.title = title
        self.samples = samples
        self.sampleRate = sampleRate
    }
}

extension Report {
    /// The dB range every panel of a figure shares: the loudest bin, rounded up to 10 dB,
    /// and 80 dB below it (the dynamic range speech spectrograms are usually shown with).
    public static func spectrogramRange(top: Float) -> ClosedRange<Float> {
        // A non-finite top (never from Spectrogram, which clamps) would make an unusable range.
        let top = top.isFinite ? top : (top > 0 ? Spectrogram.decibelCeiling : 0)
        let upper = (top / 10).rounded(.up) * 10
        return (upper - 80) ... upper
    }

    /// The spectrogram of `samples` as an image on its own dB scale (see `spectrogramRange`).
    public static func spectrogramImage(samples: [Float], sampleRate: Int) throws -> SpectrogramImage {
        let spectrogram = try Spectrogram(samples: samples, sampleRate: sampleRate)
        return try spectrogram.image(range: spectrogramRange(top: spectrogram.maxDecibels))
    }

    /// Panels side by side on one dB scale, as a standalone SVG document.
    public static func spectrogramFigure(_ inputs: [SpectrogramInput], title: String) throws -> String {
        precondition(!inputs.isEmpty, "a spectrogram figure needs at least one signal")
        let spectrograms = try inputs.map { try Spectrogram(samples: $0.samples, sampleRate: $0.sampleRate) }
        let range = spectrogramRange(top: spectrograms.map(\.maxDecibels).max()!)
        let images = try spectrograms.map { try $0.image(range: range) }

        let panelWidth = 300.0, panelHeight = 200.0, gap = 56.0
        let left = 52.0, top = 46.0, colorBarWidth = 14.0
        let width = left + Double(images.count) * panelWidth + Double(images.count - 1) * gap + 24 + colorBarWidth + 48
        let height = top + panelHeight + 46
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" class="figure spectrograms" viewBox="0 0 \(SVG.f(width)) \(SVG.f(height))" \
        width="\(SVG.f(width))" height="\(SVG.f(height))" font-family="sans-serif" font-size="12">
        <title>\(SVG.escape(title))</title>
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(SVG.f(width / 2))" y="18" text-anchor="middle" font-size="14" font-weight="bold">\(SVG.escape(title))</text>\n
        """
        for (i, image) in images.enumerated() {
            let x0 = left + Double(i) * (panelWidth + gap)
            out += "<g class=\"panel\">\n"
            out += "<text x=\"\(SVG.f(x0 + panelWidth / 2))\" y=\"\(SVG.f(top - 8))\" text-anchor=\"middle\">\(SVG.escape(inputs[i].title))</text>\n"
            out += "<image x=\"\(SVG.f(x0))\" y=\"\(SVG.f(top))\" width=\"\(SVG.f(panelWidth))\" height=\"\(SVG.f(panelHeight))\" "
                + "preserveAspectRatio=\"none\" href=\"\(image.dataURL)\"/>\n"
            out += "<rect x=\"\(SVG.f(x0))\" y=\"\(SVG.f(top))\" width=\"\(SVG.f(panelWidth))\" height=\"\(SVG.f(panelHeight))\" fill=\"none\" stroke=\"#444\"/>\n"
            out += timeAxis(x0: x0, y: top + panelHeight, width: panelWidth, seconds: image.seconds)
            out += frequencyAxis(x: x0, y0: top, height: panelHeight, maxFrequency: image.maxFrequency)
            out += "</g>\n"
        }
        let barX = left + Double(images.count) * (panelWidth + gap) - gap + 24
        // Figures may be inlined side by side in one HTML page: the gradient's id must be unique.
        let gradientID = "viridis-" + String(title.unicodeScalars.reduce(UInt32(5381)) { ($0 &* 33) ^ $1.value }, radix: 36)
        out += colorBar(x: barX, y: top, width: colorBarWidth, height: panelHeight, range: range, id: gradientID)
        return out + "</svg>\n"
    }

    private static func timeAxis(x0: Double, y: Double, width: Double, seconds: Double) -> String {
        let ticks = SVG.ticks(0, seconds, target: 4)
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        var out = "<g class=\"x-axis\" text-anchor=\"middle\">"
        for t in ticks {
            let x = x0 + t / max(seconds, 1e-9) * width
            out += "<line x1=\"\(SVG.f(x))\" x2=\"\(SVG.f(x))\" y1=\"\(SVG.f(y))\" y2=\"\(SVG.f(y + 4))\" stroke=\"#444\"/>"
            out += "<text x=\"\(SVG.f(x))\" y=\"\(SVG.f(y + 16))\">\(SVG.label(t, step: step))</text>"
        }
        return out + "<text x=\"\(SVG.f(x0 + width / 2))\" y=\"\(SVG.f(y + 32))\">time (s)</text></g>\n"
    }

    private static func frequencyAxis(x: Double, y0: Double, height: Double, maxFrequency: Double) -> String {
        let kHz = maxFrequency / 1000
        let ticks = SVG.ticks(0, kHz, target: 4)
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        var out = "<g class=\"y-axis\" text-anchor=\"end\">"
        for t in ticks {
            let y = y0 + height - t / kHz * height
            out += "<line x1=\"\(SVG.f(x - 4))\" x2=\"\(SVG.f(x))\" y1=\"\(SVG.f(y))\" y2=\"\(SVG.f(y))\" stroke=\"#444\"/>"
            out += "<text x=\"\(SVG.f(x - 6))\" y=\"\(SVG.f(y + 4))\">\(SVG.label(t, step: step))</text>"
        }
        let mid = y0 + height / 2
        return out + "<text x=\"\(SVG.f(x - 34))\" y=\"\(SVG.f(mid))\" text-anchor=\"middle\" transform=\"rotate(-90 \(SVG.f(x - 34)) \(SVG.f(mid)))\">kHz</text></g>\n"
    }

    /// A vertical gradient in the colour map's stops, labelled in dB.
    private static func colorBar(x: Double, y: Double, width: Double, height: Double, range: ClosedRange<Float>,
                                 id: String) -> String {
        let stops = Viridis.stops.indices.map { i -> String in
            let t = Float(i) / Float(Viridis.stops.count - 1)
            return "<stop offset=\"\(SVG.f(Double(t)))\" stop-color=\"\(Viridis.hex(t))\"/>"
        }.joined()
        var out = "<g class=\"color-bar\"><defs><linearGradient id=\"\(id)\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">\(stops)</linearGradient></defs>"
        out += "<rect x=\"\(SVG.f(x))\" y=\"\(SVG.f(y))\" width=\"\(SVG.f(width))\" height=\"\(SVG.f(height))\" fill=\"url(#\(id))\" stroke=\"#444\"/>"
        let lower = Double(range.lowerBound), upper = Double(range.upperBound)
        for t in SVG.ticks(lower, upper, target: 4) {
            let ty = y + height - (t - lower) / (upper - lower) * height
            out += "<line x1=\"\(SVG.f(x + width))\" x2=\"\(SVG.f(x + width + 4))\" y1=\"\(SVG.f(ty))\" y2=\"\(SVG.f(ty))\" stroke=\"#444\"/>"
            out += "<text x=\"\(SVG.f(x + width + 6))\" y=\"\(SVG.f(ty + 4))\">\(SVG.label(t, step: 20))</text>"
        }
        return out + "<text x=\"\(SVG.f(x + width / 2))\" y=\"\(SVG.f(y - 8))\" text-anchor=\"middle\">dB</text></g>\n"
    }
}
