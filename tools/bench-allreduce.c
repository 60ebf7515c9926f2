// In-place MPI_Allreduce (MPI_SUM) of COUNT floats, the message rawspeech sends per update:
// the median and mean of REPEATS calls after a warm-up (each call's time on the slowest rank),
// printed by rank 0 as JSON, one line per count. Built and run by tools/bench-cluster:
// mpicc -O2 tools/bench-allreduce.c -o /tmp/x; mpirun -np 2 /tmp/x COUNT[,COUNT...] REPEATS
// (several counts: the points the latency and bandwidth of the cost model are fitted to).
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int compare(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    const char *counts = argc > 1 ? argv[1] : "680000";
    int repeats = argc > 2 ? atoi(argv[2]) : 200, rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    for (const char *next = counts; *next;) {
        char *end;
        const long count = strtol(next, &end, 10);
        if (end == next || count <= 0 || count > 1 << 28 || (*end != ',' && *end != '\0')) {
            fprintf(stderr, "bench-allreduce: bad count list %s (positive integers, commas between)\n", counts);
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
        next = *end == ',' ? end + 1 : end;
        float *values = calloc((size_t) count, sizeof(float));
        double *times = calloc((size_t) repeats, sizeof(double)), sum = 0;
        for (int i = 0; i < 10; i++) MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        for (int i = 0; i < repeats; i++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double start = MPI_Wtime();
            MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            times[i] = MPI_Wtime() - start;
            sum += times[i];
        }
        // Each call's time on the slower rank: after the barrier one rank may start a one-way
        // latency before the other (two stable orders), and the one that starts first is the one
        // that waits for the whole exchange; rank 0 alone would measure 2 latencies or nearly 0
        // depending on which order a run settles in.
        MPI_Allreduce(MPI_IN_PLACE, times, repeats, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        sum = 0;
        for (int i = 0; i < repeats; i++) sum += times[i];
        qsort(times, (size_t) repeats, sizeof(double), compare);
        if (rank == 0) printf("{\"floats\": %ld, \"median_ms\": %.4f, \"mean_ms\": %.4f}\n", count,
                              times[repeats / 2] * 1e3, sum / repeats * 1e3);
        free(values);
        free(times);
    }
    MPI_Finalize();
    return 0;
}
