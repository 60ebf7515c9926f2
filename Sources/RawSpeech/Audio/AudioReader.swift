// Streaming reader: any file libsndfile reads (or a headerless one described by a
// RawFormat) comes out as mono Float blocks at a chosen sample rate. Memory stays constant
// whatever the file's length: one block of interleaved frames, one of mono samples, and
// the resampler's state. It is not a decoder of its own: libsndfile converts every
// encoding to float (PCM as n / 2^(bits-1), so PCM reads back exactly) and libsoxr resamples.
// It does not trust the header: rates and channel counts outside AudioLimits are errors, and a
// frame count that cannot be true (INT64_MAX from an OGG with a damaged last page) is treated
// as unknown, the file then being read to its end.
import CSndfile
import Foundation

/// Reads a recording block by block as mono Float samples at `sampleRate`.
public final class AudioReader {
    public let url: URL
    /// The file's own rate and channel count (as its header says, within AudioLimits).
    public let sourceSampleRate: Int
    public let channels: Int
    /// The header's frame count, or nil when it is not believable (`AudioLimits.believableFrames`):
    /// the file is then read to its end, and a short read is not called truncation.
    public let sourceFrames: Int?
    /// The rate of the samples this reader yields.
    public let sampleRate: Int
    /// Source frames read per block (the memory bound).
    public let blockFrames: Int

    private let file: SoundFile
    private let resampler: Resampler?
    private var interleaved: [Float]
    private var mono: [Float]
    private var framesRead = 0
    private var finished = false

    /// Opens `url`; `raw` describes a headerless file; `sampleRate` nil keeps the file's rate.
    public init(url: URL, raw: RawFormat? = nil, sampleRate: Int? = nil, blockFrames: Int = 16_384) throws {
        self.url = url
        file = try SoundFile(reading: url, raw: raw)
        sourceSampleRate = file.sampleRate
        channels = file.channels
        sourceFrames = file.frames
        self.sampleRate = sampleRate ?? file.sampleRate
        // At most 2^20 interleaved floats per block (4 MB), however many channels the header claims.
        self.blockFrames = max(1, min(blockFrames, (1 << 20) / max(1, file.channels)))
        if sourceFrames == 0 { throw AudioError.noSamples(path: url.path) }
        guard AudioLimits.sampleRates.contains(self.sampleRate) else {
            throw AudioError.implausibleSampleRate(path: url.path, rate: self.sampleRate)
        }
        if self.sampleRate > sourceSampleRate * AudioLimits.maxResamplingGrowth {
            throw AudioError.excessiveResampling(path: url.path, sourceRate: sourceSampleRate, targetRate: self.sampleRate)
        }
        resampler = self.sampleRate == sourceSampleRate
            ? nil : try Resampler(inputRate: sourceSampleRate, outputRate: self.sampleRate)
        interleaved = [Float](repeating: 0, count: self.blockFrames * channels)
        mono = [Float](repeating: 0, count: self.blockFrames)
    }

    /// Output samples this reader will yield in total (the resampled length), if the header's
    /// frame count is believable. At most 2^40 x 64 samples, so the conversion cannot trap.
    public var knownExpectedSamples: Int? {
        sourceFrames.map { Int((Double($0) * Double(sampleRate) / Double(sourceSampleRate)).rounded()) }
    }

    /// `knownExpectedSamples`, or Int.max when unknown: "is it longer than N?" then answers
    /// yes, so callers stream it. Never size a buffer from it.
    public var expectedSamples: Int { knownExpectedSamples ?? Int.max }

    /// Replaces `output` with the next block of samples; returns false once the file is done.
    /// Blocks may be empty while the resampler fills its delay line.
    public func read(into output: inout [Float]) throws -> Bool {
        output.removeAll(keepingCapacity: true)
        if finished { return false }
        let got = interleaved.withUnsafeMutableBufferPointer {
            Int(sf_readf_float(file.handle, $0.baseAddress, sf_count_t(blockFrames)))
        }
        if got <= 0 {
            finished = true
            if let sourceFrames, framesRead < sourceFrames || file.errorText != nil {
                throw AudioError.truncated(path: url.path, expectedFrames: sourceFrames, readFrames: framesRead)
            }
            if framesRead == 0 { throw AudioError.noSamples(path: url.path) }
            try resampler?.finish(into: &output)
            return !output.isEmpty
        }
        try downmix(frames: got)
        framesRead += got
        if let resampler {
            try mono.withUnsafeBufferPointer {
                try resampler.process(UnsafeBufferPointer(rebasing: $0[0 ..< got]), into: &output)
            }
        } else {
            output.append(contentsOf: mono[0 ..< got])
        }
        return true
    }

    /// Calls `body` with each block until the file is done.
    public func forEachBlock(_ body: ([Float]) throws -> Void) throws {
        var block: [Float] = []
        block.reserveCapacity(blockFrames * max(1, sampleRate / max(1, sourceSampleRate)) + 1024)
        while try read(into: &block) { try body(block) }
    }

    /// Averages channels into `mono` and rejects NaN or infinities (a float file can hold
    /// them; every later stage would turn them into NaN losses).
    private func downmix(frames: Int) throws {
        let channels = self.channels
        let bad: Int? = interleaved.withUnsafeBufferPointer { src in
            mono.withUnsafeMutableBufferPointer { dst in
                if channels == 1 {
                    for i in 0 ..< frames { dst[i] = src[i] }
                } else {
                    let scale = 1 / Float(channels)
                    for i in 0 ..< frames {
                        var sum: Float = 0
                        for c in 0 ..< channels { sum += src[i * channels + c] }
                        dst[i] = sum * scale
                    }
                }
                // One pass summing is cheaper than a branch per sample; NaN/inf survive a sum.
                var check: Float = 0
                for i in 0 ..< frames { check += dst[i] * 0 }
                if check.isFinite { return nil }
                return (0 ..< frames).first { !dst[$0].isFinite }
            }
        }
        if let bad { throw AudioError.nonFiniteSample(path: url.path, frame: framesRead + bad) }
    }
}
