// `rawspeech generate` end to end through the built binary, on a model file of the small
// trained GRU: the file written is in the format its name says (issue 10: a .flac name used
// to get a RIFF WAVE file), and a name without a known extension is refused before any work.
import Foundation
import Testing
@testable import RawSpeechAudio
@testable import RawSpeechTraining
@testable import RawSpeechEvaluation

extension EvaluationTests {
    @Suite struct GenerateCommandLineTests {
        let cli = CommandLineTests()

        func modelFile(_ scratch: ScratchFolder) throws -> URL {
            let url = scratch.file("gru.ckpt")
            try Checkpoint.writeModel(ScoringModels.gru, to: url)
            return url
        }

        @Test func outputFormatFollowsTheExtension() throws {
            let scratch = ScratchFolder()
            let model = try modelFile(scratch)
            for (name, container) in [("g.flac", AudioContainer.flac), ("g.ogg", .ogg), ("g.aiff", .aiff),
                                      ("g.au", .au), ("g.caf", .caf), ("g.wav", .wav)] {
                let output = scratch.file(name)
                let result = try cli.run(["generate", model.path, "--seconds", "0.1", "--output", output.path])
                #expect(result.status == 0, "\(name): \(result.stderr)")
                #expect(try AudioFile.container(of: output) == container, "\(name)")
                #expect(try AudioFile.readMono(output).samples.count == 1_600, "\(name)")
            }
        }

        @Test func unknownExtensionIsRefused() throws {
            let scratch = ScratchFolder()
            let output = scratch.file("g.mp3")
            let result = try cli.run(["generate", try modelFile(scratch).path, "--seconds", "0.1", "--output", output.path])
            #expect(result.status != 0 && result.stderr.contains("--output") && result.stderr.contains("g.mp3")
                    && result.stderr.contains(".mp3"), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output.path))
        }
    }
}
