// The optimizer's two passes over the flat parameter arrays (see include/CKernels.h):
// the gradient's sum of squares (for global-norm clipping) and the RMSProp step.
// Why: the package builds for baseline x86-64 (SSE2), where Swift's loop runs sqrt and
// divide one float at a time: the step was ~25% of a B = 1 training update (170K
// parameters). Here they run 16 (AVX-512) or 8 (AVX2) lanes wide.
// Both kernels give the Swift references' bits exactly (RMSProp.swift):
// - the step does each multiply, add, sqrt and divide as its own IEEE-rounded operation,
//   in the Swift loop's order; FP_CONTRACT OFF keeps the compiler from fusing them;
// - the sum of squares uses the fixed order written out in rs_sum_squares' comment. Its
//   products Double(g) * Double(g) are exact (24-bit mantissas), so an FMA there rounds
//   the same as a multiply then an add.
// So a run's bits do not depend on the variant: a checkpoint resumes bit for bit on any CPU.
#include "CKernels.h"

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define RS_X86 1
#endif

#ifdef RS_X86
/// Lanes [0, count) of a 16-lane mask (count may exceed 16).
static inline __mmask16 first_lanes(ptrdiff_t count) {
  return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1u);
}

/// Adds the squares of 16 floats, as Doubles, into two 8-lane partial sums.
__attribute__((target("avx512f")))
static inline void add_squares16(__m512 g, __m512d *low, __m512d *high) {
  const __m512d a = _mm512_cvtps_pd(_mm512_castps512_ps256(g));
  const __m512d b = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(g), 1)));
  *low = _mm512_fmadd_pd(a, a, *low);  // exact product: same bits as mul then add
  *high = _mm512_fmadd_pd(b, b, *high);
}

__attribute__((target("avx512f")))
static double sum_squares_avx512(ptrdiff_t count, const float *g) {
  // s0..s3: element i goes to s[(i / 8) % 4], lane i % 8.
  __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
  ptrdiff_t i = 0;
  for (; i + 32 <= count; i += 32) {
    add_squares16(_mm512_loadu_ps(g + i), &s0, &s1);
    add_squares16(_mm512_loadu_ps(g + i + 16), &s2, &s3);
  }
  // The tail: masked-off lanes load 0 and add +0, which changes no partial sum.
  if (i < count) {
    add_squares16(_mm512_maskz_loadu_ps(first_lanes(count - i), g + i), &s0, &s1);
    if (i + 16 < count) add_squares16(_mm512_maskz_loadu_ps(first_lanes(count - i - 16), g + i + 16), &s2, &s3);
  }
  const __m512d s = _mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3));
  const __m256d x = _mm256_add_pd(_mm512_castpd512_pd256(s), _mm512_extractf64x4_pd(s, 1));
  const __m128d y = _mm_add_pd(_mm256_castpd256_pd128(x), _mm256_extractf128_pd(x, 1));
  return _mm_cvtsd_f64(y) + _mm_cvtsd_f64(_mm_unpackhi_pd(y, y));
}

__attribute__((target("avx512f")))
static void rmsprop_avx512(ptrdiff_t count, float *p, float *v, const float *g, float scale,
                           float rate, float keep, float blend, float floor) {
  const __m512 scaleV = _mm512_set1_ps(scale), rateV = _mm512_set1_ps(rate), keepV = _mm512_set1_ps(keep);
  const __m512 blendV = _mm512_set1_ps(blend), floorV = _mm512_set1_ps(floor);
  for (ptrdiff_t i = 0; i < count; i += 16) {
    // Masked-off lanes load 0 (v = 0: the denominator is `floor`, no exception) and are never stored.
    const __mmask16 lanes = first_lanes(count - i);
    const __m512 gi = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, g + i), scaleV);
    const __m512 vi = _mm512_add_ps(_mm512_mul_ps(keepV, _mm512_maskz_loadu_ps(lanes, v + i)),
                                    _mm512_mul_ps(_mm512_mul_ps(blendV, gi), gi));
    const __m512 step = _mm512_div_ps(_mm512_mul_ps(rateV, gi), _mm512_add_ps(_mm512_sqrt_ps(vi), floorV));
    _mm512_mask_storeu_ps(v + i, lanes, vi);
    _mm512_mask_storeu_ps(p + i, lanes, _mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, p + i), step));
  }
}

/// An AVX mask selecting lanes [0, count) of eight (count may exceed 8).
__attribute__((target("avx2")))
static inline __m256i first_lanes8(ptrdiff_t count) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(count < 8 ? count : 8)), index);
}

/// Adds the squares of 8 floats, as Doubles, into one 8-lane partial sum (lanes 0-3, 4-7).
__attribute__((target("avx2,fma")))
static inline void add_squares8(__m256 g, __m256d *low, __m256d *high) {
  const __m256d a = _mm256_cvtps_pd(_mm256_castps256_ps128(g)), b = _mm256_cvtps_pd(_mm256_extractf128_ps(g, 1));
  *low = _mm256_fmadd_pd(a, a, *low);  // exact product: same bits as mul then add
  *high = _mm256_fmadd_pd(b, b, *high);
}

