import Foundation
import Testing
@testable import Experiments
import NeuralNet

@Suite("Sweep expansion")
struct SweepExpansionTests {
    @Test("a grid runs first axis outermost, last axis fastest; depth × width gives hidden sizes")
    func gridOrder() throws {
        let experiment = try ExperimentLoader().load(file: configPath("good_grid.yaml"))
        #expect(experiment.columns == ["learning_rate", "depth"])
        #expect(experiment.runs.map(\.sweptValues) == [
            ["0.5", "0"], ["0.5", "1"], ["0.5", "2"], ["0.1", "0"], ["0.1", "1"], ["0.1", "2"],
        ])
        #expect(experiment.runs.map(\.config.model.hidden) == [[], [4], [4, 4], [], [4], [4, 4]])
        #expect(experiment.runs.map(\.config.training.plan.learningRate) == [0.5, 0.5, 0.5, 0.1, 0.1, 0.1])
        #expect(experiment.runs.map(\.index) == Array(0..<6))
        #expect(!experiment.hasRepeats)
    }

    @Test("zipped keys vary together; repeats are the innermost axis and share a configuration")
    func zipAndRepeats() throws {
        let experiment = try ExperimentLoader().load(file: configPath("good_zip_repeats.yaml"))
        #expect(experiment.columns == ["activation", "learning_rate", "l2", "seed"])
        #expect(experiment.runs.count == 2 * 2 * 3)
        #expect(experiment.runs.prefix(4).map(\.sweptValues) == [
            ["relu", "0.1", "0", "10"], ["relu", "0.1", "0", "11"], ["relu", "0.1", "0", "12"],
            ["relu", "0.05", "0.01", "10"],
        ])
        #expect(experiment.runs.map(\.configurationIndex) == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
        #expect(experiment.runs[3].config.training.plan.regularization == .perExample(lambda: 0.01))
        #expect(experiment.runs[3].config.seed == 10)
        #expect(experiment.runs[0].config.training.plan.regularization == Regularization.none)
        #expect(experiment.hasRepeats)
    }

    @Test("a list of repeat seeds")
    func repeatSeedList() throws {
        let text = """
            dataset: {generator: xor}
            model: {hidden: [2], activation: tanh}
            training: {learning_rate: 0.1, iterations: 5}
            repeats: [7, 3]
            """
        let experiment = try ExperimentLoader().load(text: text, file: "seeds.yaml")
        #expect(experiment.runs.map(\.config.seed) == [7, 3])
        #expect(experiment.name == "seeds")
    }

    @Test("--set overrides a value and a sweep")
    func overrides() throws {
        let experiment = try ExperimentLoader().load(
            file: configPath("good_grid.yaml"),
            overrides: ["training.iterations=7", "sweep.depth=[2]", "activation=relu"])
        #expect(experiment.runs.count == 2)
        #expect(experiment.runs.allSatisfy { $0.config.training.plan.length == .iterations(7) })
        #expect(experiment.runs.allSatisfy { $0.config.model.hidden == [4, 4] })
        #expect(experiment.runs.allSatisfy { $0.config.model.activation == .relu })
    }

    @Test("a bad --set names the assignment")
    func badOverride() {
        #expect(loadErrors(configPath("good_grid.yaml"), overrides: ["training.learnig_rate=1"]) == [
            "--set training.learnig_rate=1: error: unknown key 'training.learnig_rate'; did you mean 'training.learning_rate'?",
        ])
        #expect(loadErrors(configPath("good_grid.yaml"), overrides: ["iterations"]) == [
            "--set iterations: error: expected key=value (e.g. training.learning_rate=0.01)",
        ])
        // Values from the command line have no position in the file.
        #expect(loadErrors(configPath("good_grid.yaml"), overrides: ["training.record_every=abc"]) == [
            "\(configPath("good_grid.yaml")): error: 'training.record_every' must be an integer; found 'abc'",
        ])
    }

    @Test("an explicit hidden list is a sweepable value and appears compactly")
    func hiddenLists() throws {
        let text = """
            name: lists
            dataset: {generator: xor}
            model: {hidden: [2], activation: tanh}
            training: {learning_rate: 0.1, iterations: 5}
            sweep:
              hidden: [[20, 7, 5], [3]]
            """
        let experiment = try ExperimentLoader().load(text: text, file: "lists.yaml")
        #expect(experiment.runs.map(\.sweptValues) == [["[20, 7, 5]"], ["[3]"]])
        #expect(experiment.runs.map(\.config.model.hidden) == [[20, 7, 5], [3]])
    }

    @Test("runs assembled from shared sections equal runs decoded whole, over every section a sweep can touch")
    func sharedSections() throws {
        let text = """
            name: sections
            dataset: {generator: moons, n: 60, noise: 0.1, seed: 2, test_fraction: 0.25}
            model: {depth: 1, width: 3, activation: tanh, init: {normal: 0.5, seed: 3}}
            training: {learning_rate: 0.5, iterations: 40, record_every: 10, decay: {inverse_time: 0.1, every: 10}}
            seed: 7
            precision: float64
            sweep:
              dataset.n: [60, 80]
              width: [2, 5]
              activation: [tanh, relu]
              learning_rate: [0.1, 0.5]
              training.decay.every: [5, 10]
              precision: [float64, float32]
              engine.first_layer: [auto, primal]
            repeats: 2
            """
        var whole = ExperimentLoader()
        whole.sharesSections = false
        let shared = try ExperimentLoader().load(text: text, file: "t.yaml")
        let decoded = try whole.load(text: text, file: "t.yaml")
        #expect(shared.runs.count == 256 && decoded.runs.count == 256)
        #expect(shared.runs.map(\.config) == decoded.runs.map(\.config))
        #expect(Set(shared.runs.map(\.config.seed)).count == 2)
        #expect(shared.runs.contains { $0.config.engine?.firstLayer == .primal } && shared.runs.contains { $0.config.engine == nil })
    }

    @Test("a seed reads the same whether a run is assembled from shared sections or decoded whole; repeats start from it")
    func seedSpellings() throws {
        func seeds(_ text: String, shared: Bool = true) throws -> [UInt32] {
            var loader = ExperimentLoader()
            loader.sharesSections = shared
            return try loader.load(text: text, file: "s.yaml").runs.map(\.config.seed)
        }
        let base = """
            dataset: {generator: xor, n: 20, seed: 1}
            model: {hidden: [2], activation: tanh}
            training: {learning_rate: 0.1, iterations: 2}
            """
        for seed in ["010", "8", "0x10", "1_000", "0"] {
            let text = base + "\nseed: \(seed)\n"
            #expect(try seeds(text) == seeds(text, shared: false), "seed: \(seed)")
            #expect(try seeds(text + "engine: {}\n") == seeds(text), "seed: \(seed) with an engine section")
        }
        #expect(try seeds(base + "\nseed: 0x10\nrepeats: 2\n") == [16, 17])
        #expect(throws: ConfigErrors.self) { try seeds(base + "\nseed: abc\nrepeats: 2\n") }
        #expect(throws: ConfigErrors.self) { try seeds(base + "\nseed: 4294967295\nrepeats: 3\n") }
    }

    @Test("engine.first_layer: dual with Adam is a located error")
    func dualWithAdam() {
        let text = """
            dataset: {generator: xor, n: 20, seed: 1}
            model: {hidden: [2], activation: tanh}
            training: {learning_rate: 0.1, iterations: 2, optimizer: adam}
            engine: {first_layer: dual}
            """
        #expect { try ExperimentLoader().load(text: text, file: "a.yaml") } throws: { error in
            "\(error)".hasPrefix("a.yaml:4:") && "\(error)".contains("first_layer: dual needs an update linear in the gradient")
        }
    }
}

