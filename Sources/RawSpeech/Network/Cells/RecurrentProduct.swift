// The per-step recurrent products every cell shares: forward's h_{t-1} U[:, columns] and
// backward's dG U[:, columns]^T, for the column block (gate) a cell names. The only
// products inside the time loop; everything else in a chunk is one GEMM over T*B rows.
// Three routes, picked by what the layer's workspace holds:
// - B = 1: a matrix-vector product bound by how fast U (H, G*H: 618 KB for GRU-227)
//   streams from L2. OpenBLAS's sgemv on row-major U walks it in column blocks (9.3 us for
//   GRU-227); with U transposed into rows padded to 16 floats (64-byte aligned) each
//   output is one contiguous dot product and the product takes 5.2 us. Backward's
//   dG U^T already is dot products over U's rows; a copy of U with rows padded the same
//   way makes them aligned too (sgemv 8.9 us, row dots 4.9; tools/bench-kernels):
//   `TransposedRecurrent`, through `Scalar.rowDots`.
// - B > 1, Float with AVX-512: OpenBLAS's sgemm repacks U on each call, ~17% of a GRU-227
//   B = 32 update. U only changes between updates, so its column blocks are packed once
//   per chunk into the 32-column panels CKernels' kernel streams (forward packs U's
//   blocks, backward their transposes): `PackedRecurrent`, through `Scalar.packedProduct`.
// - otherwise the BLAS GEMM on U itself.
// Both copies are rebuilt only when U changed (a byte comparison: a few microseconds,
// against ~100 steps that use them), so scoring copies once and training once per update.
//
// B = batch, H = units, G = weight blocks per unit (tanh 1, GRU 3, LSTM 4).
#if canImport(Glibc)
import Glibc
#endif

extension RecurrentMDN {
    /// c (B, n) += h (B, H) U[:, columns], U (H, G*H) row-major, n = columns.count.
    @inline(__always)
    package func addRecurrentProduct(_ buffers: LayerBuffers<Scalar>, _ h: UnsafePointer<Scalar>,
                                     U: UnsafePointer<Scalar>, columns: Range<Int>, B: Int, H: Int,
                                     into c: UnsafeMutablePointer<Scalar>, ldc: Int, prefetch: Prefetch<Scalar> = .none) {
        if let transposed = buffers.transposedRecurrent {
            transposed.addProduct(h, columns: columns, into: c)
        } else if let packed = buffers.packedRecurrent {
            packed.addProduct(h, lda: H, columns: columns, B: B, into: c, ldc: ldc, prefetch: prefetch)
        } else {
            Scalar.gemm(transposeA: false, transposeB: false, m: B, n: columns.count, k: H, alpha: 1,
                        a: h, lda: H, b: U + columns.lowerBound, ldb: gateWidth, beta: 1, c: c, ldc: ldc)
        }
    }

    /// c (B, H) = beta c + g (B, k, row stride lda) U[:, columns]^T (beta 0 or 1), k = columns.count.
    @inline(__always)
    package func recurrentProductTransposed(_ buffers: LayerBuffers<Scalar>, _ g: UnsafePointer<Scalar>, lda: Int,
                                            U: UnsafePointer<Scalar>, columns: Range<Int>, B: Int, H: Int,
                                            beta: Scalar, into c: UnsafeMutablePointer<Scalar>,
                                            prefetch: Prefetch<Scalar> = .none) {
        if let copies = buffers.transposedRecurrent {
            copies.transposedProduct(g, columns: columns, beta: beta, into: c)
        } else if let packed = buffers.packedRecurrent {
            packed.transposedProduct(g, lda: lda, columns: columns, B: B, beta: beta, into: c, prefetch: prefetch)
        } else {
            Scalar.gemm(transposeA: false, transposeB: true, m: B, n: H, k: columns.count, alpha: 1,
                        a: g, lda: lda, b: U + columns.lowerBound, ldb: gateWidth, beta: beta, c: c, ldc: H)
        }
    }
}

/// B = 1: U transposed, (G*H, paddedUnits), and U itself with padded rows, (H, paddedWidth).
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

    /// c (n) += h (H) U[:, columns], n = columns.count.
    @inline(__always)
    package func addProduct(_ h: UnsafePointer<Scalar>, columns: Range<Int>, into c: UnsafeMutablePointer<Scalar>) {
        Scalar.rowDots(n: columns.count, k: units, w: rows.pointer + columns.lowerBound * paddedUnits, ldw: paddedUnits,
                       x: h, beta: 1, y: c)
    }

    /// c (H) = beta c + g (k) U[:, columns]^T (beta 0 or 1), k = columns.count.
    @inline(__always)
    package func transposedProduct(_ g: UnsafePointer<Scalar>, columns: Range<Int>, beta: Scalar,
                                   into c: UnsafeMutablePointer<Scalar>) {
        Scalar.rowDots(n: units, k: columns.count, w: padded.pointer + columns.lowerBound, ldw: paddedWidth,
                       x: g, beta: beta, y: c)
    }
}

