// Open MPI for rawspeech: the job's processes (ranks) as a ReplicaGroup for the Trainer, and
// the few collectives the commands need. It is not a launcher or a coordinator: mpirun or
// srun starts the processes, Open MPI connects them and aborts the job when one dies.
//
// A process joins only when a launcher started it (MPI_Init costs ~0.3 s and a singleton
// job otherwise): without mpirun every command runs as if this file did not exist.
// MPI is called only from the thread that joined (MPI_THREAD_FUNNELED); the training
// threads of a rank never touch it.
import CMPI
import RawSpeechTraining
import Foundation

/// Why ranks cannot go on together.
public enum DistributedError: Error, Equatable, CustomStringConvertible {
    /// The ranks' weights are not the same bits after `update`.
    case replicasDiffer(update: Int, ranks: Int)

    public var description: String {
        switch self {
        case let .replicasDiffer(update, ranks):
            "the \(ranks) ranks' weights differ after update \(update) (ranks running different builds, CPUs "
                + "or BLAS kernels?): stopped; resume from the last checkpoint with the same binary and "
                + "OPENBLAS_CORETYPE on every node"
        }
    }
}

/// This process's place in an MPI job: rank `rank` of `count`.
public final class MPIWorld: ReplicaGroup, @unchecked Sendable {
    public let rank: Int
    public let count: Int
    private let world: MPI_Comm
    private var scratch: [Float] = []   // (count * slice): the ordered sum's received slices

    /// Whether a launcher started this process as part of a job: Open MPI's mpirun sets
    /// OMPI_COMM_WORLD_SIZE, Slurm's srun (PMI-2 / PMIx) PMI_SIZE or PMIX_RANK.
    public static var isLaunched: Bool {
        let environment = ProcessInfo.processInfo.environment
        return ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"].contains { environment[$0] != nil }
    }

