// The paper GRU's per-step elementwise passes (see include/CKernels.h) in AVX-512: each
// pass reads and writes the step's whole (B, 3H) gate block once, 16 lanes at a time, where
// the Swift loops (baseline x86-64: SSE2, 4 lanes) made several passes per batch row. The
// arithmetic is the Swift references' (Network/Cells/GRU.swift), term for term; FMA contraction
// and the order of a few products make the last bits differ. The sigmoid and tanh are
// FastMath.swift's polynomials (VectorMath.h). Biases are added here, not copied into the
// gate rows before the input projection's GEMM; their gradients are summed here too, while
// each step's dG is in L1, instead of in a pass over the chunk's (T, B, 3H) dG afterwards.
//
// B = batch, H = units. gates, dGates: (B, 3H) rows [updateGate | resetGate | candidate]
// (z, r, h~); hPrev, h, resetHidden, carry, dOut, dResetHidden: (B, H); bias and
// biasGradient: (3H) [bz | br | b].
#include "CKernels.h"
#include "AVX512Only.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#include "VectorMath.h"

__attribute__((target("avx512f")))
static void gru_gates_forward_avx512(ptrdiff_t B, ptrdiff_t H, float *gates, const float *bias,
                                     const float *hPrev, float *resetHidden) {
  for (ptrdiff_t b = 0; b < B; b++) {
    float *updateGate = gates + b * 3 * H, *resetGate = updateGate + H;
    const float *hp = hPrev + b * H;
    float *rh = resetHidden + b * H;
    for (ptrdiff_t j = 0; j < H; j += 16) {
      const __mmask16 m = lanes16(H - j);
      const __m512 z = sigmoid16(_mm512_add_ps(_mm512_maskz_loadu_ps(m, updateGate + j), _mm512_maskz_loadu_ps(m, bias + j)));
      const __m512 r = sigmoid16(_mm512_add_ps(_mm512_maskz_loadu_ps(m, resetGate + j), _mm512_maskz_loadu_ps(m, bias + H + j)));
      _mm512_mask_storeu_ps(updateGate + j, m, z);
      _mm512_mask_storeu_ps(resetGate + j, m, r);
      _mm512_mask_storeu_ps(rh + j, m, _mm512_mul_ps(r, _mm512_maskz_loadu_ps(m, hp + j)));
    }
  }
}

__attribute__((target("avx512f")))
static void gru_output_forward_avx512(ptrdiff_t B, ptrdiff_t H, float *gates, const float *bias,
                                      const float *hPrev, float *h) {
  const float *candidateBias = bias + 2 * H;
  for (ptrdiff_t b = 0; b < B; b++) {
    const float *updateGate = gates + b * 3 * H;
    float *candidate = gates + b * 3 * H + 2 * H;
    const float *hp = hPrev + b * H;
    float *hb = h + b * H;
    for (ptrdiff_t j = 0; j < H; j += 16) {
      const __mmask16 m = lanes16(H - j);
      const __m512 c = tanh16(_mm512_add_ps(_mm512_maskz_loadu_ps(m, candidate + j), _mm512_maskz_loadu_ps(m, candidateBias + j)));
      const __m512 z = _mm512_maskz_loadu_ps(m, updateGate + j), previous = _mm512_maskz_loadu_ps(m, hp + j);
      _mm512_mask_storeu_ps(candidate + j, m, c);
      // (1 - z) h_{t-1} + z h~
      _mm512_mask_storeu_ps(hb + j, m, _mm512_fmadd_ps(z, _mm512_sub_ps(c, previous), previous));
    }
  }
}

