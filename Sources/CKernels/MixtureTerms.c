// The mixture head's exp/log pass (see include/CKernels.h) in AVX-512: 16 lanes where the
// package's Swift build (baseline x86-64, SSE2) gets 4. It was ~10% of a GRU-227 B = 32
// training update and of scoring. exp and log are FastMath.swift's Cephes polynomials,
// written with the same clamps and integer tricks; FMA contraction makes the last bit
// differ. NaN in a log-std or mean reaches `terms` as NaN (through z), as in Swift.
#include "CKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

__attribute__((target("avx512f")))
static inline __m512 exp16(__m512 x) {
  // max/min return their second operand when either is NaN: x is second, so NaN stays.
  const __m512 clamped = _mm512_min_ps(_mm512_set1_ps(88.0f), _mm512_max_ps(_mm512_set1_ps(-87.33654f), x));
  const __m512 shift = _mm512_set1_ps(12582912.0f);  // 1.5 * 2^23
  const __m512 shifted = _mm512_add_ps(_mm512_mul_ps(clamped, _mm512_set1_ps(1.44269504f)), shift);
  const __m512 n = _mm512_sub_ps(shifted, shift);
  const __m512 r = _mm512_add_ps(_mm512_sub_ps(clamped, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f))),
                                 _mm512_mul_ps(n, _mm512_set1_ps(2.1219444e-4f)));
  __m512 p = _mm512_set1_ps(1.98756915e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.39819995e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.16657959e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.66666655e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.00000012e-1f));
  const __m512 mantissa = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
  const __m512i exponent = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(0x4B400000));
  const __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(exponent, _mm512_set1_epi32(127)), 23));
  return _mm512_mul_ps(mantissa, scale);
}

/// Natural log of positive finite x (FastMath.log).
__attribute__((target("avx512f")))
static inline __m512 log16(__m512 x) {
  const __m512i shifted = _mm512_sub_epi32(_mm512_castps_si512(x), _mm512_set1_epi32(0x3F3504F3));
  const __m512 k = _mm512_cvtepi32_ps(_mm512_srai_epi32(shifted, 23));
  const __m512 m = _mm512_sub_ps(
      _mm512_castsi512_ps(_mm512_add_epi32(_mm512_and_si512(shifted, _mm512_set1_epi32(0x007FFFFF)),
                                           _mm512_set1_epi32(0x3F3504F3))),
      _mm512_set1_ps(1.0f));
  const __m512 z = _mm512_mul_ps(m, m);
  __m512 y = _mm512_set1_ps(7.0376836292e-2f);
  y = _mm512_fmadd_ps(y, m, _mm512_set1_ps(-1.1514610310e-1f));
  y = _mm512_fmadd_ps(y, m, _mm512_set1_ps(1.1676998740e-1f));
  y = _mm512_fmadd_ps(y, m, _mm512_set1_ps(-1.2420140846e-1f));
  y = _mm512_fmadd_ps(y, m, _mm512_set1_ps(1.4249322787e-1f));
  y = _mm512_fmadd_ps(y, m, _mm512_set1_ps(-1.6668057665e-1f));
  y = _mm512_fmadd_ps(y, m, _mm512_set1_ps(2.0000714765e-1f));
  y = _mm512_fmadd_ps(y, m, _mm512_set1_ps(-2.4999993993e-1f));
  y = _mm512_fmadd_ps(y, m, _mm512_set1_ps(3.3333331174e-1f));
  y = _mm512_mul_ps(_mm512_mul_ps(y, m), z);
  y = _mm512_fmadd_ps(_mm512_set1_ps(-2.12194440e-4f), k, y);
  y = _mm512_fmadd_ps(_mm512_set1_ps(-0.5f), z, y);
  return _mm512_fmadd_ps(_mm512_set1_ps(0.693359375f), k, _mm512_add_ps(m, y));
}

__attribute__((target("avx512f")))
static void mixture_terms_avx512(ptrdiff_t count, const float *logStd, const float *mean, const float *target,
                                 float floor, float *sigmaOut, float *termsOut) {
  const __m512 floorV = _mm512_set1_ps(floor), half = _mm512_set1_ps(0.5f);
  for (ptrdiff_t i = 0; i < count; i += 16) {
    const __mmask16 lanes = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1u);
    // Masked-off lanes load 1.0 (a harmless sigma) and are never stored.
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 sigma = _mm512_add_ps(floorV, exp16(_mm512_mask_loadu_ps(_mm512_setzero_ps(), lanes, logStd + i)));
    const __m512 diff = _mm512_sub_ps(_mm512_mask_loadu_ps(one, lanes, target + i), _mm512_mask_loadu_ps(one, lanes, mean + i));
    const __m512 z = _mm512_div_ps(diff, sigma);
    _mm512_mask_storeu_ps(sigmaOut + i, lanes, sigma);
    _mm512_mask_storeu_ps(termsOut + i, lanes, _mm512_fmadd_ps(_mm512_mul_ps(half, z), z, log16(sigma)));
  }
}
#endif

int rs_mixture_terms(ptrdiff_t count, const float *logStd, const float *mean, const float *target,
                     float floor, float *sigma, float *terms) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  if (rs_kernels_variant() == RS_KERNELS_AVX512) {
    mixture_terms_avx512(count, logStd, mean, target, floor, sigma, terms);
    return 1;
  }
#endif
  return 0;
}
