import Testing
@testable import NeuralNet

/// Compares forward/cost/backward/update and whole training runs with the NumPy reference of
/// `tools/make_numpy_fixtures.py`, to 1e-10 relative error.
@Suite("NumPy parity")
struct NumpyParityTests {
    static let tolerance = 1e-10

    static func network(_ dims: [Int], hidden: String, output: String,
                        layers: [NumpyFixtures.LayerValue]) throws -> Network<Double> {
        let architecture = try Architecture(
            inputCount: dims[0], hiddenSizes: Array(dims.dropFirst().dropLast()),
            hiddenActivation: activation(named: hidden),
            output: output == "sigmoid" ? .sigmoid : .softmax(classes: dims[dims.count - 1]))
        return try Network(architecture: architecture, layers: layers.map {
            try Dense(weights: $0.weights.matrix(), bias: $0.bias.matrix())
        })
    }

    static func worstError(_ network: Network<Double>, _ expected: [NumpyFixtures.LayerValue]) -> Double {
        zip(network.layers, expected).map { layer, value in
            max(relativeError(layer.weights, value.weights), relativeError(layer.bias, value.bias))
        }.max() ?? .infinity
    }

    @Test("one forward, cost, backward and update step",
          arguments: NumpyFixtures.shared.gradientCases)
    func singleStep(_ reference: NumpyFixtures.GradientCase) throws {
        var network = try Self.network(reference.dims, hidden: reference.hidden, output: reference.output,
                                       layers: reference.params)
        let inputs = try reference.x.matrix()
        let pass = try network.forward(inputs)
        for (activation, expected) in zip(pass.activations, reference.activations) {
            #expect(relativeError(activation, expected) < Self.tolerance)
        }
        let (cost, gradients) = try network.costAndGradients(
            inputs: inputs, labels: reference.labels, regularization: reference.l2.regularization)
        #expect(abs(cost - reference.cost) / abs(reference.cost) < Self.tolerance)
        for (gradient, expected) in zip(gradients, reference.gradients) {
            #expect(relativeError(gradient.weights, expected.weights) < Self.tolerance)
            #expect(relativeError(gradient.bias, expected.bias) < Self.tolerance)
        }
        var state = OptimizerState(rule: .gradientDescent, network: network)
        state.update(&network, gradients: gradients, learningRate: 0.1)
        #expect(Self.worstError(network, reference.updated) < Self.tolerance)
    }

    @Test("a short training run: recorded costs and final parameters",
          arguments: NumpyFixtures.shared.trainingCases)
    func trainingRun(_ reference: NumpyFixtures.TrainingCase) throws {
        let dims = reference.dims
        let architecture = try Architecture(
            inputCount: dims[0], hiddenSizes: Array(dims.dropFirst().dropLast()),
            hiddenActivation: activation(named: reference.hidden),
            output: reference.output == "sigmoid" ? .sigmoid : .softmax(classes: dims[dims.count - 1]))
        var random = NumpyRandom(seed: 0)
        var network = Network<Double>(architecture: architecture, initializer: reference.initSpec.initializer,
                                      seed: reference.initSpec.seed, random: &random)
        let length: TrainingPlan.Length = reference.epochs.map { .epochs($0) } ?? .iterations(reference.iterations ?? 0)
        let plan = TrainingPlan(
            optimizer: reference.optimizer.optimizer, learningRate: reference.lr, length: length,
            batchSize: reference.batchSize, regularization: reference.l2.regularization,
            decay: reference.decay?.decay ?? .none, recordEvery: reference.recordEvery)
        var records: [CostRecord] = []
        let outcome = try Trainer.train(&network, inputs: reference.x.matrix(), labels: reference.labels,
                                        plan: plan, random: &random) { records.append($0) }
        #expect(outcome.status == .finished)
        #expect(records.count == reference.records.count)
        for (record, expected) in zip(records, reference.records) {
            #expect(record.iteration == Int(expected[0]))
            #expect(record.epoch == Int(expected[1]))
            #expect(abs(record.cost - expected[2]) / abs(expected[2]) < Self.tolerance)
            #expect(record.accuracy == expected[3])
        }
        #expect(Self.worstError(network, reference.finalParams) < Self.tolerance)
    }

    @Test("initialisation draws W_l as np.random.randn(n_l, n_{l-1}) after a reseed")
    func initialisationOrder() throws {
        // np.random.seed(1); W1 = np.random.randn(4, 3) * 0.01; W2 = np.random.randn(1, 4) * 0.01
        // -> W1[0] = [0.01624345, -0.00611756, -0.00528172], W2[0, 0] = -0.00322417 (from randn index 12)
        let architecture = try Architecture(inputCount: 3, hiddenSizes: [4], hiddenActivation: .tanh, output: .sigmoid)
        var random = NumpyRandom(seed: 99)
        let network = Network<Double>(architecture: architecture, initializer: .normal(scale: 0.01), seed: 1,
                                      random: &random)
        var reference = NumpyRandom(seed: 1)
        let draws = reference.gaussian(count: 16).map { $0 * 0.01 }
        #expect(network.layers[0].weights.rowMajorValues == Array(draws[0..<12]))
        #expect(network.layers[1].weights.rowMajorValues == Array(draws[12..<16]))
        #expect(network.layers[0].bias.storage.allSatisfy { $0 == 0 })
        #expect(abs(network.layers[0].weights[0, 0] - 0.01624345) < 1e-8)
    }
}
