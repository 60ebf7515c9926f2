// The training loop of paper.md: truncated BPTT over chunks, weight noise, gradient-norm
// clipping, RMSProp, validation NLL every so often, early stopping with the best weights
// kept, checkpoints that resume bit for bit, and a rollback when the loss stops being finite.
// Music runs (TrainingData.music) go through the same loop with MusicBatches in place of the
// audio chunks: whole chorales, padded and masked, validated by PianoRollScorer.
// It reports through events; the CLI turns them into progress bars and log lines.
import RawSpeechCore
import RawSpeechNetwork
import Foundation

/// What the loop tells its caller.
public enum TrainingEvent: Sendable {
    /// After an update, at most a few times a second.
    case progress(update: Int, loss: Double, stepsPerSecond: Double, seconds: Double)
    case evaluation(MetricsLine)
    case rollback(update: Int, newLearningRate: Double)
    case checkpoint(update: Int)
}

/// The result of a run.
public struct TrainingOutcome: Sendable {
    public var reason: StopReason
    public var progress: TrainingProgress
    /// The saved model's NLL on the whole valid split (nil when interrupted).
    public var wholeValidNLL: Double?
}

extension RunOutcome {
    public init(_ outcome: TrainingOutcome, config: TrainingConfig) {
        let p = outcome.progress
        self.init(reason: outcome.reason, updates: p.update, seconds: p.seconds,
                  bestValidNLL: p.bestValidNLL, bestUpdate: p.bestUpdate, rollbacks: p.rollbacks,
                  trainStepsPerSecond: p.seconds > 0 ? Double(p.update * config.sequencesPerUpdate * config.steps) / p.seconds : 0)
    }
}

/// Why a run cannot start, resume or go on. Values, not advice: the command line words
/// them with its flag names.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// No training recording is long enough for one chunk of `steps` frames.
    case noChunks(steps: Int)
    /// The model's frames (input -> target samples) are not the data's.
    case frameMismatch(model: FrameSpec, data: FrameSpec)
    /// Resuming on a data folder of another sample rate or frame layout than the run's.
    case dataMismatch(checkpoint: String, runRate: Int, runFrame: FrameSpec, dataRate: Int, dataFrame: FrameSpec)
    /// Resuming on other training data (its normalization differs from the run's).
    case dataChanged(checkpoint: String, run: Normalization, data: Normalization)
    /// The data folder's training split has no variance (silent or empty).
    case silentTrainingSplit(folder: String, std: Double)
    /// A setting of the configuration (named by its config.json key) outside TrainingLimits.
    case invalidConfig(field: String, reason: String)
    /// The model and batch would need `bytes` of memory, more than `limit`.
    case tooLarge(bytes: Double, limit: Double)
    /// Resuming on a data folder whose summary.json is not the one the run started on.
    case dataFolderChanged(checkpoint: String, run: String, data: String)
    /// The data folder has no validation recordings (early stopping needs some).
    case emptyValidSplit(folder: String)
    /// Resuming with a setting the run cannot change: `value` asked for, `saved` recorded.
    case resumeConflict(setting: TrainingSetting, value: String, saved: String)
    /// The loss stayed non-finite through `rollbacks` rollbacks, down to `learningRate`.
    case diverged(rollbacks: Int, learningRate: Double)

    public var description: String {
        switch self {
        case .noChunks(let steps):
            "no training recording has \(steps) frames for one chunk"
        case let .frameMismatch(model, data):
            "model frames \(model.input)->\(model.target) do not match the data's \(data.input)->\(data.target)"
        case let .dataMismatch(path, runRate, runFrame, dataRate, dataFrame):
            "\(path): this run was trained at \(runRate) Hz with frames \(runFrame.input)/\(runFrame.target)/\(runFrame.hop), "
                + "the data folder has \(dataRate) Hz and \(dataFrame.input)/\(dataFrame.target)/\(dataFrame.hop): "
                + "use the data folder the run started with"
        case let .dataChanged(path, run, data):
            "\(path): this run was trained on data of mean \(run.mean) and std \(run.std), the data folder's are "
                + "\(data.mean) and \(data.std): use the data folder the run started with"
        case let .invalidConfig(field, reason):
            "\(field) \(reason)"
        case let .tooLarge(bytes, limit):
            "the model and batch would need about \(String(format: "%.1f", bytes / 1e9)) GB of memory (limit \(String(format: "%.0f", limit / 1e9)) GB)"
        case let .dataFolderChanged(path, run, data):
            "\(path): this run started on a data folder whose summary.json has SHA-256 \(run.prefix(12))…, "
                + "this one's is \(data.prefix(12))…: use the data folder the run started with, or start a new run"
        case let .silentTrainingSplit(folder, std):
            "\(folder): the training split has no variance (train_std \(std)): is it silent or empty?"
        case .emptyValidSplit(let folder):
            "\(folder): the valid split is empty; early stopping needs one"
        case let .resumeConflict(setting, value, saved):
            "\(setting.rawValue) \(value) differs from the run's \(saved)"
        case let .diverged(rollbacks, rate):
            "the loss stayed non-finite after \(rollbacks) rollbacks (learning rate down to \(rate))"
        }
    }
}

