// Measures finished runs on a data folder's splits with the same per-frame NLL the trainer
// computes (SequenceScorer for recurrent models, LinearBaseline for the linear one), so the
// comparison's train / valid / test columns are one computation.
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechNetwork
import RawSpeechTraining
import Foundation

public final class RunMeasurer {
    public let folder: DataFolder
    private let recordings: [Split: [[Float]]]

    public init(folder: DataFolder) throws {
        self.folder = folder
        var recordings: [Split: [[Float]]] = [:]
        for split in Split.allCases {
            recordings[split] = try folder.recordings(split: split).map(\.samples)
        }
        self.recordings = recordings
    }

    /// The split's recordings in waveform units.
    public func waveforms(_ split: Split) -> [[Float]] { recordings[split] ?? [] }

    /// Mean NLL per frame (normalized units) of `model` over every frame of `split`.
    public func nll(_ model: TrainedModel, split: Split) -> Double {
        let normalized = waveforms(split).map { $0.map(model.normalization.normalize) }
        switch model.kind {
        case .linear:
            let predictor = LinearPredictor(parameters: model.parameters, inputSize: model.frame.input,
                                            targetSize: model.frame.target)
            return LinearBaseline.meanNLL(predictor, normalized, spec: model.frame)
        case .recurrent:
            let network = RecurrentMDN<Float>(config: model.config)
            let scorer = SequenceScorer(model: network, spec: model.frame, batch: max(1, min(16, normalized.count)))
            var sum = 0.0
            var count = 0
            for result in scorer.run(normalized, parameters: model.parameters) {
                for value in result.nll { sum += Double(value) }
                count += result.nll.count
            }
            return count > 0 ? sum / Double(count) : .nan
        }
    }

    /// Train, valid and test NLL of the model in `runFolder`, plus its outcome's speed.
    /// `model` is the run's model.ckpt, loaded once by the caller (which also scores it).
    public func measure(_ model: TrainedModel, runFolder: URL, name: String, learningRate: Double,
                        seed: UInt64) throws -> RunMeasurement {
        var measurement = RunMeasurement(
            folder: name, cell: model.kind == .linear ? "linear" : model.config.cell.rawValue,
            learningRate: learningRate, seed: seed,
            trainNLL: nll(model, split: .train), validNLL: nll(model, split: .valid),
            testNLL: nll(model, split: .test))
        let waveformNLL = measurement.testNLL + model.normalization.nllOffset(dimensions: model.frame.target)
        measurement.testBitsPerSample = waveformNLL / Double(model.frame.target) / log(2)
        if let outcome = try RunFolder(url: runFolder).readOutcome() {
            measurement.trainStepsPerSecond = outcome.trainStepsPerSecond
            measurement.updates = outcome.updates
            measurement.seconds = outcome.seconds
        }
        if let compute = RunCompute.read(in: runFolder) {
            measurement.cpuSeconds = compute.cpuSeconds
            measurement.wallSeconds = compute.wallSeconds
            measurement.threads = compute.threads
        }
        return measurement
    }

    /// The run's learning curve (metrics.jsonl; empty without one).
    public static func curve(_ runFolder: URL) throws -> [MetricsLine] {
        try RunFolder(url: runFolder).readMetrics()
    }
}
