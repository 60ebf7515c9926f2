// Subnormal floats are ~100x slower in x86 arithmetic, and training makes plenty of
// them: mixture responsibilities of far-off components times 1/(T*B), and gradients
// vanishing through saturated units. They carry no useful information at these scales,
// so the forward and backward passes run with the CPU's flush-to-zero (FTZ) and
// denormals-are-zero (DAZ) modes on, for their own thread only, restoring the caller's
// floating-point environment afterwards. (OpenBLAS's worker threads keep their own mode;
// the mixture gradient also flushes its tiny values itself, since that is where most
// subnormals start.) Measured: at B = 1 a trained model's head GEMMs were a quarter of
// each update before this.
#if canImport(Glibc)
import Glibc
#endif

package enum DenormalFlush {
    /// Runs `body` with FTZ and DAZ set in this thread's MXCSR (x86-64 Linux; elsewhere as is).
    @inline(__always)
    package static func run<Result>(_ body: () -> Result) -> Result {
        #if arch(x86_64) && canImport(Glibc)
        var saved = fenv_t()
        fegetenv(&saved)
        var flushing = saved
        flushing.__mxcsr |= 0x8040  // FTZ (bit 15) | DAZ (bit 6)
        fesetenv(&flushing)
        defer { fesetenv(&saved) }
        #endif
        return body()
    }
}