@Suite("Plan warnings")
struct PlanWarningTests {
    static func warnings(_ text: String) throws -> [String] {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        return try generatorRunner.plan(try ExperimentLoader().load(text: text, file: "test.yaml"), outputRoot: root.path).warnings
    }

    @Test("repeats that only change the run's seed while init.seed is fixed are said to train identically")
    func identicalRepeats() throws {
        let base = """
            name: repeats
            dataset: {generator: moons, n: 40}
            model: {hidden: [3], activation: tanh, output: sigmoid, init: INIT}
            training: {learning_rate: 0.1, iterations: 10, batch_size: 8}
            """
        let fixed = try Self.warnings(base.replacingOccurrences(of: "INIT", with: "{xavier: true, seed: 1}") + "\nrepeats: 3\n")
        #expect(fixed.count == 1 && fixed.first?.contains("1 configuration repeated with seeds 1, 2, 3 train identically") == true,
                "\(fixed)")
        let swept = try Self.warnings(base.replacingOccurrences(of: "INIT", with: "{xavier: true, seed: 1}")
                                      + "\nsweep: {seed: [4, 5], learning_rate: [0.1, 0.2]}\n")
        #expect(swept.first?.hasPrefix("2 configurations repeated with seeds 4, 5") == true, "\(swept)")
        // Without an init seed (the run's seed draws the weights) or without repeats: nothing to say.
        #expect(try Self.warnings(base.replacingOccurrences(of: "INIT", with: "xavier") + "\nrepeats: 3\n").isEmpty)
        #expect(try Self.warnings(base.replacingOccurrences(of: "INIT", with: "{xavier: true, seed: 1}")).isEmpty)
    }
}
