// Framing of a waveform into the paper's (input, target) windows: at step t the network
// sees s[hop*t ..< hop*t + input] and predicts s[hop*t + input ..< hop*t + input + target].
// This is a view over samples that training and scoring share, never a copy of them.

/// Sizes of the sliding windows: 20 samples in, the next 10 out, advancing by 10 (paper.md).
public struct FrameSpec: Codable, Equatable, Hashable, Sendable {
    /// Samples the network sees at each step (the paper's 20).
    public var input: Int
    /// Samples it predicts at each step (the paper's 10).
    public var target: Int
    /// Samples between consecutive steps (10, so a target is the next input's second half).
    public var hop: Int

    public init(input: Int = 20, target: Int = 10, hop: Int = 10) {
        self.input = input
        self.target = target
        self.hop = hop
    }

    /// The paper's framing: 20 in, 10 out, hop 10.
    public static let paper = FrameSpec()

    /// Samples covered by one frame, input and target together.
    public var span: Int { input + target }

    /// Number of complete frames in a recording of `sampleCount` samples.
    public func frameCount(samples sampleCount: Int) -> Int {
        sampleCount < span ? 0 : (sampleCount - span) / hop + 1
    }

    /// Samples needed to hold `frames` consecutive frames.
    public func samplesSpanned(frames: Int) -> Int {
        frames <= 0 ? 0 : hop * (frames - 1) + span
    }

    /// Where frame `t`'s input window starts.
    public func inputStart(_ t: Int) -> Int { hop * t }

    /// Where frame `t`'s target window starts.
    public func targetStart(_ t: Int) -> Int { hop * t + input }

    /// Per-frame targets (`frames` x `target`, laid end to end) as one signal: frame t gives
    /// its first `hop` samples, at `hop * t`, and with `closing` the last frame gives all
    /// `target`. With hop <= target this covers `targetStart(0) ..< samplesSpanned(frames)`
    /// of the recording once each (without `closing`, the first `hop * frames` of it): how a
    /// one-step prediction becomes a waveform aligned with the samples it predicts.
    public func stitchTargets(_ perFrame: [Float], frames: Int, closing: Bool) -> [Float] {
        precondition(hop <= target, "frames that advance by more than they predict leave gaps")
        precondition(perFrame.count >= frames * target, "perFrame: expected (frames, target)")
        guard frames > 0 else { return [] }
        var signal = [Float](repeating: 0, count: hop * frames + (closing ? target - hop : 0))
        for t in 0 ..< frames {
            let count = closing && t == frames - 1 ? target : hop
            for d in 0 ..< count { signal[hop * t + d] = perFrame[t * target + d] }
        }
        return signal
    }
}

/// A recording seen as frames: windows are slices of the shared sample buffer.
public struct FramedSamples: Sendable {
    public let samples: [Float]
    public let spec: FrameSpec

    public init(samples: [Float], spec: FrameSpec) {
        self.samples = samples
        self.spec = spec
    }

    /// Number of complete frames.
    public var count: Int { spec.frameCount(samples: samples.count) }

    /// The `input` samples the network sees at step `t`.
    public func input(_ t: Int) -> ArraySlice<Float> {
        let start = spec.inputStart(t)
        return samples[start ..< start + spec.input]
    }

    /// The `target` samples to predict at step `t`.
    public func target(_ t: Int) -> ArraySlice<Float> {
        let start = spec.targetStart(t)
        return samples[start ..< start + spec.target]
    }

    /// Copies frame `t`'s `input` samples to `input` and, when given, its `target` samples
    /// to `target`: how batches and chunks are filled without a per-frame array.
    @inline(__always)
    public func copy(frame t: Int, input: UnsafeMutablePointer<Float>, target: UnsafeMutablePointer<Float>?) {
        precondition(t >= 0 && t < count, "frame \(t) of \(count)")
        samples.withUnsafeBufferPointer { s in
            input.update(from: s.baseAddress! + spec.inputStart(t), count: spec.input)
            target?.update(from: s.baseAddress! + spec.targetStart(t), count: spec.target)
        }
    }
}
