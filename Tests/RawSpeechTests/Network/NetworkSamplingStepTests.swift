// The stream's sampling step against the network's general forward at T = 1: the paper GRU's
// own step (PaperGRUStep, one and two layers) and the other cells' fallback must give the same
// head outputs and state bit for bit, step after step with the state carried, and the
// pointer `MixtureDensity.sample` the same draws as the collection one.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork

@Suite struct NetworkSamplingStepTests {
    static func model(_ config: ModelConfig, seed: UInt64) -> TrainedModel {
        var rng = SeededGenerator(seed: seed)
        var parameters: [Float] = []
        RecurrentMDN<Float>(config: config).initializeParameters(&parameters, using: &rng)
        // Non-zero biases and head bias so every term of the step matters.
        for i in parameters.indices { parameters[i] += Float(0.05 * rng.nextGaussian()) }
        return TrainedModel(kind: .recurrent, config: config, parameters: parameters,
                            normalization: Normalization(mean: 0, std: 1), sampleRate: 16_000, frame: .paper)
    }

    @Test(arguments: [
        ModelConfig(cell: .gru, units: 24, layers: 1, components: 3),
        ModelConfig(cell: .gru, units: 19, layers: 2, components: 4),
        ModelConfig(cell: .gru, units: 16, layers: 2, components: 2, gruForm: .cudnn),
        ModelConfig(cell: .lstm, units: 12, layers: 1, components: 3),
        ModelConfig(cell: .tanh, units: 20, layers: 2, components: 3),
    ])
    func streamSampleIsTheForwardAtOneStep(config: ModelConfig) throws {
        let model = Self.model(config, seed: 7)
        let stream = try #require(model.makePredictor().makeStream(steps: 4) as? RecurrentPredictor.Stream)
        let network = RecurrentMDN<Float>(config: config)
        let workspace = network.makeWorkspace(batch: 1, steps: 1)
        let mixture = MixtureDensity(config: config)
        var state = [Float](repeating: 0, count: network.stateSize)
        var context = (0 ..< 20).map { Float(sin(Double($0))) }
        var rngStream = SeededGenerator(seed: 3), rngReference = SeededGenerator(seed: 3)
        var draw = [Float](repeating: 0, count: 10)
        for step in 0 ..< 30 {
            context.withUnsafeBufferPointer { x in draw.withUnsafeMutableBufferPointer {
                stream.sample(input: x.baseAddress!, settings: .model, rng: &rngStream, into: $0.baseAddress!) } }
            _ = network.forward(parameters: model.parameters, inputs: context, targets: [Float](repeating: 0, count: 10),
                                state: &state, workspace: workspace, steps: 1)
            let expected = mixture.sample(outputs: workspace.headOutputs, temperature: 1, rng: &rngReference)
            #expect(draw == expected, "step \(step): draws differ")
            #expect(stream.state == state, "step \(step): states differ")
            context = Array(context.dropFirst(10)) + draw
        }
    }
}
