import Foundation
import Testing
@testable import Experiments

@Suite("Expectations")
struct ExpectationTests {
    static let base = """
        name: expecting
        dataset: {generator: xor, n: 40, seed: 3}
        model: {hidden: [4], activation: tanh, init: {normal: 0.5, seed: 1}}
        training: {learning_rate: 0.5, iterations: 20, record_every: 10}
        sweep:
          activation: [tanh, relu]
        """

    @Test("expectations parse with their lines; bad ones are located")
    func parsing() throws {
        let experiment = try ExperimentLoader().load(text: Self.base + """

            expect:
              - where: {activation: relu}
                tolerance: 1e-3
                cost: {0: 0.7, 20: 0.5}
                test_accuracy: {at_least: 0.5}
              - best: train_accuracy
                is: {activation: tanh}
            """, file: "e.yaml")
        #expect(experiment.expectations.count == 2)
        #expect(experiment.expectations[0].line == 8)
        #expect(experiment.expectations[0].selector == ["activation": "relu"])
        #expect(experiment.expectations[0].tolerance == 1e-3)
        #expect(experiment.expectations[0].checks == [
            .init(quantity: .cost(iteration: 0), bound: .equal(0.7)), .init(quantity: .cost(iteration: 20), bound: .equal(0.5)),
            .init(quantity: .testAccuracy, bound: .atLeast(0.5)),
        ])
        #expect(experiment.expectations[1].best == .trainAccuracy)

        let errors: [String]
        do {
            _ = try ExperimentLoader().load(text: Self.base + """

                expect:
                  - where: {activaton: relu}
                    final_cost: low
                  - tolerance: 1
                """, file: "e.yaml")
            errors = []
        } catch {
            errors = error.errors.map(\.description)
        }
        #expect(errors == [
            "e.yaml:8:13: error: 'activaton' in 'where' is not swept; did you mean 'activation'?",
            "e.yaml:9:17: error: expected a finite number, {at_least: x} or {at_most: x}; found 'low'",
            "e.yaml:10:5: error: an expectation must check something: cost, final_cost, train_accuracy, test_accuracy or best",
        ])
    }

    @Test("a value exactly at the decimal tolerance passes; one ulp-scale step beyond it fails")
    func toleranceBoundary() {
        // 0.9075 − 0.9025 is 0.00500000000000006 in binary; as written it is exactly 0.005.
        #expect(Expectation.Bound.equal(0.9025).accepts(0.9075, tolerance: 0.005))
        #expect(!Expectation.Bound.equal(0.9025).accepts(0.9076, tolerance: 0.005))
        #expect(Expectation.Bound.atLeast(0.8834).accepts(0.8834, tolerance: 0))
        #expect(!Expectation.Bound.atLeast(0.8834).accepts(0.8833, tolerance: 0))
        #expect(!Expectation.Bound.atMost(0.5).accepts(0.5 + 1e-12, tolerance: 0))
    }

    @Test("checks pass and fail against the records and curves; runner check re-checks saved results")
    func checking() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, outcome) = try runExperiment(Self.base, root: root, jobs: 2)
        let records = (try #require(outcome.report)).records.compactMap { $0 }
        let reluCost = try #require(records[1].finalCost)
        // Re-check the saved results with expectations written against what was recorded.
        var file = try Reporter(layout: plan.layout).readPlan()
        file.expectations = [
            Expectation(line: 1, selector: ["activation": "relu"], best: nil, bestValues: [:], tolerance: 1e-12,
                        checks: [.init(quantity: .finalCost, bound: .equal(reluCost)),
                                 .init(quantity: .cost(iteration: 20), bound: .equal(reluCost))]),
            Expectation(line: 2, selector: [:], best: nil, bestValues: [:], tolerance: 0,
                        checks: [.init(quantity: .cost(iteration: 5), bound: .atMost(1))]),
            Expectation(line: 3, selector: [:], best: .finalCost, bestValues: ["activation": "relu"], tolerance: 0,
                        checks: []),
        ]
        let results = try ExpectationChecker(layout: plan.layout).check(plan: file, records: (try #require(outcome.report)).records)
        #expect(results.map(\.passed) == [true, true, false, false,
                                          records[1].finalCost! <= records[0].finalCost!])
        #expect(results[2].got == "not recorded")   // iteration 5 is not a multiple of record_every
        #expect(ExpectationChecker.csv(results).hasPrefix("expectation,line,subject,quantity,expected,got,tolerance,result\r\n"))
    }

    @Test("a tie is pinned as the set of tied configurations: a missing or an extra one fails, naming it")
    func tiedConfigurations() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // Two seeds of each activation; train accuracies on 40 xor points after 20 iterations.
        let (plan, outcome) = try runExperiment(Self.base + "\nrepeats: 2\n", root: root, jobs: 2)
        let records = try #require(outcome.report).records
        var means: [String: Double] = [:]
        for record in (try #require(outcome.report)).records.compactMap({ $0 }) {
            means[record.sweptValues[try #require(plan.experiment.columns.firstIndex(of: "activation"))], default: 0] += (record.trainAccuracy ?? .nan) / 2
        }
        let tanh = try #require(means["tanh"]), relu = try #require(means["relu"])
        var file = try Reporter(layout: plan.layout).readPlan()
        func check(_ ties: [[String: String]], tolerance: Double) throws -> ExpectationResult {
            file.expectations = [Expectation(line: 1, selector: [:], best: .trainAccuracy, bestValues: [:], bestTies: ties,
                                             tolerance: tolerance, checks: [])]
            return try #require(ExpectationChecker(layout: plan.layout).check(plan: file, records: records).first)
        }
        // A tolerance wide enough ties both; zero ties only the better one (or both when equal).
        let both = try check([["activation": "tanh"], ["activation": "relu"]], tolerance: 1)
        #expect(both.passed && both.got == "the 2 listed")
        let better = tanh >= relu ? "tanh" : "relu", worse = tanh >= relu ? "relu" : "tanh"
        let one = try check([["activation": better]], tolerance: 1)
        #expect(!one.passed && one.got == "also tied: {activation=\(worse)}", "\(one.got)")
        if tanh != relu {
            let strict = try check([["activation": "tanh"], ["activation": "relu"]], tolerance: 0)
            #expect(!strict.passed && strict.got == "not tied: {activation=\(worse)}", "\(strict.got)")
        }
        // The file form parses, and a key that is not swept is located.
        let parsed = try ExperimentLoader().load(text: Self.base + """

            expect:
              - best: train_accuracy
                is:
                  - {activation: tanh}
                  - {activation: relu}
            """, file: "e.yaml")
        #expect(parsed.expectations[0].bestTies == [["activation": "tanh"], ["activation": "relu"]])
        do {
            _ = try ExperimentLoader().load(text: Self.base + """

                expect:
                  - best: train_accuracy
                    is: [{activaton: tanh}, []]
                """, file: "e.yaml")
            Issue.record("a bad tie list was accepted")
        } catch {
            #expect(error.errors.map(\.description) == [
                "e.yaml:9:11: error: 'activaton' in 'is' is not swept; did you mean 'activation'?",
                "e.yaml:9:29: error: 'is' must map swept keys to values (or be a list of such mappings, for a tie); found '[]'",
            ])
        }
    }

    @Test("a deliberately wrong expectation makes the runner exit 1 with the failure table")
    func wrongExpectationFailsTheRun() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try (Self.base + """

            expect:
              - where: {activation: tanh}
                test_accuracy: 0.123
            """).write(to: directory.appendingPathComponent("wrong.yaml"), atomically: true, encoding: .utf8)
        let run = try RunnerEndToEndTests.run(["wrong.yaml", "--quiet"], in: directory)
        #expect(run.status == 1)
        #expect(run.output.contains("expectations: 0 passed, 1 failed"))
        #expect(run.output.contains("run 0 (activation=tanh)  test_accuracy  0.123"))
        #expect(run.output.contains("FAIL"))
        let csv = try String(contentsOf: directory.appendingPathComponent("results/expecting/expectations.csv"), encoding: .utf8)
        #expect(csv.contains(",FAIL\r\n"))
        // runner check reaches the same verdict without training.
        let check = try RunnerEndToEndTests.run(["check", "results/expecting"], in: directory)
        #expect(check.status == 1)
        #expect(check.output.contains("expectations: 0 passed, 1 failed"))
    }
}
