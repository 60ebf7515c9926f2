// The network against PyTorch autograd on fixed small weights: forward outputs, loss,
// final state, parameter and input gradients of each cell with the MDN head, and the
// head alone. The fixtures come from tools/make-network-fixtures.py (see its header for
// the format); Double must agree to ~1e-10, Float to 1e-5.
import Foundation
import Testing
@testable import RawSpeechNetwork

/// A fixture file: magic "RSNF", version 1, named float64 records.
struct NetworkFixture {
    let records: [String: [Double]]

    init(_ name: String) throws { try self.init(file: "network-\(name).bin") }

    /// Any fixture file of this format in Fixtures/ (music-*.bin too).
    init(file: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/\(file)")
        let data = try Data(contentsOf: url)
        var offset = 0
        func u32() -> Int {
            defer { offset += 4 }
            return Int(data[offset ..< offset + 4].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        }
        guard data.prefix(4) == Data("RSNF".utf8) else { throw FixtureError.badMagic(url.path) }
        offset = 4
        let version = u32()
        guard version == 1 else { throw FixtureError.badVersion(url.path, version) }
        var records: [String: [Double]] = [:]
        for _ in 0 ..< u32() {
            let nameLength = u32()
            let key = String(decoding: data[offset ..< offset + nameLength], as: UTF8.self)
            offset += nameLength
            let count = u32()
            records[key] = data[offset ..< offset + 8 * count].withUnsafeBytes { raw in
                (0 ..< count).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self) }
            }
            offset += 8 * count
        }
        self.records = records
    }

    subscript(_ key: String) -> [Double] { records[key]! }
}

enum FixtureError: Error {
    case badMagic(String), badVersion(String, Int)
}

@Suite struct NetworkPyTorchFixtureTests {
    static let cases: [(name: String, cell: Cell, form: GRUForm)] = [
        ("tanh", .tanh, .paper), ("gru-paper", .gru, .paper), ("gru-cudnn", .gru, .cudnn),
        ("lstm", .lstm, .paper), ("lstm-2-layers", .lstm, .paper),
    ]

    static func config(_ fixture: NetworkFixture, cell: Cell, form: GRUForm) -> ModelConfig {
        let c = fixture["config"].map { Int($0) }
        return ModelConfig(cell: cell, units: c[1], layers: c[0], components: c[2], inputSize: c[3],
                           targetSize: c[4], gruForm: form, sigmaFloor: Float(fixture["config"][7]))
    }

    /// Runs the fixture's chunk through RecurrentMDN<Scalar> and compares everything.
    func check<Scalar: BLASScalar>(_ type: Scalar.Type, name: String, cell: Cell, form: GRUForm, tolerance: Double) throws {
        let fixture = try NetworkFixture(name)
        let config = Self.config(fixture, cell: cell, form: form)
        let batch = Int(fixture["config"][5]), steps = Int(fixture["config"][6])
        let model = RecurrentMDN<Scalar>(config: config)
        let parameters = fixture["parameters"].map { Scalar($0) }
        #expect(parameters.count == model.parameterCount)
        let workspace = model.makeWorkspace(batch: batch, steps: steps)
        var state = fixture["state"].map { Scalar($0) }
        let loss = model.forward(parameters: parameters, inputs: fixture["inputs"].map { Scalar($0) },
                                 targets: fixture["targets"].map { Scalar($0) }, state: &state,
                                 workspace: workspace, steps: steps)
        var gradient = [Scalar](repeating: 0, count: model.parameterCount)
        model.backward(parameters: parameters, gradient: &gradient, workspace: workspace)
        let expectedGradient = fixture["gradient"], gradientScale = expectedGradient.map(abs).max()!
        let comparisons: [(String, Discrepancy)] = [
            ("loss", Discrepancy([loss], fixture["loss"], floor: 1)),
            ("frame NLL", Discrepancy(workspace.frameNLL, fixture["frame_nll"], floor: 1)),
            ("head outputs", Discrepancy(workspace.headOutputs, fixture["head_outputs"], floor: 1)),
            ("final state", Discrepancy(state, fixture["final_state"], floor: 1)),
            // Gradients relative to their largest entry: Float rounds each at that scale.
            ("gradient", Discrepancy(gradient, expectedGradient, floor: gradientScale)),
            ("input gradient", Discrepancy(workspace.inputGradient, fixture["input_gradient"], floor: gradientScale)),
        ]
        for (what, discrepancy) in comparisons {
            #expect(discrepancy.worst < tolerance, "\(name) \(Scalar.self) \(what): \(discrepancy)")
        }
    }

    @Test(arguments: cases.map(\.name))
    func cellMatchesPyTorch(name: String) throws {
        let entry = Self.cases.first { $0.name == name }!
        try check(Double.self, name: name, cell: entry.cell, form: entry.form, tolerance: 1e-10)
        try check(Float.self, name: name, cell: entry.cell, form: entry.form, tolerance: 1e-5)
    }

    @Test func mixtureHeadMatchesPyTorch() throws {
        let fixture = try NetworkFixture("mdn")
        let K = Int(fixture["config"][0]), D = Int(fixture["config"][1]), frames = Int(fixture["config"][3])
        let floor = fixture["config"][2], O = K * (1 + 2 * D)
        let outputs = fixture["outputs"], targets = fixture["targets"]
        let kernel = MixtureKernel<Double>(components: K, dimensions: D, sigmaFloor: floor)
        var nll = [Double](repeating: 0, count: frames), gradient = [Double](repeating: 0, count: frames * O)
        let storage = MixtureFrameStorage<Double>(components: K, dimensions: D)
        for f in 0 ..< frames {
            outputs.withUnsafeBufferPointer { o in
                targets.withUnsafeBufferPointer { y in
                    gradient.withUnsafeMutableBufferPointer { g in
                        let (logP, logNormaliser) = kernel.forward(outputs: o.baseAddress! + f * O, target: y.baseAddress! + f * D,
                                                                   frame: storage.frame)
                        nll[f] = -logP
                        kernel.gradient(outputs: o.baseAddress! + f * O, target: y.baseAddress! + f * D, frame: storage.frame,
                                        logP: logP, logNormaliser: logNormaliser, scale: 1 / Double(frames),
                                        into: g.baseAddress! + f * O)
                    }
                }
            }
        }
        let nllCheck = Discrepancy(nll, fixture["frame_nll"], floor: 1)
        let gradientCheck = Discrepancy(gradient, fixture["output_gradient"], floor: 1e-6)
        #expect(nllCheck.worst < 1e-10, "\(nllCheck)")
        #expect(gradientCheck.worst < 1e-8, "\(gradientCheck)")
        // The public Float helper on the same frames.
        let mixture = MixtureDensity(components: K, dimensions: D, sigmaFloor: Float(floor))
        let publicNLL = (0 ..< frames).map { f in
            mixture.nll(outputs: outputs[f * O ..< (f + 1) * O].map(Float.init), target: targets[f * D ..< (f + 1) * D].map(Float.init))
        }
        let publicCheck = Discrepancy(publicNLL, fixture["frame_nll"], floor: 1)
        #expect(publicCheck.worst < 1e-5, "\(publicCheck)")
    }
}
