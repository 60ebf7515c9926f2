// `rawspeech bench score`: how much faster than real time `score` runs a model, on synthetic
// audio and a freshly initialized model of the requested shape (speed does not depend on the
// weights). Times the whole ModelScorer (NLL, mixture means, FFTW spectral measures) on one
// long recording and on several recordings batched together, and the forward pass alone
// (SequenceScorer, NLL only: what a PyTorch forward of the same network computes).
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
    @Flag(help: "Print one JSON object instead of text.") var json = false

    func validate() throws {
        try check("--units", units, in: TrainingLimits.units)
        try check("--seconds", seconds, in: 0.1 ... FlagBounds.seconds.upperBound, "in 0.1...3600")
        try check("--recordings", recordings, in: 1 ... 1_000)
        try check("--repeats", repeats, in: 1 ... 1_000)
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
        ]
        if json {
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            for (key, value) in fields { print("\(key): \(value.replacingOccurrences(of: "\"", with: ""))") }
        }
    }

    private func format(_ x: Double) -> String { String(format: "%.1f", x) }
}
