// C = beta C + A B for small m (the batch) against a B packed once into 32-column panels:
// the recurrent products h_{t-1} U of every step (and dG U^T of backward) at B > 1.
// OpenBLAS repacks U on every call (~17% of a GRU-227 B = 32 update went to its packing
// routines); U changes once per update, so packing it once per chunk and running a plain
// AVX-512 kernel on the panels is faster: 32 x 227 x 681 in 135 us against OpenBLAS's
// 190 us, same load (both lower when the machine is idle).
// Panel p holds columns 32p ..< 32p + 32 of B (zeros past n), k rows of 32 floats, so the
// kernel streams it sequentially; 8 rows of A at a time keep 16 accumulators in registers.
// Each output is summed over q = 0 ..< k in order, as a reference loop would.
#include "CKernels.h"

ptrdiff_t rs_packed_panels_size(ptrdiff_t k, ptrdiff_t n) { return (n + 31) / 32 * 32 * k; }

void rs_pack_panels(ptrdiff_t k, ptrdiff_t n, const float *b, ptrdiff_t rowStride, ptrdiff_t columnStride,
                    float *packed) {
  const ptrdiff_t panels = (n + 31) / 32;
  for (ptrdiff_t p = 0; p < panels; p++) {
    float *panel = packed + p * k * 32;
    for (ptrdiff_t q = 0; q < k; q++) {
      for (ptrdiff_t c = 0; c < 32; c++) {
        const ptrdiff_t j = p * 32 + c;
        panel[q * 32 + c] = j < n ? b[q * rowStride + j * columnStride] : 0.0f;
      }
    }
  }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

__attribute__((target("avx512f")))
static void gemm_packed_avx512(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda,
                               const float *packed, float beta, float *c, ptrdiff_t ldc) {
  const ptrdiff_t panels = (n + 31) / 32;
  for (ptrdiff_t p = 0; p < panels; p++) {
    const float *panel = packed + p * k * 32;
    const ptrdiff_t j = p * 32, w = n - j;
    const __mmask16 m0 = w >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << w) - 1u);
    const __mmask16 m1 = w >= 32 ? (__mmask16)0xFFFF : (w > 16 ? (__mmask16)((1u << (w - 16)) - 1u) : 0);
    ptrdiff_t i = 0;
    for (; i + 8 <= m; i += 8) {
      __m512 c0[8], c1[8];
      for (int r = 0; r < 8; r++) {
        float *row = c + (i + r) * ldc + j;
        c0[r] = beta == 0 ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m0, row);
        c1[r] = beta == 0 ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(m1, row + 16);
      }
      const float *rows = a + i * lda;
      for (ptrdiff_t q = 0; q < k; q++) {
        const __m512 b0 = _mm512_load_ps(panel + q * 32), b1 = _mm512_load_ps(panel + q * 32 + 16);
        for (int r = 0; r < 8; r++) {
          const __m512 x = _mm512_set1_ps(rows[r * lda + q]);
          c0[r] = _mm512_fmadd_ps(x, b0, c0[r]);
          c1[r] = _mm512_fmadd_ps(x, b1, c1[r]);
        }
      }
      for (int r = 0; r < 8; r++) {
        float *row = c + (i + r) * ldc + j;
        _mm512_mask_storeu_ps(row, m0, c0[r]);
        _mm512_mask_storeu_ps(row + 16, m1, c1[r]);
      }
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
}
#endif

int rs_gemm_packed(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda,
                   const float *packed, float beta, float *c, ptrdiff_t ldc) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  if (rs_kernels_variant() == RS_KERNELS_AVX512) {
    gemm_packed_avx512(m, n, k, a, lda, packed, beta, c, ldc);
    return 1;
  }
#endif
  return 0;
}
