@testable import NeuralNet

/// Central-difference gradient check: the worst relative error over all parameters,
/// ‖numeric − analytic‖ / (‖numeric‖ + ‖analytic‖) per parameter matrix (as the reference's
/// `grad_check`), with step `epsilon`.
/// `analyticRegularization` (default: the same) lets a test feed the analytic side a wrong
/// penalty to show the check can fail.
func gradientCheck(network: Network<Double>, inputs: Matrix<Double>, labels: [Int32],
                   regularization: Regularization, analyticRegularization: Regularization? = nil,
                   epsilon: Double = 1e-6) throws -> Double {
    let (_, analytic) = try network.costAndGradients(
        inputs: inputs, labels: labels, regularization: analyticRegularization ?? regularization)
    func cost(_ candidate: Network<Double>) throws -> Double {
        try candidate.costAndGradients(inputs: inputs, labels: labels, regularization: regularization).cost
    }
    var worst = 0.0
    for l in 0..<network.layers.count {
        for isBias in [false, true] {
            let count = isBias ? network.layers[l].bias.count : network.layers[l].weights.count
            var numeric = [Double](repeating: 0, count: count)
            for i in 0..<count {
                var plus = network, minus = network
                if isBias {
                    plus.layers[l].bias.storage[i] += epsilon
                    minus.layers[l].bias.storage[i] -= epsilon
                } else {
                    plus.layers[l].weights.storage[i] += epsilon
                    minus.layers[l].weights.storage[i] -= epsilon
                }
                numeric[i] = (try cost(plus) - cost(minus)) / (2 * epsilon)
            }
            let exact = isBias ? analytic[l].bias.storage : analytic[l].weights.storage
            let difference = zip(numeric, exact).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            let norms = numeric.map { $0 * $0 }.reduce(0, +).squareRoot() + exact.map { $0 * $0 }.reduce(0, +).squareRoot()
            worst = max(worst, norms == 0 ? difference : difference / norms)
        }
    }
    return worst
}
