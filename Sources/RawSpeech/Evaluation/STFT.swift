// The short-time Fourier transform the evaluator measures spectra with: a periodic Hann
// window, single-precision real FFTs on FFTW, frame 512 and hop 128 at 16 kHz, scaled with
// the sample rate. It streams: feed blocks of any length and it hands back the power
// spectrum of each complete frame as soon as it exists, holding at most one frame of
// samples, so an hour-long recording never needs its spectrogram in memory. It is not a
// spectrogram store, a resynthesis (no inverse) or a mel filterbank.
//
// Framing: frames start at samples 0, hop, 2*hop, ... and only complete frames are
// transformed (no centering, no zero padding), so a signal of n >= frameLength samples gives
// (n - frameLength) / hop + 1 frames, and the last (n - frameLength) % hop samples fall
// outside every frame. scipy.signal.stft(..., boundary=None, padded=False) frames the same way.
import CFFTW
import Foundation

/// Frame and hop of the evaluator's STFT.
public struct STFTConfiguration: Codable, Equatable, Sendable {
    /// Samples per frame (the FFT size).
    public var frameLength: Int
    /// Samples between the starts of consecutive frames.
    public var hop: Int

    public init(frameLength: Int, hop: Int) {
        // A hop longer than the frame would skip samples; no metric here wants that.
        precondition(frameLength >= 2 && (1 ... frameLength).contains(hop),
                     "STFT frame \(frameLength), hop \(hop)")
        self.frameLength = frameLength
        self.hop = hop
    }

    /// The STFT scaled with the rate: the frame is the smallest power of two that
    /// spans at least 32 ms (512 at 16 kHz, 256 at 8 kHz, 2048 at 44.1 and 48 kHz), and the
    /// hop a quarter of it (75 % overlap, as 512/128).
    public init(sampleRate: Int) {
        precondition(sampleRate > 0, "sample rate \(sampleRate)")
        let minimum = (sampleRate * 32 + 999) / 1000
        var frame = 2
        while frame < minimum { frame *= 2 }
        self.init(frameLength: frame, hop: frame / 4)
    }

    /// Frequency bins of the one-sided spectrum, DC to Nyquist.
    public var bins: Int { frameLength / 2 + 1 }

    /// Complete frames in `samples` samples.
    public func frameCount(samples: Int) -> Int {
        samples < frameLength ? 0 : (samples - frameLength) / hop + 1
    }
}

/// A streaming power-spectrum analyzer on FFTW.
///
/// Each frame's power spectrum is `P[k] = |Σ_n w[n] x[n] e^(-2πi kn/N)|² / (Σ_n w[n])²`
/// for k = 0 ... N/2, with `w` the periodic Hann window `0.5 - 0.5 cos(2πn/N)`. Dividing by the
/// window's sum makes levels independent of the frame length: a sinusoid of amplitude A on a
/// bin centre gives P = A²/4 at any sample rate (scipy's `scaling="spectrum"`, squared).
///
/// One instance per task: it owns its buffers. Instances share FFTW's cached plan.
public final class STFT {
    public let configuration: STFTConfiguration
    /// The analysis window (periodic Hann), frameLength values.
    public let window: [Float]

    private let plan: RealFFTPlan
    private let windowSumSquared: Float
    // FFTW's new-array execute requires the plan's alignment: both come from fftwf_malloc.
    private let frameBuffer: UnsafeMutablePointer<Float>          // (N)
    private let spectrumBuffer: UnsafeMutablePointer<fftwf_complex> // (N/2 + 1)
    private var frames: SlidingFrames
    private var power: [Float]                                     // (N/2 + 1)

    public init(_ configuration: STFTConfiguration) {
        self.configuration = configuration
        let n = configuration.frameLength
        window = (0 ..< n).map { i in
            Float(0.5 - 0.5 * cos(2 * Double.pi * Double(i) / Double(n)))
        }
        let sum = window.reduce(0, +)
        windowSumSquared = sum * sum
        plan = FFTWPlanner.shared.realForwardPlan(size: n)
        frameBuffer = fftwf_alloc_real(n)!
        spectrumBuffer = fftwf_alloc_complex(configuration.bins)!
        frames = SlidingFrames(frameLength: n, hop: configuration.hop, channels: 1)
        power = [Float](repeating: 0, count: configuration.bins)
    }

