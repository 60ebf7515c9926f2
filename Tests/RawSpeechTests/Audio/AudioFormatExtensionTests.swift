// A file name's extension picks the format written: every extension rawspeech knows gives a
// file whose header libsndfile reads back as that container (and whose first bytes are the
// container's magic), and an unknown one is refused with the file and the extension named.
import Foundation
import Testing
@testable import RawSpeechAudio

@Suite struct AudioFormatExtensionTests {
    /// Each container's leading bytes (and where they sit), independent of libsndfile.
    static let magic: [AudioContainer: (offset: Int, bytes: String)] = [
        .wav: (8, "WAVE"), .flac: (0, "fLaC"), .ogg: (0, "OggS"), .aiff: (8, "AIFF"), .au: (0, ".snd"), .caf: (0, "caff"),
    ]

    @Test func everyExtensionWritesItsContainer() throws {
        let scratch = ScratchFolder()
        let samples = Signals.sine(frequency: 300, sampleRate: 16_000, count: 4_000, amplitude: 0.5)
        for (ext, format) in AudioFormat.byExtension where format.container != .raw {
            for name in ["out.\(ext)", "OUT.\(ext.uppercased())"] {
                let url = scratch.file(name)
                #expect(try AudioFormat.forOutput(url) == format)
                try AudioFile.write(samples, sampleRate: 16_000, to: url, format: AudioFormat.forOutput(url))
                #expect(try AudioFile.container(of: url) == format.container, "\(name)")
                let (offset, bytes) = try #require(Self.magic[format.container])
                let head = try Data(contentsOf: url).subdata(in: offset ..< offset + 4)
                #expect(String(decoding: head, as: UTF8.self) == bytes, "\(name) starts as \(format.container)")
                #expect(try AudioFile.readMono(url).samples.count == samples.count)
            }
        }
    }

    @Test func unknownExtensionsAreRefusedByName() {
        #expect(AudioFormat(forExtension: "mp3") == nil)
        #expect(AudioFormat(forExtension: "") == nil)
        #expect(AudioFormat(forExtension: "FLAC") == .flac16)
        #expect(throws: AudioFormatError.unknownExtension(path: "/tmp/x.mp3", extension: "mp3")) {
            try AudioFormat.forOutput(URL(fileURLWithPath: "/tmp/x.mp3"))
        }
        let message = "\(AudioFormatError.unknownExtension(path: "/tmp/x.mp3", extension: "mp3"))"
        #expect(message.contains("/tmp/x.mp3") && message.contains(".mp3") && message.contains(".flac"), "\(message)")
        #expect("\(AudioFormatError.unknownExtension(path: "/tmp/x", extension: ""))".contains("no extension"))
    }
}
