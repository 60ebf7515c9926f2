// Hand-written Float kernels for what OpenBLAS does slowly at this project's shapes, in
// C so that one function can use AVX-512 or AVX2 while the rest of the package builds for
// baseline x86-64 (Swift has no per-function target attribute).
//
// One convention for every kernel: its first argument is the instruction-set variant to
// run (RS_KERNELS_*). Swift decides it once (KernelVariant.current, read from
// rs_kernels_variant) and passes it; a kernel caps it at what the CPU has, so no argument
// can make it run an instruction the CPU lacks. A kernel with no code for the variant it
// is given returns 0 without touching anything, and the Swift caller runs its reference
// (Network/Kernels.swift wraps every function here; BLASScalar.swift picks C for Float and
// the Swift references for Double). Declarations are grouped by the file that defines them.
#ifndef RAWSPEECH_CKERNELS_H
#define RAWSPEECH_CKERNELS_H

#include <stddef.h>
#include <stdint.h>

// MARK: CPUFeatures.c: what this CPU runs (cpuid, asked once when the library loads)

/// Instruction-set variants of the kernels.
enum {
  RS_KERNELS_PORTABLE = 0,
  RS_KERNELS_AVX2 = 1,
  RS_KERNELS_AVX512 = 2,
};

/// Bits of rs_cpu_features.
enum {
  RS_CPU_AVX2 = 1u << 0,
  RS_CPU_FMA = 1u << 1,
  RS_CPU_AVX512F = 1u << 2,
  RS_CPU_AVX512BW = 1u << 3,
  RS_CPU_AVX512VL = 1u << 4,
  RS_CPU_AVX512DQ = 1u << 5,
};

/// The instruction-set extensions this CPU and OS support (RS_CPU_* bits), uncapped.
unsigned rs_cpu_features(void);

/// The best variant the CPU runs (AVX-512F, else AVX2 with FMA, else portable), capped by
/// RAWSPEECH_CKERNELS=avx2|portable when set.
int rs_kernels_variant(void);

/// `variant` capped at rs_kernels_variant (what each kernel runs when given `variant`).
int rs_runnable_variant(int variant);

// MARK: RowDots.c: batch 1's recurrent products

/// y[j] = beta * y[j] + sum_{p < k} x[p] * w[j * ldw + p] for j < n: a matrix-vector
/// product with each output a contiguous dot product over one row of `w` (row-major,
/// row stride `ldw`). `beta` is 0 (y is overwritten, never read) or 1. Every variant runs.
void rs_row_dots(int variant, ptrdiff_t n, ptrdiff_t k, const float *w, ptrdiff_t ldw,
                 const float *x, float beta, float *y);

// MARK: Transpose.c: batch 1's transposed copy of U

/// dst[j * ldd + i] = src[i * lds + j] for i < rows, j < cols: the transpose of a
/// row-major rows x cols matrix (row stride lds) into dst (row stride ldd). AVX2 and
/// AVX-512 run 8 x 8 register blocks, portable a plain loop (a copy: the same bits).
void rs_transpose(int variant, ptrdiff_t rows, ptrdiff_t cols, const float *src, ptrdiff_t lds,
                  float *dst, ptrdiff_t ldd);

// MARK: PackedGEMM.c: batch > 1's recurrent products on U packed once per chunk

/// Floats `rs_pack_panels` writes for a k x n matrix (64-byte aligned storage wanted).
ptrdiff_t rs_packed_panels_size(ptrdiff_t k, ptrdiff_t n);

/// Packs the k x n matrix with element (q, j) at b[q * rowStride + j * columnStride] into
/// 32-column panels (zero-padded) for rs_gemm_packed. columnStride 1 packs a row-major
/// block; rowStride 1 packs the transpose of one. Plain C: no variant.
void rs_pack_panels(ptrdiff_t k, ptrdiff_t n, const float *b, ptrdiff_t rowStride, ptrdiff_t columnStride,
                    float *packed);

/// c (m x n, row stride ldc) = beta c + a (m x k, row stride lda) times the packed k x n
/// matrix; beta 0 (c not read) or 1. AVX-512 only (returns 0 otherwise: the caller runs
/// its GEMM).
int rs_gemm_packed(int variant, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda,
                   const float *packed, float beta, float *c, ptrdiff_t ldc);

