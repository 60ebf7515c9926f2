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

    /// One draw of the next D normalized samples into `draw`, given the I at `input`, with
    /// `settings` (`.model`: the density itself); advances the state by one frame.
    /// Allocates nothing: it runs once per D samples of generated audio.
    func sample(input: UnsafePointer<Float>, settings: SamplingSettings, rng: inout SeededGenerator,
                into draw: UnsafeMutablePointer<Float>)

    /// Back to the zero state.
    func reset()
}

extension TrainedModel {
    /// The model as a `Predictor`, after `validate()`.
    public func makePredictor() throws -> any Predictor {
        try validate()
        switch kind {
        case .recurrent:
            // A music model predicts notes, not samples: PianoRollScorer runs it, not this protocol.
            guard config.output == .mixture else {
                throw TrainedModelError.inconsistent("a music model (Bernoulli note outputs) cannot run on audio")
            }
            return RecurrentPredictor(self)
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
        private(set) var state: [Float]
        /// The paper GRU's single step for `sample` (nil: other cells take `forward(1)`); made
        /// on the first draw, so streams that only score (`advance`) never transpose U for it.
        private lazy var step: PaperGRUStep? = {
            let config = predictor.network.config
            return config.cell == .gru && config.gruForm == .paper
                ? PaperGRUStep(network: predictor.network, parameters: predictor.parameters) : nil
        }()

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

        func sample(input: UnsafePointer<Float>, settings: SamplingSettings, rng: inout SeededGenerator,
                    into draw: UnsafeMutablePointer<Float>) {
            if let step {
                state.withUnsafeMutableBufferPointer { step.run(input: input, state: $0.baseAddress!) }
                mixture.sample(outputs: step.outputs, settings: settings, rng: &rng, into: draw)
                return
            }
            let (I, D) = (predictor.frame.input, predictor.frame.target)
            inputs.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: input, count: I) }
            targets.withUnsafeMutableBufferPointer { $0.baseAddress!.update(repeating: 0, count: D) }
            forward(1)
            mixture.sample(outputs: workspace.outputs.pointer, settings: settings, rng: &rng, into: draw)
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

/// One step of a paper-GRU `RecurrentMDN` at B = 1 for free-running sampling, from the
/// network's own passes in `forwardLayer`'s order (input GEMM, row-dot recurrent products,
/// PaperGRUPasses, head GEMM from the bias row), so its outputs are bit-identical to
/// `forward` at T = 1 (tested). What it leaves out is what costs at T = 1 and has no use
/// when sampling: the per-call check that U has not changed (a byte comparison of all of
/// U, 618 KB for GRU-227: the parameters here are fixed, so U is transposed once), the NLL
/// of a zero target, and the copies of inputs, targets and state into a chunk workspace.
/// H = units, G*H = 3H gate width, O = K(1 + 2D) head outputs.
final class PaperGRUStep {
    let network: RecurrentMDN<Float>
    let parameters: [Float]
    private let layers: [(transposed: TransposedRecurrent<Float>, gates: ScratchBuffer<Float>,
                          resetHidden: ScratchBuffer<Float>, hidden: ScratchBuffer<Float>)]  // gates (3H); hidden (H)
    private let input: ScratchBuffer<Float>  // (I)
    /// The head's raw outputs of the last step, (O).
    let outputs: UnsafeMutablePointer<Float>
    private let outputStorage: ScratchBuffer<Float>

    init(network: RecurrentMDN<Float>, parameters: [Float]) {
        self.network = network
        self.parameters = parameters
        let H = network.config.units, width = network.gateWidth
        layers = parameters.withUnsafeBufferPointer { p in
            network.layout.layers.map { layer in
                let transposed = TransposedRecurrent<Float>(units: H, width: width)
                transposed.refresh(from: p.baseAddress! + layer.recurrentWeights.lowerBound)
                return (transposed, ScratchBuffer(width), ScratchBuffer(H), ScratchBuffer(H))
            }
        }
        input = ScratchBuffer(network.config.inputSize)
        outputStorage = ScratchBuffer(network.config.headOutputs)
        outputs = outputStorage.pointer
    }

    /// Advances `state` (layers x H) by one frame from the I inputs at `x`, leaving the
    /// head's outputs in `outputs`.
    func run(input x: UnsafePointer<Float>, state: UnsafeMutablePointer<Float>) {
        let H = network.config.units, width = network.gateWidth, O = network.config.headOutputs
        input.pointer.update(from: x, count: network.config.inputSize)
        DenormalFlush.run {
            parameters.withUnsafeBufferPointer { buffer in
                let p = buffer.baseAddress!
                var below = UnsafePointer(input.pointer)
                for (index, layer) in network.layout.layers.enumerated() {
                    let buffers = layers[index], gates = buffers.gates.pointer, bias = p + layer.bias.lowerBound
                    let hPrev = state + index * H, h = buffers.hidden.pointer
                    Float.gemm(transposeA: false, transposeB: false, m: 1, n: width, k: layer.inputs,
                               alpha: 1, a: below, lda: layer.inputs, b: p + layer.inputWeights.lowerBound, ldb: width,
                               beta: 0, c: gates, ldc: width)
                    buffers.transposed.addProduct(hPrev, columns: 0 ..< 2 * H, into: gates)
                    PaperGRUPasses.gatesForward(B: 1, H: H, gates: gates, bias: bias, hPrev: hPrev,
                                                resetHidden: buffers.resetHidden.pointer)
                    buffers.transposed.addProduct(buffers.resetHidden.pointer, columns: 2 * H ..< 3 * H, into: gates + 2 * H)
                    PaperGRUPasses.outputForward(B: 1, H: H, gates: gates, bias: bias, hPrev: hPrev, h: h)
                    hPrev.update(from: h, count: H)
                    below = UnsafePointer(hPrev)
                }
                outputs.update(from: p + network.layout.headBias.lowerBound, count: O)
                Float.gemm(transposeA: false, transposeB: false, m: 1, n: O, k: H,
                           alpha: 1, a: below, lda: H, b: p + network.layout.headWeights.lowerBound, ldb: O,
                           beta: 1, c: outputs, ldc: O)
            }
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

        /// The Gaussian around A x + c, its standard deviations times `sigmaScale` (one
        /// component: the component temperature does not apply).
        func sample(input: UnsafePointer<Float>, settings: SamplingSettings, rng: inout SeededGenerator,
                    into draw: UnsafeMutablePointer<Float>) {
            let linear = predictor.linear
            linear.predict(input: input, into: draw)
            let spread = max(0, settings.sigmaScale)
            for d in 0 ..< linear.targetSize { draw[d] += linear.standardDeviation(d) * spread * Float(rng.nextGaussian()) }
        }

        func reset() {}
    }
}
