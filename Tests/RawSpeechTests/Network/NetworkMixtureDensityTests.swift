// The mixture head's one-frame helpers: NLL against a closed form and against the
// network's own per-frame loss, the mixture mean, sampling and temperature.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork

@Suite struct NetworkMixtureDensityTests {
    @Test func singleGaussianClosedForm() {
        let mixture = MixtureDensity(components: 1, dimensions: 2, sigmaFloor: 0.01)
        // logit 0.3 (irrelevant with K = 1), means (1, -2), log-stds (0, log 0.5 - tiny)
        let outputs: [Float] = [0.3, 1, -2, 0, Float(log(0.49))]
        let target: [Float] = [1.5, -2.5]
        let sigma = [1.01, 0.5]
        var expected = 0.0
        for d in 0 ..< 2 {
            let z = (Double(target[d]) - Double(outputs[1 + d])) / sigma[d]
            expected += 0.5 * z * z + log(sigma[d]) + 0.5 * log(2 * Double.pi)
        }
        #expect(abs(Double(mixture.nll(outputs: outputs, target: target)) - expected) < 1e-5)
    }

    /// Far-away targets make every component's density underflow in Float; the
    /// log-sum-exp must still give the finite, exact NLL.
    @Test func farTargetsStayFinite() {
        let mixture = MixtureDensity(components: 2, dimensions: 1, sigmaFloor: 0.001)
        let outputs: [Float] = [0, 0, 0, 1, Float(log(0.01)), Float(log(0.01))]
        let nll = mixture.nll(outputs: outputs, target: [50])
        let sigma = 0.001 + 0.01
        let expected = 0.5 * pow(49 / sigma, 2) + log(sigma) + 0.5 * log(2 * Double.pi)
        #expect(nll.isFinite && abs(Double(nll) - expected) / expected < 1e-6)
    }

    @Test func matchesNetworkFrameLoss() {
        let config = SmallShapes.config(.gru)
        let problem = RandomProblem<Float>(config: config)
        let workspace = problem.model.makeWorkspace(batch: problem.batch, steps: problem.steps)
        _ = problem.loss(workspace: workspace)
        let mixture = MixtureDensity(config: config)
        let outputs = workspace.headOutputs, frames = workspace.frameNLL, O = mixture.outputCount, D = config.targetSize
        for row in 0 ..< frames.count {
            let nll = mixture.nll(outputs: outputs[row * O ..< (row + 1) * O],
                                  target: problem.targets[row * D ..< (row + 1) * D])
            #expect(abs(nll - frames[row]) < 1e-4 * max(1, abs(nll)))
        }
    }

    @Test func meanAndSampling() {
        let mixture = MixtureDensity(components: 2, dimensions: 1, sigmaFloor: 0.001)
        // weights softmax(log 3, 0) = (0.75, 0.25), means 2 and -2, sigmas ~0.5
        let outputs: [Float] = [Float(log(3.0)), 0, 2, -2, Float(log(0.499)), Float(log(0.499))]
        #expect(abs(mixture.mean(outputs: outputs)[0] - 1) < 1e-5)
        var rng = SeededGenerator(seed: 1)
        let draws = (0 ..< 20_000).map { _ in mixture.sample(outputs: outputs, rng: &rng)[0] }
        let mean = draws.reduce(0, +) / Float(draws.count)
        #expect(abs(mean - 1) < 0.05, "sample mean \(mean)")
        let upper = Float(draws.filter { $0 > 0 }.count) / Float(draws.count)
        #expect(abs(upper - 0.75) < 0.02)
        // temperature 0: the most likely component's mean, deterministically
        #expect(mixture.sample(outputs: outputs, temperature: 0, rng: &rng) == [2])
        // low temperature concentrates on the heavier component
        let cold = (0 ..< 2000).map { _ in mixture.sample(outputs: outputs, temperature: 0.25, rng: &rng)[0] }
        #expect(Float(cold.filter { $0 > 0 }.count) / 2000 > 0.95)
    }
}

/// The trainer rejects a step whose loss is NaN or infinite: a poisoned parameter must
/// show up in the Float loss (the fast Float log is not defined on NaN, so this is checked).
@Suite struct NetworkNonFiniteTests {
    @Test(arguments: [Cell.tanh, .gru, .lstm])
    func nanParameterGivesNaNLoss(cell: Cell) {
        var problem = RandomProblem<Float>(config: SmallShapes.config(cell))
        let workspace = problem.model.makeWorkspace(batch: problem.batch, steps: problem.steps)
        for range in [problem.model.layout.layers[0].recurrentWeights, problem.model.layout.headBias] {
            var poisoned = problem.parameters
            poisoned[range.lowerBound] = .nan
            #expect(problem.loss(parameters: poisoned, workspace: workspace).isNaN)
        }
        // Huge weights saturate the units and push the head far out: a finite or +inf
        // loss, never a NaN from the kernels themselves.
        problem.parameters = problem.parameters.map { $0 * 1e4 }
        let loss = problem.loss(workspace: workspace)
        #expect(!loss.isNaN && loss > 0)
    }
}
