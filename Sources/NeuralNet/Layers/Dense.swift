/// A fully connected layer computing `Z = W·A_prev + b`, one column per example.
public struct Dense<T: NetScalar>: Sendable, Equatable {
    /// (outputCount, inputCount) — the tutorials' W_l.
    public var weights: Matrix<T>
    /// (outputCount, 1) — b_l, broadcast over columns.
    public var bias: Matrix<T>

    /// Loss gradients for the parameters, in the parameters' shapes.
    public struct Gradients: Sendable, Equatable {
        /// (outputCount, inputCount) — dW_l.
        public var weights: Matrix<T>
        /// (outputCount, 1) — db_l.
        public var bias: Matrix<T>

        /// Zero gradients shaped like `layer`'s parameters.
        public init(zeroLike layer: Dense<T>) {
            weights = Matrix(rows: layer.outputCount, columns: layer.inputCount)
            bias = Matrix(rows: layer.outputCount, columns: 1)
        }
    }

    /// A layer with the given parameters.
    /// - Throws: `NeuralNetError.shapeMismatch` unless `bias` is (weights.rows, 1).
    public init(weights: Matrix<T>, bias: Matrix<T>) throws {
        guard bias.rows == weights.rows, bias.columns == 1 else {
            throw NeuralNetError.shapeMismatch(
                what: "bias", expected: "(\(weights.rows), 1)", found: "(\(bias.rows), \(bias.columns))")
        }
        self.weights = weights
        self.bias = bias
    }

    /// n_l, the number of units.
    public var outputCount: Int { weights.rows }
    /// n_{l−1}, the number of inputs.
    public var inputCount: Int { weights.columns }
}
