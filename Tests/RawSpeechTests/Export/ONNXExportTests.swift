// The exported graph computes what rawspeech computes: small tanh, paper-GRU, cuDNN-GRU and
// LSTM models (one and two layers) and the linear baseline, exported and run in onnxruntime
// on the same frames from a non-zero state (tools/check-onnx.py, through the reference
// Python environment: onnx for the checker, onnxruntime for running). Head outputs and final
// state must agree to 1e-5, the mixture NLL to 1e-4. Plus the command's bad-input errors.
import Foundation
import Testing
@testable import RawSpeechCore
@testable import RawSpeechExport
@testable import RawSpeechNetwork
@testable import RawSpeechAudio
@testable import RawSpeechTraining
@testable import RawSpeechEvaluation

@Suite(.serialized) struct ONNXExportTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The reference environment's python with onnx and onnxruntime, installed if missing
    /// (tools/test installs them up front). Made once per process: two suites installing
    /// into one environment at the same time would break it.
    static func python() throws -> String { try referencePython.get() }

    private static let referencePython: Result<String, Error> = Result {
        let (status, stdout, stderr) = try EvalProcess.run(root.appendingPathComponent("tools/reference-env").path,
                                                           ["onnx", "onnxruntime"])
        guard status == 0 else { throw CheckFailed("tools/reference-env onnx onnxruntime failed: \(stderr)") }
        return stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct CheckFailed: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }

    static func write(_ values: [Float], _ url: URL) throws {
        try values.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: url)
    }

    /// Exports `model`, runs rawspeech's forward on (T, B) random frames from a random state,
    /// and has onnxruntime check the graph against it.
    static func check(_ config: ModelConfig, seed: UInt64) throws {
        let T = 9, B = 3
        var rng = SeededGenerator(seed: seed)
        let network = RecurrentMDN<Float>(config: config)
        var parameters = [Float]()
        network.initializeParameters(&parameters, using: &rng)
        // Larger biases and peepholes than an initialisation has, so every tensor matters.
        for index in parameters.indices { parameters[index] += Float(rng.nextGaussian()) * 0.05 }
        let normalization = Normalization(mean: 0.01, std: 0.2)
        let model = TrainedModel(kind: .recurrent, config: config, parameters: parameters,
                                 normalization: normalization, sampleRate: 16_000, frame: .paper)
        let I = config.inputSize, D = config.targetSize, S = network.stateSize
        let frames = (0 ..< T * B * I).map { _ in Float(rng.nextGaussian() * 0.2 + 0.01) }
        let targets = (0 ..< T * B * D).map { _ in Float(rng.nextGaussian()) }
        let initial = (0 ..< B * S).map { _ in Float(rng.nextGaussian() * 0.5) }
        var state = initial
        let workspace = network.makeWorkspace(batch: B, steps: T)
        _ = network.forward(parameters: parameters, inputs: frames.map(normalization.normalize), targets: targets,
                            state: &state, workspace: workspace, steps: T)
        try run(model, T: T, B: B, S: S, K: config.components, frames: frames, state: initial, targets: targets,
                head: workspace.headOutputs, final: state, nll: workspace.frameNLL)
    }

    static func run(_ model: TrainedModel, T: Int, B: Int, S: Int, K: Int, frames: [Float], state: [Float],
                    targets: [Float], head: [Float], final: [Float], nll: [Float]) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rawspeech-onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try ONNXExport.write(model, to: folder.appendingPathComponent("model.onnx"), revision: "test")
        let shape = ["T": T, "B": B, "S": S, "K": K, "D": model.frame.target, "I": model.frame.input]
        try JSONSerialization.data(withJSONObject: shape).write(to: folder.appendingPathComponent("case.json"))
        for (name, values) in [("frames", frames), ("state", state), ("targets", targets), ("head", head),
                               ("final", final), ("nll", nll)] {
            try write(values, folder.appendingPathComponent("\(name).f32"))
        }
        let (status, stdout, stderr) = try EvalProcess.run(try python(),
                                                           [root.appendingPathComponent("tools/check-onnx.py").path, folder.path])
        #expect(status == 0, "onnxruntime disagrees with rawspeech:\n\(stdout)\(stderr)")
    }

    @Test(arguments: [
        ModelConfig(cell: .tanh, units: 7, components: 3),
        ModelConfig(cell: .gru, units: 6, components: 3, gruForm: .paper),
        ModelConfig(cell: .gru, units: 6, components: 3, gruForm: .cudnn),
        ModelConfig(cell: .lstm, units: 5, components: 3),
        ModelConfig(cell: .gru, units: 5, layers: 2, components: 2, gruForm: .paper),
        ModelConfig(cell: .lstm, units: 4, layers: 2, components: 2),
        ModelConfig(cell: .tanh, units: 4, layers: 2, components: 2),
    ])
    func recurrentModelsMatchOnnxruntime(config: ModelConfig) throws {
        try Self.check(config, seed: UInt64(config.units * 31 + config.layers))
    }

    @Test func linearBaselineMatchesOnnxruntime() throws {
        let T = 6, B = 2, I = 20, D = 10
        var rng = SeededGenerator(seed: 3)
        var parameters = (0 ..< D * I + D).map { _ in Float(rng.nextGaussian() * 0.1) }
        parameters += (0 ..< D).map { _ in Float(0.5 + rng.nextUniform()) }
        let predictor = LinearPredictor(parameters: parameters)
        let normalization = Normalization(mean: -0.02, std: 0.1)
        let model = TrainedModel(kind: .linear, config: ModelConfig(cell: .gru, units: 0), parameters: parameters,
                                 normalization: normalization, sampleRate: 8_000, frame: .paper)
        let frames = (0 ..< T * B * I).map { _ in Float(rng.nextGaussian() * 0.1) }
        let targets = (0 ..< T * B * D).map { _ in Float(rng.nextGaussian()) }
        var head: [Float] = [], nll: [Float] = []
        for row in 0 ..< T * B {
            let input = frames[row * I ..< (row + 1) * I].map(normalization.normalize)
            let target = Array(targets[row * D ..< (row + 1) * D])
            head += [0] + predictor.predict(input: input) + parameters[D * I + D ..< D * I + 2 * D].map { Foundation.log($0) }
            nll.append(predictor.nll(input: input, target: target))
        }
        try Self.run(model, T: T, B: B, S: 0, K: 1, frames: frames, state: [], targets: targets,
                     head: head, final: [], nll: nll)
    }

    @Test func badInputsAreClearErrorsAndWriteNothing() throws {
        let scratch = ScratchFolder()
        let cli = CommandLineTests()
        let notAModel = scratch.file("junk.ckpt")
        try Data("not a model".utf8).write(to: notAModel)
        let out = scratch.file("out.onnx")
        let junk = try cli.run(["export", notAModel.path, "--output", out.path])
        #expect(junk.status != 0 && junk.stderr.contains(notAModel.path), "\(junk.stderr)")
        let emptyRun = scratch.file("run")
        try FileManager.default.createDirectory(at: emptyRun, withIntermediateDirectories: true)
        let noModel = try cli.run(["export", emptyRun.path, "--output", out.path])
        #expect(noModel.status != 0 && noModel.stderr.contains("no model.ckpt"), "\(noModel.stderr)")
        let nowhere = scratch.file("missing-folder/out.onnx")
        let missing = try cli.run(["export", notAModel.path, "--output", nowhere.path])
        #expect(missing.status != 0 && missing.stderr.contains("missing-folder"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).allSatisfy { !$0.hasSuffix(".tmp") })
    }
}

