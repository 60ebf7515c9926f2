// Every encoding the issue names is written with libsndfile and read back through
// AudioReader: PCM exactly (n / 2^(bits-1) in single precision), lossy codecs within their
// error, multichannel downmixed to the mean, headerless raw as described.
import Foundation
import Testing
@testable import RawSpeechAudio

@Suite struct AudioEncodingTests {
    /// Integer PCM in WAV, AIFF, FLAC and raw: what was written is what comes back.
    @Test(arguments: [
        (AudioFormat(.wav, .pcm_u8), 8), (AudioFormat(.wav, .pcm_s16le), 16),
        (AudioFormat(.wav, .pcm_s24le), 24), (AudioFormat(.wav, .pcm_s32le), 32),
        (AudioFormat(.aiff, .pcm_s8), 8), (AudioFormat(.aiff, .pcm_s16be), 16),
        (AudioFormat(.flac, .pcm_s16le), 16), (AudioFormat(.flac, .pcm_s24le), 24),
    ])
    func pcmReadsBackExactly(format: AudioFormat, bits: Int) throws {
        let scratch = ScratchFolder()
        let url = scratch.file("pcm.\(format.container.rawValue)")
        // Values on the format's grid, spanning the full range including both extremes.
        let levels = Int64(1) << (bits - 1)
        let step = max(1, (2 * levels) / 997)
        var values = (0 ..< 1000).map { Int64(-levels) + Int64($0) * step }.map { min($0, levels - 1) }
        values += [-levels, levels - 1, 0, 1] // an even count: AIFF pads odd 8-bit data
        let shift = Int64(32 - bits)
        try AudioFile.write(pcm: values.map { Int32($0 << shift) }, channels: 1, sampleRate: 8000, to: url, format: format)
        let audio = try AudioFile.readMono(url)
        #expect(audio.sampleRate == 8000)
        let expected = values.map { Float($0) * Float(1 / Double(levels)) }
        #expect(Signals.mismatch(audio.samples, expected) == nil)
    }

    @Test func floatAndDoubleReadBackExactly() throws {
        let scratch = ScratchFolder()
        let samples = Signals.sine(frequency: 440, sampleRate: 16000, count: 3000, amplitude: 0.9)
        for (name, format) in [("f32.wav", AudioFormat(.wav, .pcm_f32le)), ("f64.wav", AudioFormat(.wav, .pcm_f64le))] {
            try AudioFile.write(samples, sampleRate: 16000, to: scratch.file(name), format: format)
            #expect(Signals.mismatch(try AudioFile.readMono(scratch.file(name)).samples, samples) == nil, "\(name)")
        }
    }

    /// u-law and A-law keep about 13 bits near zero, 6 bits of mantissa at full scale:
    /// the error stays within 1/32 of the value, plus a small floor near zero.
    @Test(arguments: [RawEncoding.ulaw, RawEncoding.alaw])
    func companded(encoding: RawEncoding) throws {
        let scratch = ScratchFolder()
        let samples = Signals.sine(frequency: 300, sampleRate: 8000, count: 4000, amplitude: 0.8)
        try AudioFile.write(samples, sampleRate: 8000, to: scratch.file("c.wav"), format: AudioFormat(.wav, encoding))
        let back = try AudioFile.readMono(scratch.file("c.wav")).samples
        #expect(back.count == samples.count)
        let worst = zip(samples, back).map { abs($0 - $1) - abs($0) / 32 }.max()!
        #expect(worst < 0.002)
        #expect(back != samples) // it really went through the codec
    }

    /// Vorbis is lossy: the tone survives with its amplitude (within 0.2 dB) and length.
    @Test func vorbis() throws {
        let scratch = ScratchFolder()
        let samples = Signals.sine(frequency: 440, sampleRate: 16000, count: 16000, amplitude: 0.5)
        try AudioFile.write(samples, sampleRate: 16000, to: scratch.file("v.ogg"), format: .vorbis)
        let back = try AudioFile.readMono(scratch.file("v.ogg")).samples
        #expect(abs(back.count - samples.count) <= 64)
        let amplitude = Signals.toneAmplitude(back[2000 ..< 14000], frequency: 440, sampleRate: 16000)
        #expect(abs(20 * log10(amplitude / 0.5)) < 0.2)
    }

