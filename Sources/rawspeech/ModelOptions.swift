// Flags that choose a model's shape (`train`, `bench train`), and the argument types every
// command that names a cell, a GRU form or a parameter budget shares. Every option is nil
// unless given, so a resumed run can tell a flag the user passed from a default; the
// defaults themselves are TrainingConfig's, shown in the help from there.
import ArgumentParser
import RawSpeechNetwork
import RawSpeechTraining

/// A cell name on the command line: one of the recurrent units, or the linear baseline.
enum CellChoice: String, ExpressibleByArgument, CaseIterable {
    case tanh, gru, lstm, linear

    var cell: Cell? { Cell(rawValue: rawValue) }
}

/// A parameter count such as `169k`, `1.2M` or `169000`.
struct ParameterBudget: ExpressibleByArgument, CustomStringConvertible {
    let value: Int

    init(value: Int) { self.value = value }

    init?(argument: String) {
        let text = argument.lowercased()
        let scale: Double = text.hasSuffix("k") ? 1e3 : text.hasSuffix("m") ? 1e6 : 1
        // Finite and at most TrainingLimits.budget: Int(inf) traps, and a budget of 2^63
        // would search units for ever.
        guard let number = Double(scale == 1 ? text : String(text.dropLast())), number > 0,
              number * scale <= Double(TrainingLimits.budget.upperBound) else { return nil }
        value = max(1, Int((number * scale).rounded()))
    }

    /// As it would be typed: `169k`, `20.3k`, or `169001`.
    var description: String {
        if value % 1000 == 0 { return "\(value / 1000)k" }
        if value >= 1000 && value % 100 == 0 { return "\(value / 1000).\(value % 1000 / 100)k" }
        return "\(value)"
    }

    var defaultValueDescription: String { description }
}

extension Double {
    /// 5, 0.075, 0.001: a default as a person would write it in help text.
    var formatted: String { String(format: "%g", self) }
}

extension Cell: ExpressibleByArgument {}
extension GRUForm: ExpressibleByArgument {}

extension ArgumentHelp {
    /// `text`, then the default as argument-parser prints it for an option that has one
    /// (the options here are optional, so that a resumed run sees which were given).
    static func text(_ text: String, default value: some CustomStringConvertible) -> ArgumentHelp {
        ArgumentHelp("\(text) (default: \(value))")
    }
}

struct ModelOptions: ParsableArguments {
    private static let defaults = TrainingConfig.defaults.model

    @Option(help: .text("Recurrent unit, or linear: the closed-form linear-prediction baseline.",
                        default: TrainingConfig.defaultCell.rawValue))
    var cell: CellChoice?

    @Option(help: "Hidden units per layer (default: from --params).")
    var units: Int?

    @Option(help: .text("Recurrent-parameter budget, e.g. 169k (the paper's: tanh 400, GRU 227, LSTM 195 units). "
                        + "On a music folder the default is \(ParameterBudget(value: TrainingConfig.musicDefaultBudget)) "
                        + "counted with \(ModelConfig.musicBudgetInputs) inputs: the paper's music sizes, tanh 100, GRU 46, LSTM 36.",
                        default: ParameterBudget(value: TrainingConfig.defaultBudget)))
    var params: ParameterBudget?

    @Option(help: .text("Stacked recurrent layers.", default: defaults.layers))
    var layers: Int?

    @Option(help: .text("Mixture components of the output density (the paper's 20).", default: defaults.components))
    var components: Int?

    @Option(name: .customLong("gru-form"),
            help: .text("GRU equations: paper (reset before U) or cudnn (PyTorch's).", default: defaults.gruForm.rawValue))
    var gruForm: GRUForm?

    @Option(name: .customLong("sigma-floor"),
            help: .text("Smallest mixture standard deviation, normalized units.", default: defaults.sigmaFloor))
    var sigmaFloor: Float?

    func validate() throws {
        if units != nil && params != nil {
            throw ValidationError("give --units or --params, not both")
        }
        if cell == .linear {
            let shaped: [(String, Bool)] = [("--units", units != nil), ("--params", params != nil), ("--layers", layers != nil),
                                            ("--components", components != nil), ("--gru-form", gruForm != nil),
                                            ("--sigma-floor", sigmaFloor != nil)]
            if let (flag, _) = shaped.first(where: { $0.1 }) {
                throw ValidationError("--cell linear takes no \(flag): the linear baseline has no recurrent layers or mixture")
            }
        }
        try check("--units", units, in: TrainingLimits.units)
        try check("--layers", layers, in: TrainingLimits.layers)
        try check("--components", components, in: TrainingLimits.components)
        try check("--sigma-floor", sigmaFloor, in: TrainingLimits.sigmaFloor, "positive, at most 10")
    }

    /// Writes the given flags into `settings`.
    func apply(to settings: inout TrainingSettings) {
        if cell == .linear { settings.linear = true } else { settings.cell = cell?.cell }
        settings.units = units
        settings.budget = params?.value
        settings.layers = layers
        settings.components = components
        settings.gruForm = gruForm
        settings.sigmaFloor = sigmaFloor
    }
}
