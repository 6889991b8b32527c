import Testing
@testable import NeuralNet

@Suite("Gradient check")
struct GradientCheckTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let hidden: Activation
        let output: OutputLayer
        let regularization: Regularization
        let hiddenSizes: [Int]
        var testDescription: String { "\(hidden) → \(output), \(regularization), hidden \(hiddenSizes)" }
    }

    static let cases: [Case] = {
        let activations: [Activation] = [.sigmoid, .tanh, .relu, .leakyRelu(slope: 0.01), .leakyRelu(slope: 0.2), .identity]
        let outputs: [OutputLayer] = [.sigmoid, .softmax(classes: 3)]
        let penalties: [Regularization] = [.none, .perExample(lambda: 0.7), .cs231n(strength: 0.05), .squaredNorm(strength: 0.05)]
        var cases: [Case] = []
        for (index, hidden) in activations.enumerated() {
            for output in outputs {
                for regularization in penalties {
                    // Alternate 2- and 3-layer networks.
                    cases.append(Case(hidden: hidden, output: output, regularization: regularization,
                                      hiddenSizes: index % 2 == 0 ? [5] : [5, 4]))
                }
            }
        }
        return cases
    }()

    @Test("backward matches central differences below 1e-7", arguments: cases)
    func matchesCentralDifferences(_ testCase: Case) throws {
        let architecture = try Architecture(inputCount: 4, hiddenSizes: testCase.hiddenSizes,
                                            hiddenActivation: testCase.hidden, output: testCase.output)
        var random = NumpyRandom(seed: 3)
        var network = Network<Double>(architecture: architecture, initializer: .xavier, random: &random)
        // Non-zero biases exercise db and the broadcast.
        for l in 0..<network.layers.count {
            for i in 0..<network.layers[l].bias.count { network.layers[l].bias.storage[i] = 0.1 * random.gaussian() }
        }
        let columns = 7
        let inputs = try Matrix(rows: 4, columns: columns, columnMajor: random.gaussian(count: 4 * columns))
        let labels = (0..<columns).map { Int32($0 % testCase.output.classCount) }
        // Relu kinks: a pre-activation within ε of 0 would make the numeric derivative
        // meaningless; the seed above keeps every |z| well clear of it.
        let error = try gradientCheck(network: network, inputs: inputs, labels: labels,
                                      regularization: testCase.regularization)
        #expect(error < 1e-7, "relative error \(error)")
    }

    @Test("the check fails when the analytic gradient is wrong")
    func detectsWrongGradient() throws {
        let architecture = try Architecture(inputCount: 3, hiddenSizes: [4], hiddenActivation: .tanh, output: .sigmoid)
        var random = NumpyRandom(seed: 1)
        let network = Network<Double>(architecture: architecture, initializer: .xavier, random: &random)
        let inputs = try Matrix(rows: 3, columns: 5, columnMajor: random.gaussian(count: 15))
        let error = try gradientCheck(network: network, inputs: inputs, labels: [1, 0, 1, 1, 0],
                                      regularization: .perExample(lambda: 0.5), analyticRegularization: Regularization.none)
        #expect(error > 1e-3)
    }
}
