// Ctrl-C during long work: the first press asks the work to stop at the next safe point
// (training saves a checkpoint); a second press exits at once.
import Dispatch
import Foundation

final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var sources: [DispatchSourceSignal] = []

    var isRequested: Bool { lock.withLock { requested } }

    /// Starts catching SIGINT and SIGTERM.
    func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in
                let again = lock.withLock { () -> Bool in
                    defer { requested = true }
                    return requested
                }
                if again { _exit(130) }
                FileHandle.standardError.write(Data("\nstopping at the next safe point (press Ctrl-C again to quit now)\n".utf8))
            }
            source.resume()
            sources.append(source)
        }
    }
}
