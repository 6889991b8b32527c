import Foundation

/// An optional learning-rate schedule, applied per epoch (for full-batch gradient descent an
/// epoch is one iteration).
public enum LearningRateDecay: Sendable, Hashable {
    case none
    /// `α = α0 / (1 + rate·⌊epoch/every⌋)` (the deep-learning course's `schedule_lr_decay`).
    case inverseTime(rate: Double, every: Int)
    /// `α = α0 · factor^⌊epoch/every⌋` (cs231n's `lr_decay` per epoch).
    case exponential(factor: Double, every: Int)

    /// The learning rate in `epoch` (0-based) for an initial rate `initial`.
    public func learningRate(initial: Double, epoch: Int) -> Double {
        switch self {
        case .none:
            return initial
        case let .inverseTime(rate, every):
            return initial / (1 + rate * Double(epoch / every))
        case let .exponential(factor, every):
            return initial * Foundation.pow(factor, Double(epoch / every))
        }
    }

    /// - Throws: `NeuralNetError.invalidHyperparameter` for a negative rate or period < 1.
    func validate() throws {
        switch self {
        case .none: return
        case let .inverseTime(value, every), let .exponential(value, every):
            guard value.isFinite, value >= 0 else {
                throw NeuralNetError.invalidHyperparameter(name: "decay rate", expected: "a finite number ≥ 0", found: "\(value)")
            }
            guard every >= 1 else {
                throw NeuralNetError.invalidHyperparameter(name: "decay every", expected: "an integer ≥ 1", found: "\(every)")
            }
        }
    }
}
