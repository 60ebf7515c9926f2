// A small builder over the generated ONNX messages (ONNX/onnx.pb.swift, made from the
// onnx package's onnx.proto by tools/generate-onnx-swift): named float and int64 constants,
// nodes with attributes, typed graph inputs and outputs. It only assembles messages;
// encoding is swift-protobuf's. Nothing here knows rawspeech's models (ONNXExport does).
import Foundation
import SwiftProtobuf

/// A dimension of a graph input or output: fixed, or named and dynamic ("T", "B").
enum ONNXDimension {
    case fixed(Int)
    case dynamic(String)
}

/// An ONNX graph under construction.
struct ONNXGraph {
    private(set) var graph = Onnx_GraphProto()
    private var counter = 0

    init(name: String) { graph.name = name }

    /// A fresh value name with a readable stem ("layer0.h0_3").
    mutating func fresh(_ stem: String) -> String {
        counter += 1
        return "\(stem)_\(counter)"
    }

    /// A float32 constant (an initializer) of `dims`, little-endian raw data.
    @discardableResult
    mutating func constant(_ name: String, _ values: [Float], dims: [Int]) -> String {
        precondition(dims.reduce(1, *) == values.count, "\(name): \(values.count) values for dims \(dims)")
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.dims = dims.map(Int64.init)
        tensor.rawData = values.withUnsafeBufferPointer { buffer in
            Data(buffer: UnsafeBufferPointer(start: buffer.baseAddress, count: buffer.count))
        }
        graph.initializer.append(tensor)
        return name
    }

    /// An int64 constant (shapes, axes, split sizes).
    @discardableResult
    mutating func integers(_ name: String, _ values: [Int]) -> String {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        tensor.dims = [Int64(values.count)]
        tensor.int64Data = values.map(Int64.init)
        graph.initializer.append(tensor)
        return name
    }

    /// Appends a node; `inputs` may hold "" for an omitted optional input.
    mutating func node(_ op: String, _ inputs: [String], _ outputs: [String],
                       ints: [String: Int] = [:], intLists: [String: [Int]] = [:], strings: [String: [String]] = [:]) {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = fresh(op)
        node.input = inputs
        node.output = outputs
        for (name, value) in ints.sorted(by: { $0.key < $1.key }) {
            var attribute = Onnx_AttributeProto()
            attribute.name = name
            attribute.type = .int
            attribute.i = Int64(value)
            node.attribute.append(attribute)
        }
        for (name, values) in intLists.sorted(by: { $0.key < $1.key }) {
            var attribute = Onnx_AttributeProto()
            attribute.name = name
            attribute.type = .ints
            attribute.ints = values.map(Int64.init)
            node.attribute.append(attribute)
        }
        for (name, values) in strings.sorted(by: { $0.key < $1.key }) {
            var attribute = Onnx_AttributeProto()
            attribute.name = name
            attribute.type = .strings
            attribute.strings = values.map { Data($0.utf8) }
            node.attribute.append(attribute)
        }
        graph.node.append(node)
    }

    /// One node with one output, named freshly from `stem`; returns the output's name.
    mutating func apply(_ op: String, _ inputs: [String], _ stem: String, ints: [String: Int] = [:]) -> String {
        let output = fresh(stem)
        node(op, inputs, [output], ints: ints)
        return output
    }

    mutating func input(_ name: String, _ dims: [ONNXDimension]) { graph.input.append(Self.valueInfo(name, dims)) }
    mutating func output(_ name: String, _ dims: [ONNXDimension]) { graph.output.append(Self.valueInfo(name, dims)) }

    private static func valueInfo(_ name: String, _ dims: [ONNXDimension]) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { dimension in
            var dim = Onnx_TensorShapeProto.Dimension()
            switch dimension {
            case .fixed(let value): dim.dimValue = Int64(value)
            case .dynamic(let label): dim.dimParam = label
            }
            return dim
        }
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        return info
    }
}
