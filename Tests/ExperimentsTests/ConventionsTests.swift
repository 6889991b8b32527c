import Foundation
import NeuralNet
import Testing
@testable import Experiments

/// The cs231n conventions as experiment options.
@Suite("cs231n conventions in experiment files")
struct ConventionsTests {
    static let base = """
        name: conv
        dataset: {generator: blobs, n: 30, classes: 3, seed: 1}
        model: {hidden: [5], activation: relu, output: softmax, init: {normal: 0.1, seed: 0}}
        training: {learning_rate: 0.1, iterations: 3, l2: 0.05}
        """

    static func run(_ text: String) throws -> PlannedRun {
        try #require(try ExperimentLoader().load(text: text, file: "conv.yaml").runs.first)
    }

    @Test("init order in_out and l2_convention squared_norm are read; out_in, the default, leaves run ids as they were")
    func options() throws {
        let cs231n = try Self.run(Self.base.replacingOccurrences(of: "seed: 0}", with: "seed: 0, order: in_out}")
            .replacingOccurrences(of: "l2: 0.05}", with: "l2: 0.05, l2_convention: squared_norm}"))
        #expect(cs231n.config.model.initOrder == .inOut)
        #expect(cs231n.config.training.plan.regularization == .squaredNorm(strength: 0.05))
        let plain = try Self.run(Self.base)
        let explicit = try Self.run(Self.base.replacingOccurrences(of: "seed: 0}", with: "seed: 0, order: out_in}"))
        #expect(plain.config.model.initOrder == nil && explicit.config.model.initOrder == nil)
        #expect(RunID.make(config: plain.config, fingerprint: "x") == RunID.make(config: explicit.config, fingerprint: "x"))
        #expect(RunID.make(config: plain.config, fingerprint: "x") != RunID.make(config: cs231n.config, fingerprint: "x"))
        // The record round-trips the options.
        let data = try JSONEncoder().encode(cs231n.config)
        let decoded = try JSONDecoder().decode(RunConfig.self, from: data)
        #expect(decoded.model.initOrder == .inOut && decoded.training.plan.regularization == .squaredNorm(strength: 0.05))
    }

    @Test("bad values name the choices")
    func errors() {
        #expect(loadErrors(text: Self.base.replacingOccurrences(of: "seed: 0}", with: "seed: 0, order: inout}"), file: "conv.yaml").first?
            .contains("'order' must be one of out_in, in_out; found 'inout'") == true)
        #expect(loadErrors(text: Self.base.replacingOccurrences(of: "l2: 0.05}", with: "l2: 0.05, l2_convention: squared}"), file: "conv.yaml").first?
            .contains("'l2_convention' must be one of per_example, cs231n, squared_norm; found 'squared'") == true)
    }
}

@Suite("cs231n toy data")
struct CS231nToyDataTests {
    @Test("the random generator in examples_first order draws cs231n's randn(5, 4) example by example")
    func examplesFirst() throws {
        let text = """
            name: toy
            dataset: {generator: random, n: 5, features: 4, classes: 3, labels: [0, 1, 2, 2, 1], seed: 1, order: examples_first}
            model: {hidden: [10], activation: relu, output: softmax, init: {normal: 0.1, seed: 0, order: in_out}}
            training: {learning_rate: 0.1, iterations: 1, l2: 0.05, l2_convention: squared_norm}
            """
        let experiment = try ExperimentLoader().load(text: text, file: "toy.yaml")
        let data = try DataSource(locator: DataLocator(directories: [])).load(experiment.runs[0].config.dataset)
        var random = NumpyRandom(seed: 1)
        let draws = random.gaussian(count: 20)
        // Example j is row j of randn(5, 4): draws 4j ..< 4j + 4.
        for j in 0..<5 { for i in 0..<4 { #expect(data.splits.train.features[i, j] == draws[4 * j + i]) } }
        #expect(data.splits.train.labels == [0, 1, 2, 2, 1])
        // The default draws randn(4, 5): feature by feature.
        let plain = try ExperimentLoader().load(text: text.replacingOccurrences(of: ", order: examples_first", with: ""), file: "toy.yaml")
        let course = try DataSource(locator: DataLocator(directories: [])).load(plain.runs[0].config.dataset)
        #expect(course.splits.train.features[0, 1] == draws[1] && course.splits.train.features[1, 0] == draws[5])
    }
}

@Suite("cs231n options: estimates and ids")
struct CS231nOptionEdgeTests {
    @Test("a batch drawn with replacement beyond m is counted in memory and FLOPs; written-out defaults keep run ids")
    func estimates() throws {
        let text = """
            name: big
            dataset: {generator: blobs, n: 60, classes: 3, seed: 1}
            model: {hidden: [5], activation: relu, output: softmax}
            training: {learning_rate: 0.1, iterations: 2, batch_size: 1000000000, sampling: with_replacement}
            """
        let plan = try generatorRunner.plan(try ExperimentLoader().load(text: text, file: "big.yaml"), outputRoot: "/tmp/unused-netsweep")
        #expect(plan.memoryBytes(plan.runs[0]) > 1e10)
        #expect(throws: MemoryLimitError.self) { try plan.checkMemory(jobs: 1, limit: 1_073_741_824, limitSource: "--max-memory") }
        #expect(plan.runs[0].flops(exampleCount: 60) == Double(plan.runs[0].architecture.trainingFlopsPerExample) * 2e9)
        // epochs have no meaning when batches are drawn with replacement.
        let epochs = text.replacingOccurrences(of: "iterations: 2", with: "epochs: 2")
        #expect(throws: ConfigErrors.self) { try ExperimentLoader().load(text: epochs, file: "big.yaml") }
        // Defaults written out give the same runs.
        let base = "dataset: {generator: random, n: 5, features: 4, seed: 1}\nmodel: {hidden: [3], activation: tanh, init: {zeros: true}}\ntraining: {learning_rate: 0.1, iterations: 1}\n"
        let spelled = "dataset: {generator: random, n: 5, features: 4, seed: 1, center: false, order: features_first}\n"
            + "model: {hidden: [3], activation: tanh, init: {zeros: true, order: in_out}}\ntraining: {learning_rate: 0.1, iterations: 1}\n"
        let a = try ExperimentLoader().load(text: base, file: "a.yaml").runs[0].config
        let b = try ExperimentLoader().load(text: spelled, file: "b.yaml").runs[0].config
        #expect(RunID.make(config: a, fingerprint: "x") == RunID.make(config: b, fingerprint: "x"))
    }
}
