// What this CPU runs, decided once: the instruction-set extensions CKernels' detection
// found (CKernels/CPUFeatures.c, cpuid asked when the library loads) and the one
// `KernelVariant` every CKernels call runs. Nothing else in the package asks the CPU:
// the kernels get `KernelVariant.current` (Kernels.swift), and OpenBLAS's preferred core
// comes from `CPUFeatures.detected` (BLASRuntime.swift).
import CKernels

/// Instruction-set extensions of this CPU (and OS), as CKernels' detection found them.
public struct CPUFeatures: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let avx2 = CPUFeatures(rawValue: UInt32(RS_CPU_AVX2))
    public static let fma = CPUFeatures(rawValue: UInt32(RS_CPU_FMA))
    public static let avx512f = CPUFeatures(rawValue: UInt32(RS_CPU_AVX512F))
    public static let avx512bw = CPUFeatures(rawValue: UInt32(RS_CPU_AVX512BW))
    public static let avx512vl = CPUFeatures(rawValue: UInt32(RS_CPU_AVX512VL))
    public static let avx512dq = CPUFeatures(rawValue: UInt32(RS_CPU_AVX512DQ))

    /// This machine's, uncapped by RAWSPEECH_CKERNELS (which only caps CKernels' variant).
    public static let detected = CPUFeatures(rawValue: rs_cpu_features())

    /// The names as /proc/cpuinfo spells them ("avx2 fma avx512f ...").
    public var description: String {
        let names: [(CPUFeatures, String)] = [(.avx2, "avx2"), (.fma, "fma"), (.avx512f, "avx512f"),
                                              (.avx512bw, "avx512bw"), (.avx512vl, "avx512vl"), (.avx512dq, "avx512dq")]
        return names.filter { contains($0.0) }.map(\.1).joined(separator: " ")
    }
}

/// The code path of CKernels' kernels: every kernel has a portable (or no) version, some
/// an AVX2 one, most an AVX-512 one.
public enum KernelVariant: Int32, CaseIterable, Comparable, Sendable, CustomStringConvertible {
    case portable = 0, avx2 = 1, avx512 = 2

    /// The variant this process runs, decided once: the best `CPUFeatures.detected`
    /// allows (AVX-512F, else AVX2 with FMA, else portable), capped by the environment
    /// variable RAWSPEECH_CKERNELS=avx2|portable (to test and time the fallbacks).
    public static let current = KernelVariant(rawValue: rs_kernels_variant()) ?? .portable

    /// Every variant this process can run, `current` and below: what the tests compare.
    package static var runnable: [KernelVariant] { allCases.filter { $0 <= current } }

    public static func < (a: KernelVariant, b: KernelVariant) -> Bool { a.rawValue < b.rawValue }

    /// "portable", "avx2" or "avx512", as RAWSPEECH_CKERNELS spells them.
    public var description: String {
        switch self {
        case .portable: "portable"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }
}

/// Which CKernels code path this process runs, for the benches' reports.
public enum CKernelsRuntime {
    /// "avx512", "avx2" or "portable" (`KernelVariant.current`).
    public static var variantName: String { KernelVariant.current.description }
}
