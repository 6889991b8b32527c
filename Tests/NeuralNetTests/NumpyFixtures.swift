import Foundation
@testable import NeuralNet

/// The values written by `tools/make_numpy_fixtures.py` (NumPy's legacy generator and the
/// textbook formulas), decoded from `Fixtures/numpy_reference.json`.
struct NumpyFixtures: Decodable {
    struct MatrixValue: Decodable {
        let rows: Int
        let columns: Int
        let rowMajor: [Double]

        enum CodingKeys: String, CodingKey { case rows, columns, rowMajor = "row_major" }

        func matrix() throws -> Matrix<Double> {
            try Matrix(rows: rows, columns: columns, rowMajor: rowMajor)
        }
    }

    struct LayerValue: Decodable {
        let weights: MatrixValue
        let bias: MatrixValue
    }

    struct RandomStream: Decodable {
        let seed: UInt32
        let rand: [Double]
        let randn: [Double]
        let permutation10: [Int]
        let permutation1000Head: [Int]
        let permutation1000Tail: [Int]
        let interleaved: [Double]

        enum CodingKeys: String, CodingKey {
            case seed, rand, randn, permutation10, interleaved
            case permutation1000Head = "permutation1000_head"
            case permutation1000Tail = "permutation1000_tail"
        }
    }

    struct GradientCase: Decodable {
        let hidden: String
        let output: String
        let l2: L2Value
        let dims: [Int]
        let x: MatrixValue
        let labels: [Int32]
        let params: [LayerValue]
        let activations: [MatrixValue]
        let cost: Double
        let gradients: [LayerValue]
        let updated: [LayerValue]
    }

    /// `["none" | "per_example" | "cs231n", strength]`.
    struct L2Value: Decodable {
        let regularization: Regularization
        init(from decoder: Decoder) throws {
            var container = try decoder.unkeyedContainer()
            let kind = try container.decode(String.self)
            let strength = try container.decode(Double.self)
            switch kind {
            case "per_example": regularization = .perExample(lambda: strength)
            case "cs231n": regularization = .cs231n(strength: strength)
            default: regularization = .none
            }
        }
    }

    struct TrainingCase: Decodable {
        let name: String
        let x: MatrixValue
        let labels: [Int32]
        let dims: [Int]
        let hidden: String
        let output: String
        let l2: L2Value
        let initSpec: InitValue
        let lr: Double
        let optimizer: OptimizerValue
        let iterations: Int?
        let epochs: Int?
        let batchSize: Int?
        let decay: DecayValue?
        let recordEvery: Int
        let finalParams: [LayerValue]
        let records: [[Double]]

        enum CodingKeys: String, CodingKey {
            case name, x, labels, dims, hidden, output, l2, lr, optimizer, iterations, epochs, decay, records
            case initSpec = "init_spec", batchSize = "batch_size", recordEvery = "record_every"
            case finalParams = "final_params"
        }
    }

    /// `[scheme, scale or null, seed]`.
    struct InitValue: Decodable {
        let initializer: Initializer
        let seed: UInt32
        init(from decoder: Decoder) throws {
            var container = try decoder.unkeyedContainer()
            let scheme = try container.decode(String.self)
            let scale = try container.decodeNil() ? nil : try container.decode(Double.self)
            seed = try container.decode(UInt32.self)
            switch scheme {
            case "normal": initializer = .normal(scale: scale ?? 0.01)
            case "xavier": initializer = .xavier
            case "he": initializer = .he
            default: initializer = .zeros
            }
        }
    }

    /// `["gd"]`, `["momentum", beta]` or `["adam", beta1, beta2, epsilon]`.
    struct OptimizerValue: Decodable {
        let optimizer: Optimizer
        init(from decoder: Decoder) throws {
            var container = try decoder.unkeyedContainer()
            switch try container.decode(String.self) {
            case "momentum": optimizer = .momentum(beta: try container.decode(Double.self))
            case "adam":
                optimizer = .adam(beta1: try container.decode(Double.self), beta2: try container.decode(Double.self),
                                  epsilon: try container.decode(Double.self))
            default: optimizer = .gradientDescent
            }
        }
    }

    /// `["inverse_time" | "exponential", rate, every]`.
    struct DecayValue: Decodable {
        let decay: LearningRateDecay
        init(from decoder: Decoder) throws {
            var container = try decoder.unkeyedContainer()
            let kind = try container.decode(String.self)
            let rate = try container.decode(Double.self)
            let every = try container.decode(Int.self)
            decay = kind == "inverse_time" ? .inverseTime(rate: rate, every: every) : .exponential(factor: rate, every: every)
        }
    }

    let random: [RandomStream]
    let gradientCases: [GradientCase]
    let trainingCases: [TrainingCase]

    enum CodingKeys: String, CodingKey {
        case random, gradientCases = "gradient_cases", trainingCases = "training_cases"
    }

    static let shared: NumpyFixtures = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/numpy_reference.json")
        do {
            return try JSONDecoder().decode(NumpyFixtures.self, from: Data(contentsOf: url))
        } catch {
            fatalError("cannot read \(url.path): \(error) — run python3 tools/make_numpy_fixtures.py")
        }
    }()
}

/// The activation a fixture names.
func activation(named name: String) -> Activation {
    switch name {
    case "sigmoid": return .sigmoid
    case "tanh": return .tanh
    case "relu": return .relu
    case "leaky_relu": return .leakyRelu(slope: 0.01)
    default: return .identity
    }
}

/// The largest elementwise difference relative to the largest magnitude: ‖a − b‖∞ / ‖b‖∞.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    var difference = 0.0, scale = 0.0
    for (x, y) in zip(a, b) {
        difference = max(difference, abs(x - y))
        scale = max(scale, abs(y))
    }
    return scale == 0 ? difference : difference / scale
}

/// `relativeError` between a matrix and a fixture matrix of the same shape (∞ on a shape mismatch).
func relativeError(_ a: Matrix<Double>, _ b: NumpyFixtures.MatrixValue) -> Double {
    guard a.rows == b.rows, a.columns == b.columns else { return .infinity }
    return relativeError(a.rowMajorValues, b.rowMajor)
}

import Testing

extension NumpyFixtures.TrainingCase: CustomTestStringConvertible {
    var testDescription: String { name }
}

extension NumpyFixtures.GradientCase: CustomTestStringConvertible {
    var testDescription: String { "\(hidden) → \(output), L2 \(l2.regularization)" }
}

extension NumpyFixtures.RandomStream: CustomTestStringConvertible {
    var testDescription: String { "seed \(seed)" }
}
