import Testing
@testable import NeuralNet

/// The first layer in dual form (W1 = a·W1₀ + B·Xᵀ) against the primal form it replaces: the
/// same costs, parameters and accuracies up to rounding, for every update rule it accepts.
/// The primal gradients are checked against finite differences (`GradientCheckTests`); one
/// dual step equal to one primal step is the dual form's gradient check.
@Suite("Dual first layer")
struct DualFormTests {
    /// More features than examples, as in the cat tutorials (n₀ = 120 by default, m = 40).
    static func wideProblem(features: Int = 300, count: Int = 40, classes: Int = 2, seed: UInt32 = 5)
        throws -> (Matrix<Double>, [Int32]) {
        var random = NumpyRandom(seed: seed)
        var values: [Double] = []
        var labels: [Int32] = []
        for j in 0..<count {
            let label = Int32(j % classes)
            for i in 0..<features { values.append(random.uniform() + (i % (classes + 1) == Int(label) ? 0.3 : 0)) }
            labels.append(label)
        }
        return (try Matrix(rows: features, columns: count, columnMajor: values), labels)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var hidden: [Int]
        var activation: Activation
        var classes: Int
        var plan: TrainingPlan
        var initializer: Initializer = .normal(scale: 0.01)
        var features = 120
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "gradient descent, tanh, sigmoid output", hidden: [5], activation: .tanh, classes: 2,
             plan: TrainingPlan(learningRate: 0.05, length: .iterations(300), recordEvery: 25)),
        Case(name: "momentum, L2, mini-batches with a remainder, decay", hidden: [7, 5], activation: .tanh, classes: 2,
             plan: TrainingPlan(optimizer: .momentum(beta: 0.9), learningRate: 0.3, length: .epochs(60), batchSize: 16,
                                regularization: .perExample(lambda: 0.1), decay: .inverseTime(rate: 0.05, every: 5),
                                recordEvery: 7), initializer: .he),
        Case(name: "cs231n L2, softmax, mini-batch SGD", hidden: [6], activation: .leakyRelu(slope: 0.01), classes: 3,
             plan: TrainingPlan(learningRate: 0.03, length: .iterations(200), batchSize: 10,
                                regularization: .cs231n(strength: 0.05), recordEvery: 10)),
        Case(name: "a batch of every example, shuffled each epoch (batch_size = m), momentum", hidden: [5], activation: .tanh, classes: 2,
             plan: TrainingPlan(optimizer: .momentum(beta: 0.8), learningRate: 0.5, length: .epochs(60), batchSize: 40,
                                recordEvery: 6)),
        Case(name: "batch_size beyond m, L2", hidden: [5], activation: .relu, classes: 2,
             plan: TrainingPlan(learningRate: 0.1, length: .epochs(60), batchSize: 64, regularization: .perExample(lambda: 0.2),
                                recordEvery: 6), initializer: .he),
        Case(name: "no hidden layer (logistic regression), L2, momentum", hidden: [], activation: .identity, classes: 2,
             plan: TrainingPlan(optimizer: .momentum(beta: 0.5), learningRate: 0.01, length: .iterations(150),
                                regularization: .perExample(lambda: 0.2), recordEvery: 30)),
    ]

    /// Trains `test` with the fast engine in `form`, or with `ReferenceEngine` when `reference`.
    static func train<T: NetScalar>(_ test: Case, form: FirstLayerForm, as _: T.Type, stopAt: Int? = nil, reference: Bool = false)
        throws -> (Network<T>, [CostRecord], TrainingOutcome) {
        let (inputs, labels) = try wideProblem(features: test.features, classes: test.classes)
        let architecture = try Architecture(inputCount: inputs.rows, hiddenSizes: test.hidden, hiddenActivation: test.activation,
                                            output: test.classes == 2 ? .sigmoid : .softmax(classes: test.classes))
        var random = NumpyRandom(seed: 3)
        var network = Network<T>(architecture: architecture, initializer: test.initializer, seed: 1, random: &random)
        var plan = test.plan
        plan.firstLayer = form
        var records: [CostRecord] = []
        var asked = 0
        let shouldStop = { defer { asked += 1 }; return stopAt.map { asked >= $0 } ?? false }
        let outcome = reference
            ? try ReferenceEngine.train(&network, inputs: inputs.converted(to: T.self), labels: labels, plan: plan,
                                        random: &random, record: { records.append($0) }, shouldStop: shouldStop)
            : try Trainer.train(&network, inputs: inputs.converted(to: T.self), labels: labels, plan: plan,
                                random: &random, record: { records.append($0) }, shouldStop: shouldStop)
        return (network, records, outcome)
    }

    static func relativeDifference(_ a: Double, _ b: Double) -> Double {
        abs(a - b) / max(abs(a), abs(b), 1e-300)
    }

    /// The largest difference between two networks' parameters, relative to each array's largest value.
    static func parameterDifference<T: NetScalar>(_ a: Network<T>, _ b: Network<T>) -> Double {
        var worst = 0.0
        for (x, y) in zip(a.layers, b.layers) {
            for (p, q) in [(x.weights.storage, y.weights.storage), (x.bias.storage, y.bias.storage)] {
                let scale = p.map { abs(Double($0)) }.max() ?? 0
                for (u, v) in zip(p, q) { worst = max(worst, abs(Double(u) - Double(v)) / max(scale, 1e-300)) }
            }
        }
        return worst
    }

    @Test("float64: every recorded cost to 1e-10 relative, parameters to 1e-9, the same accuracies", arguments: cases)
    func sameRun(_ test: Case) throws {
        let (primal, primalRecords, primalOutcome) = try Self.train(test, form: .primal, as: Double.self)
        let (dual, dualRecords, dualOutcome) = try Self.train(test, form: .dual, as: Double.self)
        #expect(dualOutcome.status == .finished && primalOutcome.status == .finished)
        #expect(dualRecords.count == primalRecords.count && dualRecords.count > 3)
        for (p, d) in zip(primalRecords, dualRecords) {
            #expect(p.iteration == d.iteration && p.epoch == d.epoch)
            #expect(Self.relativeDifference(p.cost, d.cost) < 1e-10, "iteration \(p.iteration): \(p.cost) vs \(d.cost)")
            #expect(p.accuracy == d.accuracy)
        }
        #expect(Self.parameterDifference(primal, dual) < 1e-9)
        // The primal cost really moved: the comparison is not between two untrained networks.
        #expect((primalRecords.last?.cost ?? 0) < 0.9 * (primalRecords.first?.cost ?? 0))
    }

    @Test("float32: costs to 1e-4 relative, parameters to 1e-3", arguments: cases)
    func singlePrecision(_ test: Case) throws {
        let (primal, primalRecords, _) = try Self.train(test, form: .primal, as: Float.self)
        let (dual, dualRecords, _) = try Self.train(test, form: .dual, as: Float.self)
        #expect(dualRecords.count == primalRecords.count)
        for (p, d) in zip(primalRecords, dualRecords) {
            #expect(Self.relativeDifference(p.cost, d.cost) < 1e-4, "iteration \(p.iteration)")
        }
        #expect(Self.parameterDifference(primal, dual) < 1e-3)
    }

    @Test("one dual step is one primal step (the dual form's gradient check), and a stopped run returns W1 formed")
    func oneStepAndStop() throws {
        for test in Self.cases {
            for stop in [1, 13] {
                let (primal, _, primalOutcome) = try Self.train(test, form: .primal, as: Double.self, stopAt: stop)
                let (dual, _, dualOutcome) = try Self.train(test, form: .dual, as: Double.self, stopAt: stop)
                #expect(primalOutcome.status == .stopped(iteration: stop) && dualOutcome.status == primalOutcome.status)
                #expect(Self.parameterDifference(primal, dual) < 1e-12, "\(test.name), \(stop) steps")
            }
        }
    }

    @Test("Adam leaves the dual form's span: refused; auto picks dual only where it pays")
    func choice() throws {
        var plan = TrainingPlan(optimizer: .defaultAdam, learningRate: 0.01, length: .iterations(10))
        plan.firstLayer = .dual
        #expect(throws: NeuralNetError.self) { try plan.validate() }
        // The cat tutorial's 12288-7-1 network on 209 examples, full batch.
        #expect(FirstLayerForm.automatic(optimizer: .gradientDescent, examples: 209, sizes: [12288, 7, 1], iterations: 2500,
                                         batch: 209, recordEvery: 100, regularized: false, scalarBytes: 8) == .dual)
        #expect(FirstLayerForm.automatic(optimizer: .defaultAdam, examples: 209, sizes: [12288, 7, 1], iterations: 2500,
                                         batch: 209, recordEvery: 100, regularized: false, scalarBytes: 8) == .primal)
        // MNIST (60 000 × 784) and the planar flower (400 × 2): primal.
        #expect(FirstLayerForm.automatic(optimizer: .gradientDescent, examples: 60000, sizes: [784, 128, 10], iterations: 9000,
                                         batch: 64, recordEvery: 100, regularized: false, scalarBytes: 4) == .primal)
        #expect(FirstLayerForm.automatic(optimizer: .gradientDescent, examples: 400, sizes: [2, 4, 1], iterations: 10000,
                                         batch: 400, recordEvery: 100, regularized: false, scalarBytes: 8) == .primal)
    }
}
