/// The allocating, validating API over the hot path: for tests, evaluation and library users.
extension Network {
    /// What a forward pass keeps for the backward pass: A_1 … A_L and the logits Z_L.
    public struct ForwardPass: Sendable {
        /// A_1 … A_L in the tutorials' shapes (n_l, m); the last is the output probabilities.
        public var activations: [Matrix<T>]
        /// Z_L, (n_L, m).
        public var logits: Matrix<T>
        /// The output probabilities A_L.
        public var output: Matrix<T> { activations[activations.count - 1] }
    }

    /// Checks that `inputs` is (n_0, m) with m ≥ 1 and `labels` has m values in range.
    /// - Throws: `NeuralNetError` saying what was expected and what was found.
    public func validate(inputs: Matrix<T>, labels: [Int32]? = nil) throws {
        guard inputs.rows > 0, inputs.columns > 0 else {
            throw NeuralNetError.emptyData(what: "input matrix (\(inputs.rows), \(inputs.columns))")
        }
        guard inputs.rows == architecture.inputCount else {
            throw NeuralNetError.shapeMismatch(
                what: "input X", expected: "\(architecture.inputCount) rows (features, m)",
                found: "(\(inputs.rows), \(inputs.columns))")
        }
        guard let labels else { return }
        guard labels.count == inputs.columns else {
            throw NeuralNetError.shapeMismatch(
                what: "labels", expected: "one per example: \(inputs.columns)", found: "\(labels.count)")
        }
        try architecture.output.validate(labels: labels)
    }

    /// Forward propagation of every column of `inputs`, returning the caches.
    /// - Throws: `NeuralNetError` for a wrong input shape or empty input.
    public func forward(_ inputs: Matrix<T>) throws -> ForwardPass {
        try validate(inputs: inputs)
        let workspace = Workspace<T>(architecture: architecture, columns: inputs.columns)
        inputs.storage.withUnsafeBufferPointer { x in
            guard let x = x.baseAddress else { return }
            forward(input: x, columns: inputs.columns, workspace: workspace)
        }
        let sizes = architecture.layerSizes
        let activations = workspace.activations.enumerated().map { index, buffer in
            Matrix<T>(uncheckedRows: sizes[index + 1], columns: inputs.columns,
                      storage: Array(UnsafeBufferPointer(start: buffer.pointer, count: buffer.count)))
        }
        let logits = Matrix<T>(
            uncheckedRows: architecture.output.unitCount, columns: inputs.columns,
            storage: Array(UnsafeBufferPointer(start: workspace.logits.pointer, count: workspace.logits.count)))
        return ForwardPass(activations: activations, logits: logits)
    }

    /// One forward pass, the cost and one backward pass over the whole of `inputs`.
    /// - Returns: the cost (with the L2 term) and dW_l, db_l for every layer.
    /// - Throws: `NeuralNetError` for bad shapes, empty data or labels out of range.
    public func costAndGradients(inputs: Matrix<T>, labels: [Int32], regularization: Regularization = .none)
        throws -> (cost: T, gradients: [Dense<T>.Gradients]) {
        try validate(inputs: inputs, labels: labels)
        try regularization.validate()
        let workspace = Workspace<T>(architecture: architecture, columns: inputs.columns)
        var gradients = makeGradients()
        var cost: T = 0
        inputs.storage.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                guard let x = x.baseAddress, let y = y.baseAddress else { return }
                forward(input: x, columns: inputs.columns, workspace: workspace)
                cost = self.cost(labels: y, columns: inputs.columns, workspace: workspace,
                                 regularization: regularization)
                backward(input: x, labels: y, columns: inputs.columns, workspace: workspace,
                         regularization: regularization, gradients: &gradients)
            }
        }
        return (cost, gradients)
    }

    /// The predicted class of every column: 1 when the sigmoid output is > 0.5, else 0;
    /// the argmax for softmax.
    /// - Throws: `NeuralNetError` for a wrong input shape or empty input.
    public func predict(_ inputs: Matrix<T>) throws -> [Int32] {
        try validate(inputs: inputs)
        var predicted = [Int32](repeating: 0, count: inputs.columns)
        let chunk = Swift.min(inputs.columns, Self.evaluationChunk)
        let workspace = Workspace<T>(architecture: architecture, columns: chunk)
        inputs.storage.withUnsafeBufferPointer { x in
            guard let x = x.baseAddress else { return }
            var start = 0
            while start < inputs.columns {
                let width = Swift.min(chunk, inputs.columns - start)
                forward(input: x + start * inputs.rows, columns: width, workspace: workspace)
                predict(columns: width, workspace: workspace)
                for j in 0..<width { predicted[start + j] = workspace.predictions.pointer[j] }
                start += width
            }
        }
        return predicted
    }

    /// The cost (with the L2 term for batch size m) and the accuracy on a labelled set,
    /// evaluated in chunks of at most `chunkColumns` examples so memory stays bounded.
    /// - Throws: `NeuralNetError` for bad shapes, empty data or labels out of range.
    public func evaluate(inputs: Matrix<T>, labels: [Int32], regularization: Regularization = .none,
                         chunkColumns: Int? = nil) throws -> (cost: Double, accuracy: Double) {
        try T.evaluate(self, inputs: inputs, labels: labels, regularization: regularization, chunkColumns: chunkColumns)
    }

    func evaluateSpecialized(inputs: Matrix<T>, labels: [Int32], regularization: Regularization,
                             chunkColumns: Int?) throws -> (cost: Double, accuracy: Double) {
        try validate(inputs: inputs, labels: labels)
        let chunk = Swift.max(1, Swift.min(inputs.columns, chunkColumns ?? Self.evaluationChunk))
        let workspace = Workspace<T>(architecture: architecture, columns: chunk)
        var lossSum: T = 0
        var correct = 0
        inputs.storage.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                guard let x = x.baseAddress, let y = y.baseAddress else { return }
                var start = 0
                while start < inputs.columns {
                    let width = Swift.min(chunk, inputs.columns - start)
                    forward(input: x + start * inputs.rows, columns: width, workspace: workspace)
                    lossSum += dataLossSum(labels: y + start, columns: width, workspace: workspace)
                    correct += correctCount(labels: y + start, columns: width, workspace: workspace)
                    start += width
                }
            }
        }
        let cost = (1 / T(inputs.columns)) * lossSum + penalty(regularization, batchSize: inputs.columns)
        return (Double(cost), Double(correct) / Double(inputs.columns))
    }

    /// Fraction of `labels` that `predict` gets right.
    /// - Throws: `NeuralNetError` for bad shapes, empty data or labels out of range.
    public func accuracy(inputs: Matrix<T>, labels: [Int32]) throws -> Double {
        try evaluate(inputs: inputs, labels: labels).accuracy
    }

    /// Examples per forward pass when evaluating large sets.
    static var evaluationChunk: Int { 4096 }
}
