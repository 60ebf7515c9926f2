// What `score`, `generate` and `compare` learn from a run folder besides its model: the data
// folder it was trained on (config.json's "data") and the linear baseline fitted on that
// folder's training split, cached as RUNDIR/baseline.ckpt so it is fitted once per run.
// It finds and fits; it does not print (the CLI says what was used or why not).
import RawSpeechCore
import RawSpeechCorpus
import RawSpeechNetwork
import Foundation

/// A model to evaluate and where it came from.
public struct ModelSource: Sendable {
    /// The path as given (a run folder, a model file or a training checkpoint).
    public var url: URL
    public var model: TrainedModel
    /// The run folder, when `url` is one.
    public var runFolder: RunFolder?

    /// Loads the model at `url` (see `Checkpoint.loadModel(from:)`).
    public init(url: URL) throws {
        self.url = url
        model = try Checkpoint.loadModel(from: url)
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        runFolder = exists && isDirectory.boolValue ? RunFolder(url: url) : nil
    }

    /// The data folder named in the run's config.json, resolved against the working folder
    /// (where `train` was run) and then the run folder's parent; nil with the reason.
    public func dataFolder() -> Result<DataFolder, RunSourceError> {
        let found: URL
        switch dataFolderURL() {
        case .success(let url): found = url
        case .failure(let error): return .failure(error)
        }
        do {
            return .success(try DataFolder(url: found))
        } catch {
            return .failure(.unavailable("the training data \(found.path) is unusable: \(error)"))
        }
    }

    /// Where the data folder named in the run's config.json is (audio or music: the caller
    /// opens it with the reader of its kind, DataKind.of(folder:)).
    public func dataFolderURL() -> Result<URL, RunSourceError> {
        guard let run = runFolder else { return .failure(.unavailable("\(url.path) is a model file, not a run folder: no config.json names its data")) }
        struct DataOnly: Decodable { var data: String? }
        guard let bytes = FileManager.default.contents(atPath: run.config.path),
              let config = try? JSONDecoder().decode(DataOnly.self, from: bytes), let path = config.data else {
            return .failure(.unavailable("\(run.config.path): missing or names no data folder"))
        }
        let candidates = path.hasPrefix("/") ? [URL(fileURLWithPath: path)]
            : [URL(fileURLWithPath: path), run.url.deletingLastPathComponent().appendingPathComponent(path)]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.appendingPathComponent(DataFolder.summaryFile).path) }) else {
            return .failure(.unavailable("the training data \(path) (from \(run.config.path)) is not there"))
        }
        return .success(found)
    }

    /// The linear baseline fitted on this run's training split: RUNDIR/baseline.ckpt when it
    /// is there and matches the model, else fitted now and cached there. nil for a linear
    /// model (it is the baseline).
    public func baseline() -> Result<TrainedModel?, RunSourceError> {
        if model.kind == .linear { return .success(nil) }
        guard let run = runFolder else { return .failure(.unavailable("\(url.path) is a model file: pass --baseline to compare with a linear run")) }
        let cache = run.url.appendingPathComponent("baseline.ckpt")
        if let cached = try? Checkpoint.loadModel(from: cache), matches(cached) { return .success(cached) }
        let folder: DataFolder
        switch dataFolder() {
        case .success(let f): folder = f
        case .failure(let error): return .failure(error)
        }
        do {
            let fitted = try Self.fitBaseline(on: folder, like: model)
            try? Checkpoint.writeModel(fitted, to: cache)   // a read-only run folder just refits next time
            return .success(fitted)
        } catch {
            return .failure(.unavailable("cannot fit the linear baseline on \(folder.url.path): \(error)"))
        }
    }

    /// Whether `baseline` was fitted for this model's rate, frames and normalization.
    public func matches(_ baseline: TrainedModel) -> Bool {
        baseline.kind == .linear && baseline.sampleRate == model.sampleRate && baseline.frame == model.frame
            && baseline.normalization == model.normalization
    }

    /// Least squares on every training frame of `folder`, in `model`'s normalized units.
    public static func fitBaseline(on folder: DataFolder, like model: TrainedModel) throws -> TrainedModel {
        guard folder.summary.sampleRate == model.sampleRate, folder.summary.frame == model.frame else {
            throw RunSourceError.unavailable("\(folder.url.path) is at \(folder.summary.sampleRate) Hz with different frames than the model")
        }
        let train: RecordingSet
        if let store = folder.stores[.train] {
            train = RecordingSet(store: store, normalization: model.normalization)
        } else {
            train = RecordingSet(try folder.recordings(split: .train).map { $0.samples.map(model.normalization.normalize) })
        }
        let data = TrainingData(train: train, valid: RecordingSet([]), normalization: model.normalization,
                                sampleRate: model.sampleRate, frame: model.frame)
        return try LinearBaseline.fit(data: data).trained
    }
}

public enum RunSourceError: Error, CustomStringConvertible {
    case unavailable(String)
    public var description: String {
        switch self { case .unavailable(let reason): reason }
    }
}