extension TrainingState {
    /// Continues with `config` (TrainingSettings.resumed of the recorded one): its stopping
    /// rules, schedule and optimizer settings from the next update on, and a new learning
    /// rate in place of the current (possibly rolled-back) one. The model's shape, the
    /// batch layout and the seed must be the recorded ones.
    package mutating func resume(with config: TrainingConfig) throws {
        if let difference = config.shapeDifference(from: self.config) {
            throw TrainingError.resumeConflict(setting: difference.setting, value: difference.value,
                                               saved: difference.saved)
        }
        if config.learningRate != self.config.learningRate { progress.learningRate = config.learningRate }
        self.config = config
    }
}

/// Trains one recurrent model into a run folder.
public final class Trainer {
    public let run: RunFolder
    public let data: TrainingData
    public package(set) var state: TrainingState
    private let network: RecurrentMDN<Float>
    private let workspace: RecurrentMDN<Float>.Workspace
    /// With `threads` > 1: the batch split across threads (ParallelStep); nil runs it whole.
    /// With replicas: this process's rows of the batch, split across its threads.
    private let split: ParallelStep?
    /// The other processes training this model (nil: this process alone). See `ReplicaSync`.
    private let replicas: ReplicaSync?
    private let scorer: SequenceScorer
    /// What each evaluation scores (a seeded subset of the valid split, or all of it).
    public let validation: ValidationSet
    private let startWeights: [Int]
    // One stream's chunk of samples, read from the recordings before framing: (T frames' span).
    private var chunk: [Float]
    // Per-update buffers, allocated once: inputs (T, K x B, I), targets (T, K x B, D),
    // gradient and noisy weights (P).
    private var inputs: [Float]
    private var targets: [Float]
    private var gradient: [Float]
    private var noisy: [Float]
    /// Music runs: the batches of whole chorales, their mask (T, B), and the valid scorer.
    private var music: MusicBatches?
    private var mask: [Float] = []
    private let rollScorer: PianoRollScorer?
    // With --accumulate K > 1, micro-batch k's rows k*B ..< (k+1)*B of the above and of the
    // carried state: inputs (T, B, I), targets (T, B, D), state (B, stateSize). Empty for K = 1.
    private var microInputs: [Float] = []
    private var microTargets: [Float] = []
    private var microState: [Float] = []
    /// With replicas on one machine: the weight noise (one value per weight), the blocks of
    /// draws this member draws, and each member's count of values in the all-gather.
    private var sharedNoise: (noise: [Float], blocks: Range<Int>, counts: [Int])?

