// y = sigmoid(x) and y = tanh(x) over whole arrays (see include/CKernels.h) in AVX-512:
// 16 lanes where the package's Swift build (baseline x86-64, SSE2) gets 4. The gates'
// sigmoid/tanh passes were ~6% of a GRU-227 B = 32 training update. The polynomials are
// FastMath.swift's (VectorMath.h): FMA contraction makes the last bit differ. The plain
// Swift loops over FastMath are the references and the fallbacks (BLASScalar.swift).
#include "CKernels.h"
#include "AVX512Only.h"

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
    const __mmask16 lanes = lanes16(count - i);
    _mm512_mask_storeu_ps(y + i, lanes, tanh16(_mm512_maskz_loadu_ps(lanes, x + i)));
  }
}

#endif

int rs_sigmoid(int variant, ptrdiff_t count, const float *x, float *y) {
  RS_AVX512_ONLY(sigmoid_avx512(count, x, y))
  return 0;
}

int rs_tanh(int variant, ptrdiff_t count, const float *x, float *y) {
  RS_AVX512_ONLY(tanh_avx512(count, x, y))
  return 0;
}
