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
    /// Audio scored at once: the splits are read a group of recordings at a time (from a
    /// store, straight from the mapped samples), so memory stays bounded on any corpus;
    /// a split smaller than this is one group, as when every split was held in memory.
    public var groupSamples = RunMeasurer.defaultGroupSamples
    /// Ten minutes at 16 kHz (38 MB as Float): the group `compare` also scores the test split in.
    public static let defaultGroupSamples = 16_000 * 600

    public init(folder: DataFolder) throws {
        self.folder = folder
    }

    /// Mean NLL per frame (normalized units) of `model` over every frame of `split`.
    public func nll(_ model: TrainedModel, split: Split) throws -> Double {
        var sum = 0.0
        var count = 0
        var group: [[Float]] = []
        var held = 0
        func flush() {
            switch model.kind {
            case .linear:
                let predictor = LinearPredictor(parameters: model.parameters, inputSize: model.frame.input,
                                                targetSize: model.frame.target)
                for recording in group {
                    let framed = FramedSamples(samples: recording, spec: model.frame)
                    for t in 0 ..< framed.count {
                        sum += Double(predictor.nll(input: framed.input(t), target: framed.target(t)))
                    }
                    count += framed.count
                }
            case .recurrent:
                let network = RecurrentMDN<Float>(config: model.config)
                let scorer = SequenceScorer(model: network, spec: model.frame, batch: max(1, min(16, group.count)))
                for result in scorer.run(group, parameters: model.parameters) {
                    for value in result.nll { sum += Double(value) }
                    count += result.nll.count
                }
            }
            group.removeAll()
            held = 0
        }
        try folder.forEachRecording(split: split) { recording in
            group.append(recording.samples.map(model.normalization.normalize))
            held += recording.samples.count
            if held >= groupSamples { flush() }
        }
        if !group.isEmpty { flush() }
        return count > 0 ? sum / Double(count) : .nan
    }

    /// Train, valid and test NLL of the model in `runFolder`, plus its outcome's speed.
    /// `model` is the run's model.ckpt, loaded once by the caller (which also scores it).
    public func measure(_ model: TrainedModel, runFolder: URL, name: String, learningRate: Double,
                        seed: UInt64) throws -> RunMeasurement {
        var measurement = RunMeasurement(
            folder: name, cell: model.kind == .linear ? "linear" : model.config.cell.rawValue,
            learningRate: learningRate, seed: seed,
            trainNLL: try nll(model, split: .train), validNLL: try nll(model, split: .valid),
            testNLL: try nll(model, split: .test))
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
