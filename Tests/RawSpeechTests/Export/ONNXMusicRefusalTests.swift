// Music models (the Bernoulli note head) have no ONNX graph yet: export must say so by
// name instead of writing a graph with a mixture head they do not have.
import Testing
@testable import RawSpeechCore
@testable import RawSpeechExport
@testable import RawSpeechNetwork

@Suite struct ONNXMusicRefusalTests {
    @Test func bernoulliModelIsRefusedByName() {
        let config = ModelConfig(cell: .gru, units: 4, inputSize: 88, targetSize: 88, output: .bernoulli)
        let model = TrainedModel(kind: .recurrent, config: config,
                                 parameters: [Float](repeating: 0.1, count: config.parameterCount),
                                 normalization: Normalization(mean: 0, std: 1), sampleRate: 1,
                                 frame: FrameSpec(input: 88, target: 88, hop: 1))
        #expect(throws: ONNXExportError.self) { try ONNXExport.serialize(model, revision: "test") }
        do {
            _ = try ONNXExport.serialize(model, revision: "test")
        } catch {
            #expect("\(error)".contains("music models"), "\(error)")
        }
        // Audio commands refuse it too (a note model has no waveform to predict).
        #expect(throws: TrainedModelError.self) { _ = try model.makePredictor() }
    }
}
