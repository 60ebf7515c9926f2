// The transcendental passes (see include/CKernels.h) in AVX-512: 16 lanes where the
// package's Swift build (baseline x86-64, SSE2) gets 4. The mixture head's exp/log pass was
// ~10% of a GRU-227 B = 32 training update and of scoring, the gates' sigmoid/tanh ~6%.
// exp, log and tanh are FastMath.swift's polynomials (Cephes, Eigen), written with the same
// clamps and integer tricks; FMA contraction makes the last bit differ. NaN in a log-std
// or mean reaches `terms` as NaN (through z), as in Swift. The plain Swift loops are the
// references (MixtureKernel.termsReference, FastMath) and the fallbacks.
#include "CKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#include "VectorMath.h"

__attribute__((target("avx512f")))
static void sigmoid_avx512(ptrdiff_t count, const float *x, float *y) {
  for (ptrdiff_t i = 0; i < count; i += 16) {
    const __mmask16 lanes = lanes16(count - i);
    _mm512_mask_storeu_ps(y + i, lanes, sigmoid16(_mm512_maskz_loadu_ps(lanes, x + i)));
  }
}

__attribute__((target("avx512f")))
static void tanh_avx512(ptrdiff_t count, const float *x, float *y) {
  for (ptrdiff_t i = 0; i < count; i += 16) {
    const __mmask16 lanes = count - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, lanes, tanh16(_mm512_maskz_loadu_ps(lanes, x + i)));
  }
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

int rs_sigmoid(ptrdiff_t count, const float *x, float *y) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  if (rs_kernels_variant() == RS_KERNELS_AVX512) { sigmoid_avx512(count, x, y); return 1; }
#endif
  return 0;
}

int rs_tanh(ptrdiff_t count, const float *x, float *y) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  if (rs_kernels_variant() == RS_KERNELS_AVX512) { tanh_avx512(count, x, y); return 1; }
#endif
  return 0;
}
