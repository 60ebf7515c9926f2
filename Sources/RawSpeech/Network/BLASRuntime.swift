// Which OpenBLAS kernels run, and which ones this CPU should run. Debian's OpenBLAS 0.3.21
// does not recognise recent Xeons and falls back to generic SSE3 ("Prescott") kernels,
// 4-5x slower for our GEMMs; OPENBLAS_CORETYPE fixes that, but only if it is in the
// environment before the library loads. The CLI uses this to re-execute itself.
import COpenBLAS

public enum BLASRuntime {
    /// The kernel family OpenBLAS chose, e.g. "SkylakeX", "Haswell" or "Prescott".
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Threads OpenBLAS uses for one call.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    public static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(count)) }

    /// The fastest OPENBLAS_CORETYPE a CPU with `features` can run (never one whose
    /// instructions the CPU lacks: that would crash with SIGILL). From CKernels' one
    /// detection (`CPUFeatures.detected`), uncapped by RAWSPEECH_CKERNELS: SkylakeX needs
    /// AVX-512 F, BW, VL and DQ; Haswell AVX2 and FMA.
    public static func preferredCoreType(for features: CPUFeatures = .detected) -> String? {
        if features.isSuperset(of: [.avx512f, .avx512bw, .avx512vl, .avx512dq]) { return "SkylakeX" }
        if features.isSuperset(of: [.avx2, .fma]) { return "Haswell" }
        return nil
    }

    /// How fast a kernel family is, for comparing cores: 2 AVX-512, 1 AVX2, 0 older or unknown.
    static func tier(_ core: String) -> Int {
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": 2
        case "haswell", "zen": 1
        default: 0
        }
    }

    /// A one-line note when OPENBLAS_CORETYPE in `environment` made OpenBLAS load slower kernels
    /// (`running`) than this CPU runs (`preferred`), e.g. a cluster's module file or a shell
    /// profile forcing Haswell's AVX2 kernels on an AVX-512 machine; nil otherwise. rawspeech
    /// keeps a value the user set (docs/DISTRIBUTED.md asks for one on mixed-CPU clusters),
    /// and says what it costs.
    public static func slowerKernelsNote(environment: [String: String], running: String = coreName,
                                         preferred: String? = preferredCoreType()) -> String? {
        guard let forced = environment["OPENBLAS_CORETYPE"], !forced.isEmpty, let preferred,
              tier(running) < tier(preferred) else { return nil }
        return "note: OPENBLAS_CORETYPE=\(forced) in the environment runs OpenBLAS's \(running) kernels; "
            + "this CPU runs \(preferred)'s, faster (docs/PERFORMANCE.md): unset OPENBLAS_CORETYPE to let rawspeech choose"
    }
}