    /// A new run (or, with `resume`, the run saved in `run`'s checkpoint, continued with
    /// `config`: see `TrainingState.resume(with:)`). `threads` > 1 splits
    /// each batch into that many groups of sequences trained concurrently (at most B): the
    /// same update to float rounding, bitwise reproducible for a given `threads`.
    /// `summarySHA256` (DataFolder's) is recorded in a new run's checkpoints and must match
    /// a resumed run's record. With `replicas`, this process trains only its rows of every
    /// batch and the group sums the gradients; member 0 alone writes `run`.
    public init(config: TrainingConfig, data: TrainingData, run: RunFolder, resume: Bool, threads: Int = 1,
                summarySHA256: String? = nil, replicas: ReplicaGroup? = nil) throws {
        self.run = run
        self.data = data
        // A resumed run is checked against its data first: a frame mismatch then names both folders' frames.
        var resumed: TrainingState?
        if resume, FileManager.default.fileExists(atPath: run.checkpoint.path) {
            var saved = try Checkpoint.readState(from: run.checkpoint)
            try Self.checkCompatible(saved: saved, data: data, path: run.checkpoint.path)
            if let recorded = saved.dataSummarySHA256, let summarySHA256, recorded != summarySHA256 {
                throw TrainingError.dataFolderChanged(checkpoint: run.checkpoint.path, run: recorded, data: summarySHA256)
            }
            try saved.resume(with: config)
            resumed = saved
        }
        try config.check(threads: threads)
        guard config.model.inputSize == data.frame.input, config.model.targetSize == data.frame.target else {
            throw TrainingError.frameMismatch(
                model: FrameSpec(input: config.model.inputSize, target: config.model.targetSize, hop: data.frame.hop),
                data: data.frame)
        }
        network = RecurrentMDN<Float>(config: config.model)
        if let resumed {
            state = resumed
            if (replicas?.rank ?? 0) == 0 { try run.truncateMetrics(after: resumed.progress.update) }
        } else {
            // Lines of a run that never checkpointed would read 10, 20, 30, 10, 20, 30.
            try run.startFresh()
            var rng = SeededGenerator(seed: config.seed)
            var parameters = [Float](repeating: 0, count: network.parameterCount)
            network.initializeParameters(&parameters, using: &rng)
            if let rolls = data.music, config.model.output == .bernoulli {
                let bias = network.layout.headBias
                for (j, logOdds) in rolls.trainNoteLogOdds.enumerated() where j < bias.count {
                    parameters[bias.lowerBound + j] = logOdds
                }
            }
            let model = TrainedModel(kind: .recurrent, config: config.model, parameters: parameters,
                                     normalization: data.normalization, sampleRate: data.sampleRate,
                                     frame: data.frame)
            state = TrainingState(
                config: config, model: model, bestParameters: parameters,
                optimizer: RMSProp(parameterCount: parameters.count), rng: rng,
                sampler: BatchSampler(batch: config.sequencesPerUpdate, steps: config.steps, spec: data.frame),
                carriedState: [Float](repeating: 0, count: config.sequencesPerUpdate * network.stateSize),
                progress: TrainingProgress(learningRate: config.learningRate),
                dataSummarySHA256: summarySHA256)
        }
        let (B, T) = (state.config.batch, state.config.steps)
        if let rolls = data.music {
            // Music trains in one thread per run (compare runs one per core), without replicas.
            guard replicas == nil else { throw TrainingError.invalidConfig(field: "ranks", reason: "must be 1 for a music run") }
            guard state.config.model.output == .bernoulli, state.config.model.inputSize == rolls.notes else {
                throw TrainingError.invalidConfig(field: "model", reason: "must have a Bernoulli head of \(rolls.notes) notes for a music folder")
            }
            guard !rolls.train.isEmpty else { throw TrainingError.noChunks(steps: T) }
            guard !rolls.valid.isEmpty else { throw TrainingError.emptyValidSplit(folder: run.url.path) }
            guard rolls.longestTrainSteps <= T else {
                throw TrainingError.invalidConfig(field: "steps", reason: "must hold the longest training chorale (\(rolls.longestTrainSteps) steps, got \(T))")
            }
            // Validation scores B valid pieces side by side, up to a window of steps each: a valid
            // piece longer than T makes that workspace larger than the estimate's B x T.
            let validLongest = rolls.valid.map { $0.count / rolls.notes }.max() ?? 0
            var validation = state.config
            validation.steps = max(T, min(validLongest, PianoRollScorer.defaultWindowSteps))
            if validation.estimatedBytes() > TrainingLimits.memoryBytes {
                throw TrainingError.tooLarge(bytes: validation.estimatedBytes(), limit: TrainingLimits.memoryBytes)
            }
            music = MusicBatches(rolls: rolls, batch: B)
            mask = [Float](repeating: 0, count: T * B)
            rollScorer = PianoRollScorer(model: network, batch: B)
        } else {
            guard state.config.model.output == .mixture else {
                throw TrainingError.invalidConfig(field: "model", reason: "a music model (Bernoulli head) needs a music data folder")
            }
            rollScorer = nil
        }
        if let replicas {
            let sync = try ReplicaSync(group: replicas, batch: B, parameterCount: network.parameterCount)
            split = ParallelStep(network: network, batch: B, steps: T, parts: threads,
                                 rows: ParallelStep.rows(replicas.rank, of: replicas.count, in: B))
            self.replicas = sync
        } else {
            split = threads > 1 && B > 1 && data.music == nil ? ParallelStep(network: network, batch: B, steps: T, parts: threads) : nil
            self.replicas = nil
        }
        workspace = network.makeWorkspace(batch: split == nil ? B : 1, steps: split == nil ? T : 1)
        workspace.computesInputGradient = false  // training never reads d loss/d inputs
        validation = try ValidationSet.choose(from: data.valid, sampleRate: data.sampleRate, frame: data.frame,
                                              seconds: state.config.validSeconds)
        scorer = SequenceScorer(model: network, spec: data.frame,
                                batch: max(1, min(B, validation.recordings.count)), steps: T)
        startWeights = (0 ..< data.train.count).map {
            BatchSampler.usableStarts(samples: data.train.sampleCount($0), spec: data.frame, steps: T)
        }
        chunk = [Float](repeating: 0, count: data.frame.samplesSpanned(frames: T))
        guard data.music != nil || startWeights.contains(where: { $0 > 0 }) else { throw TrainingError.noChunks(steps: T) }
        let streams = state.config.sequencesPerUpdate
        inputs = [Float](repeating: 0, count: T * streams * data.frame.input)
        targets = [Float](repeating: 0, count: T * streams * data.frame.target)
        gradient = [Float](repeating: 0, count: network.parameterCount)
        noisy = gradient
        if let replicas, replicas.sharesMachine {
            let weights = network.layout.weightRanges.reduce(0) { $0 + $1.count }
            let blocks = WeightNoise.blockCount(weights: weights)
            let mine = { ParallelStep.rows($0, of: replicas.count, in: blocks) }
            sharedNoise = ([Float](repeating: 0, count: weights), mine(replicas.rank),
                           (0 ..< replicas.count).map { WeightNoise.span(of: mine($0), weights: weights).count })
        }
        if streams > B {
            microInputs = [Float](repeating: 0, count: T * B * data.frame.input)
            microTargets = [Float](repeating: 0, count: T * B * data.frame.target)
            microState = [Float](repeating: 0, count: B * network.stateSize)
        }
    }

