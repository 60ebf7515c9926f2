// The ceiling an LSTM-195 update of 16 rows could reach on this core (docs/PERFORMANCE.md,
// "Why the LSTM stops near 2x"): the FMA peak (16 independent chains of AVX-512 FMAs, so
// neither latency nor memory limits them) and one update's six chunk GEMMs (B = 16, T = 100,
// 1,600 rows) timed alone through OpenBLAS, one thread.
//   cc -O3 -mavx512f -mfma tools/bench-peak.c -o /tmp/bench-peak -lopenblas
//   OPENBLAS_CORETYPE=SkylakeX /tmp/bench-peak
#include <cblas.h>
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static double fma_peak(void) {
  __m512 a[16];
  const __m512 x = _mm512_set1_ps(1.0000001f), y = _mm512_set1_ps(0.9999999f);
  for (int i = 0; i < 16; i++) a[i] = _mm512_set1_ps((float)i);
  const long n = 200000000;
  const double start = now();
  for (long k = 0; k < n; k++)
    for (int i = 0; i < 16; i++) a[i] = _mm512_fmadd_ps(a[i], x, y);
  const double seconds = now() - start;
  float sink = 0;
  for (int i = 0; i < 16; i++) sink += _mm512_reduce_add_ps(a[i]);
  if (sink == 42) puts("");  // keeps the chains alive
  return n * 16.0 * 32 / seconds / 1e9;  // 16 lanes x 2 FLOP per FMA
}

/// c (m x n) += op(a) op(b), k inner; ms per call (median-free: the mean of 200 calls).
static double gemm_ms(int transposeA, int transposeB, int m, int n, int k) {
  float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = calloc((size_t)m * n, sizeof(float));
  for (long i = 0; i < (long)m * k; i++) a[i] = (float)(i % 7) * 0.1f;
  for (long i = 0; i < (long)k * n; i++) b[i] = (float)(i % 5) * 0.1f;
  const int calls = 200;
  const double start = now();
  for (int r = 0; r < calls; r++)
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, m, n, k,
                1.0f, a, transposeA ? m : k, b, transposeB ? k : n, 1.0f, c, n);
  const double ms = (now() - start) / calls * 1e3;
  free(a), free(b), free(c);
  return ms;
}

int main(void) {
  openblas_set_num_threads(1);
  printf("FMA peak, one core: %.1f GFLOP/s\n", fma_peak());
  const struct { const char *name; int ta, tb, m, n, k; } shapes[] = {
      {"input projection x W", 0, 0, 1600, 780, 20}, {"head forward h Wh", 0, 0, 1600, 420, 195},
      {"head dWh = h^T dO", 1, 0, 195, 420, 1600},    {"head dh = dO Wh^T", 0, 1, 1600, 195, 420},
      {"dU = h^T dG", 1, 0, 195, 780, 1600},           {"dW = x^T dG", 1, 0, 20, 780, 1600},
  };
  double total = 0;
  for (int i = 0; i < 6; i++) {
    const double ms = gemm_ms(shapes[i].ta, shapes[i].tb, shapes[i].m, shapes[i].n, shapes[i].k);
    total += ms;
    printf("%-22s m %5d n %4d k %5d: %6.3f ms %6.1f GFLOP/s\n", shapes[i].name, shapes[i].m, shapes[i].n, shapes[i].k, ms,
           2.0 * shapes[i].m * shapes[i].n * shapes[i].k / ms / 1e6);
  }
  printf("the six chunk GEMMs: %.2f ms\n", total);
  return 0;
}
