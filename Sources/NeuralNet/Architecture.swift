/// The shape of a network: input width, hidden widths and activation, output layer.
public struct Architecture: Sendable, Hashable {
    /// n_0, the number of input features.
    public var inputCount: Int
    /// n_1 … n_{L−1}.
    public var hiddenSizes: [Int]
    /// g for every hidden layer.
    public var hiddenActivation: Activation
    /// The output layer and its loss.
    public var output: OutputLayer

    /// A validated architecture.
    /// - Throws: `NeuralNetError.invalidWidth` for a width ≤ 0 (layer 0 is the input).
    public init(inputCount: Int, hiddenSizes: [Int], hiddenActivation: Activation, output: OutputLayer) throws {
        guard inputCount > 0 else { throw NeuralNetError.invalidWidth(layer: 0, found: inputCount) }
        for (index, width) in hiddenSizes.enumerated() where width <= 0 {
            throw NeuralNetError.invalidWidth(layer: index + 1, found: width)
        }
        // Sizes are bounded so that every count derived from them (parameters, FLOPs, bytes)
        // fits in 64 bits: a layer of more than 2^31 units or a network of more than 2^40
        // parameters (8 TiB in float64) is refused here, before anything is allocated.
        let limit = 1 << 31
        for (index, width) in hiddenSizes.enumerated() where width > limit {
            throw NeuralNetError.invalidHyperparameter(
                name: "hidden[\(index)]", expected: "a width of at most \(limit) units", found: "\(width)")
        }
        guard inputCount <= limit else { throw NeuralNetError.invalidWidth(layer: 0, found: inputCount) }
        let sizes = [inputCount] + hiddenSizes + [output.unitCount]
        var parameters = 0
        for l in 1..<sizes.count {
            // n_l·n_{l−1} + n_l, each factor < 2^31, so the product cannot overflow.
            let (sum, overflow) = parameters.addingReportingOverflow(sizes[l] * sizes[l - 1] + sizes[l])
            guard !overflow, sum <= 1 << 40 else {
                throw NeuralNetError.invalidHyperparameter(
                    name: "hidden", expected: "a network of at most 2^40 parameters",
                    found: "\(hiddenSizes) on \(inputCount) inputs (more than 2^40 parameters)")
            }
            parameters = sum
        }
        if case .softmax(let classes) = output, classes < 2 {
            throw NeuralNetError.invalidHyperparameter(
                name: "classes", expected: "at least 2 for a softmax output", found: "\(classes)")
        }
        if case .leakyRelu(let slope) = hiddenActivation, !(slope.isFinite && slope > 0) {
            throw NeuralNetError.invalidHyperparameter(
                name: "leaky_slope", expected: "a finite number > 0", found: "\(slope)")
        }
        self.inputCount = inputCount
        self.hiddenSizes = hiddenSizes
        self.hiddenActivation = hiddenActivation
        self.output = output
    }

    /// [n_0, n_1, …, n_L], as the tutorials' `layers_dims`.
    public var layerSizes: [Int] { [inputCount] + hiddenSizes + [output.unitCount] }

    /// L, the number of weight layers.
    public var layerCount: Int { hiddenSizes.count + 1 }

    /// Number of trainable parameters (weights and biases).
    public var parameterCount: Int {
        let sizes = layerSizes
        return (1..<sizes.count).reduce(0) { $0 + sizes[$1] * sizes[$1 - 1] + sizes[$1] }
    }

    /// Matrix-product FLOPs per example per training iteration, by the reference README's
    /// rule: forward `W·A`, backward `dZ·Aᵀ` and `Wᵀ·dZ` at 2·n_l·n_{l−1} each, layer 1's
    /// `Wᵀ·dZ` skipped.
    public var trainingFlopsPerExample: Int {
        let sizes = layerSizes
        return (1..<sizes.count).reduce(0) { total, l in
            total + (l == 1 ? 2 : 3) * 2 * sizes[l] * sizes[l - 1]
        }
    }
}
