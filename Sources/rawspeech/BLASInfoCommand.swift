// `rawspeech blas-info`: which OpenBLAS kernels this process runs on.
import ArgumentParser
import RawSpeechNetwork

struct BLASInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blas-info",
        abstract: "Print the OpenBLAS kernels in use and the ones this CPU supports.")

    func run() throws {
        print("openblas_core: \(BLASRuntime.coreName)")
        print("preferred_core: \(BLASRuntime.preferredCoreType() ?? "none (generic)")")
        print("threads: \(BLASRuntime.threads)")
        noteSlowerKernels()
    }
}
