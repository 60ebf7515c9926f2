// The FFTW STFT against closed forms and a plain DFT, streaming against one-shot, and the
// planner's cache, wisdom and lock.
import Foundation
import Testing
@testable import RawSpeechEvaluation

extension EvaluationTests { @Suite struct STFTTests {
    @Test func configurationScalesWithRate() {
        #expect(STFTConfiguration(sampleRate: 16_000) == STFTConfiguration(frameLength: 512, hop: 128))
        #expect(STFTConfiguration(sampleRate: 8_000) == STFTConfiguration(frameLength: 256, hop: 64))
        #expect(STFTConfiguration(sampleRate: 22_050).frameLength == 1024)
        #expect(STFTConfiguration(sampleRate: 44_100) == STFTConfiguration(frameLength: 2048, hop: 512))
        #expect(STFTConfiguration(sampleRate: 48_000).frameLength == 2048)
        let c = STFTConfiguration(sampleRate: 16_000)
        #expect(c.bins == 257)
        #expect(c.frameCount(samples: 511) == 0)
        #expect(c.frameCount(samples: 512) == 1)
        #expect(c.frameCount(samples: 639) == 1)
        #expect(c.frameCount(samples: 640) == 2)
    }

    /// A sinusoid of amplitude A centred on bin k has P[k] = A²/4 and, with the periodic
    /// Hann window, P[k±1] = A²/16 and nothing elsewhere.
    @Test func binCentredSinusoid() {
        let stft = STFT(sampleRate: 16_000)
        let n = 512, k = 40
        let amplitude: Float = 0.8
        let frame = (0 ..< n).map { amplitude * Float(cos(2 * Double.pi * Double(k * $0) / Double(n) + 0.3)) }
        var power: [Float] = []
        stft.powerSpectrum(of: frame, into: &power)
        #expect(power.count == 257)
        let a2 = Double(amplitude * amplitude)
        #expect(EvalCheck.close(Double(power[k]), a2 / 4, relative: 1e-5))
        #expect(EvalCheck.close(Double(power[k - 1]), a2 / 16, relative: 1e-5))
        #expect(EvalCheck.close(Double(power[k + 1]), a2 / 16, relative: 1e-5))
        #expect(power[k + 3] < 1e-10 && power[0] < 1e-10)
    }

    /// FFTW against a direct DFT in Double on the same windowed frame.
    @Test func matchesPlainDFT() {
        let stft = STFT(STFTConfiguration(frameLength: 256, hop: 64))
        let frame = EvalCheck.noise(256, seed: 7)
        var power: [Float] = []
        stft.powerSpectrum(of: frame, into: &power)
        let windowSum = stft.window.reduce(0.0) { $0 + Double($1) }
        let reference = (0 ... 128).map { k -> Double in
            var re = 0.0, im = 0.0
            for i in 0 ..< 256 {
                let v = Double(frame[i]) * Double(stft.window[i])
                let angle = -2 * Double.pi * Double(k * i) / 256
                re += v * cos(angle)
                im += v * sin(angle)
            }
            return (re * re + im * im) / (windowSum * windowSum)
        }
        EvalCheck.expectClose(power.map(Double.init), reference, relative: 1e-4, absolute: 1e-12, "power")
    }

    @Test func streamingEqualsOneShot() {
        let signal = EvalCheck.noise(5_000, seed: 11)
        let stft = STFT(sampleRate: 16_000)
        let whole = stft.powerSpectrogram(signal)
        #expect(whole.count == STFTConfiguration(sampleRate: 16_000).frameCount(samples: 5_000))
        var streamed: [[Float]] = []
        var start = 0, size = 1
        while start < signal.count {   // blocks of 1, 4, 16, ... samples, up to 1024
            let end = min(signal.count, start + size)
            stft.append(Array(signal[start ..< end])) { streamed.append($0) }
            start = end
            size = min(size * 4, 1024)
        }
        #expect(streamed == whole)
        #expect(stft.framesProcessed == whole.count)
    }

    /// Many tasks planning odd sizes at once: the planner lock keeps FFTW's planner from
    /// racing (a race crashes or corrupts plans), and each size is planned once.
    @Test func concurrentPlanningIsSafe() async {
        let sizes = [96, 160, 224, 288, 352, 416]
        let signal = EvalCheck.noise(2_000, seed: 3)
        let results = await withTaskGroup(of: (Int, [[Float]]).self) { group in
            for size in sizes + sizes {
                group.addTask { (size, STFT(STFTConfiguration(frameLength: size, hop: size / 2)).powerSpectrogram(signal)) }
            }
            var all: [(Int, [[Float]])] = []
            for await result in group { all.append(result) }
            return all
        }
        for size in sizes {
            let runs = results.filter { $0.0 == size }.map(\.1)
            #expect(runs.count == 2 && runs[0] == runs[1])
        }
        #expect(Set(sizes).isSubset(of: Set(FFTWPlanner.shared.plannedSizes)))
    }

    /// Planning writes the cache file, which FFTW can read back.
    @Test func wisdomIsSaved() throws {
        _ = STFT(sampleRate: 16_000)
        let planner = FFTWPlanner.shared
        #expect(planner.plannedSizes.contains(512))
        guard let url = planner.wisdomURL else { return }   // RAWSPEECH_FFTW_WISDOM="" disables it
        #expect(planner.lastWisdomError == nil)
        let saved = try String(contentsOf: url, encoding: .utf8)
        #expect(saved.contains("fftwf_wisdom"))
        #expect(planner.wisdom().contains("fftwf_wisdom"))
    }
}}
