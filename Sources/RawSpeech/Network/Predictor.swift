// The one interface evaluation runs a trained model through, whatever it is: the recurrent
// MDN (batched through SequenceScorer, the same computation as training's validation) or
// the closed-form linear baseline. `TrainedModel.makePredictor()` is the only place that
// looks at a model's kind; scoring, streaming and generation only call this protocol.
// Everything is in the model's normalized units; turning waveforms into them and back is
// the caller's (with `normalization`). No files, no printing.
//
// I = inputs (20), D = predicted samples (10), T = frames per stream call.
import RawSpeechCore
import Dispatch
import Foundation

/// A trained predictor of the next D samples from the last I.
public protocol Predictor {
    var frame: FrameSpec { get }
    var normalization: Normalization { get }
    /// The rate of the audio it was trained on, Hz.
    var sampleRate: Int { get }
    /// Floats of state a stream carries from frame to frame (0: frames are independent).
    var stateSize: Int { get }

    /// Teacher-forced over whole normalized recordings, each from a zero state (up to
    /// `batch` side by side, `steps` frames per chunk): every frame's NLL and the mean of
    /// its predicted density.
    func frames(of recordings: [[Float]], batch: Int, steps: Int) -> [FrameResults]

    /// A stream of frames carrying state, at most `steps` frames per `advance`.
    func makeStream(steps: Int) -> any PredictorStream
}

/// One recording fed frame by frame (B = 1), state carried between calls.
public protocol PredictorStream: AnyObject {
    /// The most frames one `advance` takes.
    var steps: Int { get }

    /// Runs `frames` of `framed` (normalized) teacher-forced from the carried state, and
    /// writes each frame's NLL to `nll` and its mean (frames x D) to `means` when given.
    func advance(_ framed: FramedSamples, frames: Range<Int>,
                 nll: UnsafeMutablePointer<Float>?, means: UnsafeMutablePointer<Float>?)

    /// One draw of the next D normalized samples given the I at `input`, at `temperature`
    /// (1: the density itself, 0: its likeliest mean); advances the state by one frame.
    func sample(input: UnsafePointer<Float>, temperature: Float, rng: inout SeededGenerator) -> [Float]

    /// Back to the zero state.
    func reset()
}

extension TrainedModel {
    /// The model as a `Predictor`, after `validate()`.
    public func makePredictor() throws -> any Predictor {
        try validate()
        switch kind {
        case .recurrent: return RecurrentPredictor(self)
        case .linear: return LinearBaselinePredictor(self)
        }
    }
}

// MARK: Recurrent

/// A trained `RecurrentMDN`: batched passes through `SequenceScorer`, streams through the
/// network's forward pass with B = 1.
public struct RecurrentPredictor: Predictor {
    public let network: RecurrentMDN<Float>
    public let parameters: [Float]
    public let frame: FrameSpec
    public let normalization: Normalization
    public let sampleRate: Int

    public init(_ model: TrainedModel) {
        network = RecurrentMDN<Float>(config: model.config)
        parameters = model.parameters
        frame = model.frame
        normalization = model.normalization
        sampleRate = model.sampleRate
    }

    public var stateSize: Int { network.stateSize }

    public func frames(of recordings: [[Float]], batch: Int, steps: Int) -> [FrameResults] {
        let scorer = SequenceScorer(model: network, spec: frame, batch: max(1, min(batch, recordings.count)), steps: steps)
        return scorer.run(recordings, parameters: parameters, means: true)
    }

    public func makeStream(steps: Int) -> any PredictorStream { Stream(self, steps: steps) }

    final class Stream: PredictorStream {
        let predictor: RecurrentPredictor
        let steps: Int
        private let workspace: RecurrentMDN<Float>.Workspace
        private let mixture: MixtureDensity
        // Chunk buffers, allocated once: inputs (T, I), targets (T, D), state (stateSize).
        private var inputs: [Float]
        private var targets: [Float]
        private var state: [Float]

        init(_ predictor: RecurrentPredictor, steps: Int) {
            self.predictor = predictor
            self.steps = steps
            let spec = predictor.frame
            workspace = predictor.network.makeWorkspace(batch: 1, steps: steps)
            mixture = MixtureDensity(config: predictor.network.config)
            inputs = [Float](repeating: 0, count: steps * spec.input)
            targets = [Float](repeating: 0, count: steps * spec.target)
            state = [Float](repeating: 0, count: predictor.network.stateSize)
        }

