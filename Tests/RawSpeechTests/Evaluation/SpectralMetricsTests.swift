// LSD, spectral convergence, SNR, segmental SNR and LTAS distance: closed-form cases, and
// numpy/scipy's values from tools/make-eval-fixtures.py (Fixtures/eval-metrics.bin).
import Foundation
import Testing
@testable import RawSpeechEvaluation

extension EvaluationTests { @Suite struct SpectralMetricsTests {
    static let sixDB = 20 * log10(2.0)   // 6.0206 dB

    @Test func identicalSignals() throws {
        let x = EvalCheck.noise(4_000, seed: 1)
        let s = try SpectralMetrics.measure(reference: x, estimate: x, sampleRate: 16_000)
        #expect(s.lsdDB == 0)
        #expect(s.spectralConvergence == 0)
        #expect(s.snrDB == .infinity)
        #expect(s.segmentalSNRDB == 35)   // every segment clamps at the top
        #expect(s.stftFrames == 28 && s.samples == 4_000)
    }

    /// e = r/2: every power ratio is 4, so LSD is exactly 20 log10 2 = 6.02 dB, the magnitude
    /// error is half the reference (SC 0.5), and the error r/2 gives SNR 6.02 dB everywhere.
    @Test func halfAmplitude() throws {
        let x = EvalCheck.noise(4_000, seed: 2)
        let s = try SpectralMetrics.measure(reference: x, estimate: x.map { $0 / 2 }, sampleRate: 16_000)
        #expect(EvalCheck.close(s.lsdDB, Self.sixDB, relative: 1e-5))
        #expect(EvalCheck.close(s.spectralConvergence, 0.5, relative: 1e-5))
        #expect(EvalCheck.close(s.snrDB, Self.sixDB, relative: 1e-6))
        #expect(EvalCheck.close(s.segmentalSNRDB, Self.sixDB, relative: 1e-6))
    }

    /// Clamping: noise where the reference is silent makes those segments -10 dB, not -∞;
    /// a silent estimate gives 0 dB SNR.
    @Test func segmentClamping() throws {
        var x = EvalCheck.noise(2_048, seed: 4)
        for i in 1_024 ..< 2_048 { x[i] = 0 }
        let noisy = x.enumerated().map { $0.offset < 1_024 ? $0.element : 0.01 }
        let s = try SpectralMetrics.measure(reference: x, estimate: noisy, sampleRate: 16_000)
        #expect(EvalCheck.close(s.segmentalSNRDB, (35 + -10) / 2))   // 4 exact, 4 silent segments
        let silent = try SpectralMetrics.measure(reference: x, estimate: [Float](repeating: 0, count: 2_048),
                                                 sampleRate: 16_000)
        #expect(EvalCheck.close(silent.snrDB, 0, absolute: 1e-12))
        // First half 0 dB; in the silent half the silent estimate is exact: 35 dB.
        #expect(EvalCheck.close(silent.segmentalSNRDB, (0 + 35) / 2, absolute: 1e-12))
        #expect(silent.spectralConvergence == 1)
    }

    @Test func tooShortThrows() {
        let metrics = SpectralMetrics(sampleRate: 16_000)
        metrics.append(reference: [Float](repeating: 0.1, count: 511), estimate: [Float](repeating: 0.1, count: 511))
        #expect(throws: EvaluationError.tooShort(samples: 511, needed: 512)) { try metrics.result() }
    }

    @Test func streamingEqualsOneShot() throws {
        let r = EvalCheck.noise(6_000, seed: 5)
        let e = zip(r, EvalCheck.noise(6_000, seed: 6, amplitude: 0.03)).map { $0 + $1 }
        let whole = try SpectralMetrics.measure(reference: r, estimate: e, sampleRate: 16_000)
        let metrics = SpectralMetrics(sampleRate: 16_000)
        var start = 0
        for size in [7, 500, 1, 1_000, 333].cycled(until: 6_000) where start < 6_000 {
            let end = min(6_000, start + size)
            metrics.append(reference: Array(r[start ..< end]), estimate: Array(e[start ..< end]))
            start = end
        }
        let streamed = try metrics.result()
        EvalCheck.expectClose(
            [streamed.lsdDB, streamed.spectralConvergence, streamed.snrDB, streamed.segmentalSNRDB],
            [whole.lsdDB, whole.spectralConvergence, whole.snrDB, whole.segmentalSNRDB],
            relative: 1e-12, "streamed vs one-shot")
    }

