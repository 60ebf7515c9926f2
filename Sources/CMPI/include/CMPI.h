// Open MPI for Swift, loaded only when a job needs it. The few MPI calls rawspeech makes,
// as plain C functions on plain types: Swift cannot import mpi.h's handle macros
// (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM are addresses of library globals), and linking libmpi
// would cost every command ~4 ms of loading libmpi, libopen-rte, libopen-pal, hwloc and
// libevent even when no mpirun started it. So libmpi.so.40 (Open MPI 3.x-5.x) is dlopened by
// rs_mpi_load and every call goes through dlsym'd pointers; the handles are Open MPI's
// (ompi_mpi_* globals, MPI_IN_PLACE = (void *) 1). All calls work on MPI_COMM_WORLD.
#pragma once
#include <stddef.h>
#include <stdint.h>

/// Loads libmpi (or $RAWSPEECH_LIBMPI) and resolves every symbol; 0 on success, otherwise
/// writes why into `error`.
int rs_mpi_load(char *error, size_t size);

/// MPI_Init_thread(MPI_THREAD_FUNNELED); then this process's rank and the job's size.
int rs_mpi_init(int *rank, int *size);
int rs_mpi_finalize(void);
int rs_mpi_abort(int code);
int rs_mpi_barrier(void);

/// In-place MPI_Allreduce of floats with MPI_SUM.
int rs_mpi_allreduce_sum_float(float *values, int count);
/// In-place MPI_Allreduce of 64-bit unsigned integers with MPI_MAX.
int rs_mpi_allreduce_max_uint64(uint64_t *values, int count);
/// MPI_Alltoallv of floats.
int rs_mpi_alltoallv_float(const float *send, const int *send_counts, const int *send_offsets,
                           float *receive, const int *receive_counts, const int *receive_offsets);
/// In-place MPI_Allgatherv of floats: rank r's block is values[offsets[r] ..< + counts[r]].
int rs_mpi_allgatherv_float(float *values, const int *counts, const int *offsets);
/// MPI_Gather of one int per rank to rank 0 (`values`: one per rank, read on rank 0 only).
int rs_mpi_gather_int(int value, int *values);
/// MPI_Gatherv of bytes to rank 0.
int rs_mpi_gatherv_bytes(const void *send, int count, void *receive, const int *counts, const int *offsets);
