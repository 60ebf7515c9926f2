// C = beta C + A B for small m (the batch) against a B packed once into 32-column panels:
// the recurrent products h_{t-1} U of every step (and dG U^T of backward) at B > 1.
// OpenBLAS repacks U on every call (~17% of a GRU-227 B = 32 update went to its packing
// routines); U changes once per update, so packing it once per chunk and running a plain
// AVX-512 kernel on the panels is faster: 32 x 227 x 681 in 60 us against OpenBLAS's
// 89 us (tools/bench-kernels).
// Panel p holds columns 32p ..< 32p + 32 of B (zeros past n), k rows of 32 floats, so the
// kernel streams it sequentially; 8 rows of A at a time keep 16 accumulators in registers.
// Each output is summed over q = 0 ..< k in order, as a reference loop would. A last panel
// with 16 columns or fewer (n = 227 leaves 3 in the GRU's backward and candidate products)
// runs only its first 16 lanes. The cells may name up to two regions for the next step,
// which the kernel prefetches into L2 a line at a time between its FMAs
// (rs_gemm_packed_prefetch).
#include "CKernels.h"

ptrdiff_t rs_packed_panels_size(ptrdiff_t k, ptrdiff_t n) { return (n + 31) / 32 * 32 * k; }

void rs_pack_panels(ptrdiff_t k, ptrdiff_t n, const float *b, ptrdiff_t rowStride, ptrdiff_t columnStride,
                    float *packed) {
  // No per-element bounds test, and a row-major block copied as contiguous rows: packing
  // GRU-227's [Uz | Ur] takes 13 us this way against 44 us for the per-element loop, its
  // transpose 32 against 41 us (tools/bench-kernels); in training the packing stays ~1% of
  // an update (U comes from memory after the optimizer's step).
  const ptrdiff_t panels = (n + 31) / 32;
  for (ptrdiff_t p = 0; p < panels; p++) {
    float *panel = packed + p * k * 32;
    const ptrdiff_t first = p * 32, w = n - first < 32 ? n - first : 32;
    for (ptrdiff_t q = 0; q < k; q++) {
      const float *source = b + q * rowStride + first * columnStride;
      if (columnStride == 1) {
        for (ptrdiff_t c = 0; c < w; c++) panel[q * 32 + c] = source[c];
      } else {
        for (ptrdiff_t c = 0; c < w; c++) panel[q * 32 + c] = source[c * columnStride];
      }
      for (ptrdiff_t c = w; c < 32; c++) panel[q * 32 + c] = 0.0f;
    }
  }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

/// Hands out the cache lines of up to two regions, one at a time (prefetch_next).
typedef struct {
  const char *next, *end, *nextSecond, *endSecond;
} prefetch_cursor;

__attribute__((target("avx512f")))
static inline void prefetch_next(prefetch_cursor *cursor) {
  if (cursor->next < cursor->end) {
    _mm_prefetch(cursor->next, _MM_HINT_T1);
    cursor->next += 64;
  } else if (cursor->nextSecond < cursor->endSecond) {
    _mm_prefetch(cursor->nextSecond, _MM_HINT_T1);
    cursor->nextSecond += 64;
  }
}

/// c (8 rows, 32 columns through masks m0, m1) = beta c + 8 rows of a times one panel;
/// `wide` 0 when the second 16 columns are all padding (m1 = 0). Inlined with a constant
/// `wide`, so each case is its own loop.
__attribute__((target("avx512f"), always_inline))
static inline void tile8x32(ptrdiff_t k, const float *rows, ptrdiff_t lda, const float *panel, float beta, float *c,
                            ptrdiff_t ldc, __mmask16 m0, __mmask16 m1, int wide, ptrdiff_t interval,
                            prefetch_cursor *cursor) {
  __m512 c0[8], c1[8];
  for (int r = 0; r < 8; r++) {
    c0[r] = beta == 0 ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m0, c + r * ldc);
    c1[r] = beta == 0 || !wide ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m1, c + r * ldc + 16);
  }
  ptrdiff_t countdown = interval;
  for (ptrdiff_t q = 0; q < k; q++) {
    const __m512 b0 = _mm512_load_ps(panel + q * 32);
    const __m512 b1 = wide ? _mm512_load_ps(panel + q * 32 + 16) : b0;
    for (int r = 0; r < 8; r++) {
      const __m512 x = _mm512_set1_ps(rows[r * lda + q]);
      c0[r] = _mm512_fmadd_ps(x, b0, c0[r]);
      if (wide) c1[r] = _mm512_fmadd_ps(x, b1, c1[r]);
    }
    if (--countdown == 0) {
      countdown = interval;
      prefetch_next(cursor);
    }
  }
  for (int r = 0; r < 8; r++) {
    _mm512_mask_storeu_ps(c + r * ldc, m0, c0[r]);
    if (wide) _mm512_mask_storeu_ps(c + r * ldc + 16, m1, c1[r]);
  }
}

