// `rawspeech export MODEL --output model.onnx`: a trained model as one ONNX graph
// (Export/ONNXExport), for onnxruntime, PyTorch and C++ inference engines. This file parses
// flags, checks paths and prints; the graph is the library's.
import ArgumentParser
import Foundation
import RawSpeechCore
import RawSpeechExport
import RawSpeechNetwork
import RawSpeechTraining

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a trained model as an ONNX graph (frames in, the mixture's parameters out).",
        discussion: """
        The graph takes `frames` (T, B, 20) in waveform units and `initial_state` (B, S), applies \
        the model's normalization, runs the cells and the mixture-density head, and returns \
        `mixture_logits` (T, B, K), `means` and `log_stds` (T, B, K, 10) in normalized units \
        (sigma = sigma_floor + exp(log_std)) and `final_state` (B, S). T and B are dynamic; the \
        metadata names the cell, sizes, frame spec, sample rate, normalization and sigma floor. \
        ONNX opset \(ONNXExport.opsetVersion), IR version \(ONNXExport.irVersion). docs/EXPORT.md \
        shows how to score a WAV file with it in onnxruntime.
        """)

    @Argument(help: ArgumentHelp("A run folder from `rawspeech train`, or a model file.", valueName: "MODEL"))
    var model: String

    @Option(name: .shortAndLong, help: ArgumentHelp("The ONNX file to write (its folder must exist).", valueName: "FILE.onnx"))
    var output: String

    func run() throws {
        let outputURL = URL(fileURLWithPath: output)
        let folder = outputURL.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            printError("error: --output: \(folder.path): no such folder")
            throw ExitCode.failure
        }
        let trained: TrainedModel
        do {
            trained = try Checkpoint.loadModel(from: URL(fileURLWithPath: model))
        } catch {
            printError("error: \(error)")
            throw ExitCode.failure
        }
        do {
            try ONNXExport.write(trained, to: outputURL, revision: RunDescription.gitRevision())
        } catch {
            printError("error: \(output): \(error)")
            throw ExitCode.failure
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: outputURL.path)[.size] as? Int) ?? 0
        let name = trained.kind == .linear ? "linear baseline" : "\(trained.config.cell.rawValue)-\(trained.config.units)"
            + (trained.config.layers > 1 ? "x\(trained.config.layers)" : "")
        print("wrote \(output): \(name), \(trained.parameters.count) parameters, \(size) bytes (ONNX opset \(ONNXExport.opsetVersion))")
    }
}
