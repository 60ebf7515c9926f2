// The one CPU decision (CPUFeatures.swift, CKernels/CPUFeatures.c): the kernel variant
// follows the detected features and RAWSPEECH_CKERNELS (in this process, and in the
// built `rawspeech` run with each cap), the detection agrees with the kernel's own
// /proc/cpuinfo, and OpenBLAS's preferred core derived from it is the one the old
// /proc/cpuinfo probe chose, whatever the cap.
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
        var expected = Self.uncapped
        switch ProcessInfo.processInfo.environment["RAWSPEECH_CKERNELS"] {
        case "portable": expected = .portable
        case "avx2": expected = min(expected, .avx2)
        default: break
        }
        #expect(KernelVariant.current == expected, "features \(CPUFeatures.detected)")
        #expect(CKernelsRuntime.variantName == "\(expected)")
        #expect(KernelVariant.runnable == KernelVariant.allCases.filter { $0 <= expected })
    }

    /// The variant with no cap: the best the detected features allow.
    static var uncapped: KernelVariant {
        CPUFeatures.detected.contains(.avx512f) ? .avx512 : CPUFeatures.detected.isSuperset(of: [.avx2, .fma]) ? .avx2 : .portable
    }

    /// `rawspeech bench train` (a tiny model, a few milliseconds) under each cap reports the
    /// capped CKernels variant and still OpenBLAS's preferred core: the cap reaches the one
    /// variant and nothing else.
    @Test(arguments: ["portable", "avx2", ""])
    func theBuiltCommandReportsTheCappedVariant(cap: String) throws {
        let url = try #require(NetworkBLASKernelTests.binary(), "no built rawspeech executable: run `swift build` first")
        let process = Process()
        process.executableURL = url
        process.arguments = ["bench", "train", "--cell", "tanh", "--units", "8", "--components", "2", "--batch", "2",
                             "--steps", "4", "--seconds", "0.01"]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil  // as a user's shell would have it: the CLI picks
        environment["RAWSPEECH_OPENBLAS_REEXEC"] = nil
        environment["RAWSPEECH_CKERNELS"] = cap.isEmpty ? nil : cap
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        func value(_ key: String) -> String? {
            output.split(separator: "\n").first { $0.hasPrefix(key + ":") }
                .map { $0.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces) }
        }
        let expected: KernelVariant = switch cap {
        case "portable": .portable
        case "avx2": min(Self.uncapped, .avx2)
        default: Self.uncapped
        }
        #expect(value("ckernels") == "\(expected)", "bench train said:\n\(output)")
        if let preferred = BLASRuntime.preferredCoreType() {
            #expect(value("blas_core") == preferred, "bench train said:\n\(output)")
        }
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

    /// A shell or module file that forces slower kernels than the CPU runs gets a note
    /// naming the variable; a user's equal or faster choice, or no choice, gets none.
    @Test func slowerKernelsForcedByTheEnvironmentAreNoted() throws {
        let forced = try #require(BLASRuntime.slowerKernelsNote(environment: ["OPENBLAS_CORETYPE": "Haswell"],
                                                                running: "Haswell", preferred: "SkylakeX"))
        #expect(forced.contains("OPENBLAS_CORETYPE=Haswell") && forced.contains("SkylakeX"))
        #expect(BLASRuntime.slowerKernelsNote(environment: ["OPENBLAS_CORETYPE": "Prescott"], running: "Prescott",
                                              preferred: "Haswell") != nil)
        #expect(BLASRuntime.slowerKernelsNote(environment: ["OPENBLAS_CORETYPE": "SkylakeX"], running: "SkylakeX",
                                              preferred: "SkylakeX") == nil)
        #expect(BLASRuntime.slowerKernelsNote(environment: ["OPENBLAS_CORETYPE": "Zen"], running: "Zen",
                                              preferred: "Haswell") == nil)
        #expect(BLASRuntime.slowerKernelsNote(environment: [:], running: "Haswell", preferred: "SkylakeX") == nil)
        #expect(BLASRuntime.slowerKernelsNote(environment: ["OPENBLAS_CORETYPE": "Haswell"], running: "Haswell",
                                              preferred: nil) == nil)
    }
}
