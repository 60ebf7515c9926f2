// CKernels' row-dot kernel (batch 1's recurrent product) against its plain reference, in
// every variant this CPU can run, on shapes that exercise each tail (k not a multiple of
// the vector width, n not a multiple of four rows); then the transposed-U cache the
// forward and backward passes keep per layer: same products as the GEMM, rebuilt when U
// changes, and the blocked transpose that rebuilds it; and the packed GEMM B > 1 uses
// (PackedRecurrent, Cells/RecurrentProduct.swift), with its packing.
import Testing
@testable import RawSpeechCore
@testable import RawSpeechNetwork

@Suite struct NetworkRowDotKernelTests {
    /// The row-dot kernel's plain reference, summing in Double.
    static func rowDotsReference(n: Int, k: Int, w: [Float], ldw: Int, x: [Float], beta: Float, y: inout [Float]) {
        for j in 0 ..< n {
            var sum = 0.0
            for p in 0 ..< k { sum += Double(x[p]) * Double(w[j * ldw + p]) }
            y[j] = Float((beta == 0 ? 0 : Double(beta) * Double(y[j])) + sum)
        }
    }

    /// CKernels' packed GEMM on plain arrays: c = beta c + a b, b (k x n) row-major, packed
    /// by `pack` (CKernels' packing, or the Swift reference's). Nil where the kernel does not run.
    static func packedMultiply(m: Int, n: Int, k: Int, a: [Float], b: [Float], beta: Float, c: inout [Float],
                               pack: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) -> Bool {
        var panels = [Float](repeating: 0, count: Kernels.packedPanelsCount(k: k, n: n) + 16)
        return panels.withUnsafeMutableBufferPointer { raw in
            // Align the panels to 64 bytes inside the array (the kernel uses aligned loads).
            let base = raw.baseAddress!, offset = (16 - (Int(bitPattern: base) / 4) % 16) % 16
            b.withUnsafeBufferPointer { pack($0.baseAddress!, base + offset) }
            return a.withUnsafeBufferPointer { ap in
                c.withUnsafeMutableBufferPointer { cp in
                    Kernels.packedProduct(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, packed: base + offset, beta: beta,
                                          c: cp.baseAddress!, ldc: n)
                }
            }
        }
    }

    @Test func everyVariantMatchesTheReference() {
        var rng = SeededGenerator(seed: 11)
        for variant in KernelVariant.runnable {
            for (n, k) in [(1, 1), (3, 7), (4, 16), (5, 17), (9, 33), (13, 48), (7, 227), (681, 227), (227, 681)] {
                let ldw = k + 5  // rows not packed: the kernel must honour the stride
                let w = (0 ..< n * ldw).map { _ in Float(rng.nextUniform() - 0.5) }
                let x = (0 ..< k).map { _ in Float(rng.nextGaussian()) }
                for beta: Float in [0, 1] {
                    let start = (0 ..< n).map { _ in Float(rng.nextGaussian()) }
                    var expected = start, actual = start
                    Self.rowDotsReference(n: n, k: k, w: w, ldw: ldw, x: x, beta: beta, y: &expected)
                    w.withUnsafeBufferPointer { wp in
                        x.withUnsafeBufferPointer { xp in
                            actual.withUnsafeMutableBufferPointer { yp in
                                Kernels.rowDots(n: n, k: k, w: wp.baseAddress!, ldw: ldw, x: xp.baseAddress!,
                                                beta: beta, y: yp.baseAddress!, variant: variant)
                            }
                        }
                    }
                    // Float sums of k products of unit-scale terms: relative to sqrt(k).
                    let check = Discrepancy(actual, expected, floor: Double(k).squareRoot())
                    #expect(check.worst < 1e-6, "\(variant) n \(n) k \(k) beta \(beta): \(check)")
                }
            }
        }
    }