/// rs_gemm_packed that also pulls up to two regions of floats (prefetch, prefetchCount and
/// prefetchSecond, prefetchSecondCount; NULL, 0 for none) into L2 while it runs, a line at
/// a time spread over its FMAs: the cells pass what their next step will read, which the
/// chunk-sized GEMMs wrote (or read) long ago and is no longer in cache.
int rs_gemm_packed_prefetch(int variant, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda,
                            const float *packed, float beta, float *c, ptrdiff_t ldc,
                            const float *prefetch, ptrdiff_t prefetchCount,
                            const float *prefetchSecond, ptrdiff_t prefetchSecondCount);

// MARK: Activations.c: the cells' sigmoid and tanh passes

/// y[i] = sigmoid(x[i]) = 1 / (1 + exp(-x[i])) and y[i] = tanh(x[i]) for i < count, with
/// FastMath.swift's polynomials (y may be x). AVX-512 only (return 0 otherwise).
int rs_sigmoid(int variant, ptrdiff_t count, const float *x, float *y);
int rs_tanh(int variant, ptrdiff_t count, const float *x, float *y);

// MARK: MixtureKernels.c: the mixture head's loss and gradient

/// The mixture head's elementwise pass over one frame's K*D numbers (MixtureDensity.swift):
///   sigma[i] = floor + exp(logStd[i]),  z = (target[i] - mean[i]) / sigma[i],
///   terms[i] = 0.5 z^2 + log(sigma[i])
/// with the same exp and log polynomials as FastMath.swift (so results agree to float
/// rounding). AVX-512 only (returns 0 otherwise: the caller runs MixtureKernel.termsReference).
int rs_mixture_terms(int variant, ptrdiff_t count, const float *logStd, const float *mean, const float *target,
                     float floor, float *sigma, float *terms);

/// The mixture head's NLL (MixtureKernel.forward) for `rows` frames at once, in the layout
/// of rs_mixture_gradient: fills each row's K*D sigmas and K log joints, its NLL (= -log p)
/// in frameLosses and log sum exp of its logits in logNormalisers, and sets *total to the
/// sum of the NLLs (in double). `halfLogTwoPiTimesD` is D * log(2 pi) / 2. AVX-512 only
/// (and K*D <= 4096): returns 0 without touching anything otherwise.
int rs_mixture_forward(int variant, ptrdiff_t rows, ptrdiff_t components, ptrdiff_t dimensions,
                       const float *outputs, const float *targets, float floor, float halfLogTwoPiTimesD,
                       float *sigmas, float *logJoints, float *frameLosses, float *logNormalisers, double *total);

/// The mixture head's gradient (MixtureKernel.gradient) for `rows` frames at once: row r's
/// K(1 + 2D) head outputs at outputs + r * K(1+2D), its D targets, the K*D sigmas and K log
/// joints its forward left, its NLL (frameLosses, = -log p) and log sum exp of its logits;
/// writes scale * d(-log p)/d(outputs) into the same layout in `gradients`. AVX-512 only
/// (and K*D <= 4096): returns 0 without touching anything otherwise.
int rs_mixture_gradient(int variant, ptrdiff_t rows, ptrdiff_t components, ptrdiff_t dimensions,
                        const float *outputs, const float *targets, const float *sigmas, const float *logJoints,
                        const float *frameLosses, const float *logNormalisers, float scale, float floor,
                        float *gradients);

// MARK: GRUKernels.c: the paper GRU's per-step passes

/// The paper GRU's per-step elementwise passes over a step's B rows (the Swift references
/// are in Network/Cells/GRU.swift). gates, dGates (B, 3H): rows
/// [updateGate z | resetGate r | candidate h~]; hPrev, h, resetHidden, carry, dOut,
/// dResetHidden (B, H); bias, biasGradient (3H) [bz | br | b]. AVX-512 only: each returns
/// 0 without touching anything otherwise (the caller runs its Swift loops).
///
/// Forward, after [z | r] += h_{t-1} [Uz | Ur]: z = sigmoid(z + bz), r = sigmoid(r + br)
/// (in place), resetHidden = r * h_{t-1}.
int rs_gru_gates_forward(int variant, ptrdiff_t B, ptrdiff_t H, float *gates, const float *bias,
                         const float *hPrev, float *resetHidden);
/// Forward, after h~ += (r * h_{t-1}) Uc: h~ = tanh(h~ + b) (in place),
/// h = (1 - z) h_{t-1} + z h~.
int rs_gru_output_forward(int variant, ptrdiff_t B, ptrdiff_t H, float *gates, const float *bias,
                          const float *hPrev, float *h);
/// Backward, step t, first: dh = carry + dOut, dh~ = dh z (1 - h~^2),
/// dz = dh (h~ - h_{t-1}) z (1 - z), carry = dh (1 - z); biasGradient's bz, b += dz, dh~.
int rs_gru_gates_backward(int variant, ptrdiff_t B, ptrdiff_t H, const float *gates, const float *hPrev,
                          const float *dOut, float *carry, float *dGates, float *biasGradient);