    /// The 16 kHz-equivalent STFT at `sampleRate` (see `STFTConfiguration(sampleRate:)`).
    public convenience init(sampleRate: Int) {
        self.init(STFTConfiguration(sampleRate: sampleRate))
    }

    deinit {
        fftwf_free(frameBuffer)
        fftwf_free(spectrumBuffer)
    }

    /// Frames transformed since creation or the last `reset()`.
    public private(set) var framesProcessed = 0

    /// Feeds the next block of the stream; calls `onFrame` with the power spectrum (bins
    /// values, valid only during the call) of every frame the block completes, in order.
    public func append(_ samples: [Float], onFrame: ([Float]) throws -> Void) rethrows {
        try frames.append([samples]) { pending in
            powerSpectrum(of: pending[0], into: &power)
            framesProcessed += 1
            try onFrame(power)
        }
    }

    /// Forgets buffered samples: the next `append` starts a new signal at frame 0.
    public func reset() {
        frames.reset()
        framesProcessed = 0
    }

    /// The power spectrum of one frame of exactly frameLength samples into `power` (bins).
    public func powerSpectrum(of frame: [Float], into power: inout [Float]) {
        let n = configuration.frameLength
        precondition(frame.count == n, "STFT frame has \(frame.count) samples, expected \(n)")
        if power.count != configuration.bins {
            power = [Float](repeating: 0, count: configuration.bins)
        }
        frame.withUnsafeBufferPointer { x in
            window.withUnsafeBufferPointer { w in
                for i in 0 ..< n { frameBuffer[i] = x[i] * w[i] }
            }
        }
        fftwf_execute_dft_r2c(plan.handle, frameBuffer, spectrumBuffer)
        let scale = 1 / windowSumSquared
        power.withUnsafeMutableBufferPointer { p in
            for k in 0 ..< p.count {
                let (re, im) = spectrumBuffer[k]
                p[k] = (re * re + im * im) * scale
            }
        }
    }

    /// The whole power spectrogram of `samples` (frames x bins): a convenience for short
    /// signals and tests; long recordings should stream through `append`.
    public func powerSpectrogram(_ samples: [Float]) -> [[Float]] {
        reset()
        var result: [[Float]] = []
        result.reserveCapacity(configuration.frameCount(samples: samples.count))
        append(samples) { result.append($0) }
        reset()
        return result
    }
}

/// Cuts one or more equally long streams into overlapping frames in lockstep, holding at
/// most one frame per stream: the framing `STFT` and `SpectralMetrics` share.
package struct SlidingFrames {
    package let frameLength: Int
    package let hop: Int
    private var pending: [[Float]]

    package init(frameLength: Int, hop: Int, channels: Int) {
        precondition((1 ... frameLength).contains(hop))
        self.frameLength = frameLength
        self.hop = hop
        pending = Array(repeating: [], count: channels)
        for c in pending.indices { pending[c].reserveCapacity(frameLength) }
    }

    package mutating func reset() {
        for c in pending.indices { pending[c].removeAll(keepingCapacity: true) }
    }

    /// Appends one block per channel (all the same length) and calls `body` with each
    /// completed frame, one array of frameLength samples per channel.
    package mutating func append(_ blocks: [[Float]], _ body: ([[Float]]) throws -> Void) rethrows {
        precondition(blocks.count == pending.count, "expected \(pending.count) channels")
        let count = blocks[0].count
        precondition(blocks.allSatisfy { $0.count == count }, "blocks of different lengths")
        var offset = 0
        while offset < count {
            let take = min(count - offset, frameLength - pending[0].count)
            for c in pending.indices { pending[c].append(contentsOf: blocks[c][offset ..< offset + take]) }
            offset += take
            if pending[0].count == frameLength {
                try body(pending)
                // Keep the overlap (frameLength - hop samples) for the next frame.
                for c in pending.indices { pending[c].removeFirst(hop) }
            }
        }
    }
}
