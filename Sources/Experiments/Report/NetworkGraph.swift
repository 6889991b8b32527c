import Foundation
import NeuralNet

/// The picture of a network the backprop tutorial draws: the input, each layer with its
/// parameters' shapes (W n_l×n_{l−1}, b n_l×1) and activation, the output and its loss; forward
/// arrows (Z = W·A + b, A = g(Z)) and, dashed, the backward flow (dZ, dW, db).
public struct NetworkGraph: Sendable {
    public var architecture: Architecture
    /// What hidden layers are labelled with (default: the architecture's activation; a report
    /// drawing one shape trained with several names them all).
    public var activationLabel: String?

    public init(_ architecture: Architecture, activationLabel: String? = nil) {
        self.architecture = architecture
        self.activationLabel = activationLabel
    }

    /// At most this many layers are drawn; the middle of a deeper network is elided.
    static let maximumDrawn = 10

    struct Node {
        var title: String
        var lines: [String]
    }

    /// The nodes in order: input, layers (elided in the middle when deep), cost.
    var nodes: [Node] {
        let sizes = architecture.layerSizes
        let count = sizes.count - 1
        var nodes = [Node(title: "X (input)", lines: ["\(sizes[0]) × m"])]
        let shown: [Int?] = count <= Self.maximumDrawn ? Array(1...count)
            : Array(1...(Self.maximumDrawn / 2)) + [nil] + Array((count - Self.maximumDrawn / 2 + 1)...count)
        for layer in shown {
            guard let layer else {
                nodes.append(Node(title: "…", lines: ["\(count - Self.maximumDrawn) more layers"]))
                continue
            }
            let isOutput = layer == count
            let activation: String
            switch architecture.output {
            case .sigmoid where isOutput: activation = "sigmoid"
            case .softmax where isOutput: activation = "softmax"
            default: activation = activationLabel ?? architecture.hiddenActivation.description
            }
            nodes.append(Node(title: isOutput ? "layer \(layer) (output)" : "layer \(layer)",
                              lines: ["W\(layer) \(sizes[layer])×\(sizes[layer - 1])", "b\(layer) \(sizes[layer])×1", activation]))
        }
        let loss: String
        switch architecture.output {
        case .sigmoid: loss = "binary cross-entropy"
        case .softmax: loss = "cross-entropy"
        }
        nodes.append(Node(title: "cost J", lines: [loss]))
        return nodes
    }

    /// Parameters in all: Σ n_l·(n_{l−1} + 1).
    var parameterCount: Int { architecture.parameterCount }

    public func svg(title: String? = nil) -> String {
        let nodes = self.nodes
        let boxWidth = 132.0, boxHeight = 78.0, gap = 46.0, top = 54.0, left = 16.0
        var canvas = SVGCanvas(width: left * 2 + Double(nodes.count) * boxWidth + Double(nodes.count - 1) * gap,
                               height: top + boxHeight + 78)
        canvas.text(left, 22, title ?? "Network \(architecture.layerSizes.map(String.init).joined(separator: "-"))"
                    + " (\(parameterCount) parameters)", size: 14, bold: true)
        for (index, node) in nodes.enumerated() {
            let x = left + Double(index) * (boxWidth + gap)
            let isEdge = index == 0 || index == nodes.count - 1
            canvas.rect(x, top, boxWidth, boxHeight, fill: isEdge ? "#f4f4f4" : "#E8F1F8", stroke: "#0072B2", strokeWidth: 1.2)
            canvas.text(x + boxWidth / 2, top + 18, node.title, size: 12, anchor: .middle, bold: true)
            for (line, text) in node.lines.enumerated() {
                canvas.text(x + boxWidth / 2, top + 36 + Double(line) * 15, text, size: 11, anchor: .middle)
            }
            guard index + 1 < nodes.count else { continue }
            // Forward (solid, above) and backward (dashed, below) arrows to the next node.
            let start = x + boxWidth, end = start + gap
            let forwardY = top + boxHeight * 0.35, backwardY = top + boxHeight * 0.7
            canvas.line(start + 2, forwardY, end - 4, forwardY, stroke: "#222", width: 1.4)
            canvas.line(end - 9, forwardY - 4, end - 3, forwardY, stroke: "#222", width: 1.4)
            canvas.line(end - 9, forwardY + 4, end - 3, forwardY, stroke: "#222", width: 1.4)
            canvas.line(start + 4, backwardY, end - 2, backwardY, stroke: "#D55E00", width: 1.4, dash: "4 3")
            canvas.line(start + 3, backwardY, start + 9, backwardY - 4, stroke: "#D55E00", width: 1.4)
            canvas.line(start + 3, backwardY, start + 9, backwardY + 4, stroke: "#D55E00", width: 1.4)
        }
        let legendY = top + boxHeight + 30
        canvas.line(left, legendY, left + 30, legendY, stroke: "#222", width: 1.4)
        canvas.text(left + 36, legendY + 4, "forward: Z[l] = W[l]·A[l−1] + b[l], A[l] = g(Z[l]) (cached for the backward pass)", size: 11)
        canvas.line(left, legendY + 20, left + 30, legendY + 20, stroke: "#D55E00", width: 1.4, dash: "4 3")
        canvas.text(left + 36, legendY + 24, "backward: dZ[l], dW[l] = dZ[l]·A[l−1]ᵀ / m, db[l], dA[l−1] = W[l]ᵀ·dZ[l]", size: 11)
        return canvas.document(title: "Network graph")
    }

    /// Graphviz's DOT, for `dot -Tpng`.
    public func dot() -> String {
        let nodes = self.nodes
        var text = "digraph network {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"DejaVu Sans\"];\n"
        for (index, node) in nodes.enumerated() {
            let label = ([node.title] + node.lines).map { $0.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"") }.joined(separator: "\\n")
            text += "  n\(index) [label=\"\(label)\"];\n"
        }
        for index in 0..<(nodes.count - 1) {
            text += "  n\(index) -> n\(index + 1) [label=\"forward\"];\n"
            text += "  n\(index + 1) -> n\(index) [label=\"backward\", style=dashed, color=\"#D55E00\"];\n"
        }
        return text + "}\n"
    }
}
