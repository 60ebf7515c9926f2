// The entry points of the AVX-512-only passes (Activations.c, Gaussians.c, GRUKernels.c,
// LSTMKernels.c) share one dispatch: RS_AVX512_ONLY(call) runs `call` and returns 1 from the
// entry point when its `variant` argument runs AVX-512 on this CPU; otherwise (or off x86-64)
// it does nothing, the entry point returns 0 and the Swift caller runs its loops. Private to
// the target: included by the .c files after CKernels.h, never by Swift.
#ifndef RAWSPEECH_AVX512_ONLY_H
#define RAWSPEECH_AVX512_ONLY_H

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define RS_AVX512_ONLY(call) \
  if (rs_runnable_variant(variant) == RS_KERNELS_AVX512) { call; return 1; }
#else
#define RS_AVX512_ONLY(call)
#endif

#endif
