// Kernel-level timings behind docs/PERFORMANCE.md's "What was done" items: CKernels'
// kernels against OpenBLAS on this project's shapes, each alone, best of N calls, both
// timed in the same run. Built and run by tools/bench-kernels (clang -O3 as SwiftPM, the CKernels sources,
// -lopenblas). Shapes: GRU-227 (U 227 x 681), LSTM-195 (195 x 780), K = 20, T = 100.
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <immintrin.h>

#include "CKernels.h"

static int repeats = 50;
static int variant;  // the kernels' variant, decided once as the Swift side does (KernelVariant.current)
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
static float *buffer(size_t count) {  // 64-byte aligned, filled with small values
  float *p = aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64);
  for (size_t i = 0; i < count; i++) p[i] = (float)((i * 7919) % 101) * 0.01f - 0.5f;
  return p;
}
#define BEST(seconds, body)                               \
  do {                                                    \
    seconds = 1e9;                                        \
    for (int r_ = 0; r_ < repeats; r_++) {                \
      double t_ = now();                                  \
      body;                                               \
      t_ = now() - t_;                                    \
      if (t_ < seconds) seconds = t_;                     \
    }                                                     \
  } while (0)

static void row(const char *what, double ours, double theirs, const char *theirName) {
  printf("%-46s %9.1f us  %-16s %9.1f us  %5.2fx\n", what, ours * 1e6, theirName, theirs * 1e6, theirs / ours);
}

// The per-step product at B > 1: h (m x k) times U's block (k x n), U packed once (item 8).
static void perStep(int m, int k, int n, int ldb, const char *label) {
  float *a = buffer((size_t)m * k), *b = buffer((size_t)k * ldb), *c = buffer((size_t)m * n);
  float *packed = buffer((size_t)rs_packed_panels_size(k, n));
  rs_pack_panels(k, n, b, ldb, 1, packed);
  double ours, blas;
  BEST(ours, rs_gemm_packed(variant, m, n, k, a, k, packed, 1, c, n));
  BEST(blas, cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, ldb, 1, c, n));
  row(label, ours, blas, "OpenBLAS sgemm");
  free(a); free(b); free(c); free(packed);
}

// A chunk-sized GEMM (T*B rows) on the packed kernel (packing included) against OpenBLAS.
static void chunk(int m, int k, int n, const char *label) {
  float *a = buffer((size_t)m * k), *b = buffer((size_t)k * n), *c = buffer((size_t)m * n);
  float *packed = buffer((size_t)rs_packed_panels_size(k, n));
  double ours, blas;
  BEST(ours, { rs_pack_panels(k, n, b, n, 1, packed); rs_gemm_packed(variant, m, n, k, a, k, packed, 1, c, n); });
  BEST(blas, cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 1, c, n));
  row(label, ours, blas, "OpenBLAS sgemm");
  free(a); free(b); free(c); free(packed);
}

// The pack itself, against the plain per-element loop with a bounds test it replaced.
static void packLoop(ptrdiff_t k, ptrdiff_t n, const float *b, ptrdiff_t rs, ptrdiff_t cs, float *packed) {
  const ptrdiff_t panels = (n + 31) / 32;
  for (ptrdiff_t p = 0; p < panels; p++)
    for (ptrdiff_t q = 0; q < k; q++)
      for (ptrdiff_t c = 0; c < 32; c++) {
        const ptrdiff_t j = p * 32 + c;
        packed[p * k * 32 + q * 32 + c] = j < n ? b[q * rs + j * cs] : 0.0f;
      }
}
static void packing(void) {
  const int H = 227, W = 681;
  float *u = buffer((size_t)H * W), *packed = buffer((size_t)rs_packed_panels_size(W, H) * 2);
  double ours, plain;
  BEST(ours, rs_pack_panels(H, 2 * H, u, W, 1, packed));
  BEST(plain, packLoop(H, 2 * H, u, W, 1, packed));
  row("pack [Uz | Ur] (227 x 454), forward", ours, plain, "per-element loop");
  BEST(ours, rs_pack_panels(2 * H, H, u, 1, W, packed));
  BEST(plain, packLoop(2 * H, H, u, 1, W, packed));
  row("pack [Uz | Ur]^T (454 x 227), backward", ours, plain, "per-element loop");
  free(u); free(packed);
}

