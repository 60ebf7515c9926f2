// Which OpenBLAS kernels run, and which ones this CPU should run. Debian's OpenBLAS 0.3.21
// does not recognise recent Xeons and falls back to generic SSE3 ("Prescott") kernels,
// 4-5x slower for our GEMMs; OPENBLAS_CORETYPE fixes that, but only if it is in the
// environment before the library loads. The CLI uses this to re-execute itself.
import COpenBLAS
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum BLASRuntime {
    /// The kernel family OpenBLAS chose, e.g. "SkylakeX", "Haswell" or "Prescott".
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Threads OpenBLAS uses for one call.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    public static func setThreads(_ count: Int) { openblas_set_num_threads(Int32(count)) }

    /// The fastest OPENBLAS_CORETYPE this CPU can run, from /proc/cpuinfo's flags
    /// (never one whose instructions the CPU lacks: that would crash with SIGILL).
    public static func preferredCoreType(cpuFlags: Set<String> = cpuFlags()) -> String? {
        if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return "SkylakeX" }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The CPU feature flags of the first processor in /proc/cpuinfo (empty elsewhere).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
