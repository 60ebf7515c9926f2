// Spectrograms as pictures for the report: the evaluator's STFT (STFT.swift) in dB, pooled to
// a bounded number of columns so a long recording still makes a small image, coloured with a
// perceptually uniform map (viridis) and encoded as PNG. It draws no axes (ReportFigures does)
// and measures nothing (SpectralMetrics does).
import Foundation

/// A power spectrogram in dB, ready to draw: columns are time, rows are frequency bins.
public struct Spectrogram: Sendable {
    public let sampleRate: Int
    public let configuration: STFTConfiguration
    /// Time columns; each is the mean power of `framesPerColumn` consecutive STFT frames.
    public let columns: Int
    public let framesPerColumn: Int
    /// Frequency bins, DC to Nyquist.
    public let bins: Int
    /// 10 log10(max(power, ε)), column-major: (columns, bins).
    public let decibels: [Float]
    /// Duration of the signal, seconds.
    public let seconds: Double

    /// The spectrogram of `samples`; throws `tooShort` for less than one STFT frame and
    /// `nonFinite` for a NaN or infinite sample (a hand-made or damaged .f32 file).
    /// `maxColumns` bounds the image width: longer signals average adjacent frames.
    /// Finite samples too large for float power (|x| > ~1e18) give dB values clamped to
    /// `maxDecibels`, so drawing never meets an infinity.
    public init(samples: [Float], sampleRate: Int, maxColumns: Int = 1200) throws {
        if let bad = samples.firstIndex(where: { !$0.isFinite }) { throw EvaluationError.nonFinite(index: bad) }
        let configuration = STFTConfiguration(sampleRate: sampleRate)
        let frames = configuration.frameCount(samples: samples.count)
        guard frames > 0 else {
            throw EvaluationError.tooShort(samples: samples.count, needed: configuration.frameLength)
        }
        let group = (frames + maxColumns - 1) / maxColumns
        let columns = (frames + group - 1) / group
        let bins = configuration.bins
        var sums = [Double](repeating: 0, count: columns * bins)   // (columns, bins)
        var counts = [Int](repeating: 0, count: columns)
        var frame = 0
        STFT(configuration).append(samples) { power in
            let column = frame / group
            for k in 0 ..< bins { sums[column * bins + k] += Double(power[k]) }
            counts[column] += 1
            frame += 1
        }
        let floor = SpectralMetrics.powerFloor
        decibels = sums.indices.map { i in
            let power = sums[i] / Double(counts[i / bins])
            // Float power overflows to +∞ (NaN after ∞ - ∞ in the FFT) for huge samples.
            guard power.isFinite else { return Spectrogram.decibelCeiling }
            return Float(Swift.min(10 * log10(Swift.max(power, floor)), Double(Spectrogram.decibelCeiling)))
        }
        self.sampleRate = sampleRate
        self.configuration = configuration
        self.columns = columns
        framesPerColumn = group
        self.bins = bins
        seconds = Double(samples.count) / Double(sampleRate)
    }

    /// The highest dB value a spectrogram holds: 10 log10 of the largest float.
    public static let decibelCeiling: Float = 385

    /// The loudest bin, dB.
    public var maxDecibels: Float { decibels.max() ?? 0 }

    /// The image of this spectrogram with `range` (dB) mapped onto the colour map; values
    /// outside it are clamped. Low frequencies at the bottom, as spectrograms are read.
    public func image(range: ClosedRange<Float>) throws -> SpectrogramImage {
        var pixels = [UInt8](repeating: 0, count: columns * bins * 3)   // (rows = bins, columns, RGB)
        let span = max(range.upperBound - range.lowerBound, 1e-6)
        for row in 0 ..< bins {
            let k = bins - 1 - row
            for column in 0 ..< columns {
                let level = (decibels[column * bins + k] - range.lowerBound) / span
                // NaN (a range with an infinite end) draws as the bottom colour, never traps.
                let (r, g, b) = Viridis.color(level.isNaN ? 0 : min(max(level, 0), 1))
                let p = (row * columns + column) * 3
                pixels[p] = r
                pixels[p + 1] = g
                pixels[p + 2] = b
            }
        }
        return SpectrogramImage(width: columns, height: bins,
                                png: try PNG.encodeRGB(width: columns, height: bins, pixels: pixels),
                                range: range, seconds: seconds, maxFrequency: Double(sampleRate) / 2)
    }
}

/// A spectrogram drawn as a PNG, with what its axes mean.
public struct SpectrogramImage: Sendable {
    public let width: Int
    public let height: Int
    /// The PNG file's bytes.
    public let png: [UInt8]
    /// dB values at the bottom and top of the colour map.
    public let range: ClosedRange<Float>
    /// The time the image spans (left to right), seconds.
    public let seconds: Double
    /// The frequency of the top row (Nyquist), Hz.
    public let maxFrequency: Double

    /// A data: URL of the PNG, for embedding in HTML or SVG.
    public var dataURL: String { "data:image/png;base64," + Data(png).base64EncodedString() }
}

/// matplotlib's viridis (perceptually uniform, legible in grey and to most colour-blind
/// readers), as 9 of its stops with linear interpolation between them.
package enum Viridis {
    package static let stops: [(Float, Float, Float)] = [
        (68, 1, 84), (71, 44, 122), (59, 81, 139), (44, 113, 142), (33, 144, 141),
        (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
    ]

    /// The colour at `t` in [0, 1].
    package static func color(_ t: Float) -> (UInt8, UInt8, UInt8) {
        let t = t.isNaN ? 0 : min(max(t, 0), 1)   // outside [0, 1] would index past the stops
        let x = t * Float(stops.count - 1)
        let i = min(Int(x), stops.count - 2)
        let f = x - Float(i)
        let (a, b) = (stops[i], stops[i + 1])
        func mix(_ u: Float, _ v: Float) -> UInt8 { UInt8((u + (v - u) * f).rounded()) }
        return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// The colour at `t` as a CSS hex string, for the colour bar.
    package static func hex(_ t: Float) -> String {
        let (r, g, b) = color(t)
        return "#" + [r, g, b].map { String(format: "%02x", $0) }.joined()
    }
}
