/// Optional L2 weight decay, in one of the three conventions users meet (biases are never
/// penalised).
public enum Regularization: Sendable, Hashable {
    case none
    /// The deep-learning course's: cost `+= λ/(2m)·Σ_l ‖W_l‖²`, `dW_l += (λ/m)·W_l`,
    /// with m the examples in the batch.
    case perExample(lambda: Double)
    /// cs231n's: cost `+= 0.5·reg·Σ_l ‖W_l‖²`, `dW_l += reg·W_l`, independent of m.
    case cs231n(strength: Double)
    /// The later cs231n assignments' (`two_layer_net.py`): cost `+= reg·Σ_l ‖W_l‖²`,
    /// `dW_l += 2·reg·W_l`, independent of m.
    case squaredNorm(strength: Double)

    /// The factor c in `cost += c·Σ‖W‖²` for a batch of `batchSize` examples.
    func penaltyScale(batchSize: Int) -> Double {
        switch self {
        case .none: return 0
        case .perExample(let lambda): return lambda / (2 * Double(batchSize))
        case .cs231n(let strength): return 0.5 * strength
        case .squaredNorm(let strength): return strength
        }
    }

    /// The factor c in `dW += c·W` for a batch of `batchSize` examples.
    func gradientScale(batchSize: Int) -> Double {
        switch self {
        case .none: return 0
        case .perExample(let lambda): return lambda / Double(batchSize)
        case .cs231n(let strength): return strength
        case .squaredNorm(let strength): return 2 * strength
        }
    }

    /// Whether any penalty applies.
    var isActive: Bool {
        switch self {
        case .none: return false
        case .perExample(let value), .cs231n(let value), .squaredNorm(let value): return value != 0
        }
    }

    /// - Throws: `NeuralNetError.invalidHyperparameter` for a negative or non-finite strength.
    func validate() throws {
        switch self {
        case .none: return
        case .perExample(let value), .cs231n(let value), .squaredNorm(let value):
            guard value.isFinite, value >= 0 else {
                throw NeuralNetError.invalidHyperparameter(
                    name: "l2", expected: "a finite number ≥ 0", found: "\(value)")
            }
        }
    }
}
