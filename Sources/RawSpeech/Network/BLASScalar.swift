// The floating-point types the network runs in: Float on cblas_sgemm (training and
// inference) and Double on cblas_dgemm (finite-difference gradient checks, where Float's
// 7 digits cannot resolve a central difference). The kernels are written once, generic
// over `BLASScalar`, so the Double check proves the very code the Float path runs.
// This file is the only place that calls OpenBLAS directly and that picks the scalar math
// functions (exp, tanh, ...); nothing here allocates.
// One way to reach a kernel: generic code calls a requirement here; Float's witness runs
// CKernels (through Kernels.swift, on `KernelVariant.current`) and Double's the plain
// Swift reference. Two kinds of requirement:
// - operations (gemm, rowDots, transposedCopy, mixtureTerms, sigmoidArray, tanhArray):
//   always do the job; Float falls back to the reference itself where CKernels has no code
//   for the variant;
// - fast paths (mixtureForwardRows, mixtureGradientRows, the paper GRU's passes): return
//   false (or nil), touching nothing, where they do not run (always for Double); the
//   caller then runs its own reference loop, kept next to it. The packed product is one
//   too, but its user asks `hasPackedProduct` first (the packs cost memory) and otherwise
//   runs `gemm`.
import COpenBLAS
import Foundation