    /// Headerless files in several encodings, read as the RawFormat says.
    @Test(arguments: [RawEncoding.pcm_s16le, .pcm_s16be, .pcm_s24le, .pcm_s32be, .pcm_u8])
    func headerless(encoding: RawEncoding) throws {
        let scratch = ScratchFolder()
        let url = scratch.file("r.raw")
        let values = Signals.pcm16Ramp(count: 777).map { encoding == .pcm_u8 ? $0 & ~0x00FF_FFFF : $0 }
        let raw = RawFormat(sampleRate: 16000, encoding: encoding, channels: 1)
        try AudioFile.write(pcm: values, channels: 1, sampleRate: 16000, to: url, format: AudioFormat(.raw, encoding))
        let expectedBytes = 777 * encoding.bytesPerSample
        #expect((try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) == expectedBytes)
        let audio = try AudioFile.readMono(url, raw: raw)
        #expect(Signals.mismatch(audio.samples, values.map { Float($0) * 0x1p-31 }) == nil)
    }

    /// Stereo and 3-channel files come out as the per-frame mean of their channels.
    @Test func downmix() throws {
        let scratch = ScratchFolder()
        for channels in [2, 3] {
            let frames = 1000
            let interleaved = Signals.pcm16Ramp(count: frames * channels, start: -20000, step: 13)
            try AudioFile.write(pcm: interleaved, channels: channels, sampleRate: 16000,
                                to: scratch.file("m.wav"), format: .wav16)
            let reader = try AudioReader(url: scratch.file("m.wav"), blockFrames: 333) // blocks that do not divide the file
            #expect(reader.channels == channels)
            var mono: [Float] = []
            try reader.forEachBlock { mono += $0 }
            let expected = (0 ..< frames).map { f in
                (0 ..< channels).reduce(Float(0)) { $0 + Float(interleaved[f * channels + $1]) * 0x1p-31 } * (1 / Float(channels))
            }
            #expect(Signals.mismatch(mono, expected) == nil)
        }
    }

    /// The streaming writer: blocks in, one file out, visible only after `finish`; a writer
    /// dropped unfinished leaves nothing behind.
    @Test func streamingWriter() throws {
        let scratch = ScratchFolder()
        let url = scratch.file("stream.flac")
        let writer = try AudioWriter(url: url, sampleRate: 16000, format: .flac16)
        let blocks = (0 ..< 5).map { Signals.pcm16Ramp(count: 1000, start: -9000 + 3000 * $0, step: 3) }
        for block in blocks { try writer.write(pcm: block) }
        #expect(!FileManager.default.fileExists(atPath: url.path))
        try writer.finish()
        let back = try AudioFile.readMono(url).samples
        #expect(Signals.mismatch(back, blocks.joined().map { Float($0) * 0x1p-31 }) == nil)

        do {
            let abandoned = try AudioWriter(url: scratch.file("abandoned.wav"), sampleRate: 16000)
            try abandoned.write([0.1, 0.2])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path) == ["stream.flac"])
    }

    /// Block size is a memory knob only: any block size yields the same samples.
    @Test func blockSizeDoesNotChangeOutput() throws {
        let scratch = ScratchFolder()
        let samples = Signals.sine(frequency: 1234, sampleRate: 44100, count: 44100)
        try AudioFile.write(samples, sampleRate: 44100, to: scratch.file("b.wav"), format: .wavFloat)
        var outputs: [[Float]] = []
        for block in [100, 4096, 100_000] {
            let reader = try AudioReader(url: scratch.file("b.wav"), sampleRate: 16000, blockFrames: block)
            var all: [Float] = []
            try reader.forEachBlock { all += $0 }
            #expect(all.count == reader.expectedSamples)
            outputs.append(all)
        }
        #expect(Signals.mismatch(outputs[0], outputs[1]) == nil)
        #expect(Signals.mismatch(outputs[1], outputs[2]) == nil)
    }
}
