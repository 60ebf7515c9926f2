// The paper's music rows as a comparison plan and its measurements: the same learning-rate
// search and seeds as speech (ComparisonPlan), with the music defaults (the 20.3k budget that
// gives tanh 100 / GRU 46 / LSTM 36, 16 whole chorales per batch, early stopping on the whole
// valid split), and every kept run measured on the train, valid and test splits by
// PianoRollScorer: NLL in nats per time step (summed over the 88 notes), clean weights.
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechNetwork
import RawSpeechTraining
import Foundation

extension ComparisonPlan {
    /// Updates a music run may take at most: early stopping ends JSB runs at the good rates
    /// in 1,000-3,000 updates; the cap ends the slowest rates of the search (e^-12 barely
    /// moves) after about a minute on one core.
    public static let musicDefaultUpdates = 5_000

    /// A music comparison's plan: `choosing`'s, with the music defaults for what is nil and
    /// T = `longest` (the longest training chorale: whole pieces, no truncation). Early
    /// stopping stays on (patience `TrainingConfig.musicDefaultPatience`) under the updates cap.
    public static func choosingMusic(data: String, cells: [Cell], longest: Int, budget: Int? = nil,
                                     learningRates: [Double]? = nil, trials: Int = defaultTrials, rateSeed: UInt64 = 1,
                                     seeds: Int = 1, minutes: Double? = nil, updates: Int? = nil, weightNoise: Double? = nil,
                                     batch: Int? = nil, patience: Int? = nil, evalEvery: Int? = nil) -> ComparisonPlan {
        var plan = choosing(data: data, cells: cells, budget: budget ?? TrainingConfig.musicDefaultBudget,
                            learningRates: learningRates, trials: trials, rateSeed: rateSeed, seeds: seeds,
                            minutes: minutes, updates: minutes == nil ? (updates ?? musicDefaultUpdates) : nil,
                            weightNoise: weightNoise, batch: batch ?? TrainingConfig.musicDefaultBatch, steps: longest,
                            patience: patience ?? TrainingConfig.musicDefaultPatience,
                            evalEvery: evalEvery ?? TrainingConfig.musicDefaultEvalEvery)
        plan.dataKind = DataKind.pianoroll.rawValue
        return plan
    }
}

/// Measures finished music runs on a piano-roll folder's three splits.
public final class MusicRunMeasurer {
    public let train: [[Float]]
    public let valid: [[Float]]
    public let test: [[Float]]

    public init(folder: PianoRollFolder) throws {
        func rolls(_ split: Split) throws -> [[Float]] { try folder.sequences(split).map { $0.keys.map(Float.init) } }
        train = try rolls(.train)
        valid = try rolls(.valid)
        test = try rolls(.test)
    }

    /// Train, valid and test NLL per time step of the model in `runFolder` (its best
    /// weights, model.ckpt), with the run's updates, seconds and compute. Its training speed
    /// counts real (unpadded) steps: `batch` pieces of the training split's mean length per update.
    public func measure(runFolder: URL, name: String, learningRate: Double, seed: UInt64, batch: Int) throws -> RunMeasurement {
        let model = try Checkpoint.loadModel(from: runFolder)
        guard model.kind == .recurrent, model.config.output == .bernoulli else {
            throw TrainedModelError.inconsistent("\(runFolder.path): not a music model")
        }
        let scorer = PianoRollScorer(model: RecurrentMDN<Float>(config: model.config))
        func nll(_ rolls: [[Float]]) -> Double { scorer.meanNLL(of: rolls, parameters: model.parameters) }
        var measurement = RunMeasurement(folder: name, cell: model.config.cell.rawValue, learningRate: learningRate,
                                         seed: seed, trainNLL: nll(train), validNLL: nll(valid), testNLL: nll(test))
        if let outcome = try RunFolder(url: runFolder).readOutcome() {
            let notes = model.config.targetSize
            let meanSteps = Double(train.reduce(0) { $0 + $1.count } / notes) / Double(max(1, train.count))
            measurement.trainStepsPerSecond = outcome.seconds > 0
                ? Double(outcome.updates) * Double(min(batch, train.count)) * meanSteps / outcome.seconds : nil
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
}
