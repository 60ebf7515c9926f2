// The LSTM's per-step elementwise passes (see include/CKernels.h) in AVX-512: one pass
// forward and one backward over the step's (B, 4H) gate block, 16 units at a time, where
// the Swift loops (baseline x86-64: SSE2, 4 lanes) made nine passes per batch row forward
// and ten backward, with a sigmoid or tanh call per row and gate. The arithmetic is the
// Swift references' (`LSTMPasses` in Network/Cells/LSTM.swift), term for term; FMA
// contraction and the polynomials' reciprocal make the last bits differ. The gate biases
// are added here (the input projection's GEMM no longer starts from copied bias rows) and
// their gradients summed here, with the peepholes', while each step's dG is in L1.
//
// B = batch, H = units. gates, dGates: (B, 4H) rows [inputGate | forgetGate | candidate |
// outputGate] (i, f, c~, o); cPrev, c, cellTanh, h, dOut, carry, cellCarry: (B, H); bias,
// biasGradient: (4H) in the gates' order; peepholes, peepholeGradient: (3H) [Vi | Vf | Vo].
#include "CKernels.h"
#include "AVX512Only.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#include "VectorMath.h"

__attribute__((target("avx512f")))
static void lstm_forward_avx512(ptrdiff_t B, ptrdiff_t H, float *gates, const float *bias, const float *peepholes,
                                const float *cPrev, float *c, float *cellTanh, float *h) {
  const ptrdiff_t width = 4 * H;
  for (ptrdiff_t b = 0; b < B; b++) {
    float *inputGate = gates + b * width, *forgetGate = inputGate + H, *candidate = inputGate + 2 * H;
    float *outputGate = inputGate + 3 * H;
    const float *cp = cPrev + b * H;
    float *cell = c + b * H, *squashed = cellTanh + b * H, *hb = h + b * H;
    for (ptrdiff_t j = 0; j < H; j += 16) {
      const __mmask16 m = lanes16(H - j);
      // The next step's rows of c, tanh(c) and h: written then, not read since the last chunk.
      _mm_prefetch((const char *)(cell + B * H + j), _MM_HINT_T0);
      _mm_prefetch((const char *)(squashed + B * H + j), _MM_HINT_T0);
      _mm_prefetch((const char *)(hb + B * H + j), _MM_HINT_T0);
      const __m512 previous = _mm512_maskz_loadu_ps(m, cp + j);
      // (i), (f): the peepholes see c_{t-1}.
      const __m512 i = sigmoid16(_mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, peepholes + j), previous,
                                                 _mm512_add_ps(_mm512_maskz_loadu_ps(m, inputGate + j),
                                                               _mm512_maskz_loadu_ps(m, bias + j))));
      const __m512 f = sigmoid16(_mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, peepholes + H + j), previous,
                                                 _mm512_add_ps(_mm512_maskz_loadu_ps(m, forgetGate + j),
                                                               _mm512_maskz_loadu_ps(m, bias + H + j))));
      // (c~), (c)
      const __m512 g = tanh16(_mm512_add_ps(_mm512_maskz_loadu_ps(m, candidate + j),
                                            _mm512_maskz_loadu_ps(m, bias + 2 * H + j)));
      const __m512 next = _mm512_fmadd_ps(f, previous, _mm512_mul_ps(i, g));
      // (o): the output gate peeks at the new cell c_t; (h)
      const __m512 o = sigmoid16(_mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, peepholes + 2 * H + j), next,
                                                 _mm512_add_ps(_mm512_maskz_loadu_ps(m, outputGate + j),
                                                               _mm512_maskz_loadu_ps(m, bias + 3 * H + j))));
      const __m512 t = tanh16(next);
      _mm512_mask_storeu_ps(inputGate + j, m, i);
      _mm512_mask_storeu_ps(forgetGate + j, m, f);
      _mm512_mask_storeu_ps(candidate + j, m, g);
      _mm512_mask_storeu_ps(outputGate + j, m, o);
      _mm512_mask_storeu_ps(cell + j, m, next);
      _mm512_mask_storeu_ps(squashed + j, m, t);
      _mm512_mask_storeu_ps(hb + j, m, _mm512_mul_ps(o, t));
    }
  }
}

