// The mixture head's loss and gradient (see include/CKernels.h) in AVX-512: 16 lanes where
// the package's Swift build (baseline x86-64, SSE2) gets 4. The head's exp/log pass was
// ~10% of a GRU-227 B = 32 training update and of scoring.
// exp, log and tanh are FastMath.swift's polynomials (Cephes, Eigen), written with the same
// clamps and integer tricks; FMA contraction makes the last bit differ. NaN in a log-std
// or mean reaches `terms` as NaN (through z), as in Swift. The plain Swift loops are the
// references (MixtureKernel.termsReference, FastMath) and the fallbacks.
#include "CKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#include "VectorMath.h"

#define RS_MIXTURE_MAX 4096  // K*D the row kernels take (stack scratch)

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

// log sum exp of v[0 ..< count] as MixtureKernel.logSumExp: NaN anywhere gives NaN, a
// non-finite maximum (all -inf, or +inf) is returned as is. The sum runs in 16 lanes
// (a different order from the Swift loop: the last bit may differ).
__attribute__((target("avx512f")))
static float log_sum_exp_avx512(ptrdiff_t count, const float *v) {
  float maximum = -__builtin_inff();
  int sawNaN = 0;
  for (ptrdiff_t k = 0; k < count; k++) {
    if (v[k] > maximum) maximum = v[k];
    if (v[k] != v[k]) sawNaN = 1;
  }
  if (sawNaN) return __builtin_nanf("");
  if (maximum - maximum != 0.0f) return maximum;
  const __m512 maxV = _mm512_set1_ps(maximum);
  __m512 sum = _mm512_setzero_ps();
  for (ptrdiff_t k = 0; k < count; k += 16) {
    const __mmask16 lanes = count - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count - k)) - 1u);
    const __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, v + k), maxV));
    sum = _mm512_mask_add_ps(sum, lanes, sum, e);
  }
  const __m512 total = _mm512_set1_ps(_mm512_reduce_add_ps(sum));
  return maximum + _mm512_cvtss_f32(log16(total));
}

// The mixture NLL (MixtureKernel.forward) over whole rows of frames: log sum exp of the
// logits, the K*D terms pass with the target tiled per component, the per-component sums
// over D into log joints, and log p as their log sum exp. Returns the sum of -log p.
__attribute__((target("avx512f")))
static double mixture_forward_avx512(ptrdiff_t rows, ptrdiff_t K, ptrdiff_t D, const float *outputs,
                                     const float *targets, float floor, float halfLogTwoPiTimesD,
                                     float *sigmas, float *logJoints, float *frameLosses,
                                     float *logNormalisers) {
  float targetTiled[RS_MIXTURE_MAX] __attribute__((aligned(64)));
  float terms[RS_MIXTURE_MAX] __attribute__((aligned(64)));
  const ptrdiff_t KD = K * D, width = K + 2 * KD;
  double total = 0;
  for (ptrdiff_t row = 0; row < rows; row++) {
    const float *out = outputs + row * width, *target = targets + row * D;
    float *sigma = sigmas + row * KD, *logJoint = logJoints + row * K;
    const float logNormaliser = log_sum_exp_avx512(K, out);
    for (ptrdiff_t k = 0; k < K; k++)
      for (ptrdiff_t d = 0; d < D; d++) targetTiled[k * D + d] = target[d];
    mixture_terms_avx512(KD, out + K + KD, out + K, targetTiled, floor, sigma, terms);
    const float constant = logNormaliser + halfLogTwoPiTimesD;
    for (ptrdiff_t k = 0; k < K; k++) {
      float sum = 0;
      for (ptrdiff_t d = 0; d < D; d++) sum += terms[k * D + d];
      logJoint[k] = out[k] - constant - sum;
    }
    const float logP = log_sum_exp_avx512(K, logJoint);
    frameLosses[row] = -logP;
    logNormalisers[row] = logNormaliser;
    total -= (double)logP;
  }
  return total;
}

// The mixture gradient (MixtureKernel.gradient) over whole rows of frames. Per frame: the
// responsibilities gamma_k = exp(logJoint_k - log p) and weights pi_k = exp(logit_k -
// logNormaliser) for the K logits (16 at a time), then one flat pass over the K*D means
// and log-stds with gamma and the target tiled per component (D = 10 is too short a loop).
// Same operations in the same order as the Swift loop, exp by the same polynomial.

