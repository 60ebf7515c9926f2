// Entry point. Before anything loads OpenBLAS's kernels, make sure the fast ones will run:
// if OPENBLAS_CORETYPE is unset and this CPU supports better kernels than the generic
// fallback, re-execute this same binary with the variable set (setenv alone is too late:
// OpenBLAS reads it when the library is loaded, before main).
import ArgumentParser
import Foundation
import RawSpeechDistributed

OpenBLASReexec.ensureFastKernels()
do {
    var command = try RawSpeechCommand.parseAsRoot()
    try command.run()
    MPIWorld.finish()  // a no-op unless a command joined an MPI job
} catch {
    if let hint = negativeValueHint(for: error, arguments: Array(CommandLine.arguments.dropFirst())) {
        printError(hint)
    }
    // No MPI_Finalize on the way out with an error: the other ranks may be inside a
    // collective, and the launcher ends the job when this rank exits non-zero.
    RawSpeechCommand.exit(withError: error)
}

/// argument-parser reads `--units -1` as a flag without its value ("Missing value for
/// '--units <units>'"); say what happened and how to pass the number.
func negativeValueHint(for error: Error, arguments: [String]) -> String? {
    let message = RawSpeechCommand.message(for: error)
    guard message.hasPrefix("Missing value for '--") else { return nil }
    for (index, argument) in arguments.enumerated().dropLast() where message.hasPrefix("Missing value for '\(argument) ") {
        let next = arguments[index + 1]
        if next.hasPrefix("-"), Double(next) != nil || next.lowercased() == "-inf" {
            return "note: \(next) after \(argument) was read as a flag; a negative value is written \(argument)=\(next)"
        }
    }
    return nil
}