// Units j outer (16 at a time), rows b inner, so the seven gradient blocks of the biases
// and peepholes stay in registers across the batch; each is summed over b in order, as the
// Swift loops do.
__attribute__((target("avx512f")))
static void lstm_backward_avx512(ptrdiff_t B, ptrdiff_t H, const float *gates, const float *peepholes,
                                 const float *cPrev, const float *c, const float *cellTanh, const float *dOut,
                                 float *carry, float *cellCarry, float *dGates, float *peepholeGradient,
                                 float *biasGradient) {
  const ptrdiff_t width = 4 * H;
  const __m512 one = _mm512_set1_ps(1.0f);
  for (ptrdiff_t j = 0; j < H; j += 16) {
    const __mmask16 m = lanes16(H - j);
    const __m512 vi = _mm512_maskz_loadu_ps(m, peepholes + j), vf = _mm512_maskz_loadu_ps(m, peepholes + H + j);
    const __m512 vo = _mm512_maskz_loadu_ps(m, peepholes + 2 * H + j);
    __m512 dvi = _mm512_maskz_loadu_ps(m, peepholeGradient + j);
    __m512 dvf = _mm512_maskz_loadu_ps(m, peepholeGradient + H + j);
    __m512 dvo = _mm512_maskz_loadu_ps(m, peepholeGradient + 2 * H + j);
    __m512 dbi = _mm512_maskz_loadu_ps(m, biasGradient + j), dbf = _mm512_maskz_loadu_ps(m, biasGradient + H + j);
    __m512 dbc = _mm512_maskz_loadu_ps(m, biasGradient + 2 * H + j);
    __m512 dbo = _mm512_maskz_loadu_ps(m, biasGradient + 3 * H + j);
    for (ptrdiff_t b = 0; b < B; b++) {
      const float *row = gates + b * width;
      float *dRow = dGates + b * width;
      // Step t-1's rows of c_{t-2}, tanh(c_{t-1}) and dOut, next: not read since forward
      // (before the first step these are addresses a prefetch may touch without harm).
      _mm_prefetch((const char *)(cPrev - B * H + b * H + j), _MM_HINT_T0);
      _mm_prefetch((const char *)(cellTanh - B * H + b * H + j), _MM_HINT_T0);
      _mm_prefetch((const char *)(dOut - B * H + b * H + j), _MM_HINT_T0);
      const __m512 i = _mm512_maskz_loadu_ps(m, row + j), f = _mm512_maskz_loadu_ps(m, row + H + j);
      const __m512 g = _mm512_maskz_loadu_ps(m, row + 2 * H + j), o = _mm512_maskz_loadu_ps(m, row + 3 * H + j);
      const __m512 cp = _mm512_maskz_loadu_ps(m, cPrev + b * H + j), cell = _mm512_maskz_loadu_ps(m, c + b * H + j);
      const __m512 t = _mm512_maskz_loadu_ps(m, cellTanh + b * H + j);
      const __m512 dh = _mm512_add_ps(_mm512_maskz_loadu_ps(m, carry + b * H + j), _mm512_maskz_loadu_ps(m, dOut + b * H + j));
      // (h), (o): do = dh tanh(c) o (1 - o)
      const __m512 dOutputGate = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dh, t), o), _mm512_sub_ps(one, o));
      // c_t's gradient: from the next step (cellCarry), through tanh(c_t) (h), o's peephole (o).
      const __m512 dc = _mm512_fmadd_ps(dOutputGate, vo,
                                        _mm512_fmadd_ps(_mm512_mul_ps(dh, o), _mm512_fnmadd_ps(t, t, one),
                                                        _mm512_maskz_loadu_ps(m, cellCarry + b * H + j)));
      // (c) into (i), (f), (c~)
      const __m512 dInputGate = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dc, g), i), _mm512_sub_ps(one, i));
      const __m512 dForgetGate = _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dc, cp), f), _mm512_sub_ps(one, f));
      const __m512 dCandidate = _mm512_mul_ps(_mm512_mul_ps(dc, i), _mm512_fnmadd_ps(g, g, one));
      _mm512_mask_storeu_ps(dRow + j, m, dInputGate);
      _mm512_mask_storeu_ps(dRow + H + j, m, dForgetGate);
      _mm512_mask_storeu_ps(dRow + 2 * H + j, m, dCandidate);
      _mm512_mask_storeu_ps(dRow + 3 * H + j, m, dOutputGate);
      _mm512_mask_storeu_ps(carry + b * H + j, m, dh);
      // d c_{t-1}: through the forget gate's product (c) and the i, f peepholes.
      _mm512_mask_storeu_ps(cellCarry + b * H + j, m,
                            _mm512_fmadd_ps(dForgetGate, vf, _mm512_fmadd_ps(dInputGate, vi, _mm512_mul_ps(dc, f))));
      dvi = _mm512_fmadd_ps(dInputGate, cp, dvi);
      dvf = _mm512_fmadd_ps(dForgetGate, cp, dvf);
      dvo = _mm512_fmadd_ps(dOutputGate, cell, dvo);
      dbi = _mm512_add_ps(dbi, dInputGate);
      dbf = _mm512_add_ps(dbf, dForgetGate);
      dbc = _mm512_add_ps(dbc, dCandidate);
      dbo = _mm512_add_ps(dbo, dOutputGate);
    }
    _mm512_mask_storeu_ps(peepholeGradient + j, m, dvi);
    _mm512_mask_storeu_ps(peepholeGradient + H + j, m, dvf);
    _mm512_mask_storeu_ps(peepholeGradient + 2 * H + j, m, dvo);
    _mm512_mask_storeu_ps(biasGradient + j, m, dbi);
    _mm512_mask_storeu_ps(biasGradient + H + j, m, dbf);
    _mm512_mask_storeu_ps(biasGradient + 2 * H + j, m, dbc);
    _mm512_mask_storeu_ps(biasGradient + 3 * H + j, m, dbo);
  }
}
#endif

int rs_lstm_forward(int variant, ptrdiff_t B, ptrdiff_t H, float *gates, const float *bias, const float *peepholes,
                    const float *cPrev, float *c, float *cellTanh, float *h) {
  RS_AVX512_ONLY(lstm_forward_avx512(B, H, gates, bias, peepholes, cPrev, c, cellTanh, h))
  return 0;
}

int rs_lstm_backward(int variant, ptrdiff_t B, ptrdiff_t H, const float *gates, const float *peepholes,
                     const float *cPrev, const float *c, const float *cellTanh, const float *dOut, float *carry,
                     float *cellCarry, float *dGates, float *peepholeGradient, float *biasGradient) {
  RS_AVX512_ONLY(lstm_backward_avx512(B, H, gates, peepholes, cPrev, c, cellTanh, dOut, carry, cellCarry, dGates,
                                      peepholeGradient, biasGradient))
  return 0;
}
