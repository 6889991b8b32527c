import Foundation
import Testing
@testable import Experiments
import NeuralNet
import Yams

@Suite("Sampled search")
struct SearchTests {
    static let text = """
        name: searched
        dataset: {generator: xor, n: 60, noise: 0.1, seed: 4, test_fraction: 0.25}
        model: {depth: 1, width: 3, activation: tanh}
        training: {learning_rate: 0.5, iterations: 20, record_every: 10}
        sweep:
          activation: [tanh, relu]
        search:
          samples: 12
          seed: 7
          learning_rate: {log_uniform: [1.0e-4, 1.0]}
          width: {int_uniform: [4, 128]}
          depth: {choice: [1, 2, 3]}
          l2: {uniform: [0.0, 0.1]}
        """

    static func load(_ text: String) throws -> Experiment { try ExperimentLoader().load(text: text, file: "s.yaml") }

    @Test("samples × grid runs, reproducible, within their ranges, stored as exact text")
    func drawn() throws {
        let first = try Self.load(Self.text), again = try Self.load(Self.text)
        #expect(first.runs.count == 24)
        let sampledKeys = ["learning_rate", "width", "depth", "l2"]
        #expect(first.columns == ["activation"] + sampledKeys)
        #expect(first.sampledKeys == sampledKeys)
        #expect(first.runs.map(\.sweptValues) == again.runs.map(\.sweptValues))
        let other = try Self.load(Self.text.replacingOccurrences(of: "seed: 7", with: "seed: 8"))
        #expect(other.runs.map(\.sweptValues) != first.runs.map(\.sweptValues))
        // The grid is the outer axis: the 12 samples repeat for each activation.
        let tanhSamples: [[String]] = first.runs[0..<12].map { Array($0.sweptValues.dropFirst()) }
        let reluSamples: [[String]] = first.runs[12..<24].map { Array($0.sweptValues.dropFirst()) }
        #expect(tanhSamples == reluSamples)
        for run in first.runs {
            let plan = run.config.training.plan
            #expect((1e-4...1).contains(plan.learningRate))
            #expect(Double(run.sweptValues[1]) == plan.learningRate, "exact text")
            let hidden = run.config.model.hidden
            #expect(hidden.allSatisfy { (4...128).contains($0) })
            #expect((1...3).contains(hidden.count))
            if case .perExample(let lambda) = plan.regularization { #expect((0...0.1).contains(lambda)) }
        }
    }

    @Test("log_uniform is uniform in log space; int_uniform and choice reach every value; halton is the radical inverse")
    func distributions() throws {
        var space = SearchSpace(samples: 4000, seed: 0, method: .random, keys: ["lr", "w", "c"],
                                paths: [["training", "learning_rate"], ["model", "width"], ["model", "activation"]],
                                distributions: [.logUniform(1e-4, 1), .intUniform(4, 9), .choice([Node("a"), Node("b"), Node("c")])])
        let points = space.axis().points
        let logs: [Double] = points.compactMap { point -> Double? in
            guard let value = point[0].float else { return nil }
            return (Foundation.log10(value) + 4) / 4
        }.sorted()
        #expect(logs.count == 4000 && logs.allSatisfy { (0..<1).contains($0) })
        // Kolmogorov-Smirnov distance to the uniform distribution (critical value at 1 %: 1.63/√n ≈ 0.026).
        var distance = 0.0
        for (index, value) in logs.enumerated() {
            distance = max(distance, abs(value - Double(index) / 4000), abs(value - Double(index + 1) / 4000))
        }
        #expect(distance < 0.026, "KS distance \(distance)")
        let widths: Set<Int> = Set(points.compactMap { $0[1].int })
        #expect(widths == Set(4...9))
        #expect(Set(points.compactMap { $0[2].string }) == ["a", "b", "c"])
        space.method = SearchSpace.Method.halton
        space.samples = 4
        space.distributions = [.uniform(0, 1), .uniform(0, 1), .uniform(0, 1)]
        let halton = space.axis().points.map { $0.compactMap(\.float) }
        let first: [Double] = halton.map { $0[0] }
        #expect(first == [0.5, 0.25, 0.75, 0.125])
        let base3: [Double] = [1.0 / 3, 2.0 / 3, 1.0 / 9, 4.0 / 9]
        let second: [Double] = halton.map { $0[1] }
        for (got, expected) in zip(second, base3) { #expect(abs(got - expected) < 1e-15) }
        #expect(SearchSpace.text(5e-05) == "5.0e-05" && SearchSpace.text(0.25) == "0.25")
    }

    @Test("a configuration drawn twice is kept once")
    func duplicates() throws {
        let text = Self.text.components(separatedBy: "search:")[0]
            .replacingOccurrences(of: "  activation: [tanh, relu]\n", with: "  learning_rate: [0.1, 0.2]\n")
            + "search:\n  samples: 9\n  activation: {choice: [tanh, relu]}\n"
        let experiment = try Self.load(text)
        #expect(experiment.runs.count == 4)
        #expect(Set(experiment.runs.map(\.sweptValues)).count == 4)
    }

    @Test("bad search sections are located errors naming what was expected")
    func errors() {
        func message(_ search: String) -> String {
            do {
                _ = try Self.load(Self.text.components(separatedBy: "search:")[0] + "search:\n" + search)
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(message("  learning_rate: {uniform: [0, 1]}\n").contains("needs samples"))
        #expect(message("  samples: 3\n  learning_rate: {log_uniform: [0, 1]}\n").contains("log_uniform needs low > 0"))
        #expect(message("  samples: 3\n  learning_rate: {normal: [0, 1]}\n").contains("unknown distribution 'normal'"))
        #expect(message("  samples: 3\n  activation: {choice: [tanh]}\n").contains("'activation' is both swept and sampled"))
        #expect(!message("  samples: 3\n  learning_rate: {log_uniform: [0, 1]}\n").contains("samples nothing"))
        #expect(message("  samples: 3\n  colour: {choice: [red]}\n").contains("unknown search key 'colour'"))
        #expect(message("  samples: 0\n  width: {int_uniform: [1, 2]}\n").contains("'samples' must be"))
        #expect(message("  samples: 3\n  width: {int_uniform: [5, 2]}\n").contains("low ≤ high"))
        #expect(message("  samples: 3\n  method: sobol\n  width: {int_uniform: [1, 2]}\n").contains("random or halton"))
        #expect(message("  samples: 3\n  width: {int_uniform: [1, 2]}\n").contains("s.yaml:") == false)
    }

    @Test("a searched sweep's table ranks runs by the metric; the report plots the metric against each sampled key")
    func report() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, outcome) = try runExperiment(Self.text.replacingOccurrences(of: "samples: 12", with: "samples: 6"), root: root, jobs: 2)
        let table = try String(contentsOf: plan.layout.accuracyTable, encoding: .utf8).components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(table[0] == "learning_rate,width,depth,l2,activation=tanh,activation=relu")
        // Each row (one sampled configuration) by its best cell, best first.
        let ranked: [Double] = table.dropFirst().map { line in
            line.split(separator: ",").suffix(2).compactMap { Double($0) }.max() ?? -1
        }
        #expect(ranked.count == 6)
        #expect(ranked == ranked.sorted(by: >))
        #expect(outcome.report?.records.compactMap { $0 }.count == 12)
        for key in ["learning_rate", "width", "l2"] {
            let figure = plan.layout.directory.appendingPathComponent("figures/test_accuracy_vs_\(key).svg")
            let svg = try String(contentsOf: figure, encoding: .utf8)
            let circles = svg.components(separatedBy: "<circle").count - 1
            #expect(svg.contains("sampled runs"))
            #expect(circles >= 12, "\(key): \(circles) points")
        }
    }
}