/// Backward, after d(r * h_{t-1}) = dh~ Uc^T (dResetHidden): dr = dResetHidden h_{t-1} r (1 - r),
/// carry += dResetHidden r; biasGradient's br += dr.
int rs_gru_reset_backward(int variant, ptrdiff_t B, ptrdiff_t H, const float *gates, const float *hPrev,
                          const float *dResetHidden, float *carry, float *dGates, float *biasGradient);

/// The LSTM's per-step elementwise passes over a step's B rows (the Swift references are
/// `LSTMPasses` in Network/Cells/LSTM.swift). gates, dGates (B, 4H): rows
/// [inputGate i | forgetGate f | candidate c~ | outputGate o]; cPrev, c, cellTanh, h, dOut,
/// carry, cellCarry (B, H); bias, biasGradient (4H) in the gates' order; peepholes,
/// peepholeGradient (3H) [Vi | Vf | Vo]. AVX-512 only: each returns 0 without touching
/// anything otherwise (the caller runs its Swift loops).
///
/// Forward, after gates += h_{t-1} U: i = sigmoid(i + bi + Vi c_{t-1}),
/// f = sigmoid(f + bf + Vf c_{t-1}), c~ = tanh(c~ + bc) (in place), c = f c_{t-1} + i c~,
/// o = sigmoid(o + bo + Vo c) (in place), cellTanh = tanh(c), h = o tanh(c).
int rs_lstm_forward(int variant, ptrdiff_t B, ptrdiff_t H, float *gates, const float *bias, const float *peepholes,
                    const float *cPrev, float *c, float *cellTanh, float *h);
/// Backward, step t (gates hold the activations): dh = carry + dOut (stored in carry),
/// do = dh tanh(c) o (1 - o), dc = cellCarry + dh o (1 - tanh(c)^2) + do Vo,
/// di = dc c~ i (1 - i), df = dc c_{t-1} f (1 - f), dc~ = dc i (1 - c~^2) into dGates;
/// cellCarry = dc f + di Vi + df Vf (d c_{t-1}); peepholeGradient += (di c_{t-1},
/// df c_{t-1}, do c) and biasGradient += (di, df, dc~, do), summed over the rows in order.
int rs_lstm_backward(int variant, ptrdiff_t B, ptrdiff_t H, const float *gates, const float *peepholes,
                     const float *cPrev, const float *c, const float *cellTanh, const float *dOut, float *carry,
                     float *cellCarry, float *dGates, float *peepholeGradient, float *biasGradient);

// MARK: Gaussians.c: weight noise's draws

/// Fills z[0 ..< count] with standard normal draws from the xoshiro256** generator whose four
/// state words are `state` (SeededGenerator's; not advanced here): Marsaglia's polar method
/// as Training/WeightNoise.swift's `gaussianPair`, pairs (a, b) in order, the last b dropped
/// when count is odd: bitwise that loop's values. AVX-512 only (returns 0 otherwise: the
/// caller runs its Swift loop).
int rs_polar_gaussians(int variant, uint64_t state[4], ptrdiff_t count, float *z);

// MARK: Optimizer.c: global-norm clipping and the RMSProp step

/// The gradient's sum of squares for global-norm clipping, in Double, in a fixed order:
/// element i is added (as Double(g[i]) * Double(g[i])) to partial sum i % 32, in order of
/// i; then s[l] = (p[l] + p[8 + l]) + (p[16 + l] + p[24 + l]) for l < 8,
/// x[l] = s[l] + s[4 + l] for l < 4, y[l] = x[l] + x[2 + l] for l < 2, *sum = y[0] + y[1].
/// Every variant gives those bits (RMSProp.referenceSumOfSquares writes the order out).
/// AVX2 and AVX-512; returns 0 without writing `sum` for the portable variant (the caller
/// runs its Swift loop).
int rs_sum_squares(int variant, ptrdiff_t count, const float *g, double *sum);

/// One RMSProp step over count parameters: with gi = g[i] * scale,
///   v[i] = keep * v[i] + blend * gi * gi,   p[i] = p[i] - rate * gi / (sqrt(v[i]) + floor)
/// each operation rounded on its own, left to right, no FMA: bitwise the Swift loop's
/// result. Returns 0 without touching anything for the portable variant, like rs_sum_squares.
int rs_rmsprop_step(int variant, ptrdiff_t count, float *p, float *v, const float *g, float scale,
                    float rate, float keep, float blend, float floor);

#endif
