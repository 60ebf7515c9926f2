// Weight noise's standard normal draws (see include/CKernels.h): Marsaglia's polar method on
// a xoshiro256** stream, 16 candidate pairs at a time. Why: the Swift loop
// (Training/WeightNoise.swift, `gaussianPair`) runs one FastMath.log, one divide and one
// square root per pair in scalar baseline x86-64 code: ~11% of an LSTM-195 update of 16 rows.
// The kernel gives the Swift loop's bits exactly, so a run's noise (and its checkpoints) does
// not depend on the variant:
// - the generator is the same xoshiro256** (Core/SeededGenerator.swift), drawn in order, one
//   64-bit draw per candidate pair (scalar: it is a serial recurrence);
// - u, v, u*u + v*v, the log's polynomial, -2 log(s) / s and its square root are each an
//   IEEE-rounded operation in the Swift order, no FMA (FP_CONTRACT OFF; VectorMath.h's
//   log16_rounded(x, 0));
// - accepted pairs are compressed out of each group of 16 candidates in order.
#include "CKernels.h"
#include "AVX512Only.h"

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#include "VectorMath.h"

static inline uint64_t rotate64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/// xoshiro256**'s next(), as SeededGenerator.next.
static inline uint64_t next64(uint64_t s[4]) {
  const uint64_t result = rotate64(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotate64(s[3], 45);
  return result;
}

__attribute__((target("avx512f")))
static void polar_gaussians_avx512(uint64_t state[4], ptrdiff_t count, float *z) {
  uint64_t s[4] = {state[0], state[1], state[2], state[3]};
  float a[16], b[16];
  const __m512 scale = _mm512_set1_ps(0x1p-23f), one = _mm512_set1_ps(1.0f);
  ptrdiff_t written = 0;
  while (written < count) {
    uint32_t high[16], middle[16];
    for (int l = 0; l < 16; l++) {
      const uint64_t bits = next64(s);
      high[l] = (uint32_t)(bits >> 40);
      middle[l] = (uint32_t)((bits >> 16) & 0xFFFFFF);
    }
    // Exact: 24-bit integers, times 2^-23, minus 1.
    const __m512 u = _mm512_sub_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_loadu_si512(high)), scale), one);
    const __m512 v = _mm512_sub_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_loadu_si512(middle)), scale), one);
    const __m512 sum = _mm512_add_ps(_mm512_mul_ps(u, u), _mm512_mul_ps(v, v));
    const __mmask16 inside = _mm512_cmp_ps_mask(sum, _mm512_setzero_ps(), _CMP_GT_OQ)
                           & _mm512_cmp_ps_mask(sum, one, _CMP_LT_OQ);
    // Rejected lanes compute on 0.5 (finite; discarded by the compress).
    const __m512 safe = _mm512_mask_blend_ps(inside, _mm512_set1_ps(0.5f), sum);
    const __m512 m = _mm512_sqrt_ps(_mm512_div_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0f), log16_rounded(safe, 0)), safe));
    _mm512_mask_compressstoreu_ps(a, inside, _mm512_mul_ps(u, m));
    _mm512_mask_compressstoreu_ps(b, inside, _mm512_mul_ps(v, m));
    const int accepted = __builtin_popcount((unsigned)inside);
    for (int p = 0; p < accepted && written < count; p++) {
      z[written++] = a[p];
      if (written < count) z[written++] = b[p];
    }
  }
}
#endif

int rs_polar_gaussians(int variant, uint64_t state[4], ptrdiff_t count, float *z) {
  RS_AVX512_ONLY(polar_gaussians_avx512(state, count, z))
  return 0;
}
