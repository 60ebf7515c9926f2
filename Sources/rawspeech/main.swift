// Entry point. Before anything loads OpenBLAS's kernels, make sure the fast ones will run:
// if OPENBLAS_CORETYPE is unset and this CPU supports better kernels than the generic
// fallback, re-execute this same binary with the variable set (setenv alone is too late:
// OpenBLAS reads it when the library is loaded, before main).
import Foundation
import RawSpeechDistributed

OpenBLASReexec.ensureFastKernels()
RawSpeechCommand.main()
MPIWorld.finish()  // a no-op unless a command joined an MPI job
