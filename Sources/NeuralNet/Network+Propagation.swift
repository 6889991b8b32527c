/// Forward propagation, cost and backward propagation over a workspace: the hot path.
///
/// Inputs are column-major (n_0, columns) buffers; nothing here allocates.
extension Network {
    /// `Z_l = W_l·A_{l−1} + b_l`, `A_l = g(Z_l)` for l = 1 … L, writing A_l (and Z_L) into the
    /// workspace. The product goes through `gemm` with β = 0; the bias broadcast and the
    /// activation then run as one fused pass over the product.
    ///
    /// With `start` > 0, layers before it are taken as done: A_{start} is already in the
    /// workspace (the dual first layer computes Z1 its own way) and `input` is not read.
    func forward(input: UnsafePointer<T>, columns: Int, workspace: Workspace<T>, from start: Int = 0) {
        let sizes = workspace.sizes
        let lastLayer = layers.count - 1
        var previous = start == 0 ? input : UnsafePointer(workspace.activations[start - 1].pointer)
        for l in start..<layers.count {
            let rows = sizes[l + 1]
            let inner = sizes[l]
            let target = l == lastLayer ? workspace.logits.pointer : workspace.activations[l].pointer
            layers[l].weights.storage.withUnsafeBufferPointer { weights in
                layers[l].bias.storage.withUnsafeBufferPointer { bias in
                    guard let w = weights.baseAddress, let b = bias.baseAddress else { return }
                    // Z_l = W_l·A_{l−1} + b_l, then A_l = g(Z_l) (Z_L kept as the logits).
                    let activation = l == lastLayer ? Activation.identity : architecture.hiddenActivation
                    workspace.products.multiply(
                        packed: workspace.routes[l].forward, transposeA: false, transposeB: false,
                        rows: rows, columns: columns, inner: inner,
                        alpha: 1, a: w, lda: rows, b: previous, ldb: inner, beta: 0, c: target, ldc: rows,
                        epilogue: .biasActivation(bias: b, activation: activation))
                }
            }
            previous = UnsafePointer(workspace.activations[l].pointer)
        }
        architecture.output.probabilities(
            logits: workspace.logits.pointer, into: workspace.activations[lastLayer].pointer, columns: columns)
    }

    /// The cost of the last forward pass: `(1/m)·Σ_j loss_j` plus the L2 penalty.
    func cost(labels: UnsafePointer<Int32>, columns: Int, workspace: Workspace<T>,
              regularization: Regularization) -> T {
        let total = dataLossSum(labels: labels, columns: columns, workspace: workspace)
        return (1 / T(columns)) * total + penalty(regularization, batchSize: columns)
    }

    /// `Σ_j loss_j` over the last forward pass, summed pairwise as `np.sum` does.
    func dataLossSum(labels: UnsafePointer<Int32>, columns: Int, workspace: Workspace<T>) -> T {
        architecture.output.exampleLosses(
            logits: workspace.logits.pointer, labels: labels,
            into: workspace.exampleLosses.pointer, columns: columns)
        var total: T = 0
        T.rowSums(rows: 1, columns: columns, a: workspace.exampleLosses.pointer, lda: 1, into: &total)
        return total
    }

    /// The L2 term of the cost for a batch of `batchSize` examples.
    func penalty(_ regularization: Regularization, batchSize: Int) -> T {
        guard regularization.isActive else { return 0 }
        var squares: T = 0
        for layer in layers {
            squares += layer.weights.storage.withUnsafeBufferPointer { buffer in
                buffer.baseAddress.map { Kernels.sumOfSquares($0, count: buffer.count) } ?? 0
            }
        }
        return T(regularization.penaltyScale(batchSize: batchSize)) * squares
    }

