// What this CPU can run, found once when the library loads: the one place CKernels asks
// cpuid (through the compiler's __builtin_cpu_supports, which also checks that the OS
// saves the wide registers). Two answers come out of it (see include/CKernels.h):
// - rs_cpu_features: the instruction-set extensions themselves, uncapped. The Swift side
//   derives OpenBLAS's preferred core from them (BLASRuntime.preferredCoreType).
// - rs_kernels_variant: the best variant of CKernels' kernels those features allow,
//   capped by RAWSPEECH_CKERNELS=avx2|portable (to test and time the fallbacks on an
//   AVX-512 machine; it never raises the variant). Swift reads it once
//   (KernelVariant.current) and passes it to every kernel.
// Every kernel caps the variant it is given with rs_runnable_variant, so no argument can
// make it run what the CPU lacks.
#include "CKernels.h"

#include <stdlib.h>
#include <string.h>

static unsigned detected_features = 0;
static int detected_variant = -1;

__attribute__((constructor))
static void detect(void) {
  unsigned features = 0;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) features |= RS_CPU_AVX2;
  if (__builtin_cpu_supports("fma")) features |= RS_CPU_FMA;
  if (__builtin_cpu_supports("avx512f")) features |= RS_CPU_AVX512F;
  if (__builtin_cpu_supports("avx512bw")) features |= RS_CPU_AVX512BW;
  if (__builtin_cpu_supports("avx512vl")) features |= RS_CPU_AVX512VL;
  if (__builtin_cpu_supports("avx512dq")) features |= RS_CPU_AVX512DQ;
#endif
  int best = RS_KERNELS_PORTABLE;
  if (features & RS_CPU_AVX512F) best = RS_KERNELS_AVX512;
  else if ((features & RS_CPU_AVX2) && (features & RS_CPU_FMA)) best = RS_KERNELS_AVX2;
  const char *cap = getenv("RAWSPEECH_CKERNELS");
  if (cap && strcmp(cap, "portable") == 0) best = RS_KERNELS_PORTABLE;
  else if (cap && strcmp(cap, "avx2") == 0 && best > RS_KERNELS_AVX2) best = RS_KERNELS_AVX2;
  detected_features = features;
  detected_variant = best;
}

unsigned rs_cpu_features(void) {
  if (detected_variant < 0) detect();
  return detected_features;
}

int rs_kernels_variant(void) {
  if (detected_variant < 0) detect();
  return detected_variant;
}

int rs_runnable_variant(int variant) {
  const int best = rs_kernels_variant();
  return variant < best ? (variant < RS_KERNELS_PORTABLE ? RS_KERNELS_PORTABLE : variant) : best;
}
