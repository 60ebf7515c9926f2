// Batch 1's recurrent product through CKernels' row-dot kernel. At B = 1 each step's
// h_{t-1} U (U is (H, G*H): 618 KB for GRU-227) is a matrix-vector product bound by how
// fast U streams from L2. OpenBLAS's sgemv on row-major U walks it in column blocks
// (~66 GB/s here, 8.7 us for GRU-227); with U transposed into rows padded to 16 floats
// (64-byte aligned), each output is one contiguous dot product and the same product takes
// ~5.6 us. The transposed copy is kept per layer in the workspace and rebuilt only when U
// changed (a byte comparison against a snapshot: a few microseconds, against ~100 steps
// that use it), so scoring transposes once and training once per update.
// This file also keeps the plain-Swift reference of the kernel, for the tests.
//
// B = batch, H = units, G = weight blocks per unit (tanh 1, GRU 3, LSTM 4).
#if canImport(Glibc)
import Glibc
#endif
import CKernels

/// U transposed, (G*H, paddedUnits), and the U it was made from, (H, G*H).
final class TransposedRecurrent<Scalar: BLASScalar> {
    let units: Int
    let width: Int
    /// Row stride of `rows`: H rounded up to 16 floats, so every row starts 64-byte aligned.
    let paddedUnits: Int
    let rows: ScratchBuffer<Scalar>
    private let snapshot: ScratchBuffer<Scalar>
    private var valid = false

    init(units: Int, width: Int) {
        self.units = units
        self.width = width
        paddedUnits = (units + 15) / 16 * 16
        rows = ScratchBuffer(width * paddedUnits)
        snapshot = ScratchBuffer(units * width)
    }

    /// Makes `rows` the transpose of `U` (H, G*H) unless it already is.
    func refresh(from U: UnsafePointer<Scalar>) {
        let bytes = units * width * MemoryLayout<Scalar>.stride
        if valid && memcmp(snapshot.pointer, U, bytes) == 0 { return }
        snapshot.pointer.update(from: U, count: units * width)
        // Eight rows of U at a time: eight sequential read streams, short contiguous writes.
        let out = rows.pointer, stride = paddedUnits, columns = width
        var p = 0
        while p < units {
            let block = min(8, units - p)
            for j in 0 ..< columns {
                let target = out + j * stride + p
                for q in 0 ..< block { target[q] = U[(p + q) * columns + j] }
            }
            p += block
        }
        valid = true
    }

    /// c[0 ..< n] += h (H) U[:, column ..< column + n].
    @inline(__always)
    func addProduct(_ h: UnsafePointer<Scalar>, column: Int, n: Int, into c: UnsafeMutablePointer<Scalar>) {
        Scalar.rowDots(n: n, k: units, w: rows.pointer + column * paddedUnits, ldw: paddedUnits, x: h, beta: 1, y: c)
    }
}

/// The row-dot kernel's variants and its plain reference (see CKernels.h).
enum RowDotKernel {
    enum Variant: Int32, CaseIterable, Sendable {
        case portable = 0, avx2 = 1, avx512 = 2
    }

    /// The variant this CPU runs.
    static var variant: Variant { Variant(rawValue: rs_kernels_variant()) ?? .portable }

    /// `y[j] = beta * y[j] + sum_{p < k} x[p] * w[j * ldw + p]` with a chosen variant
    /// (falls back to the best the CPU has).
    static func run(_ variant: Variant, n: Int, k: Int, w: UnsafePointer<Float>, ldw: Int,
                    x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        rs_row_dots_variant(variant.rawValue, n, k, w, ldw, x, beta, y)
    }

    /// The plain reference, summing in Double.
    static func reference(n: Int, k: Int, w: [Float], ldw: Int, x: [Float], beta: Float, y: inout [Float]) {
        for j in 0 ..< n {
            var sum = 0.0
            for p in 0 ..< k { sum += Double(x[p]) * Double(w[j * ldw + p]) }
            y[j] = Float((beta == 0 ? 0 : Double(beta) * Double(y[j])) + sum)
        }
    }
}
