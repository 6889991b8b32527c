@testable import NeuralNet

/// The worst relative error of `GradientCheck.check` over every parameter matrix, with step
/// `epsilon` (the tests' central-difference gradient check).
func gradientCheck(network: Network<Double>, inputs: Matrix<Double>, labels: [Int32],
                   regularization: Regularization, analyticRegularization: Regularization? = nil,
                   epsilon: Double = 1e-6) throws -> Double {
    try GradientCheck.check(network: network, inputs: inputs, labels: labels, regularization: regularization,
                            epsilon: epsilon, analyticRegularization: analyticRegularization)
        .map(\.relativeError).max() ?? 0
}
