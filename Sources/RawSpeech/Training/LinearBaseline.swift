// `rawspeech train --cell linear`: the closed-form Gaussian linear predictor fitted on the
// training split's frames, saved and scored like any other model. Every recurrent model
// must beat it to be worth anything.
import RawSpeechCore
import RawSpeechNetwork

/// Fitting and evaluating the linear baseline on a data folder's recordings.
public enum LinearBaseline {
    /// The fitted model and its one metrics line (update 0: there are no updates).
    public struct Fit: Sendable {
        public var trained: TrainedModel
        public var predictor: LinearPredictor
        public var metrics: MetricsLine
    }

    /// Least squares over every training frame; validation NLL per frame in normalized units.
    public static func fit(data: TrainingData) throws -> Fit {
        let spec = data.frame
        var accumulator = LinearPredictor.Accumulator(inputSize: spec.input, targetSize: spec.target)
        for i in 0 ..< data.train.count {
            let framed = FramedSamples(samples: try data.train.samples(i), spec: spec)
            for t in 0 ..< framed.count { accumulator.add(input: framed.input(t), target: framed.target(t)) }
        }
        let predictor = try accumulator.fit()
        let train = try meanNLL(predictor, data.train, spec: spec)
        let valid = try meanNLL(predictor, data.valid, spec: spec)
        let config = ModelConfig(cell: .gru, units: 0, layers: 0, components: 1,
                                 inputSize: spec.input, targetSize: spec.target)
        let trained = TrainedModel(kind: .linear, config: config, parameters: predictor.parameters,
                                   normalization: data.normalization, sampleRate: data.sampleRate,
                                   frame: spec)
        let offset = data.normalization.nllOffset(dimensions: spec.target)
        let line = MetricsLine(update: 0, seconds: 0, trainNLL: train, validNLL: valid,
                               validNLLWaveform: valid + offset, learningRate: 0)
        return Fit(trained: trained, predictor: predictor, metrics: line)
    }

    /// Mean NLL per frame over all frames of `recordings`.
    public static func meanNLL(_ predictor: LinearPredictor, _ recordings: RecordingSet, spec: FrameSpec) throws -> Double {
        var sum = 0.0
        var count = 0
        for i in 0 ..< recordings.count {
            let framed = FramedSamples(samples: try recordings.samples(i), spec: spec)
            for t in 0 ..< framed.count {
                sum += Double(predictor.nll(input: framed.input(t), target: framed.target(t)))
            }
            count += framed.count
        }
        return count > 0 ? sum / Double(count) : .nan
    }
}
