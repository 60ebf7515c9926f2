// Helpers shared by the Audio and Corpus tests: scratch folders, test signals, and a
// tone-amplitude measurement. Every file a test reads is generated here, with libsndfile.
import Foundation
@testable import RawSpeechAudio

/// A fresh folder under the system temp directory, removed when the value is dropped.
final class ScratchFolder {
    let url: URL

    init(_ label: String = #function) {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("rawspeech-tests-\(safe)-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
}

enum Signals {
    /// `count` samples of a sine at `frequency` Hz.
    static func sine(frequency: Double, sampleRate: Int, count: Int, amplitude: Double = 0.5) -> [Float] {
        (0 ..< count).map { Float(amplitude * sin(2 * Double.pi * frequency * Double($0) / Double(sampleRate))) }
    }

    /// Distinct 16-bit values (a ramp that wraps), left-justified for `AudioFile.write(pcm:)`.
    static func pcm16Ramp(count: Int, start: Int = -1000, step: Int = 7) -> [Int32] {
        (0 ..< count).map { Int32(((start + step * $0 + 32768) % 65536) - 32768) << 16 }
    }

    /// Least-squares fit x[n] ~ a sin(wn) + b cos(wn) of the `frequency` component.
    static func toneFit(_ x: ArraySlice<Float>, frequency: Double, sampleRate: Int) -> (a: Double, b: Double) {
        var ss = 0.0, sc = 0.0, cc = 0.0, xs = 0.0, xc = 0.0
        for (n, value) in x.enumerated() {
            let phase = 2 * Double.pi * frequency * Double(n) / Double(sampleRate)
            let s = sin(phase), c = cos(phase)
            ss += s * s; sc += s * c; cc += c * c; xs += Double(value) * s; xc += Double(value) * c
        }
        let det = ss * cc - sc * sc
        return ((xs * cc - xc * sc) / det, (xc * ss - xs * sc) / det)
    }

    /// The amplitude of the `frequency` component of `x`.
    static func toneAmplitude(_ x: ArraySlice<Float>, frequency: Double, sampleRate: Int) -> Double {
        let (a, b) = toneFit(x, frequency: frequency, sampleRate: sampleRate)
        return (a * a + b * b).squareRoot()
    }

    /// nil if `a` and `b` are identical, else where they first differ (short failure text).
    static func mismatch(_ a: [Float], _ b: [Float]) -> String? {
        if a.count != b.count { return "lengths \(a.count) and \(b.count)" }
        guard let i = a.indices.first(where: { a[$0] != b[$0] && !(a[$0].isNaN && b[$0].isNaN) }) else { return nil }
        return "sample \(i): \(a[i]) vs \(b[i])"
    }

    static func rms(_ x: ArraySlice<Float>) -> Double {
        (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, x.count))).squareRoot()
    }
}
