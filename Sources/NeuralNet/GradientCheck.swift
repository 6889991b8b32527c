/// The tutorials' gradient check: each parameter nudged by ±ε, the cost's central difference
/// (J(θ+ε) − J(θ−ε)) / 2ε against backward propagation's gradient, compared per parameter
/// matrix as ‖numeric − analytic‖ / (‖numeric‖ + ‖analytic‖).
public enum GradientCheck {
    public struct Result: Sendable {
        /// 1-based layer number.
        public var layer: Int
        /// "W" or "b".
        public var parameter: String
        public var rows: Int
        public var columns: Int
        /// Entries checked (all, or an even sample of `maxEntries`).
        public var checked: Int
        public var relativeError: Double
    }

    /// Checks every W_l and b_l of `network` on `inputs`.
    /// - Parameters:
    ///   - maxEntries: at most this many entries of each matrix are nudged, evenly spaced
    ///     (a 7 × 12288 W has 86 016: two forward passes each); nil checks all.
    ///   - analyticRegularization: the penalty the analytic side uses (default: the same), so a
    ///     test can show that a wrong gradient fails.
    public static func check(network: Network<Double>, inputs: Matrix<Double>, labels: [Int32],
                             regularization: Regularization, epsilon: Double = 1e-7, maxEntries: Int? = nil,
                             analyticRegularization: Regularization? = nil) throws -> [Result] {
        let (_, analytic) = try network.costAndGradients(
            inputs: inputs, labels: labels, regularization: analyticRegularization ?? regularization)
        func cost(_ candidate: Network<Double>) throws -> Double {
            try candidate.costAndGradients(inputs: inputs, labels: labels, regularization: regularization).cost
        }
        var results: [Result] = []
        for l in 0..<network.layers.count {
            for isBias in [false, true] {
                let matrix = isBias ? network.layers[l].bias : network.layers[l].weights
                let count = matrix.count
                let step = maxEntries.map { max(1, (count + $0 - 1) / $0) } ?? 1
                let indices = Array(stride(from: 0, to: count, by: step))
                var numeric: [Double] = []
                for i in indices {
                    var plus = network, minus = network
                    if isBias {
                        plus.layers[l].bias.storage[i] += epsilon
                        minus.layers[l].bias.storage[i] -= epsilon
                    } else {
                        plus.layers[l].weights.storage[i] += epsilon
                        minus.layers[l].weights.storage[i] -= epsilon
                    }
                    numeric.append((try cost(plus) - cost(minus)) / (2 * epsilon))
                }
                let exactAll = isBias ? analytic[l].bias.storage : analytic[l].weights.storage
                let exact = indices.map { exactAll[$0] }
                let difference = zip(numeric, exact).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
                let norms = numeric.map { $0 * $0 }.reduce(0, +).squareRoot() + exact.map { $0 * $0 }.reduce(0, +).squareRoot()
                results.append(Result(layer: l + 1, parameter: isBias ? "b" : "W", rows: matrix.rows, columns: matrix.columns,
                                      checked: indices.count, relativeError: norms == 0 ? difference : difference / norms))
            }
        }
        return results
    }
}
