// Resampling quality through the whole reader (48 kHz file -> 16 kHz samples): a 1 kHz
// tone keeps its amplitude within 0.1 dB, a 20 kHz tone (above the new Nyquist) is
// suppressed by at least 60 dB, and the output length is the input's times the ratio.
import Foundation
import Testing
@testable import RawSpeechAudio

@Suite struct ResamplerTests {
    func resampled(frequency: Double) throws -> [Float] {
        let scratch = ScratchFolder()
        let url = scratch.file("tone.wav")
        try AudioFile.write(Signals.sine(frequency: frequency, sampleRate: 48000, count: 48000),
                            sampleRate: 48000, to: url, format: .wavFloat)
        let audio = try AudioFile.readMono(url, sampleRate: 16000)
        #expect(audio.sampleRate == 16000)
        #expect(audio.samples.count == 16000)
        return audio.samples
    }

    @Test func passbandToneKeepsAmplitude() throws {
        let out = try resampled(frequency: 1000)
        // The middle, away from the filter's start-up and tail.
        let amplitude = Signals.toneAmplitude(out[2000 ..< 14000], frequency: 1000, sampleRate: 16000)
        let gainDB = 20 * log10(amplitude / 0.5)
        #expect(abs(gainDB) < 0.1, "gain \(gainDB) dB")
        // Nothing but the tone: what the fit leaves (noise, distortion, aliases) is 60 dB down.
        let middle = out[2000 ..< 14000]
        let (a, b) = Signals.toneFit(middle, frequency: 1000, sampleRate: 16000)
        let residual = middle.enumerated().map { n, value in
            let phase = 2 * Double.pi * 1000 * Double(n) / 16000
            return value - Float(a * sin(phase) + b * cos(phase))
        }
        let residualDB = 20 * log10(Signals.rms(residual[...]) / (amplitude / 2.0.squareRoot()))
        #expect(residualDB < -60, "residual \(residualDB) dB")
    }

    @Test func stopbandToneIsSuppressed() throws {
        let out = try resampled(frequency: 20000)
        let inputRMS = 0.5 / 2.0.squareRoot()
        let attenuationDB = 20 * log10(Signals.rms(out[500 ..< 15500]) / inputRMS)
        #expect(attenuationDB <= -60, "20 kHz tone only \(attenuationDB) dB down")
    }

    @Test(arguments: [(44100, 16000, 44100), (8000, 16000, 8001), (22050, 16000, 12345)])
    func lengthFollowsRatio(input: Int, output: Int, frames: Int) throws {
        let resampler = try Resampler(inputRate: input, outputRate: output)
        let samples = Signals.sine(frequency: 300, sampleRate: input, count: frames)
        var out: [Float] = []
        // Fed in uneven blocks, as a reader would.
        var offset = 0
        for size in [1, 17, 1000, frames].cycled(until: frames) where offset < frames {
            let end = min(frames, offset + size)
            try samples[offset ..< end].withUnsafeBufferPointer { try resampler.process($0, into: &out) }
            offset = end
        }
        try resampler.finish(into: &out)
        let expected = (Double(frames) * Double(output) / Double(input)).rounded()
        #expect(abs(Double(out.count) - expected) <= 1, "\(out.count) vs \(expected)")
    }
}

private extension Array where Element == Int {
    /// Repeats the sizes until they cover `total`.
    func cycled(until total: Int) -> [Int] {
        var result: [Int] = [], covered = 0, i = 0
        while covered < total { result.append(self[i % count]); covered += self[i % count]; i += 1 }
        return result
    }
}
