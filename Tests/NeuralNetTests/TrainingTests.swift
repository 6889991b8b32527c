import Testing
@testable import NeuralNet

@Suite("Training")
struct TrainingTests {
    /// Two Gaussian blobs in 2-D, separable by a line: label 1 when x0 + x1 > 0.
    static func separableProblem(count: Int, seed: UInt32) throws -> (Matrix<Double>, [Int32]) {
        var random = NumpyRandom(seed: seed)
        var values: [Double] = []
        var labels: [Int32] = []
        for j in 0..<count {
            let label: Int32 = j % 2 == 0 ? 1 : 0
            let centre = label == 1 ? 1.5 : -1.5
            values.append(centre + 0.5 * random.gaussian())
            values.append(centre + 0.5 * random.gaussian())
            labels.append(label)
        }
        return (try Matrix(rows: 2, columns: count, columnMajor: values), labels)
    }

    @Test("a 2-4-1 tanh network learns a separable problem")
    func learnsSeparableProblem() throws {
        let (inputs, labels) = try Self.separableProblem(count: 200, seed: 4)
        let architecture = try Architecture(inputCount: 2, hiddenSizes: [4], hiddenActivation: .tanh, output: .sigmoid)
        var random = NumpyRandom(seed: 0)
        var network = Network<Double>(architecture: architecture, initializer: .normal(scale: 0.01), seed: 2,
                                      random: &random)
        let before = try network.evaluate(inputs: inputs, labels: labels)
        var records: [CostRecord] = []
        let outcome = try Trainer.train(&network, inputs: inputs, labels: labels,
                                        plan: TrainingPlan(learningRate: 1.2, length: .iterations(500), recordEvery: 100),
                                        random: &random) { records.append($0) }
        let after = try network.evaluate(inputs: inputs, labels: labels)
        #expect(outcome.status == .finished)
        #expect(records.map(\.iteration) == [0, 100, 200, 300, 400, 500])
        #expect(abs(before.cost - 0.6931) < 1e-3)   // ln 2: tiny weights predict 0.5
        #expect(after.cost < 0.1)
        #expect(after.accuracy > 0.97)
        #expect(records.last?.cost == after.cost)
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.cost > $1.cost })
    }

    @Test("a huge learning rate is reported as diverged, not a crash")
    func divergenceIsReported() throws {
        let (inputs, labels) = try Self.separableProblem(count: 50, seed: 1)
        let architecture = try Architecture(inputCount: 2, hiddenSizes: [8, 8], hiddenActivation: .relu,
                                            output: .softmax(classes: 2))
        var random = NumpyRandom(seed: 1)
        var network = Network<Double>(architecture: architecture, initializer: .he, random: &random)
        let outcome = try Trainer.train(&network, inputs: inputs, labels: labels,
                                        plan: TrainingPlan(learningRate: 1e200, length: .iterations(100), recordEvery: 1),
                                        random: &random)
        guard case .diverged(let iteration) = outcome.status else {
            Issue.record("expected divergence, got \(outcome.status)")
            return
        }
        #expect(iteration < 100)
        #expect(outcome.finalCost == nil)
    }

    @Test("a saturated sigmoid gives a finite cost")
    func saturatedSigmoidIsFinite() throws {
        // Z = 800 makes 1/(1+exp(-Z)) exactly 1.0; the textbook log(1 − a) would be −∞.
        let architecture = try Architecture(inputCount: 1, hiddenSizes: [], hiddenActivation: .identity, output: .sigmoid)
        let network = try Network<Double>(architecture: architecture, layers: [
            Dense(weights: Matrix([[800.0]]), bias: Matrix([[0.0]])),
        ])
        let (cost, gradients) = try network.costAndGradients(inputs: Matrix([[1.0, 1.0]]), labels: [0, 1])
        #expect(cost == 400)   // (800 + 0) / 2
        #expect(gradients[0].weights[0, 0] == 0.5)
    }

    @Test("float32 training follows the float64 run closely")
    func singlePrecision() throws {
        let (inputs, labels) = try Self.separableProblem(count: 64, seed: 9)
        let architecture = try Architecture(inputCount: 2, hiddenSizes: [6], hiddenActivation: .relu, output: .sigmoid)
        let plan = TrainingPlan(optimizer: .defaultAdam, learningRate: 0.01, length: .epochs(20), batchSize: 16,
                                recordEvery: 1)
        var random64 = NumpyRandom(seed: 0), random32 = NumpyRandom(seed: 0)
        var network64 = Network<Double>(architecture: architecture, initializer: .he, seed: 1, random: &random64)
        var network32 = Network<Float>(architecture: architecture, initializer: .he, seed: 1, random: &random32)
        let initialCost = try network64.evaluate(inputs: inputs, labels: labels).cost
        let outcome64 = try Trainer.train(&network64, inputs: inputs, labels: labels, plan: plan, random: &random64)
        let outcome32 = try Trainer.train(&network32, inputs: inputs.converted(to: Float.self), labels: labels,
                                          plan: plan, random: &random32)
        let cost64 = try #require(outcome64.finalCost), cost32 = try #require(outcome32.finalCost)
        #expect(abs(cost64 - cost32) < 1e-5)
        #expect(cost64 < initialCost)
    }

    @Test("the iteration count of epochs rounds the last partial batch up")
    func iterationCount() {
        let plan = TrainingPlan(learningRate: 0.1, length: .epochs(5), batchSize: 128)
        #expect(plan.iterationCount(exampleCount: 60_000) == 2345)
        #expect(TrainingPlan(learningRate: 0.1, length: .epochs(3)).iterationCount(exampleCount: 10) == 3)
    }

    @Test("learning-rate decay schedules")
    func decaySchedules() {
        #expect(LearningRateDecay.inverseTime(rate: 1, every: 10).learningRate(initial: 0.5, epoch: 25) == 0.5 / 3)
        #expect(LearningRateDecay.exponential(factor: 0.5, every: 2).learningRate(initial: 1, epoch: 5) == 0.25)
        #expect(LearningRateDecay.none.learningRate(initial: 0.3, epoch: 99) == 0.3)
    }
}

