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

        @Test func printsTheLevelAndTakesBothAxes() throws {
            let scratch = ScratchFolder()
            let model = try modelFile(scratch)
            let result = try cli.run(["generate", model.path, "--seconds", "0.2", "--output", scratch.file("g.wav").path,
                                      "--component-temperature", "0.5", "--sigma-scale", "0.25"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("component temperature 0.5, sigma scale 0.25"), "\(result.stdout)")
            #expect(result.stdout.contains("level: RMS") && result.stdout.contains("training data")
                    && result.stdout.contains("clipped"), "\(result.stdout)")
            let bad = try cli.run(["generate", model.path, "--seconds", "0.2", "--output", scratch.file("h.wav").path,
                                   "--sigma-scale", "-1"])
            #expect(bad.status != 0 && bad.stderr.contains("--sigma-scale"), "\(bad.stderr)")
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