__attribute__((target("avx512f")))
static void gemm_packed_avx512(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda,
                               const float *packed, float beta, float *c, ptrdiff_t ldc,
                               const float *prefetch, ptrdiff_t prefetchCount,
                               const float *prefetchSecond, ptrdiff_t prefetchSecondCount) {
  const ptrdiff_t panels = (n + 31) / 32;
  // One prefetch every `interval` steps of q, spread over all tiles so that the regions'
  // lines are requested at an even pace while the FMAs run (a burst of them would queue
  // behind the line-fill buffers and stall the kernel).
  prefetch_cursor cursor = {(const char *)prefetch, (const char *)(prefetch + prefetchCount),
                            (const char *)prefetchSecond, (const char *)(prefetchSecond + prefetchSecondCount)};
  const ptrdiff_t lines = (prefetchCount + prefetchSecondCount + 15) / 16;
  const ptrdiff_t tiles = panels * ((m + 7) / 8);
  const ptrdiff_t perTile = (lines + tiles - 1) / tiles;
  const ptrdiff_t interval = perTile == 0 ? k + 1 : (k / perTile > 0 ? k / perTile : 1);
  for (ptrdiff_t p = 0; p < panels; p++) {
    const float *panel = packed + p * k * 32;
    const ptrdiff_t j = p * 32, w = n - j;
    const __mmask16 m0 = w >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << w) - 1u);
    const __mmask16 m1 = w >= 32 ? (__mmask16)0xFFFF : (w > 16 ? (__mmask16)((1u << (w - 16)) - 1u) : 0);
    ptrdiff_t i = 0;
    for (; i + 8 <= m; i += 8) {
      // A last panel of 16 columns or fewer (n = 227 leaves 3) runs half the FMAs.
      if (w > 16) tile8x32(k, a + i * lda, lda, panel, beta, c + i * ldc + j, ldc, m0, m1, 1, interval, &cursor);
      else tile8x32(k, a + i * lda, lda, panel, beta, c + i * ldc + j, ldc, m0, m1, 0, interval, &cursor);
    }
    for (; i < m; i++) {
      float *row = c + i * ldc + j;
      __m512 s0 = beta == 0 ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m0, row);
      __m512 s1 = beta == 0 ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m1, row + 16);
      const float *x = a + i * lda;
      for (ptrdiff_t q = 0; q < k; q++) {
        const __m512 v = _mm512_set1_ps(x[q]);
        s0 = _mm512_fmadd_ps(v, _mm512_load_ps(panel + q * 32), s0);
        s1 = _mm512_fmadd_ps(v, _mm512_load_ps(panel + q * 32 + 16), s1);
      }
      _mm512_mask_storeu_ps(row, m0, s0);
      _mm512_mask_storeu_ps(row + 16, m1, s1);
    }
  }
  while (cursor.next < cursor.end || cursor.nextSecond < cursor.endSecond) prefetch_next(&cursor);  // the rest, if any
}
#endif

int rs_gemm_packed(int variant, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda,
                   const float *packed, float beta, float *c, ptrdiff_t ldc) {
  return rs_gemm_packed_prefetch(variant, m, n, k, a, lda, packed, beta, c, ldc, NULL, 0, NULL, 0);
}

int rs_gemm_packed_prefetch(int variant, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda,
                            const float *packed, float beta, float *c, ptrdiff_t ldc,
                            const float *prefetch, ptrdiff_t prefetchCount,
                            const float *prefetchSecond, ptrdiff_t prefetchSecondCount) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  if (rs_runnable_variant(variant) == RS_KERNELS_AVX512) {
    gemm_packed_avx512(m, n, k, a, lda, packed, beta, c, ldc, prefetch, prefetchCount, prefetchSecond,
                       prefetchSecondCount);
    return 1;
  }
#endif
  return 0;
}
