import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork

@Suite struct ModelConfigTests {
    @Test func paperTableOneCounts() {
        #expect(ModelConfig(cell: .tanh, units: 400).recurrentParameterCount == 168_400)
        #expect(ModelConfig(cell: .gru, units: 227).recurrentParameterCount == 168_888)
        #expect(ModelConfig(cell: .lstm, units: 195).recurrentParameterCount == 169_065)
    }

    @Test func budgetGivesPaperUnits() {
        #expect(ModelConfig.units(for: .tanh, budget: 169_000) == 400)
        #expect(ModelConfig.units(for: .gru, budget: 169_000) == 227)
        #expect(ModelConfig.units(for: .lstm, budget: 169_000) == 195)
    }

    @Test func framesAtEdges() {
        let spec = FrameSpec.paper
        #expect(spec.frameCount(samples: 29) == 0)
        #expect(spec.frameCount(samples: 30) == 1)
        #expect(spec.frameCount(samples: 39) == 1)
        #expect(spec.frameCount(samples: 40) == 2)
        #expect(spec.samplesSpanned(frames: 2) == 40)
        let framed = FramedSamples(samples: (0 ..< 45).map(Float.init), spec: spec)
        #expect(framed.count == 2)
        #expect(Array(framed.input(1)) == (10 ..< 30).map(Float.init))
        #expect(Array(framed.target(1)) == (30 ..< 40).map(Float.init))
    }
}