__attribute__((target("avx512f")))
static void mixture_gradient_avx512(ptrdiff_t rows, ptrdiff_t K, ptrdiff_t D, const float *outputs,
                                    const float *targets, const float *sigmas, const float *logJoints,
                                    const float *frameLosses, const float *logNormalisers, float scale,
                                    float floor, float *gradients) {
  float gammaTiled[RS_MIXTURE_MAX] __attribute__((aligned(64)));
  float targetTiled[RS_MIXTURE_MAX] __attribute__((aligned(64)));
  float scaledGamma[RS_MIXTURE_MAX] __attribute__((aligned(64)));
  const ptrdiff_t KD = K * D, width = K + 2 * KD;
  const __m512 scaleV = _mm512_set1_ps(scale), floorV = _mm512_set1_ps(floor), one = _mm512_set1_ps(1.0f);
  const __m512 negligible = _mm512_set1_ps(1e-30f), zero = _mm512_setzero_ps();
  for (ptrdiff_t row = 0; row < rows; row++) {
    const float *out = outputs + row * width, *target = targets + row * D;
    const float *sigma = sigmas + row * KD, *logJoint = logJoints + row * K;
    float *grad = gradients + row * width;
    const float logP = -frameLosses[row];
    // An impossible frame (log p = -inf) gets no responsibilities (the Swift `finite`).
    const int finite = logP - logP == 0.0f;
    const __m512 logPV = _mm512_set1_ps(logP), logNormV = _mm512_set1_ps(logNormalisers[row]);
    for (ptrdiff_t k = 0; k < K; k += 16) {
      const __mmask16 lanes = K - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (K - k)) - 1u);
      __m512 gamma = finite ? exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, logJoint + k), logPV)) : zero;
      __m512 weight = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, out + k), logNormV));
      // Below 1e-30: exact zeros (NaN compares false and stays NaN, as in Swift).
      gamma = _mm512_mask_mov_ps(gamma, _mm512_cmp_ps_mask(gamma, negligible, _CMP_LT_OQ), zero);
      weight = _mm512_mask_mov_ps(weight, _mm512_cmp_ps_mask(weight, negligible, _CMP_LT_OQ), zero);
      _mm512_mask_storeu_ps(grad + k, lanes, _mm512_mul_ps(scaleV, _mm512_sub_ps(weight, gamma)));
      _mm512_mask_storeu_ps(scaledGamma + k, lanes, _mm512_mul_ps(scaleV, gamma));
    }
    for (ptrdiff_t k = 0; k < K; k++) {
      for (ptrdiff_t d = 0; d < D; d++) {
        gammaTiled[k * D + d] = scaledGamma[k];
        targetTiled[k * D + d] = target[d];
      }
    }
    const float *means = out + K;
    float *dMeans = grad + K, *dLogStds = grad + K + KD;
    for (ptrdiff_t i = 0; i < KD; i += 16) {
      const __mmask16 lanes = KD - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (KD - i)) - 1u);
      const __m512 s = _mm512_mask_loadu_ps(one, lanes, sigma + i);  // masked-off lanes: sigma 1
      const __m512 g = _mm512_maskz_loadu_ps(lanes, gammaTiled + i);
      const __m512 diff = _mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, targetTiled + i), _mm512_maskz_loadu_ps(lanes, means + i));
      const __m512 zOverSigma = _mm512_div_ps(diff, _mm512_mul_ps(s, s));
      const __m512 z = _mm512_mul_ps(zOverSigma, s);
      _mm512_mask_storeu_ps(dMeans + i, lanes, _mm512_mul_ps(_mm512_sub_ps(zero, g), zOverSigma));
      const __m512 spread = _mm512_mul_ps(_mm512_mul_ps(g, _mm512_sub_ps(one, _mm512_mul_ps(z, z))), _mm512_sub_ps(s, floorV));
      _mm512_mask_storeu_ps(dLogStds + i, lanes, _mm512_div_ps(spread, s));
    }
  }
}
#endif

int rs_mixture_terms(int variant, ptrdiff_t count, const float *logStd, const float *mean, const float *target,
                     float floor, float *sigma, float *terms) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  if (rs_runnable_variant(variant) == RS_KERNELS_AVX512) {
    mixture_terms_avx512(count, logStd, mean, target, floor, sigma, terms);
    return 1;
  }
#endif
  return 0;
}

int rs_mixture_gradient(int variant, ptrdiff_t rows, ptrdiff_t components, ptrdiff_t dimensions, const float *outputs,
                        const float *targets, const float *sigmas, const float *logJoints,
                        const float *frameLosses, const float *logNormalisers, float scale, float floor,
                        float *gradients) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  if (rs_runnable_variant(variant) == RS_KERNELS_AVX512 && components * dimensions <= RS_MIXTURE_MAX) {
    mixture_gradient_avx512(rows, components, dimensions, outputs, targets, sigmas, logJoints, frameLosses,
                            logNormalisers, scale, floor, gradients);
    return 1;
  }
#endif
  return 0;
}

int rs_mixture_forward(int variant, ptrdiff_t rows, ptrdiff_t components, ptrdiff_t dimensions, const float *outputs,
                       const float *targets, float floor, float halfLogTwoPiTimesD, float *sigmas,
                       float *logJoints, float *frameLosses, float *logNormalisers, double *total) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  if (rs_runnable_variant(variant) == RS_KERNELS_AVX512 && components * dimensions <= RS_MIXTURE_MAX) {
    *total = mixture_forward_avx512(rows, components, dimensions, outputs, targets, floor, halfLogTwoPiTimesD,
                                    sigmas, logJoints, frameLosses, logNormalisers);
    return 1;
  }
#endif
  return 0;
}