/// docs/EXPORT.md's example, run as a user would: its NLL on a WAV file equals `rawspeech
/// score`'s (normalized units) to 1e-4.
@Suite(.serialized) struct ONNXExampleTests {
    /// The ```python block of docs/EXPORT.md.
    static func example() throws -> String {
        let doc = try String(contentsOf: ONNXExportTests.root.appendingPathComponent("docs/EXPORT.md"), encoding: .utf8)
        let parts = doc.components(separatedBy: "```python\n")
        guard parts.count == 2, let code = parts[1].components(separatedBy: "```").first else {
            throw ONNXExportTests.CheckFailed("docs/EXPORT.md: expected one ```python block")
        }
        return code
    }

    @Test func exampleScoresAsRawspeechDoes() throws {
        let scratch = ScratchFolder()
        let run = scratch.file("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try Checkpoint.writeModel(ScoringModels.gru, to: run.appendingPathComponent("model.ckpt"))
        let wav = scratch.file("speech.wav")
        try AudioFile.write(ScoringModels.waveform(seconds: 0.7, seed: 11), sampleRate: 16_000, to: wav)
        let cli = CommandLineTests()
        let onnx = scratch.file("model.onnx")
        let exported = try cli.run(["export", run.path, "--output", onnx.path])
        #expect(exported.status == 0, "\(exported.stderr)")
        let json = scratch.file("score.json")
        let scored = try cli.run(["score", run.path, wav.path, "--json", json.path])
        #expect(scored.status == 0, "\(scored.stderr)")
        let report = try ScoreReport.decode(Data(contentsOf: json))
        let expected = try #require(report.files.first?.scores?.normalized?.nllPerFrame)

        let script = scratch.file("score_onnx.py")
        try Self.example().write(to: script, atomically: true, encoding: .utf8)
        let (status, stdout, stderr) = try EvalProcess.run(try ONNXExportTests.python(), [script.path, onnx.path, wav.path])
        #expect(status == 0, "\(stderr)")
        let field = stdout.components(separatedBy: "nll_per_frame ").dropFirst().first?.split(separator: " ").first
        let got = try #require(field.flatMap { Double($0) }, "no NLL in: \(stdout)")
        #expect(abs(got - expected) <= 1e-4, "example \(got), rawspeech score \(expected)")
        #expect(stdout.contains("frames \(report.files.first?.scores?.frames ?? -1) "), "\(stdout)")
    }
}