/// B > 1 where `Scalar.hasPackedProduct` (Float, AVX-512): U's column blocks packed once
/// per chunk.
package final class PackedRecurrent<Scalar: BLASScalar> {
    /// One packed column block of U.
    private struct Block {
        let columns: Range<Int>
        let panels: ScratchBuffer<Scalar>
    }

    package let units: Int
    package let width: Int
    private let snapshot: ScratchBuffer<Scalar>
    private var forwardBlocks: [Block] = []   // (H x count) blocks of U, for h U
    private var backwardBlocks: [Block] = []  // (count x H) blocks of U^T, for dG U^T
    private var snapshotValid = false, forwardValid = false, backwardValid = false

    /// Packs only pay where the kernel runs, and for more than one row.
    package static func isUsable(batch: Int) -> Bool { batch > 1 && Scalar.hasPackedProduct }

    /// `forward` and `backward` list the column blocks (gates) the cell's steps multiply
    /// by, in each direction.
    package init(units: Int, width: Int, forward: [Range<Int>], backward: [Range<Int>]) {
        self.units = units
        self.width = width
        snapshot = ScratchBuffer(units * width)
        forwardBlocks = forward.map {
            Block(columns: $0, panels: ScratchBuffer(Kernels.packedPanelsCount(k: units, n: $0.count)))
        }
        backwardBlocks = backward.map {
            Block(columns: $0, panels: ScratchBuffer(Kernels.packedPanelsCount(k: $0.count, n: units)))
        }
    }

    /// Makes the forward (or backward) packs match `U` (H, G*H), repacking only if U changed.
    package func refresh(from U: UnsafePointer<Scalar>, backward: Bool) {
        let count = units * width
        if !snapshotValid || memcmp(snapshot.pointer, U, count * MemoryLayout<Scalar>.stride) != 0 {
            snapshot.pointer.update(from: U, count: count)
            snapshotValid = true
            forwardValid = false
            backwardValid = false
        }
        if backward && !backwardValid {
            for block in backwardBlocks {  // (count x H): element (q, j) = U[j, column + q]
                Scalar.packPanels(k: block.columns.count, n: units, U + block.columns.lowerBound, rowStride: 1,
                                  columnStride: width, into: block.panels.pointer)
            }
            backwardValid = true
        } else if !backward && !forwardValid {
            for block in forwardBlocks {   // (H x count): element (q, j) = U[q, column + j]
                Scalar.packPanels(k: units, n: block.columns.count, U + block.columns.lowerBound, rowStride: width,
                                  columnStride: 1, into: block.panels.pointer)
            }
            forwardValid = true
        }
    }

    /// c (B, n) += h (B, H, row stride lda) U[:, columns], pulling `prefetch` into L2 meanwhile.
    @inline(__always)
    package func addProduct(_ h: UnsafePointer<Scalar>, lda: Int, columns: Range<Int>, B: Int,
                            into c: UnsafeMutablePointer<Scalar>, ldc: Int, prefetch: Prefetch<Scalar>) {
        let block = forwardBlocks.first { $0.columns == columns }!
        _ = Scalar.packedProduct(m: B, n: columns.count, k: units, a: h, lda: lda, packed: block.panels.pointer,
                                 beta: 1, c: c, ldc: ldc, prefetch: prefetch)
    }

    /// c (B, H) = beta c + g (B, k, row stride lda) U[:, columns]^T, pulling `prefetch` into
    /// L2 meanwhile.
    @inline(__always)
    package func transposedProduct(_ g: UnsafePointer<Scalar>, lda: Int, columns: Range<Int>, B: Int,
                                   beta: Scalar, into c: UnsafeMutablePointer<Scalar>, prefetch: Prefetch<Scalar>) {
        let block = backwardBlocks.first { $0.columns == columns }!
        _ = Scalar.packedProduct(m: B, n: units, k: columns.count, a: g, lda: lda, packed: block.panels.pointer,
                                 beta: beta == 0 ? 0 : 1, c: c, ldc: units, prefetch: prefetch)
    }
}