    /// Groups of sequences each batch is split into (1: the batch runs whole).
    public var partCount: Int { split?.partCount ?? 1 }

    /// Whether this process writes the run folder: alone, or member 0 of its replicas.
    public var writesRun: Bool { (replicas?.group.rank ?? 0) == 0 }

    package static func checkCompatible(saved: TrainingState, data: TrainingData, path: String) throws {
        if saved.model.sampleRate != data.sampleRate || saved.model.frame != data.frame {
            throw TrainingError.dataMismatch(checkpoint: path, runRate: saved.model.sampleRate, runFrame: saved.model.frame,
                                             dataRate: data.sampleRate, dataFrame: data.frame)
        }
        if saved.model.normalization != data.normalization {
            throw TrainingError.dataChanged(checkpoint: path, run: saved.model.normalization, data: data.normalization)
        }
    }

    /// Mean validation NLL per frame (normalized units) of `parameters`, on `validation`.
    public func validationNLL(_ parameters: [Float]) -> Double {
        if let rollScorer, let rolls = data.music { return rollScorer.meanNLL(of: rolls.valid, parameters: parameters) }
        let results = scorer.run(validation.recordings, parameters: parameters)
        var sum = 0.0
        var count = 0
        for result in results {
            for value in result.nll { sum += Double(value) }
            count += result.nll.count
        }
        return count > 0 ? sum / Double(count) : .nan
    }

