// --accumulate K: an update averages K micro-batches' gradients before one step. Checked by
// construction: ParallelStep's accumulated gradient against two separate micro-batch
// gradients averaged by hand, and a Trainer with K = 2 micro-batches of B = 2 against one
// with a single batch of 4 (the same four streams, the same noise: equal to float rounding).
// K = 1 takes today's arithmetic bit for bit; a resumed K = 2 run continues bit for bit.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork
@testable import RawSpeechTraining

@Suite struct AccumulateTests {
    let helper = ParallelStepTests()

    /// The rows `rows` of every step of a time-major (T, B, width) buffer.
    func rows(_ rows: Range<Int>, of x: [Float], batch: Int, steps: Int, width: Int) -> [Float] {
        (0 ..< steps).flatMap { t in x[(t * batch + rows.lowerBound) * width ..< (t * batch + rows.upperBound) * width] }
    }

    @Test(arguments: [1, 2])
    func accumulatedGradientIsTheMeanOfTheMicroBatches(parts: Int) {
        let model = RecurrentMDN<Float>(config: ModelConfig(cell: .gru, units: 16, components: 3))
        let (B, T, S, P) = (3, 10, model.stateSize, model.parameterCount)
        // Two micro-batches of B = 3: rows 0 ..< 3 and 3 ..< 6 of a chunk of 6 streams.
        let c = helper.chunk(model, batch: 2 * B, steps: T)
        let (I, D) = (model.config.inputSize, model.config.targetSize)
        let x = [0 ..< B, B ..< 2 * B].map { rows($0, of: c.inputs, batch: 2 * B, steps: T, width: I) }
        let y = [0 ..< B, B ..< 2 * B].map { rows($0, of: c.targets, batch: 2 * B, steps: T, width: D) }
        let s = [Array(c.state[0 ..< B * S]), Array(c.state[B * S ..< 2 * B * S])]

        // By hand: each micro-batch's gradient and loss on its own, then their mean.
        let alone = ParallelStep(network: model, batch: B, steps: T, parts: parts)
        var separate: [(loss: Float, gradient: [Float], state: [Float])] = []
        for k in 0 ..< 2 {
            var state = s[k], gradient = [Float](repeating: 0, count: P)
            let loss = alone.run(parameters: c.parameters, inputs: x[k], targets: y[k], state: &state, gradient: &gradient)
            separate.append((loss, gradient, state))
        }
        let mean = (0 ..< P).map { (separate[0].gradient[$0] + separate[1].gradient[$0]) / 2 }

        let accumulating = ParallelStep(network: model, batch: B, steps: T, parts: parts)
        var gradient = [Float](repeating: .nan, count: P)  // overwritten by combine
        var states = s
        for k in 0 ..< 2 {
            accumulating.accumulate(parameters: c.parameters, inputs: x[k], targets: y[k], state: &states[k], first: k == 0)
        }
        let loss = accumulating.combine(into: &gradient, microBatches: 2)
        #expect(helper.relativeError(gradient, mean) < 1e-6, "gradient rel. error \(helper.relativeError(gradient, mean))")
        #expect(abs(loss - (separate[0].loss + separate[1].loss) / 2) <= 1e-6 * abs(loss))
        // Each micro-batch's streams carry their own state, exactly as a lone run leaves it.
        #expect(states[0] == separate[0].state && states[1] == separate[1].state)

        // K = 1 is `run`, bit for bit; and the previous update's sums do not leak into the next.
        var once = [Float](repeating: 0, count: P), state = s[0]
        accumulating.accumulate(parameters: c.parameters, inputs: x[0], targets: y[0], state: &state, first: true)
        let single = accumulating.combine(into: &once, microBatches: 1)
        #expect(single.bitPattern == separate[0].loss.bitPattern)
        #expect(once.map(\.bitPattern) == separate[0].gradient.map(\.bitPattern))
    }

    func config(batch: Int, accumulate: Int?, updates: Int) -> TrainingConfig {
        var config = TrainingConfig(model: ModelConfig(cell: .gru, units: 24, components: 3))
        (config.batch, config.accumulate, config.steps, config.updates) = (batch, accumulate, 12, updates)
        (config.evalEvery, config.checkpointEvery, config.patience) = (20, 20, 0)
        (config.weightNoise, config.learningRate) = (0.075, 3e-3)
        return config
    }