    @Test func transposeMatchesTheReferenceInEveryVariant() {
        var rng = SeededGenerator(seed: 13)
        for (rows, cols) in [(1, 1), (3, 5), (8, 8), (9, 17), (16, 24), (19, 57), (195, 780), (400, 400)] {
            let (lds, ldd) = (cols + 3, rows + 16)  // strides wider than the matrix, as the cache's
            let src = (0 ..< rows * lds).map { _ in Float(rng.nextGaussian()) }
            var expected = [Float](repeating: -1, count: cols * ldd)
            src.withUnsafeBufferPointer { s in
                expected.withUnsafeMutableBufferPointer { d in
                    Kernels.transposeReference(rows: rows, cols: cols, s.baseAddress!, lds: lds,
                                               into: d.baseAddress!, ldd: ldd)
                }
            }
            for variant in KernelVariant.runnable {
                var actual = [Float](repeating: -1, count: cols * ldd)  // padding must stay untouched
                src.withUnsafeBufferPointer { s in
                    actual.withUnsafeMutableBufferPointer { d in
                        Kernels.transpose(rows: rows, cols: cols, s.baseAddress!, lds: lds,
                                          into: d.baseAddress!, ldd: ldd, variant: variant)
                    }
                }
                #expect(actual == expected, "\(variant) \(rows) x \(cols)")
            }
        }
    }

    @Test func transposedCacheFollowsTheWeights() {
        let (H, width) = (19, 57)
        var rng = SeededGenerator(seed: 12)
        var U = (0 ..< H * width).map { _ in Float(rng.nextUniform() - 0.5) }
        let h = (0 ..< H).map { _ in Float(rng.nextGaussian()) }
        let cache = TransposedRecurrent<Float>(units: H, width: width)
        for round in 0 ..< 3 {
            var expected = [Float](repeating: 0.25, count: width), actual = expected
            U.withUnsafeBufferPointer { u in
                h.withUnsafeBufferPointer { hp in
                    expected.withUnsafeMutableBufferPointer { e in
                        Float.gemm(transposeA: false, transposeB: false, m: 1, n: width, k: H, alpha: 1,
                                   a: hp.baseAddress!, lda: H, b: u.baseAddress!, ldb: width,
                                   beta: 1, c: e.baseAddress!, ldc: width)
                    }
                    cache.refresh(from: u.baseAddress!)
                    actual.withUnsafeMutableBufferPointer { a in
                        // Two column ranges, as the paper GRU asks for [Uz | Ur] and Uc.
                        cache.addProduct(hp.baseAddress!, columns: 0 ..< 40, into: a.baseAddress!)
                        cache.addProduct(hp.baseAddress!, columns: 40 ..< width, into: a.baseAddress! + 40)
                    }
                }
            }
            let check = Discrepancy(actual, expected, floor: 1)
            #expect(check.worst < 1e-6, "round \(round): \(check)")
            // Backward's direction: c (H) = g (k) U[:, column ..< column + k]^T, from the padded copy.
            let g = (0 ..< width).map { _ in Float(rng.nextGaussian()) }
            for (column, k) in [(0, width), (0, 38), (38, 19)] {
                var expectedBack = [Float](repeating: 0.5, count: H), actualBack = expectedBack
                U.withUnsafeBufferPointer { u in
                    g.withUnsafeBufferPointer { gp in
                        expectedBack.withUnsafeMutableBufferPointer { e in
                            // Through OpenBLAS's sgemm (m = 2 rows: not the B = 1 shortcut).
                            var two = [Float](repeating: 0, count: 2 * H)
                            let rows = [Float](gp) + [Float](gp)
                            rows.withUnsafeBufferPointer { r in
                                two.withUnsafeMutableBufferPointer { t in
                                    Float.gemm(transposeA: false, transposeB: true, m: 2, n: H, k: k, alpha: 1,
                                               a: r.baseAddress!, lda: width, b: u.baseAddress! + column, ldb: width,
                                               beta: 0, c: t.baseAddress!, ldc: H)
                                }
                            }
                            for i in 0 ..< H { e[i] += two[i] }
                        }
                        actualBack.withUnsafeMutableBufferPointer { a in
                            cache.transposedProduct(gp.baseAddress!, columns: column ..< column + k, beta: 1,
                                                    into: a.baseAddress!)
                        }
                    }
                }
                let backCheck = Discrepancy(actualBack, expectedBack, floor: 1)
                #expect(backCheck.worst < 1e-6, "round \(round) column \(column) k \(k): \(backCheck)")
            }
            U[(round * 97) % U.count] += 0.5  // one changed weight must invalidate the copy
        }
    }

