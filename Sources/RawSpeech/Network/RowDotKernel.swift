// Batch 1's recurrent products through CKernels' row-dot kernel. At B = 1 each step's
// h_{t-1} U (U is (H, G*H): 618 KB for GRU-227) is a matrix-vector product bound by how
// fast U streams from L2. OpenBLAS's sgemv on row-major U walks it in column blocks
// (9.3 us for GRU-227); with U transposed into rows padded to 16 floats (64-byte aligned),
// each output is one contiguous dot product and the same product takes 5.2 us. Backward's
// d h_{t-1} = dG U^T already is dot products over U's rows; a copy of U with rows padded
// the same way makes them aligned too (sgemv 8.9 us, row dots 4.9; tools/bench-kernels).
// Both copies are kept per layer in the workspace and rebuilt only when U changed (a byte
// comparison against the padded copy: a few microseconds, against ~100 steps that use
// them), so scoring transposes once and training once per update.
// This file also keeps the plain-Swift reference of the kernel, for the tests.
//
// B = batch, H = units, G = weight blocks per unit (tanh 1, GRU 3, LSTM 4).
#if canImport(Glibc)
import Glibc
#endif
import CKernels

/// U transposed, (G*H, paddedUnits), and U itself with padded rows, (H, paddedWidth).
package final class TransposedRecurrent<Scalar: BLASScalar> {
    package let units: Int
    package let width: Int
    /// Row stride of `rows`: H rounded up to 16 floats, so every row starts 64-byte aligned.
    package let paddedUnits: Int
    /// Row stride of `padded`: G*H rounded up to 16 floats.
    package let paddedWidth: Int
    /// U^T: row j holds column j of U.
    package let rows: ScratchBuffer<Scalar>
    /// U with each row starting 64-byte aligned; also what `refresh` compares against.
    package let padded: ScratchBuffer<Scalar>
    private var valid = false

    package init(units: Int, width: Int) {
        self.units = units
        self.width = width
        paddedUnits = (units + 15) / 16 * 16
        paddedWidth = (width + 15) / 16 * 16
        rows = ScratchBuffer(width * paddedUnits)
        padded = ScratchBuffer(units * paddedWidth)
    }

    /// Makes `rows` and `padded` copies of `U` (H, G*H) unless they already are.
    package func refresh(from U: UnsafePointer<Scalar>) {
        let rowBytes = width * MemoryLayout<Scalar>.stride
        if valid && (0 ..< units).allSatisfy({ memcmp(padded.pointer + $0 * paddedWidth, U + $0 * width, rowBytes) == 0 }) {
            return
        }
        for p in 0 ..< units { (padded.pointer + p * paddedWidth).update(from: U + p * width, count: width) }
        // From the aligned copy just made (in L2 now): 8 x 8 register blocks for Float.
        Scalar.transposedCopy(rows: units, cols: width, padded.pointer, lds: paddedWidth, into: rows.pointer, ldd: paddedUnits)
        valid = true
    }

    /// c[0 ..< n] += h (H) U[:, column ..< column + n].
    @inline(__always)
    package func addProduct(_ h: UnsafePointer<Scalar>, column: Int, n: Int, into c: UnsafeMutablePointer<Scalar>) {
        Scalar.rowDots(n: n, k: units, w: rows.pointer + column * paddedUnits, ldw: paddedUnits, x: h, beta: 1, y: c)
    }

    /// c (H) = beta c + g (k) U[:, column ..< column + k]^T (beta 0 or 1).
    @inline(__always)
    package func transposedProduct(_ g: UnsafePointer<Scalar>, column: Int, k: Int, beta: Scalar, into c: UnsafeMutablePointer<Scalar>) {
        Scalar.rowDots(n: units, k: k, w: padded.pointer + column, ldw: paddedWidth, x: g, beta: beta, y: c)
    }
}

/// The row-dot kernel's variants and its plain reference (see CKernels.h).
package enum RowDotKernel {
    package enum Variant: Int32, CaseIterable, Sendable {
        case portable = 0, avx2 = 1, avx512 = 2
    }

    /// The variant this CPU runs.
    package static var variant: Variant { Variant(rawValue: rs_kernels_variant()) ?? .portable }

    /// `y[j] = beta * y[j] + sum_{p < k} x[p] * w[j * ldw + p]` with a chosen variant
    /// (falls back to the best the CPU has).
    package static func run(_ variant: Variant, n: Int, k: Int, w: UnsafePointer<Float>, ldw: Int,
                    x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        rs_row_dots_variant(variant.rawValue, n, k, w, ldw, x, beta, y)
    }

    /// `dst[j * ldd + i] = src[i * lds + j]` with a chosen variant (falls back to the best
    /// the CPU has; every variant is a copy, so the results are equal).
    package static func transpose(_ variant: Variant, rows: Int, cols: Int, _ src: UnsafePointer<Float>, lds: Int,
                          into dst: UnsafeMutablePointer<Float>, ldd: Int) {
        rs_transpose(variant.rawValue, rows, cols, src, lds, dst, ldd)
    }

    /// The transpose one element at a time (Double's path, and the tests' reference).
    package static func transposeReference<Scalar>(rows: Int, cols: Int, _ src: UnsafePointer<Scalar>, lds: Int,
                                           into dst: UnsafeMutablePointer<Scalar>, ldd: Int) {
        for i in 0 ..< rows {
            for j in 0 ..< cols { dst[j * ldd + i] = src[i * lds + j] }
        }
    }

    /// The plain reference, summing in Double.
    package static func reference(n: Int, k: Int, w: [Float], ldw: Int, x: [Float], beta: Float, y: inout [Float]) {
        for j in 0 ..< n {
            var sum = 0.0
            for p in 0 ..< k { sum += Double(x[p]) * Double(w[j * ldw + p]) }
            y[j] = Float((beta == 0 ? 0 : Double(beta) * Double(y[j])) + sum)
        }
    }
}

/// Which CKernels code path this process runs, for the benches' reports.
public enum CKernelsRuntime {
    /// "avx512", "avx2" or "portable" (capped by RAWSPEECH_CKERNELS=portable|avx2).
    public static var variantName: String { "\(RowDotKernel.variant)" }
}
