// y = beta y + W x with W's rows as contiguous dot products (see include/CKernels.h).
// Why: at batch 1 the recurrent product h U is a matrix-vector product over U (H x G*H,
// 618 KB for GRU-227) that lives in L2. OpenBLAS's row-major transposed sgemv walks U
// column block by column block and reaches ~66 GB/s here; with U stored transposed each
// output is one dot product over a contiguous row, which streams at close to L2's read
// rate (~145 GB/s measured): 5.4 us against 9.3 us for 227 x 681.
// Four rows share each load of x; the k tail is masked (AVX-512) or scalar (AVX2), so
// nothing past x[k - 1] or a row's end is ever read.
#include "CKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define RS_X86 1
#endif

static void row_dots_portable(ptrdiff_t n, ptrdiff_t k, const float *w, ptrdiff_t ldw,
                              const float *x, float beta, float *y) {
  for (ptrdiff_t j = 0; j < n; j++) {
    const float *row = w + j * ldw;
    float sum = 0;
    for (ptrdiff_t p = 0; p < k; p++) sum += x[p] * row[p];
    y[j] = beta == 0 ? sum : beta * y[j] + sum;
  }
}

#ifdef RS_X86
/// The upper eight lanes (AVX-512F alone has no 32x8 extract: go through the 64x4 one).
__attribute__((target("avx512f")))
static inline __m256 upper_half(__m512 v) {
  return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

__attribute__((target("avx512f")))
static void row_dots_avx512(ptrdiff_t n, ptrdiff_t k, const float *w, ptrdiff_t ldw,
                            const float *x, float beta, float *y) {
  const ptrdiff_t full = k & ~(ptrdiff_t)15;
  const __mmask16 tail = (__mmask16)((1u << (k - full)) - 1u);
  ptrdiff_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *r0 = w + j * ldw, *r1 = r0 + ldw, *r2 = r1 + ldw, *r3 = r2 + ldw;
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (ptrdiff_t p = 0; p < full; p += 16) {
      const __m512 v = _mm512_loadu_ps(x + p);
      s0 = _mm512_fmadd_ps(v, _mm512_loadu_ps(r0 + p), s0);
      s1 = _mm512_fmadd_ps(v, _mm512_loadu_ps(r1 + p), s1);
      s2 = _mm512_fmadd_ps(v, _mm512_loadu_ps(r2 + p), s2);
      s3 = _mm512_fmadd_ps(v, _mm512_loadu_ps(r3 + p), s3);
    }
    if (tail) {
      const __m512 v = _mm512_maskz_loadu_ps(tail, x + full);
      s0 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(tail, r0 + full), s0);
      s1 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(tail, r1 + full), s1);
      s2 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(tail, r2 + full), s2);
      s3 = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(tail, r3 + full), s3);
    }
    // Reduce the four accumulators together: 128-bit lanes, then within them.
    const __m256 h0 = _mm256_add_ps(_mm512_castps512_ps256(s0), upper_half(s0));
    const __m256 h1 = _mm256_add_ps(_mm512_castps512_ps256(s1), upper_half(s1));
    const __m256 h2 = _mm256_add_ps(_mm512_castps512_ps256(s2), upper_half(s2));
    const __m256 h3 = _mm256_add_ps(_mm512_castps512_ps256(s3), upper_half(s3));
    const __m256 a01 = _mm256_hadd_ps(h0, h1), a23 = _mm256_hadd_ps(h2, h3);
    const __m256 a = _mm256_hadd_ps(a01, a23);  // per 128-bit half: [s0 s1 s2 s3] partials
    const __m128 sums = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    if (beta == 0) _mm_storeu_ps(y + j, sums);
    else _mm_storeu_ps(y + j, _mm_add_ps(_mm_mul_ps(_mm_set1_ps(beta), _mm_loadu_ps(y + j)), sums));
  }
  for (; j < n; j++) {
    const float *row = w + j * ldw;
    __m512 s = _mm512_setzero_ps();
    for (ptrdiff_t p = 0; p < full; p += 16) s = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_loadu_ps(row + p), s);
    if (tail) s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x + full), _mm512_maskz_loadu_ps(tail, row + full), s);
    const float sum = _mm512_reduce_add_ps(s);
    y[j] = beta == 0 ? sum : beta * y[j] + sum;
  }
}

__attribute__((target("avx2,fma")))
static void row_dots_avx2(ptrdiff_t n, ptrdiff_t k, const float *w, ptrdiff_t ldw,
                          const float *x, float beta, float *y) {
  const ptrdiff_t full = k & ~(ptrdiff_t)7;
  ptrdiff_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *r0 = w + j * ldw, *r1 = r0 + ldw, *r2 = r1 + ldw, *r3 = r2 + ldw;
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (ptrdiff_t p = 0; p < full; p += 8) {
      const __m256 v = _mm256_loadu_ps(x + p);
      s0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(r0 + p), s0);
      s1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(r1 + p), s1);
      s2 = _mm256_fmadd_ps(v, _mm256_loadu_ps(r2 + p), s2);
      s3 = _mm256_fmadd_ps(v, _mm256_loadu_ps(r3 + p), s3);
    }
    const __m256 a = _mm256_hadd_ps(_mm256_hadd_ps(s0, s1), _mm256_hadd_ps(s2, s3));
    __m128 sums = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    float out[4];
    _mm_storeu_ps(out, sums);
    for (ptrdiff_t p = full; p < k; p++) {
      out[0] += x[p] * r0[p]; out[1] += x[p] * r1[p]; out[2] += x[p] * r2[p]; out[3] += x[p] * r3[p];
    }
    for (int q = 0; q < 4; q++) y[j + q] = beta == 0 ? out[q] : beta * y[j + q] + out[q];
  }
  for (; j < n; j++) {
    const float *row = w + j * ldw;
    __m256 s = _mm256_setzero_ps();
    for (ptrdiff_t p = 0; p < full; p += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(row + p), s);
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    q = _mm_hadd_ps(q, q);
    q = _mm_hadd_ps(q, q);
    float sum = _mm_cvtss_f32(q);
    for (ptrdiff_t p = full; p < k; p++) sum += x[p] * row[p];
    y[j] = beta == 0 ? sum : beta * y[j] + sum;
  }
}
#endif

void rs_row_dots(int variant, ptrdiff_t n, ptrdiff_t k, const float *w, ptrdiff_t ldw,
                 const float *x, float beta, float *y) {
  switch (rs_runnable_variant(variant)) {
#ifdef RS_X86
  case RS_KERNELS_AVX512: row_dots_avx512(n, k, w, ldw, x, beta, y); return;
  case RS_KERNELS_AVX2: row_dots_avx2(n, k, w, ldw, x, beta, y); return;
#endif
  default: row_dots_portable(n, k, w, ldw, x, beta, y); return;
  }
}
