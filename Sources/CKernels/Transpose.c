// dst = src^T for a Float matrix (see include/CKernels.h): batch 1's transposed copy of U
// (TransposedRecurrent in Network/Cells/RecurrentProduct.swift), made once per training update.
// Why: the element-by-element Swift loop reads U down its columns, ~2 cycles per element:
// 4% of a tanh-400 B = 1 update (400 x 400). Here 8 x 8 blocks go through registers
// (eight row loads, 24 shuffles, eight row stores); the edges that do not fill a block are
// copied one element at a time. A copy, so every variant gives the same bits.
#include "CKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#define RS_X86 1
#endif

/// dst[j * ldd + i] = src[i * lds + j] for i in [i0, rows), j in [0, cols), and for
/// i in [0, i0), j in [j0, cols): what the block loop leaves.
static void transpose_edges(ptrdiff_t rows, ptrdiff_t cols, const float *src, ptrdiff_t lds,
                            float *dst, ptrdiff_t ldd, ptrdiff_t i0, ptrdiff_t j0) {
  for (ptrdiff_t i = 0; i < rows; i++) {
    for (ptrdiff_t j = i < i0 ? j0 : 0; j < cols; j++) dst[j * ldd + i] = src[i * lds + j];
  }
}

#ifdef RS_X86
/// One 8 x 8 block: rows of src become columns of dst.
__attribute__((target("avx")))
static inline void transpose8x8(const float *src, ptrdiff_t lds, float *dst, ptrdiff_t ldd) {
  const __m256 r0 = _mm256_loadu_ps(src), r1 = _mm256_loadu_ps(src + lds);
  const __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
  const __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
  const __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
  // Interleave pairs of rows, then pairs of pairs: each 128-bit half then holds a 4 x 4
  // block transposed; the last step swaps the halves into place.
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}

__attribute__((target("avx")))
static void transpose_avx(ptrdiff_t rows, ptrdiff_t cols, const float *src, ptrdiff_t lds,
                          float *dst, ptrdiff_t ldd) {
  const ptrdiff_t i0 = rows & ~(ptrdiff_t)7, j0 = cols & ~(ptrdiff_t)7;
  // A band of eight source rows at a time: eight sequential read streams.
  for (ptrdiff_t i = 0; i < i0; i += 8) {
    for (ptrdiff_t j = 0; j < j0; j += 8) transpose8x8(src + i * lds + j, lds, dst + j * ldd + i, ldd);
  }
  transpose_edges(rows, cols, src, lds, dst, ldd, i0, j0);
}
#endif

void rs_transpose(int variant, ptrdiff_t rows, ptrdiff_t cols, const float *src, ptrdiff_t lds,
                  float *dst, ptrdiff_t ldd) {
#ifdef RS_X86
  if (rs_runnable_variant(variant) >= RS_KERNELS_AVX2) { transpose_avx(rows, cols, src, lds, dst, ldd); return; }
#endif
  transpose_edges(rows, cols, src, lds, dst, ldd, 0, 0);  // the whole matrix
}
