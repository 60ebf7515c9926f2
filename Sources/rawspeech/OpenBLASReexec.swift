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

/// Says on standard error when OPENBLAS_CORETYPE from the environment holds this process to
/// slower OpenBLAS kernels than the CPU runs (`BLASRuntime.slowerKernelsNote`): the
/// commands whose speed matters (train, compare, bench) call it as they start. Under a
/// launcher only the first rank says it (every rank inherits the same environment).
func noteSlowerKernels() {
    let environment = ProcessInfo.processInfo.environment
    let rank = ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID"].lazy.compactMap { environment[$0] }.first
    guard rank == nil || rank == "0" else { return }
    if let note = BLASRuntime.slowerKernelsNote(environment: environment) { printError(note) }
}
