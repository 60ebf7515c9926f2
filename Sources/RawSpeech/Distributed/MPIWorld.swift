// Open MPI for rawspeech: the job's processes (ranks) as a ReplicaGroup for the Trainer, and
// the few collectives the commands need. It is not a launcher or a coordinator: mpirun or
// srun starts the processes, Open MPI connects them and aborts the job when one dies.
//
// A process joins only when a launcher started it (MPI_Init costs ~0.3 s and a singleton
// job otherwise), and only then loads libmpi (CMPI dlopens it): without mpirun every command
// runs as if this file did not exist.
// MPI is called only from the thread that joined (MPI_THREAD_FUNNELED); the training
// threads of a rank never touch it.
import CMPI
import RawSpeechTraining
import Foundation

/// Why ranks cannot go on together.
public enum DistributedError: Error, Equatable, CustomStringConvertible {
    /// The ranks' weights are not the same bits after `update`.
    case replicasDiffer(update: Int, ranks: Int)
    /// A launcher started this process but Open MPI's library could not be loaded.
    case libraryUnavailable(String)
    /// MPI_Init_thread failed.
    case initFailed(status: Int32)

    public var description: String {
        switch self {
        case let .replicasDiffer(update, ranks):
            "the \(ranks) ranks' weights differ after update \(update) (ranks running different builds, CPUs "
                + "or BLAS kernels?): stopped; resume from the last checkpoint with the same binary and "
                + "OPENBLAS_CORETYPE on every node"
        case .libraryUnavailable(let reason):
            "started by mpirun or srun, but \(reason)"
        case .initFailed(let status):
            "MPI_Init_thread failed (error \(status))"
        }
    }
}

/// This process's place in an MPI job: rank `rank` of `count`.
public final class MPIWorld: ReplicaGroup, @unchecked Sendable {
    public let rank: Int
    public let count: Int
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

    /// Every rank on this machine: the same local size on every rank, so every rank agrees.
    public var sharesMachine: Bool { localCount == count }

    // Joined once per process (MPI allows one MPI_Init); only the main thread gets here.
    private nonisolated(unsafe) static var joined: MPIWorld?
    private nonisolated(unsafe) static var finished = false

    /// The job this process belongs to, joined (libmpi loaded, MPI_Init_thread) on the first
    /// call; nil when no launcher started it, or when it is a job of one process.
    public static func job() throws -> MPIWorld? {
        if joined == nil, isLaunched, !finished {
            var error = [CChar](repeating: 0, count: 512)
            guard rs_mpi_load(&error, error.count) == 0 else {
                throw DistributedError.libraryUnavailable(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            // A rank waiting in the allreduce yields its core instead of spinning on it, unless
            // the job says otherwise (`--mca mpi_yield_when_idle 0` reaches us as this variable):
            // on a loaded machine spinning took CPU from the rank it waited for (2 ranks x 1
            // thread, GRU-227: 63-117 ms per update spinning, 51-80 ms yielding, load 5,
            // interleaved; docs/PERFORMANCE.md). Read by Open MPI in MPI_Init.
            setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0)
            var rank: Int32 = 0, size: Int32 = 0
            let status = rs_mpi_init(&rank, &size)
            guard status == 0 else { throw DistributedError.initFailed(status: status) }
            joined = MPIWorld(rank: Int(rank), count: Int(size))
        }
        return joined.flatMap { $0.count > 1 ? $0 : nil }
    }

    private init(rank: Int, count: Int) {
        self.rank = rank
        self.count = count
    }

    /// MPI_Finalize, when this process joined a job (a rank that ends without it fails the job).
    public static func finish() {
        guard joined != nil else { return }
        rs_mpi_finalize()
        joined = nil
        finished = true
    }

    /// Ends every rank of the job with `code` (a rank that cannot go on while others wait).
    public func abort(_ code: Int32) -> Never {
        rs_mpi_abort(code)
        exit(code)
    }

    public func barrier() { rs_mpi_barrier() }

    /// Every rank's `bytes`, in rank order, on rank 0 (MPI_Gather of the sizes, then
    /// MPI_Gatherv); nil on the other ranks.
    public func gather(_ bytes: Data) -> [Data]? {
        let size = Int32(bytes.count)
        var sizes = [Int32](repeating: 0, count: count)
        rs_mpi_gather_int(size, &sizes)
        var offsets = [Int32](repeating: 0, count: count)
        for r in 1 ..< max(1, count) { offsets[r] = offsets[r - 1] + sizes[r - 1] }
        var received = [UInt8](repeating: 0, count: rank == 0 ? Int(sizes.reduce(0, +)) : 0)
        var sent = [UInt8](bytes)
        sent.withUnsafeMutableBytes { s in
            received.withUnsafeMutableBytes { r in
                _ = rs_mpi_gatherv_bytes(s.baseAddress, size, r.baseAddress, sizes, offsets)
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
                _ = rs_mpi_allreduce_sum_float(v.baseAddress, Int32(v.count))
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
        let sendCounts = slices.map { Int32($0.count) }, sendOffsets = slices.map { Int32($0.lowerBound) }
        let receiveCounts = [Int32](repeating: Int32(mine.count), count: N)
        let receiveOffsets = (0 ..< N).map { Int32($0 * mine.count) }
        values.withUnsafeMutableBufferPointer { v in
            scratch.withUnsafeMutableBufferPointer { s in
                _ = rs_mpi_alltoallv_float(v.baseAddress, sendCounts, sendOffsets, s.baseAddress, receiveCounts, receiveOffsets)
                let out = v.baseAddress! + mine.lowerBound
                out.update(from: s.baseAddress!, count: mine.count)
                for r in 1 ..< N {
                    let part = s.baseAddress! + r * mine.count
                    for i in 0 ..< mine.count { out[i] += part[i] }
                }
            }
            _ = rs_mpi_allgatherv_float(v.baseAddress, sendCounts, sendOffsets)
        }
    }

    public func share(_ values: inout [Float], counts: [Int]) {
        guard count > 1 else { return }
        precondition(counts.count == count && counts.reduce(0, +) <= values.count, "share: one count per rank")
        let sizes = counts.map { Int32($0) }
        var offsets = [Int32](repeating: 0, count: count)
        for r in 1 ..< count { offsets[r] = offsets[r - 1] + sizes[r - 1] }
        values.withUnsafeMutableBufferPointer { v in
            _ = rs_mpi_allgatherv_float(v.baseAddress, sizes, offsets)
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
            _ = rs_mpi_allreduce_max_uint64(p.baseAddress, 2)
        }
        if pair[0] != hash || ~pair[1] != hash { throw DistributedError.replicasDiffer(update: update, ranks: count) }
    }
}