    /// numpy/scipy's figures for a speech-like signal and an imperfect estimate, at 16 and
    /// 44.1 kHz (the STFT and segments scale with the rate).
    @Test func matchesNumpyReference() throws {
        let cases = try EvalFixture.load(EvalCheck.fixtures.appendingPathComponent("eval-metrics.bin"))
        #expect(cases.map(\.sampleRate) == [16_000, 44_100])
        for c in cases {
            let s = try SpectralMetrics.measure(reference: c.reference, estimate: c.estimate, sampleRate: c.sampleRate)
            let ltas = try LongTermSpectrum.distanceDB(c.reference, c.estimate, sampleRate: c.sampleRate)
            EvalCheck.expectClose([s.lsdDB, s.spectralConvergence, s.snrDB, s.segmentalSNRDB, ltas],
                                  c.expected, relative: 1e-4, "\(c.sampleRate) Hz: lsd, sc, snr, segsnr, ltas")
        }
    }

    @Test func ltasDistance() throws {
        let x = EvalCheck.noise(64_000, seed: 8)
        #expect(EvalCheck.close(try LongTermSpectrum.distanceDB(x, x.map { $0 / 2 }, sampleRate: 16_000),
                                Self.sixDB, relative: 1e-5))
        #expect(try LongTermSpectrum.distanceDB(x, x, sampleRate: 16_000) == 0)
        // Two independent white noises of one level have nearly the same LTAS; a low-passed
        // copy (8-tap moving average, nulls at multiples of 2 kHz) does not.
        let y = EvalCheck.noise(64_000, seed: 9)
        let lowPassed = (0 ..< x.count).map { i in (max(0, i - 7) ... i).reduce(Float(0)) { $0 + x[$1] } / 8 }
        let same = try LongTermSpectrum.distanceDB(x, y, sampleRate: 16_000)
        let different = try LongTermSpectrum.distanceDB(x, lowPassed, sampleRate: 16_000)
        #expect(same < 1)
        #expect(different > 10)
        // Recordings added one by one average over all their frames.
        let pooled = LongTermSpectrum(sampleRate: 16_000)
        pooled.add(recording: Array(x[..<32_000]))
        pooled.add(recording: Array(x[32_000...]))
        let whole = LongTermSpectrum(sampleRate: 16_000)
        whole.add(recording: x)
        #expect(pooled.frames == 2 * 247 && whole.frames == 497)
        #expect(try LongTermSpectrum.distanceDB(pooled, whole) < 0.05)
    }
}}

extension Array {
    /// The elements repeated until `count` values (for irregular block sizes).
    func cycled(until count: Int) -> [Element] {
        (0 ..< count).map { self[$0 % self.count] }
    }
}

/// One case of Fixtures/eval-metrics.bin (format in tools/make-eval-fixtures.py).
struct EvalFixture {
    var sampleRate: Int
    var expected: [Double]   // lsd_db, spectral_convergence, snr_db, segsnr_db, ltas_db
    var reference: [Float]
    var estimate: [Float]

    struct FormatError: Error, CustomStringConvertible {
        var description: String
    }

    static func load(_ url: URL) throws -> [EvalFixture] {
        let data = try Data(contentsOf: url)
        var offset = 0
        func read<T: FixedWidthInteger>(_: T.Type) -> T {
            defer { offset += MemoryLayout<T>.size }
            return data.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        guard data.count >= 16, data.prefix(8) == Data("RSEVALFX".utf8) else {
            throw FormatError(description: "\(url.path): not an eval fixture (run tools/make-eval-fixtures.py)")
        }
        offset = 8
        let version = read(UInt32.self)
        guard version == 1 else {
            throw FormatError(description: "\(url.path): fixture version \(version), this test reads 1: rerun tools/make-eval-fixtures.py")
        }
        return (0 ..< Int(read(UInt32.self))).map { _ in
            let rate = Int(read(UInt32.self)), count = Int(read(UInt32.self))
            let expected = (0 ..< 5).map { _ in Double(bitPattern: read(UInt64.self)) }
            let reference = (0 ..< count).map { _ in Float(bitPattern: read(UInt32.self)) }
            let estimate = (0 ..< count).map { _ in Float(bitPattern: read(UInt32.self)) }
            return EvalFixture(sampleRate: rate, expected: expected, reference: reference, estimate: estimate)
        }
    }
}
