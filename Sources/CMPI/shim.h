// Open MPI for Swift: mpi.h, plus the handles Swift cannot import (MPI_COMM_WORLD, MPI_FLOAT,
// MPI_SUM, MPI_IN_PLACE are macros over addresses of library globals) as inline functions.
#include <mpi.h>

static inline MPI_Comm rs_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype rs_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype rs_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype rs_mpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Datatype rs_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype rs_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op rs_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op rs_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op rs_mpi_min(void) { return MPI_MIN; }
static inline void *rs_mpi_in_place(void) { return MPI_IN_PLACE; }