    /// The state after training `config`; `start` receives the initial weights.
    func trained(_ config: TrainingConfig, threads: Int = 1, data: TrainingData, start: inout [Float]) throws -> TrainingState {
        let run = temporaryRunFolder("accumulate")
        defer { try? FileManager.default.removeItem(at: run.url) }
        try run.create()
        let trainer = try Trainer(config: config, data: data, run: run, resume: false, threads: threads)
        start = trainer.state.model.parameters
        _ = try trainer.train()
        return trainer.state
    }

    func trained(_ config: TrainingConfig, threads: Int = 1, data: TrainingData) throws -> TrainingState {
        var start: [Float] = []
        return try trained(config, threads: threads, data: data, start: &start)
    }

    @Test(arguments: [1, 2])
    func twoMicroBatchesOfTwoAreOneBatchOfFour(threads: Int) throws {
        let data = syntheticData(trainSeconds: 2, validSeconds: 0.5)
        // The same four streams (one sampler of K x B = 4 cursors, drawn in the same order),
        // the same weight noise: only the grouping of the sums differs.
        var start: [Float] = []
        let micro = try trained(config(batch: 2, accumulate: 2, updates: 1), threads: threads, data: data, start: &start)
        let whole = try trained(config(batch: 4, accumulate: nil, updates: 1), threads: threads, data: data)
        #expect(micro.sampler.cursors == whole.sampler.cursors)
        #expect(micro.rng == whole.rng)
        #expect(helper.relativeError(micro.carriedState, whole.carriedState) < 1e-5)
        let step = { (s: TrainingState) in zip(s.model.parameters, start).map { $0 - $1 } }
        #expect(helper.relativeError(step(micro), step(whole)) < 1e-3,
                "update rel. error \(helper.relativeError(step(micro), step(whole)))")
        #expect(helper.relativeError(micro.optimizer.meanSquare, whole.optimizer.meanSquare) < 1e-4)
        // And it is not the K = 1, B = 2 update (the test can tell them apart).
        let half = try trained(config(batch: 2, accumulate: nil, updates: 1), threads: threads, data: data)
        #expect(helper.relativeError(step(half), step(whole)) > 1e-2)
    }

    @Test func accumulateOneIsTheRunWithoutIt() throws {
        let data = syntheticData(trainSeconds: 2, validSeconds: 0.5)
        let without = try trained(config(batch: 4, accumulate: nil, updates: 30), threads: 2, data: data)
        let one = try trained(config(batch: 4, accumulate: 1, updates: 30), threads: 2, data: data)
        #expect(Signals.mismatch(without.model.parameters, one.model.parameters) == nil)
        #expect(Signals.mismatch(without.carriedState, one.carriedState) == nil)
        var settings = TrainingSettings()
        settings.accumulate = 1  // written as nil: config.json and checkpoints as before
        #expect(settings.newConfig() == TrainingConfig.defaults)
    }

    @Test(arguments: [1, 2]) func aResumedAccumulatingRunMatchesAnUninterruptedOne(threads: Int) throws {
        let data = syntheticData(trainSeconds: 2, validSeconds: 0.5)
        let config = config(batch: 3, accumulate: 2, updates: 50)
        let whole = try trained(config, threads: threads, data: data)
        let split = temporaryRunFolder("accumulate-split")
        defer { try? FileManager.default.removeItem(at: split.url) }
        try split.create()
        var stopped = false
        _ = try Trainer(config: config, data: data, run: split, resume: false, threads: threads).train(
            shouldStop: { stopped }, onEvent: { if case .checkpoint = $0 { stopped = true } })
        let saved = try Checkpoint.readState(from: split.checkpoint)
        #expect(saved.progress.update == 20 && saved.carriedState.count == 6 * RecurrentMDN<Float>(config: config.model).stateSize)
        var other = config
        other.accumulate = 3
        #expect(throws: TrainingError.resumeConflict(setting: .accumulate, value: "3", saved: "2")) {
            try Trainer(config: other, data: data, run: split, resume: true, threads: threads)
        }
        let resumed = try Trainer(config: config, data: data, run: split, resume: true, threads: threads)
        _ = try resumed.train()
        #expect(resumed.state.progress.update == 50)
        #expect(Signals.mismatch(whole.model.parameters, resumed.state.model.parameters) == nil)
        #expect(Signals.mismatch(whole.optimizer.meanSquare, resumed.state.optimizer.meanSquare) == nil)
        #expect(Signals.mismatch(whole.carriedState, resumed.state.carriedState) == nil)
    }
}