    /// Trains until a stop condition; checks `shouldStop` between updates (Ctrl-C).
    public func train(shouldStop: () -> Bool = { false },
                      onEvent: (TrainingEvent) -> Void = { _ in }) throws -> TrainingOutcome {
        let config = state.config
        let clock = ContinuousClock()
        let sessionStart = clock.now
        let secondsBefore = state.progress.seconds
        var lastReport = clock.now
        var stepsSinceReport = 0
        var good = state // the last state with finite losses, for rollback
        func elapsed() -> Double {
            let d = clock.now - sessionStart
            return secondsBefore + Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }

        while true {
            if let limit = config.updates, state.progress.update >= limit { return try finish(.updates, elapsed()) }
            if let replicas {
                // Members stop together, on the votes summed with the last update's gradient.
                if replicas.agreed.outOfTime { return try finish(.minutes, elapsed()) }
                if replicas.agreed.interrupted { return try finish(.interrupted, elapsed()) }
                replicas.vote(outOfTime: config.minutes.map { elapsed() >= $0 * 60 } ?? false,
                              interrupted: shouldStop())
            } else {
                if let minutes = config.minutes, elapsed() >= minutes * 60 { return try finish(.minutes, elapsed()) }
                if shouldStop() { return try finish(.interrupted, elapsed()) }
            }

            let loss = try step()
            if !loss.isFinite {
                let previous = state.progress
                state = good
                state.progress.learningRate = previous.learningRate * config.rollbackLearningRateFactor
                state.progress.rollbacks = previous.rollbacks + 1
                // Fresh chunks from zero state: the cursors' carried state was rolled back.
                state.sampler = BatchSampler(batch: config.sequencesPerUpdate, steps: config.steps, spec: data.frame)
                state.rng = SeededGenerator(seed: config.seed &+ UInt64(state.progress.rollbacks))
                onEvent(.rollback(update: previous.update, newLearningRate: state.progress.learningRate))
                if state.progress.rollbacks > 20 {
                    throw TrainingError.diverged(rollbacks: state.progress.rollbacks, learningRate: state.progress.learningRate)
                }
                continue
            }
            state.progress.update += 1
            state.progress.trainLossSum += loss
            state.progress.trainLossCount += 1
            stepsSinceReport += config.sequencesPerUpdate * config.steps

            if clock.now - lastReport > .milliseconds(500) {
                let seconds = Double((clock.now - lastReport).components.attoseconds) * 1e-18
                    + Double((clock.now - lastReport).components.seconds)
                onEvent(.progress(update: state.progress.update, loss: loss,
                                  stepsPerSecond: Double(stepsSinceReport) / seconds, seconds: elapsed()))
                lastReport = clock.now
                stepsSinceReport = 0
            }
            if state.progress.update % config.evalEvery == 0 {
                try replicas?.group.checkIdentical(state.model.parameters, update: state.progress.update)
                let line = evaluate(seconds: elapsed())
                if writesRun { try run.appendMetrics(line) }
                onEvent(.evaluation(line))
                good = state
                if config.patience > 0 && state.progress.evaluationsSinceBest >= config.patience {
                    return try finish(.earlyStopping, elapsed())
                }
            }
            if state.progress.update % config.checkpointEvery == 0 {
                state.progress.seconds = elapsed()
                try save()
                onEvent(.checkpoint(update: state.progress.update))
            }
        }
    }

    /// One update: draw a chunk, perturb the weights, BPTT, clip, RMSProp. Returns the loss
    /// (mean NLL per frame, normalized units); a non-finite loss or gradient changes nothing.
    /// With --accumulate K: K x B streams' chunks, one draw of weight noise, and the mean of
    /// the K micro-batches' losses and gradients (micro-batch k: streams k*B ..< (k+1)*B,
    /// each continuing its own recording and carried state) before one clipped step.
    package func step() throws -> Double {
        let config = state.config
        if music != nil { return musicStep() }
        let (K, B, T, S) = (config.microBatches, config.batch, config.steps, network.stateSize)
        // The sampler, generator and carried state are separate parts of `state`; take them
        // out for the call so that the accesses do not overlap.
        var sampler = state.sampler
        var rng = state.rng
        try sampler.fill(inputs: &inputs, targets: &targets, state: &state.carriedState,
                         stateSize: S, recordings: data.train,
                         startWeights: startWeights, chunk: &chunk, rng: &rng)
        state.sampler = sampler
        state.rng = rng
        perturbWeights()
        var carried: [Float] = []
        swap(&carried, &state.carriedState)  // a move: microStep reads other parts of self
        var lossSum: Float = 0  // the unsplit path's (a split keeps its sums in its parts)
        if K == 1 {
            lossSum = microStep(inputs: inputs, targets: targets, state: &carried, first: true)
        } else {
            let (I, D) = (data.frame.input, data.frame.target)
            for k in 0 ..< K {
                Self.copyRows(k * B ..< (k + 1) * B, of: inputs, rowsPerStep: K * B, width: I, steps: T, into: &microInputs)
                Self.copyRows(k * B ..< (k + 1) * B, of: targets, rowsPerStep: K * B, width: D, steps: T, into: &microTargets)
                for i in 0 ..< B * S { microState[i] = carried[k * B * S + i] }
                lossSum += microStep(inputs: microInputs, targets: microTargets, state: &microState, first: k == 0)
                for i in 0 ..< B * S { carried[k * B * S + i] = microState[i] }
            }
        }
        swap(&carried, &state.carriedState)
        let loss: Double
        if let replicas, let split {
            // This process's rows, then one sum over the group of its gradient and loss.
            let part = split.combine(into: &replicas.buffer, microBatches: K)
            loss = Double(replicas.reduce(loss: part, into: &gradient))
        } else if let split {
            loss = Double(split.combine(into: &gradient, microBatches: K))
        } else {
            loss = Double(K == 1 ? lossSum : lossSum / Float(K))
            if K > 1, loss.isFinite {
                let scale = 1 / Float(K)
                for i in gradient.indices { gradient[i] *= scale }
            }
        }
        guard loss.isFinite else { return loss }
        return applyGradient(loss: loss)
    }