// Reads count floats (a multiple of 64) with four independent 64-byte load streams.
static volatile int readSink;
__attribute__((target("avx512f"))) static void readAll(const float *p, size_t count) {
  __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
  for (size_t i = 0; i + 64 <= count; i += 64) {
    a = _mm512_xor_si512(a, _mm512_load_si512(p + i));
    b = _mm512_xor_si512(b, _mm512_load_si512(p + i + 16));
    c = _mm512_xor_si512(c, _mm512_load_si512(p + i + 32));
    d = _mm512_xor_si512(d, _mm512_load_si512(p + i + 48));
  }
  readSink = _mm512_reduce_or_epi32(_mm512_xor_si512(_mm512_xor_si512(a, b), _mm512_xor_si512(c, d)));
}

// B = 1: the per-step product as row dots on a transposed, padded U against sgemv, and a
// plain read of the same bytes (item 9).
static void rowDots(void) {
  const int H = 227, W = 681, padded = (H + 15) / 16 * 16;
  float *u = buffer((size_t)H * W), *ut = buffer((size_t)W * padded), *x = buffer(padded), *y = buffer(W);
  double ours, blas, read = 0;
  BEST(ours, rs_row_dots(variant, W, H, ut, padded, x, 0, y));
  BEST(blas, cblas_sgemv(CblasRowMajor, CblasTrans, H, W, 1, u, W, x, 1, 0, y, 1));
  row("B = 1: h U, GRU-227 (row dots, transposed U)", ours, blas, "OpenBLAS sgemv");
  // Backward's d h_{t-1} = dG U^T: dot products over U's rows, on a copy padded to 16.
  const int paddedW = (W + 15) / 16 * 16;
  float *up = buffer((size_t)H * paddedW), *g = buffer(paddedW);
  BEST(ours, rs_row_dots(variant, H, W, up, paddedW, g, 0, y));
  BEST(blas, cblas_sgemv(CblasRowMajor, CblasNoTrans, H, W, 1, u, W, g, 1, 0, y, 1));
  row("B = 1: dG U^T, GRU-227 (row dots, padded U)", ours, blas, "OpenBLAS sgemv");
  free(up); free(g);
  if (variant == RS_KERNELS_AVX512) {
    BEST(read, readAll(ut, (size_t)W * padded));
    printf("%-46s %9.1f us  (%zu KB, 64-byte loads, the floor for streaming U)\n", "  a plain read of the transposed U",
           read * 1e6, (size_t)W * padded * 4 / 1024);
  }
  free(u); free(ut); free(x); free(y);
}

// The input projection with its bias: bias rows copied then beta 1, against beta 0 with
// the bias added later in the step passes (item 13; OpenBLAS clears C itself for beta 0).
static void biasFold(void) {
  const int rows = 1600, inputs = 20, W = 681;
  float *x = buffer((size_t)rows * inputs), *w = buffer((size_t)inputs * W), *c = buffer((size_t)rows * W), *bias = buffer(W);
  double copyThenGemm, gemmBeta0;
  BEST(copyThenGemm, {
    for (int r = 0; r < rows; r++) memcpy(c + (size_t)r * W, bias, W * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, W, inputs, 1, x, inputs, w, W, 1, c, W);
  });
  BEST(gemmBeta0, cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, W, inputs, 1, x, inputs, w, W, 0, c, W));
  row("input projection 1600 x 20 x 681, beta 0", gemmBeta0, copyThenGemm, "bias rows+beta 1");
  free(x); free(w); free(c); free(bias);
}

int main(int argc, char **argv) {
  if (argc > 1) repeats = atoi(argv[1]);
  openblas_set_num_threads(1);
  variant = rs_kernels_variant();
  const char *variants[] = {"portable", "avx2", "avx512"};
  printf("# CKernels variant %s, OpenBLAS %s, 1 thread, best of %d calls each\n",
         variants[variant], openblas_get_corename(), repeats);
  printf("%-46s %12s  %-16s %12s  %s\n", "kernel (ours)", "time", "against", "time", "speed-up");
  if (variant < RS_KERNELS_AVX512) {
    printf("this CPU has no AVX-512: the packed kernel does not run here\n");
  } else {
    perStep(32, 227, 681, 681, "B = 32: h U, GRU-227 (32 x 227 x 681)");
    perStep(32, 681, 227, 227, "B = 32: dG U^T, GRU-227 (32 x 681 x 227)");
    perStep(32, 195, 780, 780, "B = 32: h U, LSTM-195 (32 x 195 x 780)");
    perStep(16, 227, 454, 681, "B = 16: h [Uz | Ur], GRU-227 (16 x 227 x 454)");
    chunk(3200, 20, 681, "chunk: input projection (3200 x 20 x 681)");
    chunk(3200, 227, 420, "chunk: head (3200 x 227 x 420)");
    packing();
  }
  rowDots();
  biasFold();
  return 0;
}
