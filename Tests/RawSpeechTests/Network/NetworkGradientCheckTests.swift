// Backward pass against central finite differences (five-point stencil), in Double, for every cell, a stack,
// every parameter tensor (a sample of coordinates each) and the inputs. This is the proof
// that the kernels the Float path runs compute the gradient of the loss they report.
import Testing
@testable import RawSpeechCore

@Suite struct NetworkGradientCheckTests {
    /// Step of the five-point central difference (f(-2e), f(-e), f(e), f(2e)): truncation
    /// error ~ e^4 f^(5) / 30 ~ 1e-13 and rounding ~ 1e-16 / e ~ 1e-13, so gradients as
    /// small as 1e-5 are resolved to ~1e-8 relative (the two-point difference with e = 1e-5
    /// left 5e-7 on the smallest LSTM gradients: too close to the bar).
    static let epsilon = 1e-3

    /// d f / d v at v = 0 by the five-point stencil.
    static func derivative(_ f: (Double) -> Double) -> Double {
        let e = epsilon
        return (8 * (f(e) - f(-e)) - (f(2 * e) - f(-2 * e))) / (12 * e)
    }
    /// Near-zero floor of the relative error (see `Discrepancy`).
    static let floor = 1e-4

    /// Analytic against central-difference derivatives at six coordinates of each named
    /// tensor (all of a small one) and eight input coordinates, drawn by `seed`:
    /// `lossAtParameter(i, h)` / `lossAtInput(j, h)` are the loss with coordinate i / j moved by h.
    static func sampledCheck(namedRanges: [(name: String, range: Range<Int>)], gradient: [Double], inputCount: Int,
                             inputGradient: (Int) -> Double, seed: UInt64,
                             lossAtParameter: @escaping (Int, Double) -> Double,
                             lossAtInput: @escaping (Int, Double) -> Double) -> (analytic: [Double], check: Discrepancy) {
        var rng = SeededGenerator(seed: seed)
        var analytic: [Double] = [], numeric: [Double] = [], labels: [String] = []
        for (tensor, range) in namedRanges {
            let picks = range.count <= 6 ? Array(range) : (0 ..< 6).map { _ in range.lowerBound + Int(rng.next() % UInt64(range.count)) }
            for index in picks {
                analytic.append(gradient[index])
                numeric.append(derivative { lossAtParameter(index, $0) })
                labels.append("\(tensor)[\(index - range.lowerBound)]")
            }
        }
        for index in 0 ..< 8 {
            let coordinate = Int(rng.next() % UInt64(inputCount))
            analytic.append(inputGradient(coordinate))
            numeric.append(derivative { lossAtInput(coordinate, $0) })
            labels.append("input[\(coordinate)]#\(index)")
        }
        return (analytic, Discrepancy(analytic, numeric, floor: floor, labels: labels))
    }

    @Test(arguments: SmallShapes.all.map(\.name))
    func parametersAndInputs(name: String) {
        let config = SmallShapes.all.first { $0.name == name }!.config
        let problem = RandomProblem<Double>(config: config)
        let model = problem.model
        let workspace = model.makeWorkspace(batch: problem.batch, steps: problem.steps)
        _ = problem.loss(workspace: workspace)
        var gradient = [Double](repeating: 0, count: model.parameterCount)
        model.backward(parameters: problem.parameters, gradient: &gradient, workspace: workspace)
        let inputGradient = workspace.inputGradient

        let (analytic, check) = Self.sampledCheck(
            namedRanges: model.layout.namedRanges, gradient: gradient, inputCount: problem.inputs.count,
            inputGradient: { inputGradient[$0] }, seed: 11,
            lossAtParameter: { index, step in
                var p = problem.parameters
                p[index] += step
                return problem.loss(parameters: p, workspace: workspace)
            },
            lossAtInput: { coordinate, step in
                var x = problem.inputs
                x[coordinate] += step
                return problem.loss(inputs: x, workspace: workspace)
            })
        #expect(check.worst < 1e-6, "\(name): \(check)")
        // The check must not pass vacuously on all-zero gradients.
        #expect(analytic.filter { abs($0) > 1e-4 }.count > analytic.count / 2, "\(name): gradients mostly ~0")
    }

    /// backward adds to what the gradient already holds (the caller zeroes it).
    @Test func backwardAccumulates() {
        let problem = RandomProblem<Double>(config: SmallShapes.config(.lstm))
        let workspace = problem.model.makeWorkspace(batch: problem.batch, steps: problem.steps)
        _ = problem.loss(workspace: workspace)
        var once = [Double](repeating: 0, count: problem.model.parameterCount)
        problem.model.backward(parameters: problem.parameters, gradient: &once, workspace: workspace)
        var twice = once
        problem.model.backward(parameters: problem.parameters, gradient: &twice, workspace: workspace)
        let check = Discrepancy(twice, once.map { 2 * $0 }, floor: 1e-12)
        #expect(check.worst < 1e-12, "\(check)")
    }

    /// A workspace that skips d loss/d inputs (what the trainers use) gives the same
    /// parameter gradient, bit for bit, with one and two layers.
    @Test func skippingTheInputGradientLeavesTheParameterGradient() {
        for config in [SmallShapes.config(.gru), SmallShapes.config(.gru, layers: 2)] {
            let problem = RandomProblem<Float>(config: config)
            var gradients: [[Float]] = []
            for computes in [true, false] {
                let workspace = problem.model.makeWorkspace(batch: problem.batch, steps: problem.steps)
                workspace.computesInputGradient = computes
                _ = problem.loss(workspace: workspace)
                var gradient = [Float](repeating: 0, count: problem.model.parameterCount)
                problem.model.backward(parameters: problem.parameters, gradient: &gradient, workspace: workspace)
                gradients.append(gradient)
            }
            #expect(gradients[0] == gradients[1], "layers \(config.layers)")
        }
    }
}