        func advance(_ framed: FramedSamples, frames: Range<Int>,
                     nll: UnsafeMutablePointer<Float>?, means: UnsafeMutablePointer<Float>?) {
            let count = frames.count
            precondition(count >= 1 && count <= steps, "1...steps frames per advance")
            let (I, D) = (predictor.frame.input, predictor.frame.target)
            inputs.withUnsafeMutableBufferPointer { x in
                targets.withUnsafeMutableBufferPointer { y in
                    for (t, frame) in frames.enumerated() {
                        framed.copy(frame: frame, input: x.baseAddress! + t * I, target: y.baseAddress! + t * D)
                    }
                }
            }
            forward(count)
            if let nll {
                let losses = workspace.frameNLL
                for t in 0 ..< count { nll[t] = losses[t] }
            }
            if let means {
                let O = predictor.network.config.headOutputs
                workspace.headOutputs.withUnsafeBufferPointer { o in
                    for t in 0 ..< count {
                        SequenceScorer.mixtureMean(o.baseAddress! + t * O, components: mixture.components,
                                                   dimensions: D, into: means + t * D)
                    }
                }
            }
        }

        func sample(input: UnsafePointer<Float>, temperature: Float, rng: inout SeededGenerator) -> [Float] {
            let (I, D) = (predictor.frame.input, predictor.frame.target)
            inputs.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: input, count: I) }
            targets.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: 0, count: D) }
            forward(1)
            return mixture.sample(outputs: workspace.headOutputs, temperature: temperature, rng: &rng)
        }

        func reset() {
            for i in state.indices { state[i] = 0 }
        }

        private func forward(_ count: Int) {
            _ = predictor.network.forward(parameters: predictor.parameters, inputs: inputs, targets: targets,
                                          state: &state, workspace: workspace, steps: count)
        }
    }
}

// MARK: Linear

/// A trained `LinearPredictor`: stateless, every frame on its own (recordings of a batched
/// pass run on all cores, one per task).
public struct LinearBaselinePredictor: Predictor, Sendable {
    public let linear: LinearPredictor
    public let frame: FrameSpec
    public let normalization: Normalization
    public let sampleRate: Int

    public init(_ model: TrainedModel) {
        linear = LinearPredictor(parameters: model.parameters, inputSize: model.frame.input,
                                 targetSize: model.frame.target)
        frame = model.frame
        normalization = model.normalization
        sampleRate = model.sampleRate
    }

    public var stateSize: Int { 0 }

    public func frames(of recordings: [[Float]], batch: Int, steps: Int) -> [FrameResults] {
        let results = ConcurrentResults<FrameResults>(count: recordings.count)
        DispatchQueue.concurrentPerform(iterations: recordings.count) { r in
            let framed = FramedSamples(samples: recordings[r], spec: frame)
            var result = FrameResults(nll: [Float](repeating: 0, count: framed.count),
                                      means: [Float](repeating: 0, count: framed.count * frame.target))
            result.nll.withUnsafeMutableBufferPointer { nll in
                result.means.withUnsafeMutableBufferPointer { means in
                    run(framed, frames: 0 ..< framed.count, nll: nll.baseAddress, means: means.baseAddress!)
                }
            }
            results.set(r, result)
        }
        return results.values.map { $0! }
    }

    public func makeStream(steps: Int) -> any PredictorStream { Stream(self, steps: steps) }

    /// NLL and mean of each of `frames`, one frame at a time.
    fileprivate func run(_ framed: FramedSamples, frames: Range<Int>,
                         nll: UnsafeMutablePointer<Float>?, means: UnsafeMutablePointer<Float>) {
        let (I, D) = (frame.input, frame.target)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: I + D) { buffer in
            let x = buffer.baseAddress!, y = x + I
            for (t, index) in frames.enumerated() {
                framed.copy(frame: index, input: x, target: y)
                linear.predict(input: x, into: means + t * D)
                nll?[t] = linear.nll(target: y, mean: means + t * D)
            }
        }
    }

    final class Stream: PredictorStream {
        let predictor: LinearBaselinePredictor
        let steps: Int
        private var mean: [Float]

        init(_ predictor: LinearBaselinePredictor, steps: Int) {
            self.predictor = predictor
            self.steps = steps
            mean = [Float](repeating: 0, count: steps * predictor.frame.target)
        }

        func advance(_ framed: FramedSamples, frames: Range<Int>,
                     nll: UnsafeMutablePointer<Float>?, means: UnsafeMutablePointer<Float>?) {
            precondition(frames.count >= 1 && frames.count <= steps, "1...steps frames per advance")
            if let means {
                predictor.run(framed, frames: frames, nll: nll, means: means)
            } else {
                mean.withUnsafeMutableBufferPointer { predictor.run(framed, frames: frames, nll: nll, means: $0.baseAddress!) }
            }
        }

        /// The Gaussian around A x + c, its variance scaled by `temperature`.
        func sample(input: UnsafePointer<Float>, temperature: Float, rng: inout SeededGenerator) -> [Float] {
            let linear = predictor.linear
            var draw = [Float](repeating: 0, count: linear.targetSize)
            draw.withUnsafeMutableBufferPointer { linear.predict(input: input, into: $0.baseAddress!) }
            let spread = temperature > 0 ? temperature.squareRoot() : 0
            for d in draw.indices { draw[d] += linear.standardDeviation(d) * spread * Float(rng.nextGaussian()) }
            return draw
        }

        func reset() {}
    }
}
