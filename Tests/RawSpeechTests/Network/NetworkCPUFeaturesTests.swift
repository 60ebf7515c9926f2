// The one CPU decision (CPUFeatures.swift, CKernels/CPUFeatures.c): the kernel variant
// follows the detected features and RAWSPEECH_CKERNELS (run the suite with
// RAWSPEECH_CKERNELS=avx2 and =portable to see the cap at work), the detection agrees with
// the kernel's own /proc/cpuinfo, and OpenBLAS's preferred core derived from it is the
// one the old /proc/cpuinfo probe chose.
import Foundation
import Testing
@testable import RawSpeechNetwork

@Suite struct NetworkCPUFeaturesTests {
    /// The flags of the first processor in /proc/cpuinfo (nil off Linux).
    static func procFlags() -> Set<String>? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return nil }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    @Test func variantIsTheBestTheFeaturesAllowCappedByTheEnvironment() {
        let features = CPUFeatures.detected
        var expected: KernelVariant = features.contains(.avx512f) ? .avx512
            : features.isSuperset(of: [.avx2, .fma]) ? .avx2 : .portable
        switch ProcessInfo.processInfo.environment["RAWSPEECH_CKERNELS"] {
        case "portable": expected = .portable
        case "avx2": expected = min(expected, .avx2)
        default: break
        }
        #expect(KernelVariant.current == expected, "features \(features)")
        #expect(CKernelsRuntime.variantName == "\(expected)")
        #expect(KernelVariant.runnable == KernelVariant.allCases.filter { $0 <= expected })
    }

    @Test func detectionAgreesWithProcCpuinfo() throws {
        guard let flags = Self.procFlags() else { return }  // not Linux
        let named: [(CPUFeatures, String)] = [(.avx2, "avx2"), (.fma, "fma"), (.avx512f, "avx512f"),
                                              (.avx512bw, "avx512bw"), (.avx512vl, "avx512vl"), (.avx512dq, "avx512dq")]
        for (feature, name) in named {
            #expect(CPUFeatures.detected.contains(feature) == flags.contains(name), "\(name)")
        }
    }

    /// The rule the CLI's OpenBLAS re-exec used to apply to /proc/cpuinfo, applied to this
    /// machine's flags, gives the core the one detection gives.
    @Test func preferredCoreIsTheOneTheCpuinfoProbeChose() throws {
        guard let flags = Self.procFlags() else { return }
        let fromCpuinfo: String? = flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) ? "SkylakeX"
            : flags.isSuperset(of: ["avx2", "fma"]) ? "Haswell" : nil
        #expect(BLASRuntime.preferredCoreType() == fromCpuinfo)
    }

    @Test func preferredCoreNeedsEveryFeatureOfItsKernels() {
        let haswell: CPUFeatures = [.avx2, .fma], skylake: CPUFeatures = [.avx2, .fma, .avx512f, .avx512bw, .avx512vl, .avx512dq]
        #expect(BLASRuntime.preferredCoreType(for: skylake) == "SkylakeX")
        #expect(BLASRuntime.preferredCoreType(for: skylake.subtracting(.avx512dq)) == "Haswell")
        #expect(BLASRuntime.preferredCoreType(for: haswell) == "Haswell")
        #expect(BLASRuntime.preferredCoreType(for: [.avx2]) == nil)
        #expect(BLASRuntime.preferredCoreType(for: []) == nil)
    }
}
