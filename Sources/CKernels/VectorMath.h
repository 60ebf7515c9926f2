// The AVX-512 exp, log, tanh and sigmoid of 16 floats that the CKernels passes share
// (Activations.c, MixtureKernels.c, GRUKernels.c): FastMath.swift's polynomials (Cephes, Eigen) with the
// same clamps and integer tricks, so a pass and its Swift reference agree to float
// rounding (FMA contraction and the reciprocal's Newton step make the last bits differ). Private to the target: included
// by the .c files after <immintrin.h>, never by Swift.
#ifndef RAWSPEECH_VECTOR_MATH_H
#define RAWSPEECH_VECTOR_MATH_H

/// FastMath.exp: clamped to [-87.34, 88], NaN propagates.
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

/// Natural log of positive finite x (FastMath.log). `fused` 1 runs the polynomial's steps as
/// FMAs; 0 rounds every product and sum on its own, bitwise FastMath.log as the package's
/// Swift build (no FMA) computes it (Gaussians.c needs those bits). A constant argument:
/// each caller compiles one branch.
__attribute__((target("avx512f")))
static inline __m512 log16_rounded(__m512 x, int fused) {
  const __m512i shifted = _mm512_sub_epi32(_mm512_castps_si512(x), _mm512_set1_epi32(0x3F3504F3));
  const __m512 k = _mm512_cvtepi32_ps(_mm512_srai_epi32(shifted, 23));
  const __m512 m = _mm512_sub_ps(
      _mm512_castsi512_ps(_mm512_add_epi32(_mm512_and_si512(shifted, _mm512_set1_epi32(0x007FFFFF)),
                                           _mm512_set1_epi32(0x3F3504F3))),
      _mm512_set1_ps(1.0f));
  const __m512 z = _mm512_mul_ps(m, m);
  // a b + c, fused or rounded twice (x - c and x + (-c) round alike).
#define RS_MUL_ADD(a, b, c) (fused ? _mm512_fmadd_ps((a), (b), (c)) : _mm512_add_ps(_mm512_mul_ps((a), (b)), (c)))
  static const float coefficients[] = {-1.1514610310e-1f, 1.1676998740e-1f, -1.2420140846e-1f, 1.4249322787e-1f,
                                       -1.6668057665e-1f, 2.0000714765e-1f, -2.4999993993e-1f, 3.3333331174e-1f};
  __m512 y = _mm512_set1_ps(7.0376836292e-2f);
  for (int i = 0; i < 8; i++) y = RS_MUL_ADD(y, m, _mm512_set1_ps(coefficients[i]));
  y = _mm512_mul_ps(_mm512_mul_ps(y, m), z);
  y = RS_MUL_ADD(_mm512_set1_ps(-2.12194440e-4f), k, y);
  y = RS_MUL_ADD(_mm512_set1_ps(-0.5f), z, y);
  return RS_MUL_ADD(_mm512_set1_ps(0.693359375f), k, _mm512_add_ps(m, y));
#undef RS_MUL_ADD
}

/// FastMath.log with FMAs (the mixture kernels).
__attribute__((target("avx512f")))
static inline __m512 log16(__m512 x) { return log16_rounded(x, 1); }

/// 1 / x for finite nonzero x: the 14-bit estimate and one Newton step, within an ulp or
/// two of the division (which at ~10 cycles per 16 lanes bounded the gate passes).
__attribute__((target("avx512f")))
static inline __m512 recip16(__m512 x) {
  const __m512 estimate = _mm512_rcp14_ps(x);
  // e (2 - x e), as e + e (1 - x e)
  return _mm512_fmadd_ps(estimate, _mm512_fnmadd_ps(x, estimate, _mm512_set1_ps(1.0f)), estimate);
}

/// FastMath.tanh: Eigen's rational x P(x^2) / Q(x^2) on x clamped to +-7.99881.
__attribute__((target("avx512f")))
static inline __m512 tanh16(__m512 x) {
  const __m512 c = _mm512_min_ps(_mm512_set1_ps(7.9988117f), _mm512_max_ps(_mm512_set1_ps(-7.9988117f), x));
  const __m512 z = _mm512_mul_ps(c, c);
  __m512 p = _mm512_set1_ps(-2.7607685e-16f);
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.0001879e-13f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-8.6046715e-11f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(5.1222971e-8f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.4857224e-5f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(6.3726193e-4f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(4.8935246e-3f));
  __m512 q = _mm512_set1_ps(1.1982584e-6f);
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(1.1853471e-4f));
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(2.2684346e-3f));
  q = _mm512_fmadd_ps(q, z, _mm512_set1_ps(4.8935252e-3f));
  return _mm512_mul_ps(_mm512_mul_ps(c, p), recip16(q));
}

/// 1 / (1 + exp(-x)), as FastMath.sigmoid.
__attribute__((target("avx512f")))
static inline __m512 sigmoid16(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  return recip16(_mm512_add_ps(one, exp16(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

/// Lanes i < count of a 16-float block (all 16 when count >= 16).
static inline __mmask16 lanes16(ptrdiff_t count) {
  return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1u);
}

#endif