__attribute__((target("avx2,fma")))
static double sum_squares_avx2(ptrdiff_t count, const float *g) {
  // The AVX-512 kernel's order: partial sum k holds lanes 0-3 in lk, 4-7 in hk.
  __m256d l0 = _mm256_setzero_pd(), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0, l3 = l0, h3 = l0;
  ptrdiff_t i = 0;
  for (; i + 32 <= count; i += 32) {
    add_squares8(_mm256_loadu_ps(g + i), &l0, &h0);
    add_squares8(_mm256_loadu_ps(g + i + 8), &l1, &h1);
    add_squares8(_mm256_loadu_ps(g + i + 16), &l2, &h2);
    add_squares8(_mm256_loadu_ps(g + i + 24), &l3, &h3);
  }
  // The tail, up to four masked blocks of 8 (masked-off lanes load 0 and add +0).
  if (i < count) add_squares8(_mm256_maskload_ps(g + i, first_lanes8(count - i)), &l0, &h0);
  if (i + 8 < count) add_squares8(_mm256_maskload_ps(g + i + 8, first_lanes8(count - i - 8)), &l1, &h1);
  if (i + 16 < count) add_squares8(_mm256_maskload_ps(g + i + 16, first_lanes8(count - i - 16)), &l2, &h2);
  if (i + 24 < count) add_squares8(_mm256_maskload_ps(g + i + 24, first_lanes8(count - i - 24)), &l3, &h3);
  const __m256d low = _mm256_add_pd(_mm256_add_pd(l0, l1), _mm256_add_pd(l2, l3));
  const __m256d high = _mm256_add_pd(_mm256_add_pd(h0, h1), _mm256_add_pd(h2, h3));
  const __m256d x = _mm256_add_pd(low, high);
  const __m128d y = _mm_add_pd(_mm256_castpd256_pd128(x), _mm256_extractf128_pd(x, 1));
  return _mm_cvtsd_f64(y) + _mm_cvtsd_f64(_mm_unpackhi_pd(y, y));
}

/// The step on 8 lanes: returns the new v through *v, the new p as the result.
__attribute__((target("avx2")))
static inline __m256 rmsprop8(__m256 g, __m256 *v, __m256 p, __m256 scale, __m256 rate, __m256 keep,
                              __m256 blend, __m256 floor) {
  const __m256 gi = _mm256_mul_ps(g, scale);
  *v = _mm256_add_ps(_mm256_mul_ps(keep, *v), _mm256_mul_ps(_mm256_mul_ps(blend, gi), gi));
  return _mm256_sub_ps(p, _mm256_div_ps(_mm256_mul_ps(rate, gi), _mm256_add_ps(_mm256_sqrt_ps(*v), floor)));
}

__attribute__((target("avx2")))
static void rmsprop_avx2(ptrdiff_t count, float *p, float *v, const float *g, float scale,
                         float rate, float keep, float blend, float floor) {
  const __m256 scaleV = _mm256_set1_ps(scale), rateV = _mm256_set1_ps(rate), keepV = _mm256_set1_ps(keep);
  const __m256 blendV = _mm256_set1_ps(blend), floorV = _mm256_set1_ps(floor);
  ptrdiff_t i = 0;
  for (; i + 8 <= count; i += 8) {
    __m256 vi = _mm256_loadu_ps(v + i);
    const __m256 pi = rmsprop8(_mm256_loadu_ps(g + i), &vi, _mm256_loadu_ps(p + i), scaleV, rateV, keepV, blendV, floorV);
    _mm256_storeu_ps(v + i, vi);
    _mm256_storeu_ps(p + i, pi);
  }
  if (i < count) {  // masked-off lanes load 0 (the denominator is `floor`) and are never stored
    const __m256i lanes = first_lanes8(count - i);
    __m256 vi = _mm256_maskload_ps(v + i, lanes);
    const __m256 pi = rmsprop8(_mm256_maskload_ps(g + i, lanes), &vi, _mm256_maskload_ps(p + i, lanes),
                               scaleV, rateV, keepV, blendV, floorV);
    _mm256_maskstore_ps(v + i, lanes, vi);
    _mm256_maskstore_ps(p + i, lanes, pi);
  }
}
#endif

int rs_sum_squares(int variant, ptrdiff_t count, const float *g, double *sum) {
  switch (rs_runnable_variant(variant)) {
#ifdef RS_X86
  case RS_KERNELS_AVX512: *sum = sum_squares_avx512(count, g); return 1;
  case RS_KERNELS_AVX2: *sum = sum_squares_avx2(count, g); return 1;
#endif
  default: return 0;
  }
}

int rs_rmsprop_step(int variant, ptrdiff_t count, float *p, float *v, const float *g, float scale,
                    float rate, float keep, float blend, float floor) {
  switch (rs_runnable_variant(variant)) {
#ifdef RS_X86
  case RS_KERNELS_AVX512: rmsprop_avx512(count, p, v, g, scale, rate, keep, blend, floor); return 1;
  case RS_KERNELS_AVX2: rmsprop_avx2(count, p, v, g, scale, rate, keep, blend, floor); return 1;
#endif
  default: return 0;
  }
}
