import Testing
@testable import NeuralNet

@Suite("Bad input is rejected with what was expected and found")
struct ValidationTests {
    static func network() throws -> Network<Double> {
        let architecture = try Architecture(inputCount: 3, hiddenSizes: [4], hiddenActivation: .relu, output: .sigmoid)
        var random = NumpyRandom(seed: 1)
        return Network(architecture: architecture, initializer: .xavier, random: &random)
    }

    @Test("zero or negative widths")
    func widths() {
        #expect(throws: NeuralNetError.invalidWidth(layer: 2, found: 0)) {
            try Architecture(inputCount: 3, hiddenSizes: [4, 0], hiddenActivation: .relu, output: .sigmoid)
        }
        #expect(throws: NeuralNetError.invalidWidth(layer: 0, found: -1)) {
            try Architecture(inputCount: -1, hiddenSizes: [], hiddenActivation: .relu, output: .sigmoid)
        }
    }

    @Test("input shape mismatch names both shapes")
    func inputShape() throws {
        let network = try Self.network()
        let error = try #require(throws: NeuralNetError.self) {
            try network.forward(Matrix(rows: 2, columns: 5))
        }
        #expect(error.description == "shape mismatch in input X: expected 3 rows (features, m); found (2, 5)")
    }

    @Test("empty data")
    func emptyData() throws {
        let network = try Self.network()
        #expect(throws: NeuralNetError.emptyData(what: "input matrix (3, 0)")) {
            try network.predict(Matrix(rows: 3, columns: 0))
        }
    }

    @Test("label count and range")
    func labels() throws {
        let network = try Self.network()
        let inputs = Matrix<Double>(rows: 3, columns: 2)
        #expect(throws: NeuralNetError.shapeMismatch(what: "labels", expected: "one per example: 2", found: "3")) {
            try network.costAndGradients(inputs: inputs, labels: [0, 1, 1])
        }
        let error = try #require(throws: NeuralNetError.self) {
            try network.costAndGradients(inputs: inputs, labels: [0, 2])
        }
        #expect(error.description == "label of example 1 must be 0 or 1 for a sigmoid output; found 2")
    }

    @Test("non-finite learning rates and bad hyperparameters", arguments: [Double.nan, .infinity, 0, -0.1])
    func learningRates(_ rate: Double) throws {
        var network = try Self.network()
        var random = NumpyRandom(seed: 1)
        let error = try #require(throws: NeuralNetError.self) {
            try Trainer.train(&network, inputs: Matrix(rows: 3, columns: 2), labels: [0, 1],
                              plan: TrainingPlan(learningRate: rate, length: .iterations(1)), random: &random)
        }
        #expect(error.description == "'learning_rate' must be a finite number > 0; found \(rate)")
    }

    @Test("bad parameter shapes")
    func parameterShapes() throws {
        #expect(throws: NeuralNetError.shapeMismatch(what: "bias", expected: "(2, 1)", found: "(3, 1)")) {
            try Dense(weights: Matrix<Double>(rows: 2, columns: 2), bias: Matrix(rows: 3, columns: 1))
        }
        #expect(throws: NeuralNetError.self) { try Matrix<Double>([[1, 2], [3]]) }
        #expect(throws: NeuralNetError.self) { try Matrix<Double>(rows: 2, columns: 2, columnMajor: [1]) }
        #expect(throws: NeuralNetError.invalidHyperparameter(name: "l2", expected: "a finite number ≥ 0", found: "-1.0")) {
            try (try Self.network()).costAndGradients(inputs: Matrix(rows: 3, columns: 1), labels: [1],
                                                      regularization: .perExample(lambda: -1))
        }
    }
}
