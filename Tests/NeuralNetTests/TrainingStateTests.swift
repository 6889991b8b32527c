import Testing
@testable import NeuralNet

/// A run paused after B updates (`finalState`), written as named arrays, read back and resumed
/// (`resume:`) ends exactly as the same run trained without a pause: every parameter and every
/// record from iteration B on equal, bit for bit, in both precisions and both first-layer forms.
@Suite("Resuming a paused run")
struct TrainingStateTests {
    static let cases: [DualFormTests.Case] = DualFormTests.cases + [
        .init(name: "Adam, mini-batches with a remainder, L2", hidden: [6, 4], activation: .relu, classes: 3,
              plan: TrainingPlan(optimizer: .defaultAdam, learningRate: 0.01, length: .epochs(25), batchSize: 12,
                                 regularization: .perExample(lambda: 0.05), recordEvery: 9), initializer: .he),
        .init(name: "cs231n sampling with replacement, exponential decay", hidden: [5], activation: .relu, classes: 3,
              plan: {
                  var plan = TrainingPlan(optimizer: .momentum(beta: 0.9), learningRate: 0.05, length: .iterations(120),
                                          batchSize: 16, decay: .exponential(factor: 0.9, every: 1), recordEvery: 10)
                  plan.sampling = .withReplacement
                  return plan
              }()),
    ]

    @Test("paused and resumed equals uninterrupted", arguments: cases, [FirstLayerForm.primal, .dual])
    func resumes(_ test: DualFormTests.Case, form: FirstLayerForm) throws {
        guard form == .primal || (FirstLayerForm.allows(test.plan.optimizer) && test.plan.sampling == .permutation) else { return }
        try check(test, form: form, as: Double.self)
        try check(test, form: form, as: Float.self)
    }

    func check<T: NetScalar>(_ test: DualFormTests.Case, form: FirstLayerForm, as _: T.Type) throws {
        let (data, labels) = try DualFormTests.wideProblem(features: test.features, classes: test.classes)
        let inputs = data.converted(to: T.self)
        let architecture = try Architecture(inputCount: inputs.rows, hiddenSizes: test.hidden, hiddenActivation: test.activation,
                                            output: test.classes == 2 ? .sigmoid : .softmax(classes: test.classes))
        var plan = test.plan
        plan.firstLayer = form
        let total = plan.iterationCount(exampleCount: inputs.columns)
        func fresh() -> (Network<T>, NumpyRandom) {
            var random = NumpyRandom(seed: 3)
            let network = Network<T>(architecture: architecture, initializer: test.initializer, seed: 1, random: &random)
            return (network, random)
        }
        var (full, fullRandom) = fresh()
        var fullRecords: [CostRecord] = []
        let fullOutcome = try Trainer.train(&full, inputs: inputs, labels: labels, plan: plan, random: &fullRandom,
                                            record: { fullRecords.append($0) })
        // Paused in the middle of an epoch (and, for a second pause, after more updates).
        for pause in [total / 3 + 1, total - 2] where pause > 0 && pause < total {
            var (paused, random) = fresh()
            var short = plan
            short.length = .iterations(pause)
            var state: TrainingState<T>?
            _ = try Trainer.train(&paused, inputs: inputs, labels: labels, plan: short, random: &random,
                                  finalState: { state = $0 })
            let saved = try #require(state)
            #expect(saved.iteration == pause)
            // Through the file's form: every value as a Double, read back by name.
            let arrays = Dictionary(uniqueKeysWithValues: saved.arrays())
            let restored = try TrainingState<T>(arrays: arrays, architecture: architecture, plan: plan, examples: inputs.columns)
            var resumed = paused
            var resumedRandom = NumpyRandom(seed: 99)   // replaced by the state's
            var records: [CostRecord] = []
            let outcome = try Trainer.train(&resumed, inputs: inputs, labels: labels, plan: plan, random: &resumedRandom,
                                            resume: restored, record: { records.append($0) })
            #expect(resumed == full, "\(test.name), \(form), \(T.self), paused at \(pause)")
            #expect(records == fullRecords.filter { $0.iteration >= pause }, "\(test.name), \(form), \(T.self), paused at \(pause)")
            #expect(outcome.finalCost == fullOutcome.finalCost && outcome.iterations == total)
            #expect(resumedRandom.snapshot == fullRandom.snapshot)
        }
    }

    @Test("a damaged or foreign state is refused with what is wrong")
    func refusals() throws {
        let test = DualFormTests.cases[1]
        let (data, labels) = try DualFormTests.wideProblem(features: test.features, classes: test.classes)
        let architecture = try Architecture(inputCount: data.rows, hiddenSizes: test.hidden, hiddenActivation: test.activation,
                                            output: .sigmoid)
        var random = NumpyRandom(seed: 3)
        var network = Network<Double>(architecture: architecture, initializer: test.initializer, seed: 1, random: &random)
        var short = test.plan
        short.length = .iterations(5)
        var state: TrainingState<Double>?
        _ = try Trainer.train(&network, inputs: data, labels: labels, plan: short, random: &random, finalState: { state = $0 })
        let arrays = Dictionary(uniqueKeysWithValues: try #require(state).arrays())
        func error(_ arrays: [String: Matrix<Double>], plan: TrainingPlan? = nil, examples: Int? = nil) -> String {
            do {
                _ = try TrainingState<Double>(arrays: arrays, architecture: architecture, plan: plan ?? test.plan,
                                              examples: examples ?? data.columns)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(error(arrays) == "accepted")
        var missing = arrays
        missing["v_W2"] = nil
        #expect(error(missing) == "no v_W2")
        var misshapen = arrays
        misshapen["W1"] = Matrix(rows: 3, columns: 3)
        #expect(error(misshapen) == "W1 is (3, 3), expected (7, 120)")
        var fraction = arrays
        fraction["iteration"] = Matrix(rows: 1, columns: 1, repeating: 2.5)
        #expect(error(fraction).hasPrefix("iteration is 2.5, expected an integer"))
        #expect(error(arrays, examples: 39).hasPrefix("order is not a permutation of the 39 examples")
                || error(arrays, examples: 39).hasPrefix("position"))
        // Values a finished run cannot have, and counters that disagree with the iteration.
        var nan = arrays
        nan["W1"] = Matrix(rows: 7, columns: 120, repeating: .nan)
        #expect(error(nan) == "W1 holds a value that is not finite")
        var step = arrays
        step["optimizer_step"] = Matrix(rows: 1, columns: 1, repeating: 0)
        #expect(error(step) == "optimizer_step is 0 after 5 updates")
        var position = arrays
        position["position"] = Matrix(rows: 1, columns: 1, repeating: 16)
        #expect(error(position) == "epoch 1 and position 16 are not where 5 updates end")
        // Adam's state has second moments; momentum's has none to give.
        var adam = test.plan
        adam.optimizer = .defaultAdam
        #expect(error(arrays, plan: adam) == "no s_W1")
    }
}