    /// One workspace reused across parameter updates (training) gives what a fresh workspace
    /// gives, forward and backward: the transposed (B = 1) and packed (B > 1) copies of U are
    /// never stale.
    @Test(arguments: ["tanh", "gru-paper", "gru-cudnn", "lstm"], [1, 3])
    func workspaceSurvivesParameterChanges(name: String, batch: Int) {
        let config = SmallShapes.all.first { $0.name == name }!.config
        var problem = RandomProblem<Float>(config: config, batch: batch, steps: 5)
        let reused = problem.model.makeWorkspace(batch: batch, steps: 5)
        for round in 0 ..< 3 {
            let fresh = problem.model.makeWorkspace(batch: batch, steps: 5)
            let lossReused = problem.loss(workspace: reused)
            let lossFresh = problem.loss(workspace: fresh)
            #expect(lossReused == lossFresh, "\(name) B \(batch) round \(round)")
            var gradientReused = [Float](repeating: 0, count: problem.model.parameterCount), gradientFresh = gradientReused
            problem.model.backward(parameters: problem.parameters, gradient: &gradientReused, workspace: reused)
            problem.model.backward(parameters: problem.parameters, gradient: &gradientFresh, workspace: fresh)
            #expect(gradientReused == gradientFresh, "\(name) B \(batch) round \(round) gradient")
            for index in problem.model.layout.layers[0].recurrentWeights { problem.parameters[index] *= 0.9 }
        }
    }

    /// CKernels' packed GEMM (B > 1's recurrent products) against a plain Double loop, on
    /// every row and column tail (8-row blocks, 32-column panels), with beta 0 and 1; and
    /// CKernels' packing against the Swift reference's (Double's path), bit for bit.
    @Test func packedGEMMMatchesTheReference() {
        guard Float.hasPackedProduct else { return }  // AVX-512 only; elsewhere the BLAS runs
        var rng = SeededGenerator(seed: 13)
        for (m, n, k) in [(1, 1, 1), (2, 5, 5), (3, 31, 7), (8, 32, 16), (9, 33, 17), (17, 70, 23), (16, 227, 454), (32, 681, 227)] {
            let a = (0 ..< m * k).map { _ in Float(rng.nextGaussian()) }
            let b = (0 ..< k * n).map { _ in Float(rng.nextUniform() - 0.5) }
            for beta: Float in [0, 1] {
                let start = (0 ..< m * n).map { _ in Float(rng.nextGaussian()) }
                var actual = start, packedBySwift = start
                let ran = Self.packedMultiply(m: m, n: n, k: k, a: a, b: b, beta: beta, c: &actual) {
                    Kernels.packPanels(k: k, n: n, $0, rowStride: n, columnStride: 1, into: $1)
                }
                let ranOnSwiftPacks = Self.packedMultiply(m: m, n: n, k: k, a: a, b: b, beta: beta, c: &packedBySwift) {
                    Kernels.packPanelsReference(k: k, n: n, $0, rowStride: n, columnStride: 1, into: $1)
                }
                #expect(ran && ranOnSwiftPacks)
                #expect(packedBySwift == actual, "m \(m) n \(n) k \(k): the two packings differ")
                var expected = [Double](repeating: 0, count: m * n)
                for i in 0 ..< m {
                    for j in 0 ..< n {
                        var sum = beta == 0 ? 0 : Double(start[i * n + j])
                        for q in 0 ..< k { sum += Double(a[i * k + q]) * Double(b[q * n + j]) }
                        expected[i * n + j] = sum
                    }
                }
                let check = Discrepancy(actual, expected, floor: Double(k).squareRoot())
                #expect(check.worst < 1e-6, "m \(m) n \(n) k \(k) beta \(beta): \(check)")
            }
        }
    }

    /// Below AVX-512 the packed product says it did not run and leaves c alone (the cells
    /// then run the BLAS GEMM): what `RAWSPEECH_CKERNELS=avx2` relies on.
    @Test func packedGEMMDeclinesBelowAVX512() {
        let (m, n, k) = (3, 40, 5)
        let a = [Float](repeating: 1, count: m * k), b = [Float](repeating: 2, count: k * n)
        for variant in KernelVariant.runnable where variant < .avx512 {
            var c = [Float](repeating: 7, count: m * n)
            var panels = [Float](repeating: 0, count: Kernels.packedPanelsCount(k: k, n: n))
            let ran = a.withUnsafeBufferPointer { ap in
                panels.withUnsafeMutableBufferPointer { pp in
                    c.withUnsafeMutableBufferPointer { cp in
                        Kernels.packedProduct(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, packed: pp.baseAddress!,
                                              beta: 1, c: cp.baseAddress!, ldc: n, variant: variant)
                    }
                }
            }
            #expect(!ran && c.allSatisfy { $0 == 7 }, "\(variant)")
        }
    }
}
