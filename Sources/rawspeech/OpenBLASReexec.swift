// Re-executes the process with OPENBLAS_CORETYPE chosen from the CPU's features.
import Foundation
import RawSpeechNetwork

enum OpenBLASReexec {
    /// Marks a process that was already re-executed, so a failing exec cannot loop.
    static let marker = "RAWSPEECH_OPENBLAS_REEXEC"

    static func ensureFastKernels() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment[marker] == nil,
              let coreType = BLASRuntime.preferredCoreType() else { return }
        setenv("OPENBLAS_CORETYPE", coreType, 1)
        setenv(marker, "1", 1)
        let arguments = CommandLine.arguments
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", &argv)
        // exec failed: carry on with whatever kernels OpenBLAS picked.
    }
}
