// Each kind of bad file the issue lists gets its own typed error naming the file: missing,
// empty, header only, truncated (WAV, FLAC, raw), not audio, NaN or infinity in a float file.
import Foundation
import Testing
@testable import RawSpeechAudio

@Suite struct BadAudioTests {
    /// Opens and reads the whole file, returning the error it threw.
    func failure(_ url: URL, raw: RawFormat? = nil) -> AudioError? {
        do {
            _ = try AudioFile.readMono(url, sampleRate: 16000, raw: raw)
            return nil
        } catch {
            return error as? AudioError
        }
    }

    /// Writes a 1000-sample file of `format` and returns its bytes.
    func bytes(of format: AudioFormat, in scratch: ScratchFolder) throws -> [UInt8] {
        let url = scratch.file("good.\(format.container.rawValue)")
        try AudioFile.write(Signals.sine(frequency: 500, sampleRate: 16000, count: 1000), sampleRate: 16000, to: url, format: format)
        return [UInt8](try Data(contentsOf: url))
    }

    @Test func missing() {
        let scratch = ScratchFolder()
        let url = scratch.file("nope.wav")
        #expect(failure(url) == .missingFile(path: url.path))
    }

    @Test func empty() throws {
        let scratch = ScratchFolder()
        let url = scratch.file("empty.wav")
        try Data().write(to: url)
        #expect(failure(url) == .emptyFile(path: url.path))
        #expect("\(failure(url)!)".contains(url.path))
    }

    @Test func headerOnly() throws {
        let scratch = ScratchFolder()
        let url = scratch.file("header.wav")
        try AudioFile.write([], sampleRate: 16000, to: url)
        #expect(failure(url) == .noSamples(path: url.path))
    }

    @Test(arguments: [AudioFormat.wav16, AudioFormat.wavFloat, AudioFormat(.aiff, .pcm_s16be), AudioFormat.flac16])
    func truncated(format: AudioFormat) throws {
        let scratch = ScratchFolder()
        let whole = try bytes(of: format, in: scratch)
        let url = scratch.file("cut.\(format.container.rawValue)")
        try Data(whole.prefix(whole.count * 2 / 3)).write(to: url)
        switch failure(url) {
        case .truncated(let path, _, _), .truncatedData(let path, _, _): #expect(path == url.path)
        case let other: Issue.record("\(format): \(String(describing: other))")
        }
    }

    @Test func truncatedRaw() throws {
        let scratch = ScratchFolder()
        let url = scratch.file("odd.raw")
        try Data([1, 2, 3, 4, 5]).write(to: url) // 2.5 16-bit samples
        guard case .truncated = failure(url, raw: RawFormat(sampleRate: 16000)) else {
            Issue.record("\(String(describing: failure(url, raw: RawFormat(sampleRate: 16000))))")
            return
        }
    }

    @Test func notAudio() throws {
        let scratch = ScratchFolder()
        let url = scratch.file("notes.wav")
        try Data("These are notes, not a recording.\n".utf8).write(to: url)
        guard case .notAudio(let path, _) = failure(url) else {
            Issue.record("\(String(describing: failure(url)))")
            return
        }
        #expect(path == url.path)
    }

    @Test(arguments: [Float.nan, Float.infinity, -Float.infinity])
    func nonFinite(value: Float) throws {
        let scratch = ScratchFolder()
        let url = scratch.file("nan.wav")
        var samples = Signals.sine(frequency: 500, sampleRate: 16000, count: 40000)
        samples[30000] = value // in the second block, so the frame index must count earlier blocks
        try AudioFile.write(samples, sampleRate: 16000, to: url, format: .wavFloat)
        #expect(failure(url) == .nonFiniteSample(path: url.path, frame: 30000))
    }
}
