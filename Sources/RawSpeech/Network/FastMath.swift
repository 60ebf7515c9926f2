// Float exp / tanh / sigmoid for the gate loops. For now the C library's; a branch-free
// polynomial version (so the gate loops vectorize) replaces it once it is measured.
import Foundation

enum FastMath {
    @inline(__always) static func exp(_ x: Float) -> Float { Foundation.expf(x) }
    @inline(__always) static func tanh(_ x: Float) -> Float { Foundation.tanhf(x) }
    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.expf(-x)) }
}
