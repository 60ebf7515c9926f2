// Ingest's CheckedAudio.open, the one checksum-then-open of listed audio that preprocessing
// and scoring share: a missing file, changed bytes and a good file each give their answer.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechAudio
@testable import RawSpeechCorpus
@testable import RawSpeechIngest

extension EvaluationTests {
    @Suite struct CheckedAudioTests {
        @Test func checksumThenOpen() throws {
            let scratch = ScratchFolder()
            let url = scratch.file("a.wav")
            try AudioFile.write(ScoringModels.waveform(seconds: 0.1, seed: 4), sampleRate: 16_000, to: url)
            let digest = try SHA256.hexDigest(ofFile: url)
            let reader = try CheckedAudio.open(url, sha256: digest, sampleRate: 8_000)
            #expect(reader.sourceSampleRate == 16_000 && reader.sampleRate == 8_000)
            #expect(try CheckedAudio.open(url).sampleRate == 16_000, "no checksum given: opened as is")
            let wrong = String(repeating: "0", count: 64)
            #expect { try CheckedAudio.open(url, sha256: wrong) } throws: {
                if case CorpusError.checksumMismatch(url.path, wrong, digest) = $0 { return true } else { return false }
            }
            #expect { try CheckedAudio.open(scratch.file("gone.wav"), sha256: digest) } throws: {
                if case AudioError.missingFile = $0 { return true } else { return false }
            }
        }
    }
}