/// A real type with a GEMM in OpenBLAS and the elementwise functions the cells need.
public protocol BLASScalar: BinaryFloatingPoint, Sendable {
    /// Row-major `C = alpha * op(A) * op(B) + beta * C` with C (m x n), op(A) (m x k),
    /// op(B) (k x n); `lda`, `ldb`, `ldc` are the row strides of the stored matrices.
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                     alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
    /// `y[j] = beta * y[j] + sum_{p < k} x[p] * w[j * ldw + p]` for `j < n` (beta 0 or 1):
    /// a matrix-vector product whose outputs are dot products over contiguous rows of `w`.
    /// Float runs CKernels' SIMD kernel (every variant has one); Double OpenBLAS's dgemv.
    static func rowDots(n: Int, k: Int, w: UnsafePointer<Self>, ldw: Int,
                        x: UnsafePointer<Self>, beta: Self, y: UnsafeMutablePointer<Self>)
    /// `dst[j * ldd + i] = src[i * lds + j]` for `i < rows`, `j < cols`: a transposed copy.
    /// Float runs CKernels' blocked transpose (`Kernels.transposeReference` is the plain one).
    static func transposedCopy(rows: Int, cols: Int, _ src: UnsafePointer<Self>, lds: Int,
                          into dst: UnsafeMutablePointer<Self>, ldd: Int)
    /// The mixture head's exp/log pass (`MixtureKernel.termsReference`); Float runs
    /// CKernels' AVX-512 version when the CPU has it.
    static func mixtureTerms(count: Int, logStds: UnsafePointer<Self>, means: UnsafePointer<Self>,
                             targets: UnsafePointer<Self>, floor: Self,
                             sigma: UnsafeMutablePointer<Self>, terms: UnsafeMutablePointer<Self>)
    /// The mixture NLL of `rows` whole frames in one call (CKernels' rs_mixture_forward:
    /// Float with AVX-512): fills the frames' sigmas, log joints, NLLs and log normalisers
    /// and returns the NLLs' sum; nil, touching nothing, where it does not run (the caller
    /// then loops `MixtureKernel.forward`).
    static func mixtureForwardRows(_ rows: Int, components: Int, dimensions: Int, outputs: UnsafePointer<Self>,
                                   targets: UnsafePointer<Self>, floor: Self, halfLogTwoPiTimesD: Self,
                                   sigmas: UnsafeMutablePointer<Self>, logJoints: UnsafeMutablePointer<Self>,
                                   frameLosses: UnsafeMutablePointer<Self>,
                                   logNormalisers: UnsafeMutablePointer<Self>) -> Double?
    /// The mixture gradient of `rows` whole frames in one call (CKernels' rs_mixture_gradient:
    /// Float with AVX-512). Returns false, touching nothing, where it does not run; the
    /// caller then loops `MixtureKernel.gradient` over the frames.
    static func mixtureGradientRows(_ rows: Int, components: Int, dimensions: Int, outputs: UnsafePointer<Self>,
                                    targets: UnsafePointer<Self>, sigmas: UnsafePointer<Self>,
                                    logJoints: UnsafePointer<Self>, frameLosses: UnsafePointer<Self>,
                                    logNormalisers: UnsafePointer<Self>, scale: Self, floor: Self,
                                    into gradients: UnsafeMutablePointer<Self>) -> Bool
    /// The paper GRU's per-step passes (`PaperGRUPasses` in Cells/GRU.swift has their
    /// references and says what each computes): CKernels' GRUKernels.c for Float.
    static func gruGatesForwardKernel(B: Int, H: Int, gates: UnsafeMutablePointer<Self>, bias: UnsafePointer<Self>,
                                      hPrev: UnsafePointer<Self>, resetHidden: UnsafeMutablePointer<Self>) -> Bool
    static func gruOutputForwardKernel(B: Int, H: Int, gates: UnsafeMutablePointer<Self>, bias: UnsafePointer<Self>,
                                       hPrev: UnsafePointer<Self>, h: UnsafeMutablePointer<Self>) -> Bool
    static func gruGatesBackwardKernel(B: Int, H: Int, gates: UnsafePointer<Self>, hPrev: UnsafePointer<Self>,
                                       dOut: UnsafePointer<Self>, carry: UnsafeMutablePointer<Self>,
                                       dGates: UnsafeMutablePointer<Self>, biasGradient: UnsafeMutablePointer<Self>) -> Bool
    static func gruResetBackwardKernel(B: Int, H: Int, gates: UnsafePointer<Self>, hPrev: UnsafePointer<Self>,
                                       dResetHidden: UnsafePointer<Self>, carry: UnsafeMutablePointer<Self>,
                                       dGates: UnsafeMutablePointer<Self>, biasGradient: UnsafeMutablePointer<Self>) -> Bool
    /// The LSTM's per-step passes (`LSTMPasses` in Cells/LSTM.swift has their references
    /// and says what each computes): CKernels' LSTMKernels.c for Float.
    static func lstmForwardKernel(B: Int, H: Int, gates: UnsafeMutablePointer<Self>, bias: UnsafePointer<Self>,
                                  peepholes: UnsafePointer<Self>, cPrev: UnsafePointer<Self>, c: UnsafeMutablePointer<Self>,
                                  cellTanh: UnsafeMutablePointer<Self>, h: UnsafeMutablePointer<Self>) -> Bool
    static func lstmBackwardKernel(B: Int, H: Int, gates: UnsafePointer<Self>, peepholes: UnsafePointer<Self>,
                                   cPrev: UnsafePointer<Self>, c: UnsafePointer<Self>, cellTanh: UnsafePointer<Self>,
                                   dOut: UnsafePointer<Self>, carry: UnsafeMutablePointer<Self>,
                                   cellCarry: UnsafeMutablePointer<Self>, dGates: UnsafeMutablePointer<Self>,
                                   peepholeGradient: UnsafeMutablePointer<Self>,
                                   biasGradient: UnsafeMutablePointer<Self>) -> Bool
    /// Whether `packedProduct` runs (Float with AVX-512): B > 1's recurrent products on U
    /// packed once per chunk (`PackedRecurrent` in Cells/RecurrentProduct.swift).
    static var hasPackedProduct: Bool { get }
    /// Packs the k x n matrix with element (q, j) at `b[q * rowStride + j * columnStride]`
    /// into 32-column panels (`Kernels.packPanelsReference` says how).
    static func packPanels(k: Int, n: Int, _ b: UnsafePointer<Self>, rowStride: Int, columnStride: Int,
                           into packed: UnsafeMutablePointer<Self>)
    /// c (m, n) = beta c + a (m, k) times the packed k x n matrix (beta 0 or 1), pulling
    /// `prefetch` into L2 meanwhile; false where it does not run (the caller runs `gemm`).
    static func packedProduct(m: Int, n: Int, k: Int, a: UnsafePointer<Self>, lda: Int, packed: UnsafePointer<Self>,
                              beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int, prefetch: Prefetch<Self>) -> Bool
    /// y[i] = sigmoid(x[i]) and y[i] = tanh(x[i]) for i < count (y may be x): the gate
    /// loops' transcendental passes. Float runs CKernels' AVX-512 versions when it can.
    static func sigmoidArray(count: Int, _ x: UnsafePointer<Self>, into y: UnsafeMutablePointer<Self>)
    static func tanhArray(count: Int, _ x: UnsafePointer<Self>, into y: UnsafeMutablePointer<Self>)
    // The kernels' elementwise functions. Prefixed so they never shadow or clash with
    // Float.exp-style functions from other modules (swift-numerics): Float's are fast
    // approximations (FastMath.swift), not general-purpose replacements.
    static func kernelExp(_ x: Self) -> Self
    /// Natural log; only ever called on positive finite values (Float's is fast, not total).
    static func kernelLog(_ x: Self) -> Self
    static func kernelTanh(_ x: Self) -> Self
    static func kernelSigmoid(_ x: Self) -> Self
}

