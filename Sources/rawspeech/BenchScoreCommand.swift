// `rawspeech bench score`: how much faster than real time `score` runs a model, on synthetic
// audio and a freshly initialized model of the requested shape (speed does not depend on the
// weights). Times the whole ModelScorer (NLL, mixture means, FFTW spectral measures) on one
// long recording and on several recordings batched together, and the forward pass alone
// (SequenceScorer, NLL only: what a PyTorch forward of the same network computes), and
// `generate` (free-running sampling, B = 1, T = 1) with the parts of one of its steps.
import ArgumentParser
import Foundation
import RawSpeechCore
import RawSpeechNetwork
import RawSpeechEvaluation
import RawSpeechTraining

struct BenchScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Time scoring synthetic audio with a freshly initialized model.",
        discussion: """
        Prints x real time (seconds of audio scored per second) for: the full scorer on one \
        recording of --seconds, the full scorer on --recordings recordings of --seconds / \
        --recordings each batched together, and the forward pass alone on each of those. \
        Set OPENBLAS_NUM_THREADS=1 for one core.
        """)

    @Option(help: "Recurrent unit: tanh, gru or lstm.") var cell: Cell = .gru
    @Option(help: "Hidden units (default: the paper's 169K budget).") var units: Int?
    @Option(help: "GRU equations: paper or cudnn.") var gruForm: GRUForm = .paper
    @Option(help: "Seconds of audio in total.") var seconds = 60.0
    @Option(help: "Recordings the audio is cut into for the batched measurement.") var recordings = 8
    @Option(help: "Timed repetitions; the best is reported.") var repeats = 3
    @Option(help: "Seconds of audio generated for the generate row (0: skip it).") var generateSeconds = 10.0
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func validate() throws {
        try check("--units", units, in: TrainingLimits.units)
        try check("--seconds", seconds, in: 0.1 ... FlagBounds.seconds.upperBound, "in 0.1...3600")
        try check("--recordings", recordings, in: 1 ... 1_000)
        try check("--repeats", repeats, in: 1 ... 1_000)
        try check("--generate-seconds", generateSeconds, in: 0 ... FlagBounds.seconds.upperBound)
        // A fresh model of that width: its weights alone must fit (GRU-65536 would be 52 GB).
        if let units {
            let parameters = ModelConfig(cell: cell, units: units, gruForm: gruForm).parameterCount
            if Double(parameters) * 4 * 4 > TrainingLimits.memoryBytes {
                throw ValidationError("--units \(units) makes a \(cell.rawValue) model of \(parameters) parameters, more than "
                    + String(format: "%.0f GB", TrainingLimits.memoryBytes / 1e9) + " of memory: lower --units")
            }
        }
    }

    func run() throws {
        noteSlowerKernels()
        let config = ModelConfig(cell: cell, units: units ?? ModelConfig.units(for: cell, budget: 169_000, gruForm: gruForm),
                                 gruForm: gruForm)
        var rng = SeededGenerator(seed: 1)
        var parameters: [Float] = []
        RecurrentMDN<Float>(config: config).initializeParameters(&parameters, using: &rng)
        let model = TrainedModel(kind: .recurrent, config: config, parameters: parameters,
                                 normalization: Normalization(mean: 0, std: 0.07), sampleRate: 16_000, frame: .paper)
        let total = Int(seconds * 16_000)
        // Speech-scale noise with a slow envelope: content does not change the work.
        let audio = (0 ..< total).map { n in
            Float(0.07 * rng.nextGaussian() * (0.6 + 0.4 * sin(Double(n) * 2 * .pi / 4_000)))
        }
        let piece = total / recordings
        let pieces = (0 ..< recordings).map { Array(audio[$0 * piece ..< ($0 + 1) * piece]) }
        let scorer = ModelScorer(model: model)

        func best(_ body: () throws -> Void) rethrows -> Double {
            var fastest = Double.infinity
            for _ in 0 ..< repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
            }
            return fastest
        }
        let network = RecurrentMDN<Float>(config: config)
        func forward(_ signals: [[Float]]) -> Double {
            let sequence = SequenceScorer(model: network, spec: .paper, batch: signals.count, steps: 100)
            let normalized = signals.map { $0.map(model.normalization.normalize) }
            return best { _ = sequence.run(normalized, parameters: parameters) }
        }
        let oneScore = try best { _ = try scorer.score([(name: "one", samples: audio)]) }
        let manyScore = try best { _ = try scorer.score(pieces.enumerated().map { (name: "\($0)", samples: $1) }) }
        let oneForward = forward([audio])
        let manyForward = forward(pieces)
        let audioSeconds = Double(total) / 16_000
        let fields: [(String, String)] = [
            ("cell", "\"\(cell.rawValue)\""), ("gru_form", "\"\(gruForm.rawValue)\""), ("units", "\(config.units)"),
            ("components", "\(config.components)"), ("seconds", format(audioSeconds)), ("recordings", "\(recordings)"),
            ("blas_core", "\"\(BLASRuntime.coreName)\""), ("blas_threads", "\(BLASRuntime.threads)"),
            ("ckernels", "\"\(CKernelsRuntime.variantName)\""),
            ("score_one_x_realtime", format(audioSeconds / oneScore)),
            ("score_batched_x_realtime", format(audioSeconds / manyScore)),
            ("forward_one_x_realtime", format(audioSeconds / oneForward)),
            ("forward_batched_x_realtime", format(audioSeconds / manyForward)),
            ("forward_one_seconds", String(format: "%.4f", oneForward)),
            ("forward_batched_seconds", String(format: "%.4f", manyForward)),
        ] + (generateSeconds > 0 ? try generateFields(model, forwardOne: audioSeconds / oneForward, best: best) : [])
        if json {
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            for (key, value) in fields { print("\(key): \(value.replacingOccurrences(of: "\"", with: ""))") }
        }
    }

    private func format(_ x: Double) -> String { String(format: "%.1f", x) }

    /// CPU seconds this thread has run.
    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// `Generator` on --generate-seconds, its ratio to the teacher-forced forward at B = 1,
    /// and the parts of one step timed alone (microseconds per step, best of --repeats).
    private func generateFields(_ model: TrainedModel, forwardOne: Double,
                                best: (() throws -> Void) throws -> Double) throws -> [(String, String)] {
        let generator = try Generator(model: model)
        let count = Int(generateSeconds * 16_000)
        let total = try best { _ = generator.generate(samples: count, seed: 1) }
        // This thread's CPU time too: on a shared machine the wall clock also counts the
        // time other processes hold the core.
        var cpuTotal = Double.infinity
        for _ in 0 ..< repeats {
            let start = Self.threadCPUSeconds()
            _ = generator.generate(samples: count, seed: 1)
            cpuTotal = min(cpuTotal, Self.threadCPUSeconds() - start)
        }
        // The teacher-forced forward at B = 1 on as much audio, in CPU time as well.
        let network = RecurrentMDN<Float>(config: model.config)
        let scorer = SequenceScorer(model: network, spec: .paper, batch: 1, steps: 100)
        let noise = [(0 ..< count).map { Float(0.5 * sin(Double($0) * 0.05)) }]
        var cpuForward = Double.infinity
        for _ in 0 ..< repeats {
            let start = Self.threadCPUSeconds()
            _ = scorer.run(noise, parameters: model.parameters)
            cpuForward = min(cpuForward, Self.threadCPUSeconds() - start)
        }
        let steps = Double(count / model.frame.target)
        let perStep = total / steps * 1e6
        // The parts, each alone on `parts` steps: the stream's step (network and draw), the
        // network's general forward at T = 1 (what the stream ran before its own step), the draw.
        let parts = 20_000
        let predictor = try model.makePredictor()
        let stream = predictor.makeStream(steps: 100)
        let input = [Float](repeating: 0.1, count: model.frame.input)
        var rng = SeededGenerator(seed: 1)
        var draw = [Float](repeating: 0, count: model.frame.target)
        let sampleStep = try best {
            input.withUnsafeBufferPointer { x in
                draw.withUnsafeMutableBufferPointer { y in
                    for _ in 0 ..< parts { stream.sample(input: x.baseAddress!, settings: .model, rng: &rng, into: y.baseAddress!) }
                }
            }
        } / Double(parts) * 1e6
        let workspace = network.makeWorkspace(batch: 1, steps: 1)
        var state = [Float](repeating: 0, count: network.stateSize)
        let target = [Float](repeating: 0, count: model.frame.target)
        let forwardStep = try best {
            for _ in 0 ..< parts {
                _ = network.forward(parameters: model.parameters, inputs: input, targets: target, state: &state,
                                    workspace: workspace, steps: 1)
            }
        } / Double(parts) * 1e6
        let outputs = workspace.headOutputs
        let mixture = MixtureDensity(config: model.config)
        let drawStep = try best {
            outputs.withUnsafeBufferPointer { o in
                draw.withUnsafeMutableBufferPointer { y in
                    for _ in 0 ..< parts { mixture.sample(outputs: o.baseAddress!, settings: .model, rng: &rng, into: y.baseAddress!) }
                }
            }
        } / Double(parts) * 1e6
        return [
            ("generate_seconds", format(generateSeconds)),
            ("generate_x_realtime", format(generateSeconds / total)),
            ("generate_ratio_to_forward_one", String(format: "%.2f", generateSeconds / total / forwardOne)),
            ("generate_cpu_x_realtime", format(generateSeconds / cpuTotal)),
            ("forward_one_cpu_x_realtime", format(generateSeconds / cpuForward)),
            ("generate_cpu_ratio_to_forward_one", String(format: "%.2f", cpuForward / cpuTotal)),
            ("generate_step_us", String(format: "%.2f", perStep)),
            ("stream_sample_step_us", String(format: "%.2f", sampleStep)),
            ("network_forward_step_us", String(format: "%.2f", forwardStep)),
            ("mixture_draw_us", String(format: "%.2f", drawStep)),
        ]
    }
}
