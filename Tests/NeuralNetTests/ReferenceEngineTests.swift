import Testing
@testable import NeuralNet

/// `ReferenceEngine` (the tutorials' algorithm in plain Swift) as the oracle of the fast engine:
/// in primal and dual form, over shapes that take each product route (packed kernel, OpenBLAS,
/// one-unit rows, shallow inputs) and every update rule.
@Suite("Reference engine as oracle")
struct ReferenceEngineTests {
    typealias Case = DualFormTests.Case

    static let cases: [Case] = DualFormTests.cases + [
        Case(name: "Adam, relu, mini-batches", hidden: [8], activation: .relu, classes: 2,
             plan: TrainingPlan(optimizer: .defaultAdam, learningRate: 0.002, length: .iterations(120), batchSize: 12,
                                recordEvery: 10)),
        Case(name: "wide hidden layer (OpenBLAS route), sigmoid units", hidden: [96, 40], activation: .sigmoid, classes: 3,
             plan: TrainingPlan(learningRate: 0.5, length: .iterations(60), recordEvery: 6), initializer: .xavier, features: 40),
        Case(name: "one-unit hidden layer", hidden: [1], activation: .tanh, classes: 2,
             plan: TrainingPlan(learningRate: 0.1, length: .iterations(100), recordEvery: 10), initializer: .he),
        Case(name: "planar-like: 2 inputs, 50 units (shallow inner products)", hidden: [50], activation: .tanh, classes: 2,
             plan: TrainingPlan(learningRate: 0.5, length: .iterations(150), recordEvery: 15), features: 2),
        Case(name: "cs231n's loop: batches drawn with replacement, decay per epoch of m / batch iterations, squared-norm L2",
             hidden: [8], activation: .relu, classes: 3, plan: sampled(batch: 7, decay: .exponential(factor: 0.9, every: 1))),
        Case(name: "cs231n's loop: a batch larger than m, momentum", hidden: [5], activation: .tanh, classes: 2,
             plan: sampled(batch: 70, optimizer: .momentum(beta: 0.9), decay: .none)),
    ]

    static func sampled(batch: Int, optimizer: Optimizer = .gradientDescent, decay: LearningRateDecay) -> TrainingPlan {
        var plan = TrainingPlan(optimizer: optimizer, learningRate: 0.05, length: .iterations(150), batchSize: batch,
                                regularization: .squaredNorm(strength: 0.01), decay: decay, recordEvery: 1)
        plan.sampling = .withReplacement
        return plan
    }

    @Test("fast primal and dual against the reference: costs to 1e-10 relative, parameters to 1e-9", arguments: cases)
    func oracle(_ test: Case) throws {
        let (reference, referenceRecords, referenceOutcome) = try DualFormTests.train(test, form: .primal, as: Double.self, reference: true)
        #expect(referenceOutcome.status == .finished)
        #expect((referenceRecords.last?.cost ?? 0) < 0.95 * (referenceRecords.first?.cost ?? 0), "the run learns something")
        var forms: [FirstLayerForm] = [.primal]
        if FirstLayerForm.allows(test.plan.optimizer), test.plan.sampling == .permutation { forms.append(.dual) }
        for form in forms {
            let (fast, records, outcome) = try DualFormTests.train(test, form: form, as: Double.self)
            #expect(outcome.status == referenceOutcome.status && outcome.iterations == referenceOutcome.iterations)
            #expect(records.count == referenceRecords.count)
            for (r, f) in zip(referenceRecords, records) {
                #expect(r.iteration == f.iteration && r.epoch == f.epoch && r.accuracy == f.accuracy, "\(form) at \(r.iteration)")
                #expect(DualFormTests.relativeDifference(r.cost, f.cost) < 1e-10, "\(form) at \(r.iteration): \(r.cost) vs \(f.cost)")
            }
            #expect(DualFormTests.parameterDifference(reference, fast) < 1e-9, "\(form)")
        }
    }

    @Test("a stopped or diverged reference run ends as the fast one does")
    func endings() throws {
        let test = DualFormTests.cases[0]
        let (_, _, stopped) = try DualFormTests.train(test, form: .primal, as: Double.self, stopAt: 7, reference: true)
        #expect(stopped.status == .stopped(iteration: 7))
        // relu and a softmax: the logits overflow to infinity, and the cost with them.
        var diverging = DualFormTests.cases[2]
        diverging.plan.learningRate = 1e250
        let (_, _, fast) = try DualFormTests.train(diverging, form: .primal, as: Double.self)
        let (_, _, reference) = try DualFormTests.train(diverging, form: .primal, as: Double.self, reference: true)
        #expect(reference.status == fast.status)
        if case .diverged = reference.status {} else { Issue.record("expected divergence, got \(reference.status)") }
    }
}
