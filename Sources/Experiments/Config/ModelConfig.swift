import NeuralNet

/// `model:` — hidden layers, activation, output layer and initialiser.
///
///     model: {hidden: [5, 5], activation: relu, output: sigmoid, init: {normal: 0.01, seed: 1}}
///     model: {depth: 3, width: 20, activation: tanh, init: xavier}
public struct ModelConfig: Codable, Sendable, Hashable {
    /// n_1 … n_{L−1}; from `hidden:` or from `depth` × `width`.
    public var hidden: [Int]
    public var activation: Activation
    /// `sigmoid` (binary) or `softmax` (its class count comes from the data).
    public var output: OutputKind
    public var initializer: Initializer
    /// Reseed before initialising (`np.random.seed(s)`); nil: the run's `seed`.
    public var initSeed: UInt32?
    /// The order the weights are drawn in (nil: out_in, the course's; in_out: cs231n's).
    public var initOrder: WeightDrawOrder?

    public enum OutputKind: String, Codable, Sendable, Hashable { case sigmoid, softmax }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case hidden, depth, width, activation, leakySlope = "leaky_slope", output
        case initializer = "init"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let hasDepthOrWidth = container.contains(.depth) || container.contains(.width)
        if container.contains(.hidden) {
            if hasDepthOrWidth {
                throw try container.superDecoder(forKey: .hidden).valueError(
                    "give either 'hidden' or 'depth' and 'width', not both")
            }
            hidden = try container.decode([Int].self, forKey: .hidden)
            // params.npz holds two arrays a layer in a ZIP of at most 65 535 entries.
            if hidden.count > 1000 {
                throw try container.superDecoder(forKey: .hidden).valueError(
                    "'hidden' may list at most 1000 layers; found \(hidden.count)")
            }
            for width in hidden where width < 1 {
                throw try container.superDecoder(forKey: .hidden).valueError(
                    "'hidden' widths must be integers ≥ 1; found \(width)")
            }
        } else if hasDepthOrWidth {
            guard container.contains(.depth), container.contains(.width) else {
                throw decoder.valueError("'depth' and 'width' go together; found only '\(container.contains(.depth) ? "depth" : "width")'")
            }
            let depth = try container.decodeNumber(Int.self, forKey: .depth, expected: "an integer in 0...1000") { (0...1000).contains($0) }
            let width = try container.decodeNumber(Int.self, forKey: .width, expected: "an integer ≥ 1") { $0 >= 1 }
            hidden = Array(repeating: width, count: depth)
        } else {
            throw decoder.valueError("missing required key 'hidden' (or 'depth' and 'width') in 'model'")
        }
        let slope = try container.decodeNumberIfPresent(
            Double.self, forKey: .leakySlope, expected: "a finite number > 0") { $0.isFinite && $0 > 0 }
        activation = try container.decodeChoice(
            ["relu": .relu, "tanh": .tanh, "sigmoid": .sigmoid,
             "leaky_relu": .leakyRelu(slope: slope ?? Activation.defaultLeakySlope), "identity": .identity],
            forKey: .activation)
        output = try container.decodeChoiceIfPresent(["sigmoid": .sigmoid, "softmax": .softmax], forKey: .output)
            ?? .sigmoid
        if container.contains(.initializer) {
            let spec = try container.decode(InitSpec.self, forKey: .initializer)
            initializer = spec.initializer
            initSeed = spec.seed
            initOrder = spec.order
        } else {
            initializer = .normal(scale: 0.01)
            initSeed = nil
            initOrder = nil
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        try container.encode(hidden, forKey: AnyKey("hidden"))
        // The name alone ("leaky_relu", not "leaky_relu(0.2)"): the slope has its own key, and
        // the record must decode again.
        if case .leakyRelu = activation {
            try container.encode("leaky_relu", forKey: AnyKey("activation"))
        } else {
            try container.encode(activation.description, forKey: AnyKey("activation"))
        }
        if case .leakyRelu(let slope) = activation { try container.encode(slope, forKey: AnyKey("leaky_slope")) }
        try container.encode(output, forKey: AnyKey("output"))
        try container.encode(InitSpec(initializer: initializer, seed: initSeed, order: initOrder), forKey: AnyKey("init"))
    }
}

/// `init:` — a scheme name (`xavier`) or a mapping with one scheme, an optional seed and an
/// optional draw order: `{normal: 0.01, seed: 1}`, `{he: true, seed: 3}`,
/// `{normal: 0.001, seed: 1, order: in_out}` (cs231n's `randn(input_dim, hidden_dim)`).
struct InitSpec: Codable {
    var initializer: Initializer
    var seed: UInt32?
    /// nil: out_in, the default (not written, so run ids stay as they were).
    var order: WeightDrawOrder?

    static let schemes = ["normal", "xavier", "he", "zeros"]

    init(initializer: Initializer, seed: UInt32?, order: WeightDrawOrder?) {
        self.initializer = initializer
        self.seed = seed
        self.order = order == .outIn ? nil : order
    }

    init(from decoder: Decoder) throws {
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            guard let scheme = Self.scheme(named: name, scale: 0.01) else {
                throw decoder.valueError("'init' must be one of \(Self.schemes.joined(separator: ", ")); found '\(name)'")
            }
            initializer = scheme
            seed = nil
            order = nil
            return
        }
        let container = try decoder.container(keyedBy: AnyKey.self)
        let named = container.allKeys.filter { Self.schemes.contains($0.stringValue) }
        guard named.count == 1, let key = named.first else {
            throw decoder.valueError(
                "'init' must name exactly one of \(Self.schemes.joined(separator: ", ")); found \(named.count)")
        }
        var scale = 0.01
        if key.stringValue == "normal" {
            scale = try container.decode(Double.self, forKey: key)
            guard scale.isFinite, scale > 0 else {
                throw try container.superDecoder(forKey: key).valueError("'normal' scale must be a finite number > 0; found \(scale)")
            }
        }
        initializer = Self.scheme(named: key.stringValue, scale: scale) ?? .zeros
        seed = try container.decodeIfPresent(UInt32.self, forKey: AnyKey("seed"))
        let drawOrder = try container.decodeChoiceIfPresent(["out_in": WeightDrawOrder.outIn, "in_out": .inOut],
                                                            forKey: AnyKey("order"))
        // zeros draws nothing: an order would only change the run's id.
        order = drawOrder == .outIn || initializer == .zeros ? nil : drawOrder
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        switch initializer {
        case .normal(let scale): try container.encode(scale, forKey: AnyKey("normal"))
        case .xavier: try container.encode(true, forKey: AnyKey("xavier"))
        case .he: try container.encode(true, forKey: AnyKey("he"))
        case .zeros: try container.encode(true, forKey: AnyKey("zeros"))
        }
        try container.encodeIfPresent(seed, forKey: AnyKey("seed"))
        try container.encodeIfPresent(order?.rawValue, forKey: AnyKey("order"))
    }

    private static func scheme(named name: String, scale: Double) -> Initializer? {
        switch name {
        case "normal": return .normal(scale: scale)
        case "xavier": return .xavier
        case "he": return .he
        case "zeros": return .zeros
        default: return nil
        }
    }
}
