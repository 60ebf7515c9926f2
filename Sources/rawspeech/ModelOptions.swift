// Flags that choose a model's shape (`train`), and the argument types every command that
// names a cell, a GRU form or a parameter budget shares.
import ArgumentParser
import RawSpeechNetwork

/// A cell name on the command line: one of the recurrent units, or the linear baseline.
enum CellChoice: String, ExpressibleByArgument, CaseIterable {
    case tanh, gru, lstm, linear

    var cell: Cell? { Cell(rawValue: rawValue) }
}

/// A parameter count such as `169k`, `1.2M` or `169000`.
struct ParameterBudget: ExpressibleByArgument {
    let value: Int

    init?(argument: String) {
        let text = argument.lowercased()
        let scale: Double = text.hasSuffix("k") ? 1e3 : text.hasSuffix("m") ? 1e6 : 1
        guard let number = Double(scale == 1 ? text : String(text.dropLast())), number > 0 else { return nil }
        value = Int((number * scale).rounded())
    }
}

extension Cell: ExpressibleByArgument {}
extension GRUForm: ExpressibleByArgument {}

struct ModelOptions: ParsableArguments {
    @Option(help: "Recurrent unit, or linear: the closed-form linear-prediction baseline.")
    var cell: CellChoice = .gru

    @Option(help: "Hidden units per layer (default: from --params).")
    var units: Int?

    @Option(help: "Recurrent-parameter budget, e.g. 169k (the paper's: tanh 400, GRU 227, LSTM 195 units).")
    var params: ParameterBudget?

    @Option(help: "Stacked recurrent layers.")
    var layers: Int = 1

    @Option(help: "Mixture components of the output density (the paper's 20).")
    var components: Int = 20

    @Option(name: .customLong("gru-form"), help: "GRU equations: paper (reset before U) or cudnn (PyTorch's).")
    var gruForm: GRUForm = .paper

    @Option(name: .customLong("sigma-floor"), help: "Smallest mixture standard deviation, normalized units.")
    var sigmaFloor: Float = 1e-3

    func validate() throws {
        if units != nil && params != nil {
            throw ValidationError("give --units or --params, not both")
        }
        if let units, units < 1 { throw ValidationError("--units must be at least 1 (got \(units))") }
        if layers < 1 { throw ValidationError("--layers must be at least 1 (got \(layers))") }
        if components < 1 { throw ValidationError("--components must be at least 1 (got \(components))") }
        if !(sigmaFloor > 0) { throw ValidationError("--sigma-floor must be positive (got \(sigmaFloor))") }
    }

    /// The model for frames of `inputSize` -> `targetSize` samples; without --units or
    /// --params, the paper's 169K budget.
    func modelConfig(inputSize: Int = 20, targetSize: Int = 10) -> ModelConfig {
        let cell = self.cell.cell ?? .gru
        let budget = params?.value ?? 169_000
        let units = self.units ?? ModelConfig.units(for: cell, budget: budget, layers: layers,
                                                    inputSize: inputSize, gruForm: gruForm)
        return ModelConfig(cell: cell, units: units, layers: layers, components: components,
                           inputSize: inputSize, targetSize: targetSize, gruForm: gruForm,
                           sigmaFloor: sigmaFloor)
    }
}