/// cs231n's epochs under sampling with replacement: `it % (m / batch) == 0` in floating point.
@Suite("sampling with replacement")
struct SampledTrainingTests {
    @Test("an epoch of 24.5 iterations (m 49, batch 2) ends after iterations 0, 49, 98, as Python's float modulo says")
    func fractionalEpochs() throws {
        var random = NumpyRandom(seed: 3)
        let m = 49
        let inputs = try Matrix<Double>(rows: 2, columns: m, columnMajor: random.gaussian(count: 2 * m))
        let labels = (0..<m).map { Int32($0 % 2) }
        let architecture = try Architecture(inputCount: 2, hiddenSizes: [3], hiddenActivation: .tanh, output: .sigmoid)
        var network = Network<Double>(architecture: architecture, initializer: .normal(scale: 0.1), random: &random)
        var plan = TrainingPlan(learningRate: 0.1, length: .iterations(120), batchSize: 2, recordEvery: 1)
        plan.sampling = .withReplacement
        var epochs: [Int: Int] = [:]
        let before = random
        _ = try Trainer.train(&network, inputs: inputs, labels: labels, plan: plan, random: &random, record: { epochs[$0.iteration] = $0.epoch })
        let expected = (0..<120).map { it in it == 0 ? 0 : [0, 49, 98].filter { $0 < it }.count }
        #expect((0..<120).map { epochs[$0] ?? -1 } == expected)
        // Each iteration drew choice(49, 2): 120 × 2 bounded draws from the same stream.
        var replay = before
        _ = replay.choice(m, count: 240)
        #expect(replay.nextUInt32() == random.nextUInt32())
        // Full batch with replacement is refused.
        plan.batchSize = nil
        #expect(throws: NeuralNetError.self) { try plan.validate() }
    }
}
