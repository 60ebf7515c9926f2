// A streaming sample-rate converter on libsoxr (the resampler SoX and FFmpeg use), mono,
// 32-bit float, high quality (SOXR_HQ: 20-bit precision, passband to 91% of Nyquist).
// Blocks go in as they are read; output comes out with libsoxr's own small latency, and
// `finish` drains the tail, so the total output length is round(input * out / in).

import CSoxr

/// Converts a stream of mono Float blocks from one sample rate to another.
public final class Resampler {
    public let inputRate: Int
    public let outputRate: Int
    private let handle: soxr_t
    /// Output space per call; grown when an input block could produce more.
    private var scratch: [Float] = []

    public init(inputRate: Int, outputRate: Int) throws {
        self.inputRate = inputRate
        self.outputRate = outputRate
        var error: soxr_error_t? = nil
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        guard let h = soxr_create(Double(inputRate), Double(outputRate), 1, &error, &io, &quality, nil),
              error == nil else {
            throw AudioError.resampler(reason: error.map { String(cString: $0) } ?? "soxr_create failed")
        }
        handle = h
    }

    deinit { soxr_delete(handle) }

    /// Resamples `input` and appends whatever output is ready to `output`.
    public func process(_ input: UnsafeBufferPointer<Float>, into output: inout [Float]) throws {
        var offset = 0
        // soxr may not take all input at once if the output buffer is short: loop.
        while offset < input.count {
            let remaining = input.count - offset
            let capacity = remaining * outputRate / inputRate + 256
            if scratch.count < capacity { scratch = [Float](repeating: 0, count: capacity) }
            var used = 0, produced = 0
            let error = scratch.withUnsafeMutableBufferPointer { out in
                soxr_process(handle, input.baseAddress! + offset, remaining, &used,
                             out.baseAddress, out.count, &produced)
            }
            if let error { throw AudioError.resampler(reason: String(cString: error)) }
            output.append(contentsOf: scratch[0 ..< produced])
            offset += used
            if used == 0 && produced == 0 { break }
        }
    }

    /// Signals end of input and appends the remaining output.
    public func finish(into output: inout [Float]) throws {
        if scratch.count < 4096 { scratch = [Float](repeating: 0, count: 4096) }
        while true {
            var produced = 0
            let error = scratch.withUnsafeMutableBufferPointer { out in
                soxr_process(handle, nil, 0, nil, out.baseAddress, out.count, &produced)
            }
            if let error { throw AudioError.resampler(reason: String(cString: error)) }
            if produced == 0 { break }
            output.append(contentsOf: scratch[0 ..< produced])
        }
    }
}
