// `rawspeech bench train`: how many time steps per second this build trains and runs a
// recurrent MDN, on synthetic input (no data folder), against the machine's own sgemm rate
// on the same matrix shapes. A training update here is the real one minus data loading:
// forward + backward (BPTT) + gradient-norm clipping + the trainer's RMSProp step
// (Sources/RawSpeech/Training/RMSProp.swift), all on the same flat arrays the trainer uses.
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

    @Option(help: "Recurrent unit: tanh, gru or lstm.") var cell: Cell = .gru
    @Option(help: "Hidden units per layer.") var units: Int?
    @Option(help: "Recurrent-parameter budget instead of --units, e.g. 169k (the paper's).") var params: ParameterBudget?
    @Option(help: "Stacked recurrent layers.") var layers = 1
    @Option(help: "Mixture components (the paper's 20).") var components = 20
    @Option(help: "GRU equations: paper or cudnn.") var gruForm: GRUForm = .paper
    @Option(help: "Sequences per batch.") var batch = 32
    @Option(help: "Time steps per chunk (truncated BPTT length).") var steps = 100
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
        guard (units == nil) != (params == nil) else { throw ValidationError("give exactly one of --units or --params") }
        if let units, units < 1 { throw ValidationError("--units must be at least 1") }
        guard layers >= 1, components >= 1 else { throw ValidationError("--layers and --components must be at least 1") }
        guard batch >= 1, steps >= 1 else { throw ValidationError("--batch and --steps must be at least 1") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        guard threads >= 0 else { throw ValidationError("--threads must be 0 (OpenBLAS's default) or more") }
    }

    func run() throws {
        if threads > 0 { BLASRuntime.setThreads(threads) }
        let resolvedUnits = units ?? ModelConfig.units(for: cell, budget: params!.value, layers: layers, gruForm: gruForm)
        let config = ModelConfig(cell: cell, units: resolvedUnits, layers: layers, components: components, gruForm: gruForm)
        let result = BenchTrainRun(config: config, batch: batch, steps: steps, parallel: parallel).measure(seconds: seconds)
        let fields: [(String, String)] = [
            ("cell", "\"\(cell.rawValue)\""), ("gru_form", "\"\(gruForm.rawValue)\""),
            ("units", "\(resolvedUnits)"), ("layers", "\(layers)"), ("components", "\(components)"),
            ("batch", "\(batch)"), ("steps", "\(steps)"),
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
    let config: ModelConfig
    let batch: Int
    let steps: Int
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

    func measure(seconds: Double) -> Result {
        let model = RecurrentMDN<Float>(config: config)
        var rng = SeededGenerator(seed: 1)
        var parameters: [Float] = []
        model.initializeParameters(&parameters, using: &rng)
        let rows = batch * steps
        // A noisy sinusoid, framed as the data would be: input 20 samples, target the next 10.
        let inputs = (0 ..< rows * config.inputSize).map { Float(sin(Double($0) * 0.07) + 0.1 * rng.nextGaussian()) }
        let targets = (0 ..< rows * config.targetSize).map { Float(sin(Double($0) * 0.07 + 1) + 0.1 * rng.nextGaussian()) }
        var state = [Float](repeating: 0, count: batch * model.stateSize)
        let workspace = model.makeWorkspace(batch: batch, steps: steps)
        workspace.computesInputGradient = false  // as the trainer: training never reads d loss/d inputs
        var optimizer = RMSProp(parameterCount: parameters.count)
        var gradient = [Float](repeating: 0, count: parameters.count)
        // The paper's clip of 1; rate, decay and floor as tools/bench-train-pytorch.py's
        // RMSprop (the trainer's defaults differ, 0.99 and 1e-8, at the same cost).
        func step() {
            optimizer.update(parameters: &parameters, gradient: gradient, learningRate: 1e-4, decay: 0.9,
                             epsilon: 1e-6, clip: 1)
        }
        let split = min(parallel, batch) > 1 ? ParallelStep(network: model, batch: batch, steps: steps, parts: parallel) : nil

        func update() -> Float {
            if let split {
                let loss = split.run(parameters: parameters, inputs: inputs, targets: targets,
                                     state: &state, gradient: &gradient)
                step()
                return loss
            }
            let loss = model.forward(parameters: parameters, inputs: inputs, targets: targets,
                                     state: &state, workspace: workspace, steps: steps)
            gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            model.backward(parameters: parameters, gradient: &gradient, workspace: workspace)
            step()
            return loss
        }
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
        var lastLoss: Float = 0
        let train = timed { lastLoss = update() }
        let inference = timed {
            _ = model.forward(parameters: parameters, inputs: inputs, targets: targets,
                              state: &state, workspace: workspace, steps: steps)
        }
        let trainBound = Double(rows) / GEMMTimer.seconds(for: model.gemmPlan(batch: batch, steps: steps, backward: true))
        let inferenceBound = Double(rows) / GEMMTimer.seconds(for: model.gemmPlan(batch: batch, steps: steps, backward: false))
        return Result(trainStepsPerSecond: Double(train.count * rows) / train.seconds,
                      inferenceStepsPerSecond: Double(inference.count * rows) / inference.seconds,
                      trainStepsPerCPUSecond: Double(train.count * rows) / train.cpuSeconds,
                      inferenceStepsPerCPUSecond: Double(inference.count * rows) / inference.cpuSeconds,
                      trainBound: trainBound, inferenceBound: inferenceBound,
                      updates: train.count, finalLoss: Double(lastLoss), parts: split?.partCount ?? 1)
    }
}
