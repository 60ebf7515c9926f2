// B > 1's recurrent products through CKernels' packed GEMM. Every step multiplies the
// batch's h_{t-1} by U (forward) and dG by U^T (backward); OpenBLAS's sgemm repacks U on
// each of those calls, ~17% of a GRU-227 B = 32 update. U only changes between updates, so
// its column blocks are packed here once (into the 32-column panels CKernels' kernel
// streams) and reused by every step of the chunk: forward packs U's blocks as they are,
// backward packs their transposes. A byte comparison against a snapshot of U tells when
// to repack (a few microseconds per chunk). Float on AVX-512 only; elsewhere the cells
// keep calling the BLAS GEMM (and the tests compare both routes against the references).
//
// B = batch, H = units, G = weight blocks per unit (tanh 1, GRU 3, LSTM 4).
#if canImport(Glibc)
import Glibc
#endif
import CKernels

package final class PackedRecurrent<Scalar: BLASScalar> {
    /// One packed column block of U: columns `column ..< column + count`.
    private struct Block {
        let column: Int
        let count: Int
        let panels: ScratchBuffer<Float>
    }

    package let units: Int
    package let width: Int
    private let snapshot: ScratchBuffer<Scalar>
    private var forwardBlocks: [Block] = []   // (H x count) blocks of U, for h U
    private var backwardBlocks: [Block] = []  // (count x H) blocks of U^T, for dG U^T
    private var snapshotValid = false, forwardValid = false, backwardValid = false

    /// Packs only pay where the kernel runs: Float, an AVX-512 CPU, and more than one row.
    package static func isUsable(batch: Int) -> Bool {
        Scalar.self == Float.self && batch > 1 && RowDotKernel.variant == .avx512
    }

    /// `forward` and `backward` list the column blocks (first column, columns) the cell's
    /// steps multiply by, in each direction.
    package init(units: Int, width: Int, forward: [(Int, Int)], backward: [(Int, Int)]) {
        self.units = units
        self.width = width
        snapshot = ScratchBuffer(units * width)
        forwardBlocks = forward.map { Block(column: $0.0, count: $0.1, panels: ScratchBuffer(rs_packed_panels_size(units, $0.1))) }
        backwardBlocks = backward.map { Block(column: $0.0, count: $0.1, panels: ScratchBuffer(rs_packed_panels_size($0.1, units))) }
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
        let u = UnsafeRawPointer(U).assumingMemoryBound(to: Float.self)
        if backward && !backwardValid {
            for block in backwardBlocks {  // (count x H): element (q, j) = U[j, column + q]
                rs_pack_panels(block.count, units, u + block.column, 1, width, block.panels.pointer)
            }
            backwardValid = true
        } else if !backward && !forwardValid {
            for block in forwardBlocks {   // (H x count): element (q, j) = U[q, column + j]
                rs_pack_panels(units, block.count, u + block.column, width, 1, block.panels.pointer)
            }
            forwardValid = true
        }
    }

    /// c (B, n) += h (B, H, row stride lda) U[:, column ..< column + n], pulling `prefetch`
    /// into L2 meanwhile.
    @inline(__always)
    package func addProduct(_ h: UnsafePointer<Scalar>, lda: Int, column: Int, n: Int, B: Int,
                    into c: UnsafeMutablePointer<Scalar>, ldc: Int, prefetch: Prefetch<Scalar>) {
        let block = forwardBlocks.first { $0.column == column && $0.count == n }!
        rs_gemm_packed_prefetch(B, n, units, float(h), lda, block.panels.pointer, 1, float(c), ldc,
                                prefetch.first.map(float), prefetch.firstCount,
                                prefetch.second.map(float), prefetch.secondCount)
    }

    /// c (B, H) = beta c + g (B, k, row stride lda) U[:, column ..< column + k]^T, pulling
    /// `prefetch` into L2 meanwhile.
    @inline(__always)
    package func transposedProduct(_ g: UnsafePointer<Scalar>, lda: Int, column: Int, k: Int, B: Int,
                           beta: Scalar, into c: UnsafeMutablePointer<Scalar>, prefetch: Prefetch<Scalar>) {
        let block = backwardBlocks.first { $0.column == column && $0.count == k }!
        rs_gemm_packed_prefetch(B, units, k, float(g), lda, block.panels.pointer, beta == 0 ? 0 : 1, float(c), units,
                                prefetch.first.map(float), prefetch.firstCount,
                                prefetch.second.map(float), prefetch.secondCount)
    }

    // Only ever made for Scalar == Float (`isUsable`).
    @inline(__always) private func float(_ p: UnsafePointer<Scalar>) -> UnsafePointer<Float> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
    }
    @inline(__always) private func float(_ p: UnsafeMutablePointer<Scalar>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
    }
}

/// Up to two regions of a workspace the next step will read or write, which the packed
/// GEMM pulls into L2 while it runs: a step's gate block was written by the chunk's input
/// projection (or, in backward, the forward pass) megabytes ago and is no longer in cache,
/// and the per-step passes stalled on it (most of their time at B = 16).
package struct Prefetch<Scalar> {
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

/// CKernels' packed GEMM on plain arrays, for the tests: c = beta c + a b, b (k x n) row-major.
package enum PackedGEMM {
    package static var isAvailable: Bool { RowDotKernel.variant == .avx512 }

    package static func multiply(m: Int, n: Int, k: Int, a: [Float], b: [Float], beta: Float, c: inout [Float]) {
        var panels = [Float](repeating: 0, count: rs_packed_panels_size(k, n) + 16)
        panels.withUnsafeMutableBufferPointer { raw in
            // Align the panels to 64 bytes inside the array (the kernel uses aligned loads).
            let base = raw.baseAddress!, offset = (16 - (Int(bitPattern: base) / 4) % 16) % 16
            rs_pack_panels(k, n, b, n, 1, base + offset)
            _ = rs_gemm_packed(m, n, k, a, k, base + offset, beta, &c, n)
        }
    }
}