    /// Ranks of the job on this machine (mpirun's OMPI_COMM_WORLD_LOCAL_SIZE; 1 if unknown).
    public var localCount: Int {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) } ?? 1
    }

    /// The job this process belongs to, joined on first use; nil when no launcher started it.
    public static let shared: MPIWorld? = isLaunched ? MPIWorld() : nil

    /// A joined job of more than one process, or nil (alone, or a job of one).
    public static var job: MPIWorld? { shared.flatMap { $0.count > 1 ? $0 : nil } }

    private nonisolated(unsafe) static var joined = false

    private init() {
        var provided: Int32 = 0
        MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided)
        world = rs_mpi_comm_world()
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        self.rank = Int(rank)
        count = Int(size)
        Self.joined = true
    }

    /// MPI_Finalize, when this process joined a job (a rank that ends without it fails the job).
    public static func finish() {
        if joined, let shared {
            MPI_Finalize()
            _ = shared
            joined = false
        }
    }

    /// Ends every rank of the job with `code` (a rank that cannot go on while others wait).
    public func abort(_ code: Int32) -> Never {
        MPI_Abort(world, code)
        exit(code)
    }

    public func barrier() { MPI_Barrier(world) }

    /// Every rank's `bytes`, in rank order, on rank 0 (MPI_Gather of the sizes, then
    /// MPI_Gatherv); nil on the other ranks.
    public func gather(_ bytes: Data) -> [Data]? {
        var size = Int32(bytes.count)
        var sizes = [Int32](repeating: 0, count: count)
        _ = MPI_Gather(&size, 1, rs_mpi_int32(), &sizes, 1, rs_mpi_int32(), 0, world)
        var offsets = [Int32](repeating: 0, count: count)
        for r in 1 ..< max(1, count) { offsets[r] = offsets[r - 1] + sizes[r - 1] }
        var received = [UInt8](repeating: 0, count: rank == 0 ? Int(sizes.reduce(0, +)) : 0)
        var sent = [UInt8](bytes)
        sent.withUnsafeMutableBytes { s in
            received.withUnsafeMutableBytes { r in
                _ = MPI_Gatherv(s.baseAddress, size, rs_mpi_byte(), r.baseAddress, &sizes, &offsets, rs_mpi_byte(), 0, world)
            }
        }
        guard rank == 0 else { return nil }
        return (0 ..< count).map { Data(received[Int(offsets[$0]) ..< Int(offsets[$0] + sizes[$0])]) }
    }

    // MARK: ReplicaGroup

    /// Two ranks: one in-place MPI_Allreduce (a sum of two floats is commutative, so every
    /// algorithm gives v0 + v1). More: the order of MPI_SUM is Open MPI's choice, so the
    /// ordered sum below instead, which moves as many bytes as a ring allreduce.
    public func sum(_ values: inout [Float]) {
        guard count > 1 else { return }
        if count == 2 {
            values.withUnsafeMutableBufferPointer { v in
                _ = MPI_Allreduce(rs_mpi_in_place(), v.baseAddress, Int32(v.count), rs_mpi_float(), rs_mpi_sum(), world)
            }
        } else {
            orderedSum(&values)
        }
    }

    /// A reduce-scatter and an all-gather with the additions in rank order: rank r receives
    /// slice r of every rank's values (MPI_Alltoallv), adds them as ((v0 + v1) + v2) + ...,
    /// and every rank gathers the summed slices (MPI_Allgatherv).
    func orderedSum(_ values: inout [Float]) {
        let n = values.count, N = count
        let slices = (0 ..< N).map { ParallelStep.rows($0, of: N, in: n) }
        let mine = slices[rank]
        if scratch.count < N * mine.count { scratch = [Float](repeating: 0, count: N * mine.count) }
        var sendCounts = slices.map { Int32($0.count) }, sendOffsets = slices.map { Int32($0.lowerBound) }
        var receiveCounts = [Int32](repeating: Int32(mine.count), count: N)
        var receiveOffsets = (0 ..< N).map { Int32($0 * mine.count) }
        values.withUnsafeMutableBufferPointer { v in
            scratch.withUnsafeMutableBufferPointer { s in
                _ = MPI_Alltoallv(v.baseAddress, &sendCounts, &sendOffsets, rs_mpi_float(),
                                  s.baseAddress, &receiveCounts, &receiveOffsets, rs_mpi_float(), world)
                let out = v.baseAddress! + mine.lowerBound
                out.update(from: s.baseAddress!, count: mine.count)
                for r in 1 ..< N {
                    let part = s.baseAddress! + r * mine.count
                    for i in 0 ..< mine.count { out[i] += part[i] }
                }
            }
            _ = MPI_Allgatherv(rs_mpi_in_place(), 0, rs_mpi_float(), v.baseAddress, &sendCounts, &sendOffsets,
                               rs_mpi_float(), world)
        }
    }

    public func share(_ values: inout [Float], counts: [Int]) {
        guard count > 1 else { return }
        precondition(counts.count == count && counts.reduce(0, +) <= values.count, "share: one count per rank")
        var sizes = counts.map { Int32($0) }
        var offsets = [Int32](repeating: 0, count: count)
        for r in 1 ..< count { offsets[r] = offsets[r - 1] + sizes[r - 1] }
        values.withUnsafeMutableBufferPointer { v in
            _ = MPI_Allgatherv(rs_mpi_in_place(), 0, rs_mpi_float(), v.baseAddress, &sizes, &offsets,
                               rs_mpi_float(), world)
        }
    }

    /// One MPI_Allreduce (MAX) of a 64-bit hash of the weights' bits and of its complement:
    /// equal maxima of both say every rank holds the same hash.
    public func checkIdentical(_ parameters: [Float], update: Int) throws {
        guard count > 1 else { return }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for value in parameters {
            hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3
        }
        var pair: [UInt64] = [hash, ~hash]
        pair.withUnsafeMutableBufferPointer { p in
            _ = MPI_Allreduce(rs_mpi_in_place(), p.baseAddress, 2, rs_mpi_uint64(), rs_mpi_max(), world)
        }
        if pair[0] != hash || ~pair[1] != hash { throw DistributedError.replicasDiffer(update: update, ranks: count) }
    }
}