    /// The clipped RMSProp step with `gradient`; returns `loss`, or NaN when the gradient's
    /// norm is not finite (the weights and optimizer state are then left untouched).
    private func applyGradient(loss: Double) -> Double {
        let config = state.config
        var parameters: [Float] = []
        swap(&parameters, &state.model.parameters)  // a move, not a copy of the weights
        let norm = state.optimizer.update(parameters: &parameters, gradient: gradient,
                                          learningRate: state.progress.learningRate, decay: config.rmsDecay,
                                          epsilon: config.rmsEpsilon, clip: config.clip)
        swap(&parameters, &state.model.parameters)
        return norm.isFinite ? loss : .nan
    }

    /// One music update: B whole chorales from a zero state, masked; otherwise as `step`.
    private func musicStep() -> Double {
        var rng = state.rng
        let steps = music!.fill(inputs: &inputs, targets: &targets, mask: &mask, rng: &rng)
        state.rng = rng
        perturbWeights()
        for i in state.carriedState.indices { state.carriedState[i] = 0 }
        let loss = Double(network.forward(parameters: noisy, inputs: inputs, targets: targets,
                                          state: &state.carriedState, workspace: workspace, steps: steps, mask: mask))
        guard loss.isFinite else { return loss }
        gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        network.backward(parameters: noisy, gradient: &gradient, workspace: workspace)
        return applyGradient(loss: loss)
    }

    /// `noisy` = the weights plus this update's noise: one draw per update (every micro-batch
    /// sees it), split over this process's threads, and with replicas on one machine over them.
    private func perturbWeights() {
        let config = state.config
        let key = WeightNoise.Key(seed: config.seed, rollbacks: state.progress.rollbacks, update: state.progress.update)
        if let replicas, sharedNoise != nil, config.weightNoise > 0 {
            // This member's blocks, the others' by all-gather: the same bits as drawing all.
            var shared = sharedNoise!
            sharedNoise = nil  // a move, not a copy of the noise
            WeightNoise.draw(blocks: shared.blocks, weights: shared.noise.count, std: config.weightNoise, key: key,
                             parts: split?.partCount ?? 1, into: &shared.noise)
            replicas.group.share(&shared.noise, counts: shared.counts)
            WeightNoise.add(shared.noise, to: state.model.parameters, into: &noisy, ranges: network.layout.weightRanges)
            sharedNoise = shared
        } else {
            WeightNoise.perturb(state.model.parameters, into: &noisy, ranges: network.layout.weightRanges,
                                std: config.weightNoise, key: key, parts: split?.partCount ?? 1)
        }
    }

