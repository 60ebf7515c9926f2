// `rawspeech bench train`: how many time steps per second this build trains and runs a
// recurrent MDN, on synthetic input (no data folder), against the machine's own sgemm rate
// on the same matrix shapes. A training update here is the trainer's own (Trainer.step, on
// synthetic recordings held in memory): drawing the chunk, weight noise (off unless
// --weight-noise), forward + backward (BPTT), gradient-norm clipping and RMSProp, with the
// recipe `train` would use.
import ArgumentParser
import Foundation
import RawSpeechCore
import RawSpeechNetwork
import RawSpeechTraining

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure this build's speed.",
        subcommands: [BenchTrainCommand.self, BenchScoreCommand.self])
}

struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Time training updates and inference of a recurrent MDN on synthetic input.",
        discussion: """
        Prints train_steps_per_second and inference_steps_per_second (time steps x batch per \
        second), the OpenBLAS kernels in use and the fraction of the sgemm bound: the rate the \
        same GEMM shapes alone reach on this machine.
        """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var chunks: ChunkOptions
    // No weight noise by default: tools/bench-train-pytorch.py has none, and the figures
    // stay comparable with docs/PERFORMANCE.md's. train's 0.075 draws a Gaussian per weight
    // per update: ~4% more CPU time per update at the paper's GRU since the counter-based
    // polar draws (2026-11-30, 72.3K vs 75.4K steps per CPU second; ~13% before).
    @Option(name: .customLong("weight-noise"),
            help: "Std of the weight noise of the timed updates (train's default: \(TrainingConfig.defaults.weightNoise)).")
    var weightNoise = 0.0
    @Option(help: "Seconds to time each of training and inference (after one warm-up).") var seconds = 3.0
    // One BLAS thread by default: the per-step GEMMs (B x H by H x G*H) are too small to
    // split across threads profitably, and on a shared 2-core machine the second core is
    // rarely idle; measured 2-2.5x faster than OpenBLAS's default of one thread per core.
    @Option(help: "OpenBLAS threads (1 is fastest for these sizes on 2 cores; 0: OpenBLAS's default).")
    var threads = 1
    @Option(help: "Threads splitting each training batch (data parallel; 1: one thread). Inference is not split.")
    var parallel = 1
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func validate() throws {
        try check("--weight-noise", weightNoise, in: FlagBounds.weightNoise, FlagBounds.weightNoiseRule)
        if model.cell == .linear { throw ValidationError("--cell: bench train times tanh, gru or lstm, not the linear baseline") }
        try check("--seconds", seconds, in: FlagBounds.seconds, FlagBounds.secondsRule)
        try check("--parallel", parallel, in: FlagBounds.threads)
        try check("--threads", threads, in: 0 ... FlagBounds.threads.upperBound, "0 (OpenBLAS's default) to \(FlagBounds.threads.upperBound)")
        try checkMemory(trainingConfig, threads: parallel)
    }

    /// The run `train` would make of the same flags: its recipe, RMSProp and clipping included.
    var trainingConfig: TrainingConfig {
        var settings = TrainingSettings()
        model.apply(to: &settings)
        settings.weightNoise = weightNoise
        settings.batch = chunks.batch
        settings.steps = chunks.steps
        settings.accumulate = chunks.accumulate
        return settings.newConfig()
    }

    func run() throws {
        noteSlowerKernels()
        if threads > 0 { BLASRuntime.setThreads(threads) }
        let training = trainingConfig
        let config = training.model
        let (batch, steps, cell, gruForm) = (training.batch, training.steps, config.cell, config.gruForm)
        let result = try BenchTrainRun(config: training, parallel: parallel).measure(seconds: seconds)
        let fields: [(String, String)] = [
            ("cell", "\"\(cell.rawValue)\""), ("gru_form", "\"\(gruForm.rawValue)\""),
            ("units", "\(config.units)"), ("layers", "\(config.layers)"), ("components", "\(config.components)"),
            ("batch", "\(batch)"), ("steps", "\(steps)"), ("accumulate", "\(training.microBatches)"),
            ("recurrent_parameters", "\(config.recurrentParameterCount)"), ("parameters", "\(config.parameterCount)"),
            ("blas_core", "\"\(BLASRuntime.coreName)\""), ("blas_threads", "\(BLASRuntime.threads)"), ("parallel", "\(result.parts)"),
            ("ckernels", "\"\(CKernelsRuntime.variantName)\""),
            ("train_steps_per_second", format(result.trainStepsPerSecond)),
            ("inference_steps_per_second", format(result.inferenceStepsPerSecond)),
            ("train_steps_per_cpu_second", format(result.trainStepsPerCPUSecond)),
            ("inference_steps_per_cpu_second", format(result.inferenceStepsPerCPUSecond)),
            ("train_sgemm_bound_steps_per_second", format(result.trainBound)),
            ("inference_sgemm_bound_steps_per_second", format(result.inferenceBound)),
            ("train_fraction_of_sgemm_bound", String(format: "%.3f", result.trainStepsPerSecond / result.trainBound)),
            ("inference_fraction_of_sgemm_bound", String(format: "%.3f", result.inferenceStepsPerSecond / result.inferenceBound)),
            ("train_updates_timed", "\(result.updates)"), ("final_loss", String(format: "%.4f", result.finalLoss)),
        ]
        if json {
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            for (key, value) in fields { print("\(key): \(value.replacingOccurrences(of: "\"", with: ""))") }
        }
    }

    private func format(_ x: Double) -> String { String(format: "%.1f", x) }
}

