// See include/CMPI.h: Open MPI through dlopen, so that a process no launcher started never
// loads it. The declarations below are MPI's C bindings with the handle types as void *
// (in Open MPI they are pointers to its ompi_* structs).
#include "CMPI.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef void *Handle;
#define MPI_IN_PLACE ((void *) 1)
#define MPI_THREAD_FUNNELED 1

static struct {
    int (*init_thread)(int *, char ***, int, int *);
    int (*comm_rank)(Handle, int *);
    int (*comm_size)(Handle, int *);
    int (*finalize)(void);
    int (*abort)(Handle, int);
    int (*barrier)(Handle);
    int (*allreduce)(const void *, void *, int, Handle, Handle, Handle);
    int (*alltoallv)(const void *, const int *, const int *, Handle, void *, const int *, const int *, Handle, Handle);
    int (*allgatherv)(const void *, int, Handle, void *, const int *, const int *, Handle, Handle);
    int (*gather)(const void *, int, Handle, void *, int, Handle, int, Handle);
    int (*gatherv)(const void *, int, Handle, void *, const int *, const int *, Handle, int, Handle);
    Handle world, float_type, uint64_type, int_type, byte_type, sum, max;
} mpi;

int rs_mpi_load(char *error, size_t size) {
    const char *path = getenv("RAWSPEECH_LIBMPI");
    if (!path || !*path) path = "libmpi.so.40";
    // RTLD_GLOBAL: Open MPI's own plugins resolve libmpi's symbols through the global scope.
    void *library = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        snprintf(error, size, "cannot load %s (Open MPI's library; Debian: openmpi-bin): %s", path, dlerror());
        return 1;
    }
    struct { void **slot; const char *name; } symbols[] = {
        {(void **) &mpi.init_thread, "MPI_Init_thread"}, {(void **) &mpi.comm_rank, "MPI_Comm_rank"},
        {(void **) &mpi.comm_size, "MPI_Comm_size"}, {(void **) &mpi.finalize, "MPI_Finalize"},
        {(void **) &mpi.abort, "MPI_Abort"}, {(void **) &mpi.barrier, "MPI_Barrier"},
        {(void **) &mpi.allreduce, "MPI_Allreduce"}, {(void **) &mpi.alltoallv, "MPI_Alltoallv"},
        {(void **) &mpi.allgatherv, "MPI_Allgatherv"}, {(void **) &mpi.gather, "MPI_Gather"},
        {(void **) &mpi.gatherv, "MPI_Gatherv"},
        {&mpi.world, "ompi_mpi_comm_world"}, {&mpi.float_type, "ompi_mpi_float"},
        {&mpi.uint64_type, "ompi_mpi_uint64_t"}, {&mpi.int_type, "ompi_mpi_int"},
        {&mpi.byte_type, "ompi_mpi_byte"}, {&mpi.sum, "ompi_mpi_op_sum"}, {&mpi.max, "ompi_mpi_op_max"},
    };
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        *symbols[i].slot = dlsym(library, symbols[i].name);
        if (!*symbols[i].slot) {
            snprintf(error, size, "%s has no %s: not Open MPI 3.x-5.x?", path, symbols[i].name);
            return 1;
        }
    }
    return 0;
}

int rs_mpi_init(int *rank, int *size) {
    int provided = 0;
    int status = mpi.init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (status == 0) status = mpi.comm_rank(mpi.world, rank);
    if (status == 0) status = mpi.comm_size(mpi.world, size);
    return status;
}

int rs_mpi_finalize(void) { return mpi.finalize(); }
int rs_mpi_abort(int code) { return mpi.abort(mpi.world, code); }
int rs_mpi_barrier(void) { return mpi.barrier(mpi.world); }

int rs_mpi_allreduce_sum_float(float *values, int count) {
    return mpi.allreduce(MPI_IN_PLACE, values, count, mpi.float_type, mpi.sum, mpi.world);
}

int rs_mpi_allreduce_max_uint64(uint64_t *values, int count) {
    return mpi.allreduce(MPI_IN_PLACE, values, count, mpi.uint64_type, mpi.max, mpi.world);
}

int rs_mpi_alltoallv_float(const float *send, const int *send_counts, const int *send_offsets,
                           float *receive, const int *receive_counts, const int *receive_offsets) {
    return mpi.alltoallv(send, send_counts, send_offsets, mpi.float_type,
                         receive, receive_counts, receive_offsets, mpi.float_type, mpi.world);
}

int rs_mpi_allgatherv_float(float *values, const int *counts, const int *offsets) {
    return mpi.allgatherv(MPI_IN_PLACE, 0, mpi.float_type, values, counts, offsets, mpi.float_type, mpi.world);
}

int rs_mpi_gather_int(int value, int *values) {
    return mpi.gather(&value, 1, mpi.int_type, values, 1, mpi.int_type, 0, mpi.world);
}

int rs_mpi_gatherv_bytes(const void *send, int count, void *receive, const int *counts, const int *offsets) {
    return mpi.gatherv(send, count, mpi.byte_type, receive, counts, offsets, mpi.byte_type, 0, mpi.world);
}