    /// Forward + backward of one micro-batch (T, B) at the noisy weights: into the split's
    /// parts, or added into `gradient` (zeroed first when `first`). Returns the unsplit
    /// path's mean NLL per frame (0 with a split: its parts keep their losses).
    private func microStep(inputs: [Float], targets: [Float], state carried: inout [Float], first: Bool) -> Float {
        if let split {
            split.accumulate(parameters: noisy, inputs: inputs, targets: targets, state: &carried, first: first)
            return 0
        }
        if first { gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        let loss = network.forward(parameters: noisy, inputs: inputs, targets: targets, state: &carried,
                                   workspace: workspace, steps: state.config.steps)
        if loss.isFinite { network.backward(parameters: noisy, gradient: &gradient, workspace: workspace) }
        return loss
    }

    /// Rows `rows` of each time step of a time-major (T, rowsPerStep, width) buffer into `out` (T, rows.count, width).
    private static func copyRows(_ rows: Range<Int>, of source: [Float], rowsPerStep: Int, width: Int, steps: Int,
                                 into out: inout [Float]) {
        let count = rows.count * width
        source.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for t in 0 ..< steps {
                    (dst.baseAddress! + t * count).update(from: src.baseAddress! + (t * rowsPerStep + rows.lowerBound) * width,
                                                          count: count)
                }
            }
        }
    }

    /// Validation NLL, the best-so-far bookkeeping, and the metrics line.
    package func evaluate(seconds: Double) -> MetricsLine {
        let valid = validationNLL(state.model.parameters)
        var progress = state.progress
        let train = progress.trainLossCount > 0 ? progress.trainLossSum / Double(progress.trainLossCount) : .nan
        progress.trainLossSum = 0
        progress.trainLossCount = 0
        if valid < progress.bestValidNLL {
            progress.bestValidNLL = valid
            progress.bestUpdate = progress.update
            progress.evaluationsSinceBest = 0
            state.bestParameters = state.model.parameters
        } else {
            progress.evaluationsSinceBest += 1
        }
        state.progress = progress
        let offset = data.normalization.nllOffset(dimensions: data.frame.target)
        var line = MetricsLine(update: progress.update, seconds: seconds, trainNLL: train, validNLL: valid,
                               validNLLWaveform: valid + offset, learningRate: progress.learningRate)
        line.validSet = validation.isWholeSplit ? "whole" : "subset"
        line.validSeconds = data.music == nil ? validation.seconds : nil
        return line
    }

    /// The best parameters' NLL on the whole valid split (what the subset stands in for).
    package func wholeValidNLL() throws -> Double {
        if validation.isWholeSplit { return state.progress.bestValidNLL }
        let groupSamples = validation.recordings.reduce(0) { $0 + $1.count }
        return try ValidationSet.meanNLL(of: data.valid, scorer: scorer, parameters: state.bestParameters,
                                         groupSamples: max(1, groupSamples))
    }

    private func finish(_ reason: StopReason, _ seconds: Double) throws -> TrainingOutcome {
        if reason != .interrupted, state.progress.trainLossCount > 0 || state.progress.update == 0 {
            let line = evaluate(seconds: seconds)
            if writesRun { try run.appendMetrics(line) }
        }
        state.progress.seconds = seconds
        try save()
        var outcome = TrainingOutcome(reason: reason, progress: state.progress)
        if reason != .interrupted, writesRun {
            outcome.wholeValidNLL = try wholeValidNLL()
            var written = RunOutcome(outcome, config: state.config)
            written.wholeValidNLL = outcome.wholeValidNLL
            if let rolls = data.music, outcome.progress.seconds > 0 {
                // Real (unpadded) steps: B pieces of the training split's mean length per update.
                let meanSteps = Double(rolls.train.reduce(0) { $0 + $1.count } / rolls.notes) / Double(rolls.train.count)
                written.trainStepsPerSecond = Double(outcome.progress.update) * Double(min(state.config.batch, rolls.train.count))
                    * meanSteps / outcome.progress.seconds
            }
            // Written last: its presence says the run is finished (compare skips such runs).
            try RunFolder.writeJSON(written, to: run.outcome)
        }
        return outcome
    }

    /// Writes the resumable checkpoint and the best model so far.
    package func save() throws {
        if let replicas {
            // Each member carried only its rows' state: gather the whole batch's first.
            replicas.gather(carried: &state.carriedState, stateSize: network.stateSize)
            guard writesRun else { return }
        }
        try Checkpoint.writeState(state, to: run.checkpoint)
        var best = state.model
        best.parameters = state.bestParameters
        try Checkpoint.writeModel(best, to: run.model)
    }
}
