// Every buffer a forward and backward pass over one chunk needs, allocated once per
// (model, B, T) and reused for every chunk: nothing is allocated inside the time loop.
// Activations are time-major, (T, B, ...), so a whole chunk's rows are one GEMM operand.
// A workspace is owned by one thread at a time; it is a class so that `forward` can fill
// it and `backward` read it without copying megabytes.
//
// B = batch, T = steps, I = inputs (20), H = units, K = components, D = predicted samples (10)
// G = weight blocks per unit (tanh 1, GRU 3, LSTM 4), O = K(1 + 2D) head outputs.

/// A zero-initialised buffer of `count` scalars that lives as long as its workspace.
package final class ScratchBuffer<Scalar: BLASScalar> {
    package let count: Int
    package let pointer: UnsafeMutablePointer<Scalar>

    package init(_ count: Int) {
        self.count = count
        // 64-byte aligned (a cache line, one AVX-512 vector): CKernels' rows start aligned.
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Scalar>.stride,
                                                   alignment: 64).bindMemory(to: Scalar.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    package func array(_ count: Int) -> [Scalar] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// One recurrent layer's activations and gradients for a chunk.
package final class LayerBuffers<Scalar: BLASScalar> {
    package let gates: ScratchBuffer<Scalar>         // (T, B, G*H): pre-activations, then activations in place
    package let hidden: ScratchBuffer<Scalar>        // (T+1, B, H): slot 0 is the carried-in state
    package let cell: ScratchBuffer<Scalar>?         // (T+1, B, H) LSTM cell, slot 0 carried in
    package let cellTanh: ScratchBuffer<Scalar>?     // (T, B, H) LSTM tanh(c_t)
    package let resetHidden: ScratchBuffer<Scalar>?  // (T, B, H) paper GRU r_t * h_{t-1}
    package let recurrentCandidate: ScratchBuffer<Scalar>?  // (T, B, H) cuDNN GRU U_c h_{t-1} + b_hc
    package let recurrentScratch: ScratchBuffer<Scalar>?    // (B, 3H) cuDNN GRU U h_{t-1} + b_h of one step
    package let gateGradient: ScratchBuffer<Scalar>          // (T, B, G*H) d loss / d pre-activations
    package let recurrentGradient: ScratchBuffer<Scalar>?    // (T, B, 3H) cuDNN GRU d loss / d (U h + b_h)
    package let outputGradient: ScratchBuffer<Scalar>        // (T, B, H) d loss / d h_t from above
    package let hiddenCarry: ScratchBuffer<Scalar>           // (B, H) d loss / d h_{t-1} through time
    package let cellCarry: ScratchBuffer<Scalar>?            // (B, H) LSTM d loss / d c_{t-1}
    package let resetHiddenGradient: ScratchBuffer<Scalar>?  // (B, H) paper GRU d loss / d (r * h)
    package let transposedRecurrent: TransposedRecurrent<Scalar>?  // B = 1 only: U^T for the row-dot kernel
    package let packedRecurrent: PackedRecurrent<Scalar>?          // B > 1, Float, AVX-512: U's packed blocks

    package init(config: ModelConfig, batch: Int, steps: Int) {
        let units = config.units
        let width = ModelConfig.gateCount(config.cell) * units
        let rows = steps * batch
        let isLSTM = config.cell == .lstm
        let isPaperGRU = config.cell == .gru && config.gruForm == .paper
        let isCudnnGRU = config.cell == .gru && config.gruForm == .cudnn
        gates = ScratchBuffer(rows * width)
        hidden = ScratchBuffer((steps + 1) * batch * units)
        cell = isLSTM ? ScratchBuffer((steps + 1) * batch * units) : nil
        cellTanh = isLSTM ? ScratchBuffer(rows * units) : nil
        resetHidden = isPaperGRU ? ScratchBuffer(rows * units) : nil
        recurrentCandidate = isCudnnGRU ? ScratchBuffer(rows * units) : nil
        recurrentScratch = isCudnnGRU ? ScratchBuffer(batch * width) : nil
        gateGradient = ScratchBuffer(rows * width)
        recurrentGradient = isCudnnGRU ? ScratchBuffer(rows * width) : nil
        outputGradient = ScratchBuffer(rows * units)
        hiddenCarry = ScratchBuffer(batch * units)
        cellCarry = isLSTM ? ScratchBuffer(batch * units) : nil
        resetHiddenGradient = isPaperGRU ? ScratchBuffer(batch * units) : nil
        transposedRecurrent = batch == 1 ? TransposedRecurrent(units: units, width: width) : nil
        if PackedRecurrent<Scalar>.isUsable(batch: batch) {
            // The column blocks each direction's per-step products use (Cells/*.swift): the
            // paper GRU multiplies by two blocks, the other cells by all of U.
            let blocks: (forward: [Range<Int>], backward: [Range<Int>]) = isPaperGRU
                ? GRUGates(units: units).paperProducts : ([0 ..< width], [0 ..< width])
            packedRecurrent = PackedRecurrent(units: units, width: width, forward: blocks.forward, backward: blocks.backward)
        } else {
            packedRecurrent = nil
        }
    }
}

extension RecurrentMDN {
    /// Buffers for forward and backward passes over chunks of up to `steps` steps of
    /// `batch` sequences. Make one per (model, B, T) with `RecurrentMDN.makeWorkspace`.
    public final class Workspace {
        /// Sequences per chunk (B).
        public let batch: Int
        /// The most steps a chunk may have (T).
        public let steps: Int
        /// Steps of the last `forward` (<= `steps`); `backward` works on these.
        public package(set) var stepsUsed = 0
        /// Whether `backward` computes d loss/d inputs (`inputGradient`): one GEMM over the
        /// chunk, dG W^T, that training never reads (~2% of a GRU-227 update). True by
        /// default (gradient checks, saliency); the trainers turn it off.
        public var computesInputGradient = true
        /// Whether the last `forward` had a mask (`rowMask` then holds it).
        package var isMasked = false
        /// Rows of the last `forward` that count (all of them without a mask).
        package var realRows = 0

        package let inputs: ScratchBuffer<Scalar>          // (T, B, I) copy: backward needs x for dW
        package let targets: ScratchBuffer<Scalar>         // (T, B, D) copy: backward needs y for the head
        package let outputs: ScratchBuffer<Scalar>         // (T, B, O) raw head outputs
        package let frameLosses: ScratchBuffer<Scalar>     // (T, B) NLL per frame
        package let rowMask: ScratchBuffer<Scalar>         // (T, B) 1 real, 0 padding (when isMasked)
        package let outputGradient: ScratchBuffer<Scalar>  // (T, B, O) d mean NLL / d head outputs
        package let inputGrad: ScratchBuffer<Scalar>       // (T, B, I) d mean NLL / d inputs
        package let mixtureSigma: ScratchBuffer<Scalar>    // (T, B, K*D) sigma = floor + exp(logstd)
        package let mixtureLogJoint: ScratchBuffer<Scalar> // (T, B, K) log pi_k + log N_k
        package let mixtureLogNormaliser: ScratchBuffer<Scalar>  // (T, B) log sum exp(logits)
        package let mixtureTerms: ScratchBuffer<Scalar>    // (K*D) one frame's scratch
        package let mixtureTiledTarget: ScratchBuffer<Scalar>  // (K*D) one frame's scratch
        package let layers: [LayerBuffers<Scalar>]

        package init(config: ModelConfig, batch: Int, steps: Int) {
            precondition(batch > 0 && steps > 0, "a workspace needs batch > 0 and steps > 0")
            self.batch = batch
            self.steps = steps
            let rows = batch * steps
            inputs = ScratchBuffer(rows * config.inputSize)
            targets = ScratchBuffer(rows * config.targetSize)
            outputs = ScratchBuffer(rows * config.headOutputs)
            frameLosses = ScratchBuffer(rows)
            rowMask = ScratchBuffer(rows)
            outputGradient = ScratchBuffer(rows * config.headOutputs)
            inputGrad = ScratchBuffer(rows * config.inputSize)
            // The Bernoulli head keeps no per-frame state: its mixture buffers are empty.
            let K = config.output == .mixture ? config.components : 0
            mixtureSigma = ScratchBuffer(rows * K * config.targetSize)
            mixtureLogJoint = ScratchBuffer(rows * K)
            mixtureLogNormaliser = ScratchBuffer(config.output == .mixture ? rows : 0)
            mixtureTerms = ScratchBuffer(K * config.targetSize)
            mixtureTiledTarget = ScratchBuffer(K * config.targetSize)
            layers = (0 ..< config.layers).map { _ in LayerBuffers(config: config, batch: batch, steps: steps) }
        }

        /// NLL of each frame of the last forward, in nats, (stepsUsed, B).
        public var frameNLL: [Scalar] { frameLosses.array(stepsUsed * batch) }

        /// The head's raw outputs of the last forward, (stepsUsed, B, O): per frame K logits,
        /// K*D means, K*D log standard deviations (see `MixtureDensity`), or, for the
        /// Bernoulli head, D note logits.
        public var headOutputs: [Scalar] { outputs.array(stepsUsed * batch * outputsPerFrame) }

        /// d(mean NLL)/d(inputs) of the last backward, (stepsUsed, B, I): for gradient
        /// checks and saliency; overwritten (not accumulated) by each backward.
        public var inputGradient: [Scalar] {
            precondition(computesInputGradient, "this workspace skips the input gradient (computesInputGradient)")
            return inputGrad.array(stepsUsed * batch * inputsPerFrame)
        }

        package var outputsPerFrame: Int { outputs.count / (batch * steps) }
        package var inputsPerFrame: Int { inputs.count / (batch * steps) }

        /// The mixture kernel's saved state for frame `row` (= t * B + b).
        package func mixtureFrame(_ row: Int, components: Int, dimensions: Int) -> MixtureFrame<Scalar> {
            MixtureFrame(sigma: mixtureSigma.pointer + row * components * dimensions,
                         logJoint: mixtureLogJoint.pointer + row * components, terms: mixtureTerms.pointer,
                         tiledTarget: mixtureTiledTarget.pointer)
        }
    }
}