// Backward: units j outer (16 at a time), rows b inner, so each bias-gradient block stays in
// a register across the batch; it is summed over b in order, as the Swift loops do. (Rows
// outer, with the bias gradient loaded and stored per row, measured slower.)
__attribute__((target("avx512f")))
static void gru_gates_backward_avx512(ptrdiff_t B, ptrdiff_t H, const float *gates, const float *hPrev,
                                      const float *dOut, float *carry, float *dGates, float *biasGradient) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (ptrdiff_t j = 0; j < H; j += 16) {
    const __mmask16 m = lanes16(H - j);
    __m512 dbUpdate = _mm512_maskz_loadu_ps(m, biasGradient + j);
    __m512 dbCandidate = _mm512_maskz_loadu_ps(m, biasGradient + 2 * H + j);
    for (ptrdiff_t b = 0; b < B; b++) {
      const float *row = gates + b * 3 * H;
      float *dRow = dGates + b * 3 * H;
      const __m512 z = _mm512_maskz_loadu_ps(m, row + j), c = _mm512_maskz_loadu_ps(m, row + 2 * H + j);
      const __m512 hp = _mm512_maskz_loadu_ps(m, hPrev + b * H + j);
      const __m512 dh = _mm512_add_ps(_mm512_maskz_loadu_ps(m, carry + b * H + j), _mm512_maskz_loadu_ps(m, dOut + b * H + j));
      // dCandidate = dh z (1 - h~^2); dUpdate = dh (h~ - h_{t-1}) z (1 - z)
      const __m512 dCandidate = _mm512_mul_ps(_mm512_mul_ps(dh, z), _mm512_fnmadd_ps(c, c, one));
      const __m512 dUpdate = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dh, _mm512_sub_ps(c, hp)), z), _mm512_sub_ps(one, z));
      _mm512_mask_storeu_ps(dRow + 2 * H + j, m, dCandidate);
      _mm512_mask_storeu_ps(dRow + j, m, dUpdate);
      // The direct path to h_{t-1}: dh (1 - z).
      _mm512_mask_storeu_ps(carry + b * H + j, m, _mm512_mul_ps(dh, _mm512_sub_ps(one, z)));
      dbUpdate = _mm512_add_ps(dbUpdate, dUpdate);
      dbCandidate = _mm512_add_ps(dbCandidate, dCandidate);
    }
    _mm512_mask_storeu_ps(biasGradient + j, m, dbUpdate);
    _mm512_mask_storeu_ps(biasGradient + 2 * H + j, m, dbCandidate);
  }
}

__attribute__((target("avx512f")))
static void gru_reset_backward_avx512(ptrdiff_t B, ptrdiff_t H, const float *gates, const float *hPrev,
                                      const float *dResetHidden, float *carry, float *dGates, float *biasGradient) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (ptrdiff_t j = 0; j < H; j += 16) {
    const __mmask16 m = lanes16(H - j);
    __m512 dbReset = _mm512_maskz_loadu_ps(m, biasGradient + H + j);
    for (ptrdiff_t b = 0; b < B; b++) {
      const __m512 r = _mm512_maskz_loadu_ps(m, gates + b * 3 * H + H + j);
      const __m512 hp = _mm512_maskz_loadu_ps(m, hPrev + b * H + j);
      const __m512 dRH = _mm512_maskz_loadu_ps(m, dResetHidden + b * H + j);
      // dReset = d(r h) h_{t-1} r (1 - r); d h_{t-1} += d(r h) r
      const __m512 dReset = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dRH, hp), r), _mm512_sub_ps(one, r));
      _mm512_mask_storeu_ps(dGates + b * 3 * H + H + j, m, dReset);
      _mm512_mask_storeu_ps(carry + b * H + j, m, _mm512_fmadd_ps(dRH, r, _mm512_maskz_loadu_ps(m, carry + b * H + j)));
      dbReset = _mm512_add_ps(dbReset, dReset);
    }
    _mm512_mask_storeu_ps(biasGradient + H + j, m, dbReset);
  }
}
#endif

int rs_gru_gates_forward(int variant, ptrdiff_t B, ptrdiff_t H, float *gates, const float *bias, const float *hPrev,
                         float *resetHidden) {
  RS_AVX512_ONLY(gru_gates_forward_avx512(B, H, gates, bias, hPrev, resetHidden))
  return 0;
}

int rs_gru_output_forward(int variant, ptrdiff_t B, ptrdiff_t H, float *gates, const float *bias, const float *hPrev, float *h) {
  RS_AVX512_ONLY(gru_output_forward_avx512(B, H, gates, bias, hPrev, h))
  return 0;
}

int rs_gru_gates_backward(int variant, ptrdiff_t B, ptrdiff_t H, const float *gates, const float *hPrev, const float *dOut,
                          float *carry, float *dGates, float *biasGradient) {
  RS_AVX512_ONLY(gru_gates_backward_avx512(B, H, gates, hPrev, dOut, carry, dGates, biasGradient))
  return 0;
}

int rs_gru_reset_backward(int variant, ptrdiff_t B, ptrdiff_t H, const float *gates, const float *hPrev,
                          const float *dResetHidden, float *carry, float *dGates, float *biasGradient) {
  RS_AVX512_ONLY(gru_reset_backward_avx512(B, H, gates, hPrev, dResetHidden, carry, dGates, biasGradient))
  return 0;
}
