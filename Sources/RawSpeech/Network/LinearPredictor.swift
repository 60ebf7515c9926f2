// The baseline every recurrent model must beat: a Gaussian linear predictor of the D
// target samples from the I input samples (linear prediction as in speech coding),
//     y = A x + c + e,  e ~ N(0, diag(sigma^2)),
// fitted in closed form by least squares. Frames stream into an `Accumulator` that keeps
// only the normal equations (X^T X, X^T Y, sum y^2 with x augmented by a constant 1, in
// Double), so a whole corpus is fitted in constant memory; `fit()` solves them by Cholesky
// and takes each dimension's residual variance as its sigma^2 (the maximum-likelihood
// estimate). No BLAS, no files.
//
// I = inputs (20), D = predicted samples (10)
// Parameters, flat [Float] (what TrainedModel(kind: .linear) holds):
//   weights (D, I) row-major | bias (D) | standard deviations (D)
import Foundation

/// Why a linear predictor could not be fitted.
public enum LinearPredictorError: Error, Equatable, CustomStringConvertible {
    case notEnoughFrames(have: Int, need: Int)
    case singular

    public var description: String {
        switch self {
        case let .notEnoughFrames(have, need):
            "the linear baseline needs at least \(need) frames to fit, got \(have)"
        case .singular:
            "the linear baseline's normal equations are singular (constant or degenerate inputs)"
        }
    }
}

/// A fitted Gaussian linear predictor.
public struct LinearPredictor: Codable, Equatable, Sendable {
    public let inputSize: Int
    public let targetSize: Int
    /// weights (D, I) | bias (D) | standard deviations (D).
    public var parameters: [Float]

    /// Floats in `parameters` for this shape: D*I + 2D.
    public static func parameterCount(inputSize: Int, targetSize: Int) -> Int {
        targetSize * inputSize + 2 * targetSize
    }

    public init(parameters: [Float], inputSize: Int = 20, targetSize: Int = 10) {
        precondition(parameters.count == Self.parameterCount(inputSize: inputSize, targetSize: targetSize),
                     "LinearPredictor parameters: expected D*I + 2D")
        self.inputSize = inputSize
        self.targetSize = targetSize
        self.parameters = parameters
    }

    /// The conditional mean A x + c of one frame's targets.
    public func predict<Input: RandomAccessCollection<Float>>(input: Input) -> [Float] {
        let x = Array(input)
        precondition(x.count == inputSize, "input: expected I samples")
        var mean = [Float](repeating: 0, count: targetSize)
        x.withUnsafeBufferPointer { x in
            mean.withUnsafeMutableBufferPointer { predict(input: x.baseAddress!, into: $0.baseAddress!) }
        }
        return mean
    }

    /// - log p(target | input) in nats: the diagonal Gaussian around `predict(input:)`.
    public func nll<Input: RandomAccessCollection<Float>, Target: RandomAccessCollection<Float>>(
        input: Input, target: Target) -> Float {
        let prediction = predict(input: input), y = Array(target)
        precondition(y.count == targetSize, "target: expected D samples")
        return y.withUnsafeBufferPointer { y in
            prediction.withUnsafeBufferPointer { nll(target: y.baseAddress!, mean: $0.baseAddress!) }
        }
    }

    /// `predict(input:)` without arrays: the I inputs at `x`, the D means into `mean`.
    public func predict(input x: UnsafePointer<Float>, into mean: UnsafeMutablePointer<Float>) {
        parameters.withUnsafeBufferPointer { p in
            for d in 0 ..< targetSize {
                var sum = Double(p[targetSize * inputSize + d])
                for i in 0 ..< inputSize { sum += Double(p[d * inputSize + i]) * Double(x[i]) }
                mean[d] = Float(sum)
            }
        }
    }

    /// `nll(input:target:)` without arrays: the D targets at `y`, given the frame's `mean`
    /// from `predict(input:into:)`.
    public func nll(target y: UnsafePointer<Float>, mean: UnsafePointer<Float>) -> Float {
        var total = 0.0
        for d in 0 ..< targetSize {
            let sigma = Double(standardDeviation(d))
            let z = (Double(y[d]) - Double(mean[d])) / sigma
            total += 0.5 * z * z + Foundation.log(sigma) + 0.5 * Foundation.log(2 * Double.pi)
        }
        return Float(total)
    }

    /// The residual standard deviation of target dimension `d`.
    public func standardDeviation(_ d: Int) -> Float { parameters[targetSize * inputSize + targetSize + d] }

    /// Streaming least squares: add frames, then `fit()`.
    public struct Accumulator: Sendable {
        public let inputSize: Int
        public let targetSize: Int
        /// Frames added so far.
        public private(set) var count = 0
        private var gram: [Double]         // (I+1, I+1): sum x~ x~^T, x~ = (x, 1)
        private var crossProduct: [Double]  // (I+1, D): sum x~ y^T
        private var targetSquares: [Double]  // (D): sum y^2