    /// Backward propagation with the caches of the last forward pass.
    ///
    /// `dZ_L = A_L − Y`; then for l = L … 1: `dW_l = (1/m)·dZ_l·A_{l−1}ᵀ (+ L2 term)`,
    /// `db_l = (1/m)·Σ_columns dZ_l`, and, for l > 1 only, `dZ_{l−1} = (W_lᵀ·dZ_l) ⊙ g'(A_{l−1})`.
    /// The first layer's dA is never computed. Transposes are BLAS flags.
    /// - Returns: `Σ db_L`, whose finiteness tells the trainer whether the run diverged.
    /// With `firstLayerWeights` false, dW_1 is not computed (the dual first layer updates its
    /// weights from dZ_1 itself); `input` is then not read.
    @discardableResult
    func backward(input: UnsafePointer<T>, labels: UnsafePointer<Int32>, columns: Int,
                  workspace: Workspace<T>, regularization: Regularization,
                  gradients: inout [Dense<T>.Gradients], firstLayerWeights: Bool = true) -> T {
        let sizes = workspace.sizes
        let lastLayer = layers.count - 1
        let inverseCount = 1 / T(columns)
        let l2Scale = T(regularization.gradientScale(batchSize: columns))
        architecture.output.outputDelta(
            probabilities: workspace.activations[lastLayer].pointer, labels: labels,
            into: workspace.deltas[lastLayer].pointer, columns: columns)
        var outputBiasSum: T = 0
        for l in stride(from: lastLayer, through: 0, by: -1) {
            let rows = sizes[l + 1]
            let inner = sizes[l]
            let routes = workspace.routes[l]
            let delta = workspace.deltas[l].pointer
            let previous = l == 0 ? input : UnsafePointer(workspace.activations[l - 1].pointer)
            layers[l].weights.storage.withUnsafeBufferPointer { weightBuffer in
                guard let weights = weightBuffer.baseAddress else { return }
                gradients[l].weights.storage.withUnsafeMutableBufferPointer { gradientBuffer in
                    guard let weightGradient = gradientBuffer.baseAddress, l > 0 || firstLayerWeights else { return }
                    // dW = c·W first, then the product accumulates (1/m)·dZ·A_prevᵀ onto it (β = 1).
                    let beta: T
                    if l2Scale != 0 {
                        for i in 0..<gradientBuffer.count { weightGradient[i] = l2Scale * weights[i] }
                        beta = 1
                    } else {
                        beta = 0
                    }
                    if routes.weightGradientTiles {
                        // A wide A_prev, read through transposed tiles.
                        workspace.products.multiplyTransposedTiles(
                            rows: rows, columns: inner, inner: columns, alpha: inverseCount,
                            a: delta, lda: rows, b: previous, ldb: inner,
                            beta: beta, c: weightGradient, ldc: rows, tiles: workspace.tiles)
                    } else {
                        workspace.products.multiply(
                            packed: routes.weightGradient, transposeA: false, transposeB: true,
                            rows: rows, columns: inner, inner: columns, alpha: inverseCount,
                            a: delta, lda: rows, b: previous, ldb: inner,
                            beta: beta, c: weightGradient, ldc: rows)
                    }
                }
                gradients[l].bias.storage.withUnsafeMutableBufferPointer { biasGradient in
                    guard let sums = biasGradient.baseAddress else { return }
                    T.rowSums(rows: rows, columns: columns, a: delta, lda: rows, into: sums)
                    for i in 0..<rows { sums[i] = inverseCount * sums[i] }
                    if l == lastLayer { outputBiasSum = biasGradient.reduce(0, +) }
                }
                if l > 0 {
                    let previousDelta = workspace.deltas[l - 1].pointer
                    // dZ_{l−1} = (W_lᵀ·dZ_l) ⊙ g'(A_{l−1}).
                    workspace.products.multiply(
                        packed: routes.inputGradient, transposeA: true, transposeB: false,
                        rows: inner, columns: columns, inner: rows,
                        alpha: 1, a: weights, lda: rows, b: delta, ldb: rows,
                        beta: 0, c: previousDelta, ldc: inner,
                        epilogue: .derivative(outputs: workspace.activations[l - 1].pointer,
                                              activation: architecture.hiddenActivation))
                }
            }
        }
        return outputBiasSum
    }

    /// Predicted classes of the last forward pass, written to the workspace.
    func predict(columns: Int, workspace: Workspace<T>) {
        architecture.output.predictions(
            probabilities: workspace.activations[layers.count - 1].pointer,
            into: workspace.predictions.pointer, columns: columns)
    }

    /// How many of the last forward pass's predictions equal `labels`.
    func correctCount(labels: UnsafePointer<Int32>, columns: Int, workspace: Workspace<T>) -> Int {
        predict(columns: columns, workspace: workspace)
        var correct = 0
        for j in 0..<columns where workspace.predictions.pointer[j] == labels[j] { correct += 1 }
        return correct
    }
}
