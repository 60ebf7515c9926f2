// Every CKernels kernel, wrapped once: with CPUFeatures.swift (which reads the detection)
// the only Swift that calls CKernels (Training's RMSProp comes through here too). Each wrapper takes the variant to run, defaulting to
// the one decided for this process (`KernelVariant.current`); the tests pass others to
// compare every variant the CPU can run with the Swift references. A wrapper returns
// false (or nil) where its kernel has no code for the variant, and the caller then runs
// its reference: BLASScalar.swift routes Float here and Double to the references.
// Float only: the C kernels are Float kernels.
//
// B = batch, H = units, K = components, D = predicted samples (10).
import CKernels

package enum Kernels {
    // MARK: Recurrent products (RowDots.c, Transpose.c, PackedGEMM.c)

    /// `y[j] = beta * y[j] + sum_{p < k} x[p] * w[j * ldw + p]` for `j < n` (beta 0 or 1).
    @inline(__always)
    package static func rowDots(n: Int, k: Int, w: UnsafePointer<Float>, ldw: Int, x: UnsafePointer<Float>,
                                beta: Float, y: UnsafeMutablePointer<Float>, variant: KernelVariant = .current) {
        rs_row_dots(variant.rawValue, n, k, w, ldw, x, beta, y)
    }

    /// `dst[j * ldd + i] = src[i * lds + j]`: a transposed copy (every variant gives the same bits).
    @inline(__always)
    package static func transpose(rows: Int, cols: Int, _ src: UnsafePointer<Float>, lds: Int,
                                  into dst: UnsafeMutablePointer<Float>, ldd: Int, variant: KernelVariant = .current) {
        rs_transpose(variant.rawValue, rows, cols, src, lds, dst, ldd)
    }

    /// Floats `packPanels` writes for a k x n matrix.
    package static func packedPanelsCount(k: Int, n: Int) -> Int { rs_packed_panels_size(k, n) }

    /// Packs the k x n matrix with element (q, j) at `b[q * rowStride + j * columnStride]`
    /// into 32-column panels for `packedProduct` (`packPanelsReference` is the plain loop).
    @inline(__always)
    package static func packPanels(k: Int, n: Int, _ b: UnsafePointer<Float>, rowStride: Int, columnStride: Int,
                                   into packed: UnsafeMutablePointer<Float>) {
        rs_pack_panels(k, n, b, rowStride, columnStride, packed)
    }

    /// c (m, n) = beta c + a (m, k) times the packed k x n matrix, pulling `prefetch` into
    /// L2 meanwhile. AVX-512 only: false, touching nothing, otherwise.
    @inline(__always)
    package static func packedProduct(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                      packed: UnsafePointer<Float>, beta: Float, c: UnsafeMutablePointer<Float>,
                                      ldc: Int, prefetch: Prefetch<Float> = .none,
                                      variant: KernelVariant = .current) -> Bool {
        rs_gemm_packed_prefetch(variant.rawValue, m, n, k, a, lda, packed, beta, c, ldc,
                                prefetch.first, prefetch.firstCount, prefetch.second, prefetch.secondCount) != 0
    }

    // MARK: The cells' sigmoid and tanh passes (Activations.c)

    /// y[i] = sigmoid(x[i]) for i < count (y may be x). AVX-512 only.
    @inline(__always)
    package static func sigmoid(count: Int, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                                variant: KernelVariant = .current) -> Bool {
        rs_sigmoid(variant.rawValue, count, x, y) != 0
    }

    /// y[i] = tanh(x[i]) for i < count (y may be x). AVX-512 only.
    @inline(__always)
    package static func tanh(count: Int, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                             variant: KernelVariant = .current) -> Bool {
        rs_tanh(variant.rawValue, count, x, y) != 0
    }

    // MARK: The mixture head (MixtureKernels.c)

    /// One frame's K*D sigma and terms (`MixtureKernel.termsReference`). AVX-512 only.
    @inline(__always)
    package static func mixtureTerms(count: Int, logStds: UnsafePointer<Float>, means: UnsafePointer<Float>,
                                     targets: UnsafePointer<Float>, floor: Float, sigma: UnsafeMutablePointer<Float>,
                                     terms: UnsafeMutablePointer<Float>, variant: KernelVariant = .current) -> Bool {
        rs_mixture_terms(variant.rawValue, count, logStds, means, targets, floor, sigma, terms) != 0
    }

    /// The NLL of `rows` whole frames (`MixtureKernel.forward` per frame); returns the NLLs'
    /// sum. AVX-512 and K*D <= 4096 only: nil, touching nothing, otherwise.
    @inline(__always)
    package static func mixtureForward(rows: Int, components: Int, dimensions: Int, outputs: UnsafePointer<Float>,
                                       targets: UnsafePointer<Float>, floor: Float, halfLogTwoPiTimesD: Float,
                                       sigmas: UnsafeMutablePointer<Float>, logJoints: UnsafeMutablePointer<Float>,
                                       frameLosses: UnsafeMutablePointer<Float>,
                                       logNormalisers: UnsafeMutablePointer<Float>,
                                       variant: KernelVariant = .current) -> Double? {
        var total = 0.0
        let ran = rs_mixture_forward(variant.rawValue, rows, components, dimensions, outputs, targets, floor,
                                     halfLogTwoPiTimesD, sigmas, logJoints, frameLosses, logNormalisers, &total)
        return ran != 0 ? total : nil
    }

    /// The gradient of `rows` whole frames (`MixtureKernel.gradient` per frame). AVX-512 and
    /// K*D <= 4096 only.
    @inline(__always)
    package static func mixtureGradient(rows: Int, components: Int, dimensions: Int, outputs: UnsafePointer<Float>,
                                        targets: UnsafePointer<Float>, sigmas: UnsafePointer<Float>,
                                        logJoints: UnsafePointer<Float>, frameLosses: UnsafePointer<Float>,
                                        logNormalisers: UnsafePointer<Float>, scale: Float, floor: Float,
                                        into gradients: UnsafeMutablePointer<Float>,
                                        variant: KernelVariant = .current) -> Bool {
        rs_mixture_gradient(variant.rawValue, rows, components, dimensions, outputs, targets, sigmas, logJoints,
                            frameLosses, logNormalisers, scale, floor, gradients) != 0
    }

    // MARK: The paper GRU's per-step passes (GRUKernels.c; references in Cells/GRU.swift)

    @inline(__always)
    package static func gruGatesForward(B: Int, H: Int, gates: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                                        hPrev: UnsafePointer<Float>, resetHidden: UnsafeMutablePointer<Float>,
                                        variant: KernelVariant = .current) -> Bool {
        rs_gru_gates_forward(variant.rawValue, B, H, gates, bias, hPrev, resetHidden) != 0
    }

    @inline(__always)
    package static func gruOutputForward(B: Int, H: Int, gates: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                                         hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>,
                                         variant: KernelVariant = .current) -> Bool {
        rs_gru_output_forward(variant.rawValue, B, H, gates, bias, hPrev, h) != 0
    }

    @inline(__always)
    package static func gruGatesBackward(B: Int, H: Int, gates: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
                                         dOut: UnsafePointer<Float>, carry: UnsafeMutablePointer<Float>,
                                         dGates: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                                         variant: KernelVariant = .current) -> Bool {
        rs_gru_gates_backward(variant.rawValue, B, H, gates, hPrev, dOut, carry, dGates, biasGradient) != 0
    }

    @inline(__always)
    package static func gruResetBackward(B: Int, H: Int, gates: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
                                         dResetHidden: UnsafePointer<Float>, carry: UnsafeMutablePointer<Float>,
                                         dGates: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                                         variant: KernelVariant = .current) -> Bool {
        rs_gru_reset_backward(variant.rawValue, B, H, gates, hPrev, dResetHidden, carry, dGates, biasGradient) != 0
    }

    // MARK: Weight noise's draws (Gaussians.c; reference in Training/WeightNoise.swift)

    /// Standard normal draws from the generator with state words `state`, bitwise the
    /// polar-method loop of WeightNoise; false (nothing written) where it does not run.
    @inline(__always)
    package static func polarGaussians(state: [UInt64], count: Int, into z: UnsafeMutablePointer<Float>,
                                       variant: KernelVariant = .current) -> Bool {
        var words = state
        return words.withUnsafeMutableBufferPointer { rs_polar_gaussians(variant.rawValue, $0.baseAddress!, count, z) } != 0
    }

    // MARK: The LSTM's per-step passes (LSTMKernels.c; references in Cells/LSTM.swift)

    @inline(__always)
    package static func lstmForward(B: Int, H: Int, gates: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                                    peepholes: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                                    c: UnsafeMutablePointer<Float>, cellTanh: UnsafeMutablePointer<Float>,
                                    h: UnsafeMutablePointer<Float>, variant: KernelVariant = .current) -> Bool {
        rs_lstm_forward(variant.rawValue, B, H, gates, bias, peepholes, cPrev, c, cellTanh, h) != 0
    }

    @inline(__always)
    package static func lstmBackward(B: Int, H: Int, gates: UnsafePointer<Float>, peepholes: UnsafePointer<Float>,
                                     cPrev: UnsafePointer<Float>, c: UnsafePointer<Float>, cellTanh: UnsafePointer<Float>,
                                     dOut: UnsafePointer<Float>, carry: UnsafeMutablePointer<Float>,
                                     cellCarry: UnsafeMutablePointer<Float>, dGates: UnsafeMutablePointer<Float>,
                                     peepholeGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                                     variant: KernelVariant = .current) -> Bool {
        rs_lstm_backward(variant.rawValue, B, H, gates, peepholes, cPrev, c, cellTanh, dOut, carry, cellCarry, dGates,
                         peepholeGradient, biasGradient) != 0
    }

    // MARK: The optimizer (Optimizer.c; references in Training/RMSProp.swift)

    /// The sum of squares in CKernels' fixed order (include/CKernels.h). AVX2 and AVX-512 only.
    @inline(__always)
    package static func sumOfSquares(count: Int, _ g: UnsafePointer<Float>, variant: KernelVariant = .current) -> Double? {
        var sum = 0.0
        return rs_sum_squares(variant.rawValue, count, g, &sum) != 0 ? sum : nil
    }

    /// One RMSProp step over `count` parameters, bitwise the Swift loop's. AVX2 and AVX-512 only.
    @inline(__always)
    package static func rmspropStep(count: Int, parameters p: UnsafeMutablePointer<Float>,
                                    meanSquare v: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                                    scale: Float, rate: Float, keep: Float, blend: Float, floor: Float,
                                    variant: KernelVariant = .current) -> Bool {
        rs_rmsprop_step(variant.rawValue, count, p, v, g, scale, rate, keep, blend, floor) != 0
    }

    // MARK: Plain references (Double's path, and the tests')

    /// `packPanels` one element at a time: panel p holds columns 32p ..< 32p + 32 (zeros
    /// past n), k rows of 32.
    package static func packPanelsReference<Scalar: BinaryFloatingPoint>(k: Int, n: Int, _ b: UnsafePointer<Scalar>,
                                                                         rowStride: Int, columnStride: Int,
                                                                         into packed: UnsafeMutablePointer<Scalar>) {
        for p in 0 ..< (n + 31) / 32 {
            for q in 0 ..< k {
                for c in 0 ..< 32 {
                    let j = p * 32 + c
                    packed[(p * k + q) * 32 + c] = j < n ? b[q * rowStride + j * columnStride] : 0
                }
            }
        }
    }

    /// The transpose one element at a time.
    package static func transposeReference<Scalar>(rows: Int, cols: Int, _ src: UnsafePointer<Scalar>, lds: Int,
                                                   into dst: UnsafeMutablePointer<Scalar>, ldd: Int) {
        for i in 0 ..< rows {
            for j in 0 ..< cols { dst[j * ldd + i] = src[i * lds + j] }
        }
    }
}

/// Up to two regions of a workspace the next step will read or write, which the packed
/// GEMM pulls into L2 while it runs: a step's gate block was written by the chunk's input
/// projection (or, in backward, the forward pass) megabytes ago and is no longer in cache,
/// and the per-step passes stalled on it (most of their time at B = 16).
public struct Prefetch<Scalar> {
    package var first: UnsafePointer<Scalar>? = nil
    package var firstCount = 0
    package var second: UnsafePointer<Scalar>? = nil
    package var secondCount = 0

    package static var none: Prefetch { Prefetch() }

    package init() {}

    /// `first` and `second` (count scalars each), or nothing when `when` is false (the last step).
    package init(_ first: UnsafePointer<Scalar>, count firstCount: Int, _ second: UnsafePointer<Scalar>, count secondCount: Int,
                 when: Bool) {
        guard when else { return }
        (self.first, self.firstCount, self.second, self.secondCount) = (first, firstCount, second, secondCount)
    }
}
