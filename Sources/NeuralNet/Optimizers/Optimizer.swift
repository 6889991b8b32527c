import Foundation

/// A parameter update rule, decoded once from the configuration.
public enum Optimizer: Sendable, Hashable, CustomStringConvertible {
    /// `θ −= α·dθ`: full-batch gradient descent, or mini-batch SGD with a batch size.
    case gradientDescent
    /// The deep-learning course's momentum: `v = β·v + (1−β)·dθ`, `θ −= α·v`.
    case momentum(beta: Double)
    /// Adam (Kingma & Ba 2015) with bias correction: `v = β1·v + (1−β1)·dθ`,
    /// `s = β2·s + (1−β2)·dθ²`, `θ −= α·(v/(1−β1^t)) / (sqrt(s/(1−β2^t)) + ε)`, t = 1, 2, …
    case adam(beta1: Double, beta2: Double, epsilon: Double)

    /// Adam with the usual β1 = 0.9, β2 = 0.999, ε = 1e-8.
    public static let defaultAdam = Optimizer.adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8)

    public var description: String {
        switch self {
        case .gradientDescent: return "gd"
        case .momentum: return "momentum"
        case .adam: return "adam"
        }
    }

    /// - Throws: `NeuralNetError.invalidHyperparameter` for β outside [0, 1) or ε ≤ 0.
    func validate() throws {
        func check(_ name: String, _ value: Double) throws {
            guard value.isFinite, value >= 0, value < 1 else {
                throw NeuralNetError.invalidHyperparameter(name: name, expected: "in [0, 1)", found: "\(value)")
            }
        }
        switch self {
        case .gradientDescent: return
        case .momentum(let beta): try check("beta", beta)
        case let .adam(beta1, beta2, epsilon):
            try check("beta1", beta1)
            try check("beta2", beta2)
            guard epsilon.isFinite, epsilon > 0 else {
                throw NeuralNetError.invalidHyperparameter(name: "epsilon", expected: "a finite number > 0", found: "\(epsilon)")
            }
        }
    }
}

/// The optimizer's per-parameter state (velocities, moments and step count) for one run.
struct OptimizerState<T: NetScalar>: Sendable {
    let rule: Optimizer
    /// Momentum's velocities or Adam's first moments (empty for gradient descent).
    private(set) var firstMoments: [Dense<T>.Gradients]
    /// Adam's second moments (empty otherwise).
    private(set) var secondMoments: [Dense<T>.Gradients]
    /// Updates made (Adam's t).
    var step = 0

    enum Moment { case first, second }

    /// Sets a layer's moments (a `TrainingState` read back); shapes are the caller's to check.
    mutating func setMoment(_ moment: Moment, layer l: Int, weights: Matrix<T>, bias: Matrix<T>) {
        switch moment {
        case .first:
            firstMoments[l].weights = weights
            firstMoments[l].bias = bias
        case .second:
            secondMoments[l].weights = weights
            secondMoments[l].bias = bias
        }
    }

    init(rule: Optimizer, network: Network<T>) {
        self.rule = rule
        switch rule {
        case .gradientDescent:
            firstMoments = []
            secondMoments = []
        case .momentum:
            firstMoments = network.makeGradients()
            secondMoments = []
        case .adam:
            firstMoments = network.makeGradients()
            secondMoments = network.makeGradients()
        }
    }

    /// Applies one update with `gradients` at `learningRate`, in place.
    /// With `firstLayerWeights` false, W_1 is left alone (the dual first layer updates it).
    mutating func update(_ network: inout Network<T>, gradients: [Dense<T>.Gradients], learningRate: Double,
                         firstLayerWeights: Bool = true) {
        step += 1
        for l in 0..<network.layers.count {
            if l > 0 || firstLayerWeights {
                update(&network.layers[l].weights.storage, gradient: gradients[l].weights.storage,
                       first: l, isBias: false, learningRate: learningRate)
            }
            update(&network.layers[l].bias.storage, gradient: gradients[l].bias.storage,
                   first: l, isBias: true, learningRate: learningRate)
        }
    }

    private mutating func update(_ parameter: inout [T], gradient: [T], first l: Int, isBias: Bool,
                                 learningRate: Double) {
        let alpha = T(learningRate)
        parameter.withUnsafeMutableBufferPointer { theta in
            gradient.withUnsafeBufferPointer { g in
                switch rule {
                case .gradientDescent:
                    for i in 0..<theta.count { theta[i] = theta[i] - alpha * g[i] }
                case .momentum(let beta):
                    let b = T(beta), oneMinus = T(1 - beta)
                    Self.withMoment(&firstMoments[l], isBias: isBias) { v in
                        for i in 0..<theta.count {
                            v[i] = b * v[i] + oneMinus * g[i]
                            theta[i] = theta[i] - alpha * v[i]
                        }
                    }
                case let .adam(beta1, beta2, epsilon):
                    let b1 = T(beta1), b2 = T(beta2), eps = T(epsilon)
                    let correction1 = T(1 - Foundation.pow(beta1, Double(step))), correction2 = T(1 - Foundation.pow(beta2, Double(step)))
                    Self.withMoment(&firstMoments[l], isBias: isBias) { v in
                        Self.withMoment(&secondMoments[l], isBias: isBias) { s in
                            for i in 0..<theta.count {
                                v[i] = b1 * v[i] + (1 - b1) * g[i]
                                s[i] = b2 * s[i] + (1 - b2) * g[i] * g[i]
                                let vHat = v[i] / correction1
                                let sHat = s[i] / correction2
                                theta[i] = theta[i] - alpha * vHat / (T.squareRoot(sHat) + eps)
                            }
                        }
                    }
                }
            }
        }
    }

    private static func withMoment(_ moments: inout Dense<T>.Gradients, isBias: Bool,
                            _ body: (UnsafeMutableBufferPointer<T>) -> Void) {
        if isBias {
            moments.bias.storage.withUnsafeMutableBufferPointer { body($0) }
        } else {
            moments.weights.storage.withUnsafeMutableBufferPointer { body($0) }
        }
    }
}