@inline(__always) private func transpose(_ flag: Bool) -> CBLAS_TRANSPOSE {
    flag ? CblasTrans : CblasNoTrans
}

extension Float: BLASScalar {
    @inline(__always)
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 1 && transposeB && !transposeA && alpha == 1 && (beta == 0 || beta == 1) {
            // One row against B stored (n, k): n dot products over B's contiguous rows
            // (batch 1's backward through U^T); CKernels' row-dot kernel streams them
            // faster than OpenBLAS's sgemv (8.6 against 9.2 us for 227 rows of 681).
            Kernels.rowDots(n: n, k: k, w: b, ldw: ldb, x: a, beta: beta, y: c)
            return
        }
        if m == 1 {
            // One row (batch 1): a GEMV. OpenBLAS 0.3.21's sgemm pays its packing
            // overhead even for a single row; the GEMV streams op(B) once.
            let incX = transposeA ? lda : 1
            if transposeB {  // B stored (n, k): c = B a
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, b, Int32(ldb),
                            a, Int32(incX), beta, c, 1)
            } else {  // B stored (k, n): c = B^T a
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), alpha, b, Int32(ldb),
                            a, Int32(incX), beta, c, 1)
            }
            return
        }
        cblas_sgemm(CblasRowMajor, transpose(transposeA), transpose(transposeB),
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }

    @inline(__always)
    public static func rowDots(n: Int, k: Int, w: UnsafePointer<Float>, ldw: Int,
                               x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        Kernels.rowDots(n: n, k: k, w: w, ldw: ldw, x: x, beta: beta, y: y)
    }

    @inline(__always)
    public static func transposedCopy(rows: Int, cols: Int, _ src: UnsafePointer<Float>, lds: Int,
                                 into dst: UnsafeMutablePointer<Float>, ldd: Int) {
        Kernels.transpose(rows: rows, cols: cols, src, lds: lds, into: dst, ldd: ldd)
    }

    @inline(__always)
    public static func mixtureTerms(count: Int, logStds: UnsafePointer<Float>, means: UnsafePointer<Float>,
                                    targets: UnsafePointer<Float>, floor: Float,
                                    sigma: UnsafeMutablePointer<Float>, terms: UnsafeMutablePointer<Float>) {
        if !Kernels.mixtureTerms(count: count, logStds: logStds, means: means, targets: targets, floor: floor,
                                 sigma: sigma, terms: terms) {
            MixtureKernel<Float>.termsReference(count: count, logStds: logStds, means: means, targets: targets,
                                                floor: floor, sigma: sigma, terms: terms)
        }
    }

    @inline(__always)
    public static func mixtureForwardRows(_ rows: Int, components: Int, dimensions: Int, outputs: UnsafePointer<Float>,
                                          targets: UnsafePointer<Float>, floor: Float, halfLogTwoPiTimesD: Float,
                                          sigmas: UnsafeMutablePointer<Float>, logJoints: UnsafeMutablePointer<Float>,
                                          frameLosses: UnsafeMutablePointer<Float>,
                                          logNormalisers: UnsafeMutablePointer<Float>) -> Double? {
        Kernels.mixtureForward(rows: rows, components: components, dimensions: dimensions, outputs: outputs,
                               targets: targets, floor: floor, halfLogTwoPiTimesD: halfLogTwoPiTimesD, sigmas: sigmas,
                               logJoints: logJoints, frameLosses: frameLosses, logNormalisers: logNormalisers)
    }

    @inline(__always)
    public static func mixtureGradientRows(_ rows: Int, components: Int, dimensions: Int, outputs: UnsafePointer<Float>,
                                           targets: UnsafePointer<Float>, sigmas: UnsafePointer<Float>,
                                           logJoints: UnsafePointer<Float>, frameLosses: UnsafePointer<Float>,
                                           logNormalisers: UnsafePointer<Float>, scale: Float, floor: Float,
                                           into gradients: UnsafeMutablePointer<Float>) -> Bool {
        Kernels.mixtureGradient(rows: rows, components: components, dimensions: dimensions, outputs: outputs,
                                targets: targets, sigmas: sigmas, logJoints: logJoints, frameLosses: frameLosses,
                                logNormalisers: logNormalisers, scale: scale, floor: floor, into: gradients)
    }

    @inline(__always)
    public static func gruGatesForwardKernel(B: Int, H: Int, gates: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                                             hPrev: UnsafePointer<Float>, resetHidden: UnsafeMutablePointer<Float>) -> Bool {
        Kernels.gruGatesForward(B: B, H: H, gates: gates, bias: bias, hPrev: hPrev, resetHidden: resetHidden)
    }

    @inline(__always)
    public static func gruOutputForwardKernel(B: Int, H: Int, gates: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                                              hPrev: UnsafePointer<Float>, h: UnsafeMutablePointer<Float>) -> Bool {
        Kernels.gruOutputForward(B: B, H: H, gates: gates, bias: bias, hPrev: hPrev, h: h)
    }

    @inline(__always)
    public static func gruGatesBackwardKernel(B: Int, H: Int, gates: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
                                              dOut: UnsafePointer<Float>, carry: UnsafeMutablePointer<Float>,
                                              dGates: UnsafeMutablePointer<Float>,
                                              biasGradient: UnsafeMutablePointer<Float>) -> Bool {
        Kernels.gruGatesBackward(B: B, H: H, gates: gates, hPrev: hPrev, dOut: dOut, carry: carry, dGates: dGates,
                                 biasGradient: biasGradient)
    }

    @inline(__always)
    public static func gruResetBackwardKernel(B: Int, H: Int, gates: UnsafePointer<Float>, hPrev: UnsafePointer<Float>,
                                              dResetHidden: UnsafePointer<Float>, carry: UnsafeMutablePointer<Float>,
                                              dGates: UnsafeMutablePointer<Float>,
                                              biasGradient: UnsafeMutablePointer<Float>) -> Bool {
        Kernels.gruResetBackward(B: B, H: H, gates: gates, hPrev: hPrev, dResetHidden: dResetHidden, carry: carry,
                                 dGates: dGates, biasGradient: biasGradient)
    }

    @inline(__always)
    public static func lstmForwardKernel(B: Int, H: Int, gates: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                                         peepholes: UnsafePointer<Float>, cPrev: UnsafePointer<Float>,
                                         c: UnsafeMutablePointer<Float>, cellTanh: UnsafeMutablePointer<Float>,
                                         h: UnsafeMutablePointer<Float>) -> Bool {
        Kernels.lstmForward(B: B, H: H, gates: gates, bias: bias, peepholes: peepholes, cPrev: cPrev, c: c,
                            cellTanh: cellTanh, h: h)
    }

    @inline(__always)
    public static func lstmBackwardKernel(B: Int, H: Int, gates: UnsafePointer<Float>, peepholes: UnsafePointer<Float>,
                                          cPrev: UnsafePointer<Float>, c: UnsafePointer<Float>,
                                          cellTanh: UnsafePointer<Float>, dOut: UnsafePointer<Float>,
                                          carry: UnsafeMutablePointer<Float>, cellCarry: UnsafeMutablePointer<Float>,
                                          dGates: UnsafeMutablePointer<Float>,
                                          peepholeGradient: UnsafeMutablePointer<Float>,
                                          biasGradient: UnsafeMutablePointer<Float>) -> Bool {
        Kernels.lstmBackward(B: B, H: H, gates: gates, peepholes: peepholes, cPrev: cPrev, c: c, cellTanh: cellTanh,
                             dOut: dOut, carry: carry, cellCarry: cellCarry, dGates: dGates,
                             peepholeGradient: peepholeGradient, biasGradient: biasGradient)
    }

    public static var hasPackedProduct: Bool { KernelVariant.current == .avx512 }

    @inline(__always)
    public static func packPanels(k: Int, n: Int, _ b: UnsafePointer<Float>, rowStride: Int, columnStride: Int,
                                  into packed: UnsafeMutablePointer<Float>) {
        Kernels.packPanels(k: k, n: n, b, rowStride: rowStride, columnStride: columnStride, into: packed)
    }

    @inline(__always)
    public static func packedProduct(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                     packed: UnsafePointer<Float>, beta: Float, c: UnsafeMutablePointer<Float>,
                                     ldc: Int, prefetch: Prefetch<Float>) -> Bool {
        Kernels.packedProduct(m: m, n: n, k: k, a: a, lda: lda, packed: packed, beta: beta, c: c, ldc: ldc,
                              prefetch: prefetch)
    }

    @inline(__always)
    public static func sigmoidArray(count: Int, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        if !Kernels.sigmoid(count: count, x, into: y) { for i in 0 ..< count { y[i] = FastMath.sigmoid(x[i]) } }
    }

    @inline(__always)
    public static func tanhArray(count: Int, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        if !Kernels.tanh(count: count, x, into: y) { for i in 0 ..< count { y[i] = FastMath.tanh(x[i]) } }
    }

    @inline(__always) public static func kernelExp(_ x: Float) -> Float { FastMath.exp(x) }
    @inline(__always) public static func kernelLog(_ x: Float) -> Float { FastMath.log(x) }
    @inline(__always) public static func kernelTanh(_ x: Float) -> Float { FastMath.tanh(x) }
    @inline(__always) public static func kernelSigmoid(_ x: Float) -> Float { FastMath.sigmoid(x) }
}

