// The trap of PLATFORM-NOTES: Debian's OpenBLAS picks slow generic kernels (Prescott) on
// this CPU unless OPENBLAS_CORETYPE is set before the library loads. `rawspeech`
// re-executes itself with the variable chosen from the CPU's flags; this runs the built
// binary the way a user would (the variable unset) and checks the kernels it reports.
import Foundation
import Testing
@testable import RawSpeechNetwork

@Suite struct NetworkBLASKernelTests {
    /// The `rawspeech` executable next to the test bundle (swift build / swift test build both).
    static func binary() -> URL? {
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("rawspeech"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rawspeech"),
            packageRoot.appendingPathComponent(".build/debug/rawspeech"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    @Test func userTypingTheCommandGetsThePreferredKernels() throws {
        guard let preferred = BLASRuntime.preferredCoreType() else { return }  // nothing better than generic here
        let url = try #require(Self.binary(), "no built rawspeech executable: run `swift build` first")
        let process = Process()
        process.executableURL = url
        process.arguments = ["blas-info"]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil  // as a user's shell would have it
        environment["RAWSPEECH_OPENBLAS_REEXEC"] = nil
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let core = output.split(separator: "\n").first { $0.hasPrefix("openblas_core:") }
            .map { $0.dropFirst("openblas_core:".count).trimmingCharacters(in: .whitespaces) }
        #expect(core == preferred, "blas-info said:\n\(output)")
        #expect(core != "Prescott")
    }
}
