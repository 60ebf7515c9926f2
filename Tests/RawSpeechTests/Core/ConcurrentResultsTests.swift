// Core's ConcurrentResults, the one results type of the parallel loops (preprocessing,
// reading score inputs, the per-file spectral measures): every index is handed out once,
// results land in their own slot, and stop() hands out no more.
import Dispatch
import Testing
@testable import RawSpeechCore

@Suite struct ConcurrentResultsTests {
    @Test func everyIndexOnceInItsSlot() {
        let results = ConcurrentResults<Int>(count: 1_000)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            while let i = results.next() { results.set(i, i * i) }
        }
        #expect(results.values.map { $0 ?? -1 } == (0 ..< 1_000).map { $0 * $0 })
        #expect(results.next() == nil)
    }

    @Test func stopHandsOutNoMore() {
        let results = ConcurrentResults<String>(count: 10)
        #expect(results.next() == 0 && results.next() == 1)
        results.set(1, "one")
        results.stop()
        #expect(results.next() == nil)
        #expect(results.values == [nil, "one"] + Array(repeating: nil, count: 8))
    }
}
