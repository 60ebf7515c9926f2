// Headers that lie: an OGG whose damaged last page makes libsndfile report INT64_MAX frames,
// WAV headers with rates of 1 Hz or 2^31 Hz, headerless descriptions with absurd rates or
// channel counts. Each must give an error naming the file (or, for the OGG, the samples that
// decode), never a trap or a gigabyte of output. docs/RELIABILITY.md lists these tests.
import Foundation
import Testing
@testable import RawSpeechAudio

@Suite struct HostileHeaderTests {
    static var fixtures: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures") }

    /// `sox cards/001.wav t.ogg; head -c -20 t.ogg`: 17,526 frames at 16 kHz, the last page cut.
    static var damagedOgg: URL { fixtures.appendingPathComponent("ogg-damaged-last-page.ogg") }

    @Test func damagedOggLastPageIsReadToItsEnd() throws {
        let reader = try AudioReader(url: Self.damagedOgg, sampleRate: 16000)
        #expect(reader.sourceFrames == nil, "INT64_MAX frames is not believed")
        #expect(reader.knownExpectedSamples == nil && reader.expectedSamples == Int.max)
        let audio = try AudioFile.readMono(Self.damagedOgg, sampleRate: 16000)
        #expect(audio.samples.count > 10_000 && audio.samples.count <= 17_526, "\(audio.samples.count)")
        // Resampled on the way, too (the trap was in the resampled length).
        let low = try AudioFile.readMono(Self.damagedOgg, sampleRate: 8000)
        #expect(abs(low.samples.count - audio.samples.count / 2) <= 2)
    }

    @Test func damagedOggProbeCountsWhatDecodes() throws {
        let probe = try #require(try AudioFile.probe(Self.damagedOgg))
        let audio = try AudioFile.readMono(Self.damagedOgg)
        #expect(probe.sampleRate == 16000 && probe.channels == 1)
        #expect(probe.frames == audio.samples.count)
        #expect(probe.seconds < 1.2, "not 576460752303423.5 s")
    }

    @Test(arguments: [(Int64.max, 10_000, nil), (-1, 10_000, nil), (17_526, 10_000, 17_526),
                      (1 << 41, Int.max / 2, nil), (70_000, 1, nil), (65_536, 1, 65_536)] as [(Int64, Int, Int?)])
    func believableFrames(frames: Int64, bytes: Int, expected: Int?) {
        #expect(AudioLimits.believableFrames(frames, fileBytes: bytes) == expected)
    }

    /// A 16-bit mono WAV of `count` samples whose header's rate field is then set to `rate`.
    func wav(rate: UInt32, count: Int, in scratch: ScratchFolder) throws -> URL {
        let url = scratch.file("lying.wav")
        try AudioFile.write(Signals.sine(frequency: 300, sampleRate: 16000, count: count), sampleRate: 16000, to: url)
        var bytes = [UInt8](try Data(contentsOf: url))
        #expect(bytes[24 ..< 28] == [0x80, 0x3E, 0, 0], "rate field at offset 24")
        withUnsafeBytes(of: rate.littleEndian) { bytes.replaceSubrange(24 ..< 28, with: $0) }
        try Data(bytes).write(to: url)
        return url
    }

    @Test(arguments: [UInt32(1), 999, 768_001, 0x8000_0000, UInt32.max])
    func implausibleHeaderRateIsRefused(rate: UInt32) throws {
        let scratch = ScratchFolder()
        let url = try wav(rate: rate, count: 16_000, in: scratch)
        do {
            let audio = try AudioFile.readMono(url, sampleRate: 16000)
            Issue.record("read \(audio.samples.count) samples from a \(rate) Hz header")
        } catch let error as AudioError {
            switch error {
            case .implausibleSampleRate(let path, _), .notAudio(let path, _):
                #expect(path == url.path)
                #expect("\(error)".contains(url.path))
            default: Issue.record("\(error)")
            }
        }
        // Probing refuses it too, or (rates libsndfile reads as negative) does not call it audio.
        do { #expect(try AudioFile.probe(url) == nil) } catch { #expect("\(error)".contains(url.path)) }
    }

    @Test func plausibleEdgeRatesAreRead() throws {
        let scratch = ScratchFolder()
        let url = try wav(rate: 1000, count: 1000, in: scratch)
        let audio = try AudioFile.readMono(url, sampleRate: 16000)
        #expect(audio.samples.count == 16_000)
    }

    @Test func excessiveResamplingIsRefused() throws {
        let scratch = ScratchFolder()
        let url = try wav(rate: 1000, count: 1000, in: scratch)
        #expect(throws: AudioError.excessiveResampling(path: url.path, sourceRate: 1000, targetRate: 96_000)) {
            _ = try AudioReader(url: url, sampleRate: 96_000)
        }
    }

    @Test func manyChannelsKeepTheBlockSmall() throws {
        let scratch = ScratchFolder()
        let url = scratch.file("wide.raw")
        try Data(repeating: 0, count: 2 * 1024 * 10).write(to: url) // 10 frames of 1024 16-bit channels
        let reader = try AudioReader(url: url, raw: RawFormat(sampleRate: 16000, channels: 1024))
        #expect(reader.blockFrames == 1024, "2^20 floats, not 16384 x 1024")
        #expect(try AudioFile.readMono(url, raw: RawFormat(sampleRate: 16000, channels: 1024)).samples == [Float](repeating: 0, count: 10))
    }

    @Test(arguments: [
        RawFormat(sampleRate: 1), RawFormat(sampleRate: 2_147_483_648), RawFormat(sampleRate: -5),
        RawFormat(sampleRate: 16000, channels: 0), RawFormat(sampleRate: 16000, channels: 1 << 32),
        RawFormat(sampleRate: 16000, channels: 4096),
    ])
    func implausibleRawFormatIsRefused(raw: RawFormat) throws {
        let scratch = ScratchFolder()
        let url = scratch.file("x.raw")
        try Data(repeating: 0, count: 89_000).write(to: url)
        do {
            _ = try AudioReader(url: url, raw: raw, sampleRate: 16000)
            Issue.record("accepted \(raw)")
        } catch let error as AudioError {
            switch error {
            case .implausibleSampleRate(let path, _), .badRawFormat(let path, _): #expect(path == url.path)
            default: Issue.record("\(error)")
            }
        }
    }
}
