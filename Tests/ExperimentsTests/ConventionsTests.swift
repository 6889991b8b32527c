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
        func errors(_ text: String) -> [String] {
            do {
                _ = try ExperimentLoader().load(text: text, file: "conv.yaml")
                return []
            } catch {
                return error.errors.map(\.description)
            }
        }
        #expect(errors(Self.base.replacingOccurrences(of: "seed: 0}", with: "seed: 0, order: inout}")).first?
            .contains("'order' must be one of out_in, in_out; found 'inout'") == true)
        #expect(errors(Self.base.replacingOccurrences(of: "l2: 0.05}", with: "l2: 0.05, l2_convention: squared}")).first?
            .contains("'l2_convention' must be one of per_example, cs231n, squared_norm; found 'squared'") == true)
    }
}