        public init(inputSize: Int = 20, targetSize: Int = 10) {
            self.inputSize = inputSize
            self.targetSize = targetSize
            gram = [Double](repeating: 0, count: (inputSize + 1) * (inputSize + 1))
            crossProduct = [Double](repeating: 0, count: (inputSize + 1) * targetSize)
            targetSquares = [Double](repeating: 0, count: targetSize)
        }

        /// Adds one frame: `input` (I) and `target` (D).
        public mutating func add<Input: RandomAccessCollection<Float>, Target: RandomAccessCollection<Float>>(
            input: Input, target: Target) {
            precondition(input.count == inputSize && target.count == targetSize, "frame: expected I inputs, D targets")
            let n = inputSize + 1
            var x = input.map(Double.init)
            x.append(1)
            let y = target.map(Double.init)
            for a in 0 ..< n {
                for b in a ..< n { gram[a * n + b] += x[a] * x[b] }  // upper triangle; mirrored in fit
                for d in 0 ..< targetSize { crossProduct[a * targetSize + d] += x[a] * y[d] }
            }
            for d in 0 ..< targetSize { targetSquares[d] += y[d] * y[d] }
            count += 1
        }

        /// Adds `frames` frames given as flat (frames, I) inputs and (frames, D) targets.
        public mutating func add(inputs: [Float], targets: [Float], frames: Int) {
            for f in 0 ..< frames {
                add(input: inputs[f * inputSize ..< (f + 1) * inputSize],
                    target: targets[f * targetSize ..< (f + 1) * targetSize])
            }
        }

        /// Solves the normal equations. `varianceFloor` (in squared target units) keeps a
        /// perfectly predictable dimension from giving an infinite likelihood.
        public func fit(varianceFloor: Double = 1e-8) throws -> LinearPredictor {
            let n = inputSize + 1, D = targetSize
            guard count >= n else { throw LinearPredictorError.notEnoughFrames(have: count, need: n) }
            var a = gram
            for row in 0 ..< n { for column in 0 ..< row { a[row * n + column] = a[column * n + row] } }
            // A whisper of ridge relative to the diagonal keeps exactly collinear inputs
            // (e.g. digital silence) solvable without visibly moving a well-posed fit.
            let ridge = 1e-10 * (0 ..< n).reduce(0) { $0 + a[$1 * n + $1] } / Double(n)
            for i in 0 ..< n { a[i * n + i] += ridge }
            guard let factor = Self.cholesky(a, n) else { throw LinearPredictorError.singular }
            var parameters = [Float](repeating: 0, count: LinearPredictor.parameterCount(inputSize: inputSize, targetSize: D))
            for d in 0 ..< D {
                let rhs = (0 ..< n).map { crossProduct[$0 * D + d] }
                let w = Self.solve(factor, n, rhs)
                // Residual sum of squares from the sums: sum (y - w.x~)^2 = yy - 2 w.Xy + w.G.w
                var wGw = 0.0, wXy = 0.0
                for i in 0 ..< n {
                    wXy += w[i] * rhs[i]
                    var gw = 0.0
                    for j in 0 ..< n { gw += gram[min(i, j) * n + max(i, j)] * w[j] }
                    wGw += w[i] * gw
                }
                let variance = max((targetSquares[d] - 2 * wXy + wGw) / Double(count), varianceFloor)
                for i in 0 ..< inputSize { parameters[d * inputSize + i] = Float(w[i]) }
                parameters[D * inputSize + d] = Float(w[inputSize])
                parameters[D * inputSize + D + d] = Float(variance.squareRoot())
            }
            return LinearPredictor(parameters: parameters, inputSize: inputSize, targetSize: D)
        }

        /// Lower-triangular L with L L^T = a, or nil when a is not positive definite.
        private static func cholesky(_ a: [Double], _ n: Int) -> [Double]? {
            var l = [Double](repeating: 0, count: n * n)
            for i in 0 ..< n {
                for j in 0 ... i {
                    var sum = a[i * n + j]
                    for k in 0 ..< j { sum -= l[i * n + k] * l[j * n + k] }
                    if i == j {
                        guard sum > 0 else { return nil }
                        l[i * n + i] = sum.squareRoot()
                    } else {
                        l[i * n + j] = sum / l[j * n + j]
                    }
                }
            }
            return l
        }

        private static func solve(_ l: [Double], _ n: Int, _ b: [Double]) -> [Double] {
            var y = b
            for i in 0 ..< n {
                for k in 0 ..< i { y[i] -= l[i * n + k] * y[k] }
                y[i] /= l[i * n + i]
            }
            for i in (0 ..< n).reversed() {
                for k in i + 1 ..< n { y[i] -= l[k * n + i] * y[k] }
                y[i] /= l[i * n + i]
            }
            return y
        }
    }
}
