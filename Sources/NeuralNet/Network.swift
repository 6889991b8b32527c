/// A fully connected network: the layer stack with its hidden activation and output layer.
public struct Network<T: NetScalar>: Sendable, Equatable {
    /// Widths, activation and output of the stack.
    public let architecture: Architecture
    /// W_1, b_1 … W_L, b_L.
    public internal(set) var layers: [Dense<T>]

    /// A freshly initialised network.
    ///
    /// With `seed`, reseeds `random` first (`np.random.seed(seed)`); then draws W_1 … W_L in
    /// order. Biases start at zero.
    public init(architecture: Architecture, initializer: Initializer,
                seed: UInt32? = nil, drawOrder: WeightDrawOrder = .outIn, random: inout NumpyRandom) {
        if let seed { random.seed(seed) }
        let sizes = architecture.layerSizes
        self.architecture = architecture
        layers = (1..<sizes.count).map { l in
            let weights: Matrix<T> = initializer.makeWeights(rows: sizes[l], columns: sizes[l - 1], order: drawOrder,
                                                             random: &random)
            // The bias shape matches by construction.
            return Dense(uncheckedWeights: weights, bias: Matrix(rows: sizes[l], columns: 1))
        }
    }

    /// A network with given parameters (for example NumPy's, in a test).
    /// - Throws: `NeuralNetError.shapeMismatch` unless each layer is (n_l, n_{l−1}) and (n_l, 1).
    public init(architecture: Architecture, layers: [Dense<T>]) throws {
        let sizes = architecture.layerSizes
        guard layers.count == sizes.count - 1 else {
            throw NeuralNetError.shapeMismatch(
                what: "network", expected: "\(sizes.count - 1) layers", found: "\(layers.count)")
        }
        for (index, layer) in layers.enumerated() {
            let l = index + 1
            guard layer.weights.rows == sizes[l], layer.weights.columns == sizes[l - 1] else {
                throw NeuralNetError.shapeMismatch(
                    what: "W\(l)", expected: "(\(sizes[l]), \(sizes[l - 1]))",
                    found: "(\(layer.weights.rows), \(layer.weights.columns))")
            }
        }
        self.architecture = architecture
        self.layers = layers
    }

    /// Zero gradients, one per layer.
    func makeGradients() -> [Dense<T>.Gradients] {
        layers.map { Dense<T>.Gradients(zeroLike: $0) }
    }
}

extension Dense {
    /// A layer whose shapes are known to agree.
    init(uncheckedWeights weights: Matrix<T>, bias: Matrix<T>) {
        self.weights = weights
        self.bias = bias
    }
}