/// Synthetic training and inference on one model, timed.
struct BenchTrainRun {
    let config: TrainingConfig
    var parallel = 1

    struct Result {
        var trainStepsPerSecond: Double, inferenceStepsPerSecond: Double
        /// The same per second of this thread's CPU time (with --parallel, the calling thread
        /// only: it runs one of the parts): on a shared machine, where the
        /// scheduler hands the core to others, a steadier figure than wall-clock time.
        var trainStepsPerCPUSecond: Double, inferenceStepsPerCPUSecond: Double
        var trainBound: Double, inferenceBound: Double
        var updates: Int, finalLoss: Double
        var parts = 1
    }

    /// Recordings of a noisy sinusoid, in normalized units: 4 of 4 s to train on (B streams
    /// walk them as they would a corpus), 1 s to validate (never run here).
    static func syntheticData(seed: UInt64) -> TrainingData {
        var rng = SeededGenerator(seed: seed)
        func recording(seconds: Int) -> [Float] {
            let phase = rng.nextUniform() * 2 * .pi
            return (0 ..< seconds * 16000).map { Float(sin(Double($0) * 0.07 + phase) + 0.1 * rng.nextGaussian()) }
        }
        let train = (0 ..< 4).map { _ in recording(seconds: 4) }
        return TrainingData(train: train, valid: [recording(seconds: 1)], normalization: Normalization(mean: 0, std: 1),
                            sampleRate: 16000, frame: .paper)
    }

    func measure(seconds: Double) throws -> Result {
        let (batch, steps, model) = (config.batch, config.steps, config.model)
        let data = Self.syntheticData(seed: 1)
        // A run folder that is never written: timing calls `step` only, never `train`.
        let run = RunFolder(url: FileManager.default.temporaryDirectory.appendingPathComponent("rawspeech-bench-unused"))
        let trainer = try Trainer(config: config, data: data, run: run, resume: false, threads: parallel)

        // Inference: the forward pass alone on one chunk of the same signal, (T, B, I) and (T, B, D).
        let network = RecurrentMDN<Float>(config: model)
        let rows = batch * steps
        var rng = SeededGenerator(seed: 2)
        let inputs = (0 ..< rows * model.inputSize).map { Float(sin(Double($0) * 0.07) + 0.1 * rng.nextGaussian()) }
        let targets = (0 ..< rows * model.targetSize).map { Float(sin(Double($0) * 0.07 + 1) + 0.1 * rng.nextGaussian()) }
        var state = [Float](repeating: 0, count: batch * network.stateSize)
        let workspace = network.makeWorkspace(batch: batch, steps: steps)

        func threadCPUSeconds() -> Double {
            var now = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
            return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
        }
        func timed(_ body: () -> Void) -> (count: Int, seconds: Double, cpuSeconds: Double) {
            body()  // warm-up: first-touch page faults, BLAS buffers
            let start = DispatchTime.now().uptimeNanoseconds, cpuStart = threadCPUSeconds()
            var count = 0, elapsed = 0.0
            repeat {
                body()
                count += 1
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            } while elapsed < seconds || count < 3
            return (count, elapsed, threadCPUSeconds() - cpuStart)
        }
        var lastLoss = 0.0
        let train = timed { lastLoss = (try? trainer.step()) ?? .nan }  // in-memory data: never throws
        let parameters = trainer.state.model.parameters
        let inference = timed {
            _ = network.forward(parameters: parameters, inputs: inputs, targets: targets,
                                state: &state, workspace: workspace, steps: steps)
        }
        let trainBound = Double(rows) / GEMMTimer.seconds(for: network.gemmPlan(batch: batch, steps: steps, backward: true))
        let inferenceBound = Double(rows) / GEMMTimer.seconds(for: network.gemmPlan(batch: batch, steps: steps, backward: false))
        let trainRows = rows * config.microBatches  // an update trains K micro-batches of B x T
        return Result(trainStepsPerSecond: Double(train.count * trainRows) / train.seconds,
                      inferenceStepsPerSecond: Double(inference.count * rows) / inference.seconds,
                      trainStepsPerCPUSecond: Double(train.count * trainRows) / train.cpuSeconds,
                      inferenceStepsPerCPUSecond: Double(inference.count * rows) / inference.cpuSeconds,
                      trainBound: trainBound, inferenceBound: inferenceBound,
                      updates: train.count, finalLoss: lastLoss, parts: trainer.partCount)
    }
}
