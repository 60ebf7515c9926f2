// The network's forward pass written the plain way, like llm.c's `matmul_forward_naive`:
// one frame and one unit at a time, nested loops, no BLAS, no workspace, each equation
// exactly as paper.md states it. It is slow on purpose and exists so the tests can hold
// the optimized path (GEMM over chunks, fused gate loops, fast exp) against it.
//
// B = batch, T = steps, I = inputs (20), H = units, K = components, D = predicted samples (10)

/// What `naiveForward` computes: the same quantities `RecurrentMDN.forward` leaves behind.
package struct NaiveForwardResult<Scalar: BLASScalar> {
    package var meanNLL: Scalar
    package var frameNLL: [Scalar]     // (T, B)
    package var headOutputs: [Scalar]  // (T, B, O)
    package var finalState: [Scalar]   // (B, stateSize)
}

extension RecurrentMDN {
    /// The reference forward pass (see the file header); same arguments as `forward`.
    package func naiveForward(parameters p: [Scalar], inputs: [Scalar], targets: [Scalar],
                      state: [Scalar], batch B: Int, steps T: Int) -> NaiveForwardResult<Scalar> {
        let H = config.units, K = config.components, D = config.targetSize, O = config.headOutputs
        let G = ModelConfig.gateCount(config.cell)
        func sigmoid(_ x: Scalar) -> Scalar { 1 / (1 + Scalar.kernelExp(-x)) }
        // Weight of input `i` into gate block `gate`, unit `j`, for a (fan-in, G*H) matrix.
        func weight(_ range: Range<Int>, _ i: Int, _ gate: Int, _ j: Int) -> Scalar {
            p[range.lowerBound + i * G * H + gate * H + j]
        }
        var state = state
        var frameNLL = [Scalar](repeating: 0, count: T * B), outputs = [Scalar](repeating: 0, count: T * B * O)
        var total = 0.0
        for t in 0 ..< T {
            for b in 0 ..< B {
                var x = Array(inputs[(t * B + b) * config.inputSize ..< (t * B + b + 1) * config.inputSize])
                for (index, layer) in layout.layers.enumerated() {
                    let base = b * stateSize + index * stateSizePerLayer
                    let hPrev = Array(state[base ..< base + H])
                    let cPrev = config.cell == .lstm ? Array(state[base + H ..< base + 2 * H]) : []
                    // a(gate, j) = b + W x (+ U v for a given recurrent input v)
                    func affine(_ gate: Int, _ j: Int, _ v: [Scalar]) -> Scalar {
                        var sum = p[layer.bias.lowerBound + gate * H + j]
                        for i in 0 ..< layer.inputs { sum += weight(layer.inputWeights, i, gate, j) * x[i] }
                        for i in 0 ..< H { sum += weight(layer.recurrentWeights, i, gate, j) * v[i] }
                        return sum
                    }
                    var h = [Scalar](repeating: 0, count: H)
                    switch config.cell {
                    case .tanh:
                        for j in 0 ..< H { h[j] = Scalar.kernelTanh(affine(0, j, hPrev)) }
                    case .gru where config.gruForm == .paper:
                        let z = (0 ..< H).map { sigmoid(affine(0, $0, hPrev)) }
                        let r = (0 ..< H).map { sigmoid(affine(1, $0, hPrev)) }
                        let rh = (0 ..< H).map { r[$0] * hPrev[$0] }
                        for j in 0 ..< H { h[j] = (1 - z[j]) * hPrev[j] + z[j] * Scalar.kernelTanh(affine(2, j, rh)) }
                    case .gru:
                        let zero = [Scalar](repeating: 0, count: H)
                        // U h + b_h, per gate block
                        func recurrent(_ gate: Int, _ j: Int) -> Scalar {
                            var sum = p[layer.recurrentBias!.lowerBound + gate * H + j]
                            for i in 0 ..< H { sum += weight(layer.recurrentWeights, i, gate, j) * hPrev[i] }
                            return sum
                        }
                        for j in 0 ..< H {
                            let z = sigmoid(affine(0, j, zero) + recurrent(0, j))
                            let r = sigmoid(affine(1, j, zero) + recurrent(1, j))
                            let n = Scalar.kernelTanh(affine(2, j, zero) + r * recurrent(2, j))
                            h[j] = (1 - z) * n + z * hPrev[j]
                        }
                    case .lstm:
                        let V = layer.peepholes!.lowerBound
                        var c = [Scalar](repeating: 0, count: H)
                        for j in 0 ..< H {
                            let i = sigmoid(affine(0, j, hPrev) + p[V + j] * cPrev[j])
                            let f = sigmoid(affine(1, j, hPrev) + p[V + H + j] * cPrev[j])
                            let candidate = Scalar.kernelTanh(affine(2, j, hPrev))
                            c[j] = f * cPrev[j] + i * candidate
                            let o = sigmoid(affine(3, j, hPrev) + p[V + 2 * H + j] * c[j])
                            h[j] = o * Scalar.kernelTanh(c[j])
                        }
                        for j in 0 ..< H { state[base + H + j] = c[j] }
                    }
                    for j in 0 ..< H { state[base + j] = h[j] }
                    x = h
                }
                // Head: O outputs, then the mixture NLL straight from its definition.
                let row = (t * B + b) * O
                for o in 0 ..< O {
                    var sum = p[layout.headBias.lowerBound + o]
                    for i in 0 ..< H { sum += p[layout.headWeights.lowerBound + i * O + o] * x[i] }
                    outputs[row + o] = sum
                }
                let y = Array(targets[(t * B + b) * D ..< (t * B + b + 1) * D])
                var maxLogit = -Scalar.infinity
                for k in 0 ..< K { maxLogit = max(maxLogit, outputs[row + k]) }
                var weightSum: Scalar = 0
                for k in 0 ..< K { weightSum += Scalar.kernelExp(outputs[row + k] - maxLogit) }
                var density: Scalar = 0  // sum_k pi_k N(y; mu_k, sigma_k), relative to exp(shift)
                var logJoints = [Scalar](repeating: 0, count: K)
                for k in 0 ..< K {
                    var logJoint = outputs[row + k] - maxLogit - Scalar.kernelLog(weightSum)
                    for d in 0 ..< D {
                        let mu = outputs[row + K + k * D + d]
                        let sigma = Scalar(config.sigmaFloor) + Scalar.kernelExp(outputs[row + K + K * D + k * D + d])
                        logJoint += -Scalar.kernelLog(sigma) - Scalar.kernelLog(2 * Scalar.pi) / 2
                            - (y[d] - mu) * (y[d] - mu) / (2 * sigma * sigma)
                    }
                    logJoints[k] = logJoint
                }
                let shift = logJoints.max()!
                for k in 0 ..< K { density += Scalar.kernelExp(logJoints[k] - shift) }
                let nll = -(shift + Scalar.kernelLog(density))
                frameNLL[t * B + b] = nll
                total += Double(nll)
            }
        }
        return NaiveForwardResult(meanNLL: Scalar(total / Double(T * B)), frameNLL: frameNLL,
                                  headOutputs: outputs, finalState: state)
    }
}