extension Double: BLASScalar {
    @inline(__always)
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transpose(transposeA), transpose(transposeB),
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }

    @inline(__always)
    public static func rowDots(n: Int, k: Int, w: UnsafePointer<Double>, ldw: Int,
                               x: UnsafePointer<Double>, beta: Double, y: UnsafeMutablePointer<Double>) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), 1, w, Int32(ldw), x, 1, beta, y, 1)
    }

    @inline(__always)
    public static func transposedCopy(rows: Int, cols: Int, _ src: UnsafePointer<Double>, lds: Int,
                                 into dst: UnsafeMutablePointer<Double>, ldd: Int) {
        Kernels.transposeReference(rows: rows, cols: cols, src, lds: lds, into: dst, ldd: ldd)
    }

    @inline(__always)
    public static func mixtureTerms(count: Int, logStds: UnsafePointer<Double>, means: UnsafePointer<Double>,
                                    targets: UnsafePointer<Double>, floor: Double,
                                    sigma: UnsafeMutablePointer<Double>, terms: UnsafeMutablePointer<Double>) {
        MixtureKernel<Double>.termsReference(count: count, logStds: logStds, means: means, targets: targets,
                                             floor: floor, sigma: sigma, terms: terms)
    }

    @inline(__always)
    public static func mixtureForwardRows(_ rows: Int, components: Int, dimensions: Int, outputs: UnsafePointer<Double>,
                                          targets: UnsafePointer<Double>, floor: Double, halfLogTwoPiTimesD: Double,
                                          sigmas: UnsafeMutablePointer<Double>, logJoints: UnsafeMutablePointer<Double>,
                                          frameLosses: UnsafeMutablePointer<Double>,
                                          logNormalisers: UnsafeMutablePointer<Double>) -> Double? {
        nil
    }

    @inline(__always)
    public static func mixtureGradientRows(_ rows: Int, components: Int, dimensions: Int, outputs: UnsafePointer<Double>,
                                           targets: UnsafePointer<Double>, sigmas: UnsafePointer<Double>,
                                           logJoints: UnsafePointer<Double>, frameLosses: UnsafePointer<Double>,
                                           logNormalisers: UnsafePointer<Double>, scale: Double, floor: Double,
                                           into gradients: UnsafeMutablePointer<Double>) -> Bool {
        false
    }

    public static func gruGatesForwardKernel(B: Int, H: Int, gates: UnsafeMutablePointer<Double>, bias: UnsafePointer<Double>,
                                             hPrev: UnsafePointer<Double>, resetHidden: UnsafeMutablePointer<Double>) -> Bool {
        false
    }

    public static func gruOutputForwardKernel(B: Int, H: Int, gates: UnsafeMutablePointer<Double>, bias: UnsafePointer<Double>,
                                              hPrev: UnsafePointer<Double>, h: UnsafeMutablePointer<Double>) -> Bool {
        false
    }

    public static func gruGatesBackwardKernel(B: Int, H: Int, gates: UnsafePointer<Double>, hPrev: UnsafePointer<Double>,
                                              dOut: UnsafePointer<Double>, carry: UnsafeMutablePointer<Double>,
                                              dGates: UnsafeMutablePointer<Double>,
                                              biasGradient: UnsafeMutablePointer<Double>) -> Bool {
        false
    }

    public static func gruResetBackwardKernel(B: Int, H: Int, gates: UnsafePointer<Double>, hPrev: UnsafePointer<Double>,
                                              dResetHidden: UnsafePointer<Double>, carry: UnsafeMutablePointer<Double>,
                                              dGates: UnsafeMutablePointer<Double>,
                                              biasGradient: UnsafeMutablePointer<Double>) -> Bool {
        false
    }

    public static func lstmForwardKernel(B: Int, H: Int, gates: UnsafeMutablePointer<Double>, bias: UnsafePointer<Double>,
                                         peepholes: UnsafePointer<Double>, cPrev: UnsafePointer<Double>,
                                         c: UnsafeMutablePointer<Double>, cellTanh: UnsafeMutablePointer<Double>,
                                         h: UnsafeMutablePointer<Double>) -> Bool {
        false
    }

    public static func lstmBackwardKernel(B: Int, H: Int, gates: UnsafePointer<Double>, peepholes: UnsafePointer<Double>,
                                          cPrev: UnsafePointer<Double>, c: UnsafePointer<Double>,
                                          cellTanh: UnsafePointer<Double>, dOut: UnsafePointer<Double>,
                                          carry: UnsafeMutablePointer<Double>, cellCarry: UnsafeMutablePointer<Double>,
                                          dGates: UnsafeMutablePointer<Double>,
                                          peepholeGradient: UnsafeMutablePointer<Double>,
                                          biasGradient: UnsafeMutablePointer<Double>) -> Bool {
        false
    }

    public static var hasPackedProduct: Bool { false }

    public static func packPanels(k: Int, n: Int, _ b: UnsafePointer<Double>, rowStride: Int, columnStride: Int,
                                  into packed: UnsafeMutablePointer<Double>) {
        Kernels.packPanelsReference(k: k, n: n, b, rowStride: rowStride, columnStride: columnStride, into: packed)
    }

    public static func packedProduct(m: Int, n: Int, k: Int, a: UnsafePointer<Double>, lda: Int,
                                     packed: UnsafePointer<Double>, beta: Double, c: UnsafeMutablePointer<Double>,
                                     ldc: Int, prefetch: Prefetch<Double>) -> Bool {
        false
    }

    @inline(__always)
    public static func sigmoidArray(count: Int, _ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
        for i in 0 ..< count { y[i] = kernelSigmoid(x[i]) }
    }

    @inline(__always)
    public static func tanhArray(count: Int, _ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) {
        for i in 0 ..< count { y[i] = kernelTanh(x[i]) }
    }

    // Double is the checking precision: the library functions, correctly rounded.
    @inline(__always) public static func kernelExp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) public static func kernelLog(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) public static func kernelTanh(_ x: Double) -> Double { Foundation.tanh(x) }
    @inline(__always) public static func kernelSigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
}
