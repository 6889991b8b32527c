import Datasets
import Foundation
import NeuralNet
import Testing
@testable import Experiments

/// `runner predict`: a run folder read back gives the network and preprocessing it was trained with.
@Suite("predict from a run folder")
struct PredictionTests {
    /// Held-out split, standardisation, both precisions, both first-layer forms, two activations.
    static let split = """
        name: split
        dataset: {generator: moons, n: 200, noise: 0.25, seed: 3, test_fraction: 0.25, split_seed: 1, standardize: true}
        model: {hidden: [6], activation: tanh, output: sigmoid, init: {normal: 0.5, seed: 1}}
        training: {optimizer: gd, learning_rate: 0.5, iterations: 300, record_every: 100}
        sweep:
          precision: [float64, float32]
          activation: [tanh, relu]
          engine: [{first_layer: primal}, {first_layer: dual}]
        """

    /// Softmax over three classes, scaled and standardised, no test split.
    static let softmax = """
        name: softmax
        dataset: {generator: blobs, n: 150, classes: 3, noise: 1.5, seed: 4, scale: 2, standardize: true}
        model: {hidden: [5], activation: relu, output: softmax, init: {normal: 0.3, seed: 2}}
        training: {optimizer: gd, learning_rate: 0.3, iterations: 200, record_every: 100}
        sweep:
          precision: [float64, float32]
        """

    static func runs(_ plan: SweepPlan) -> [TrainedRun] {
        plan.runs.compactMap { try? TrainedRun(directory: plan.layout.runDirectory($0.id)) }
    }

    @Test("predictions on the run's own splits give its recorded train and test accuracy exactly")
    func reproducesRecordedAccuracy() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, _) = try runExperiment(Self.split, root: root, jobs: 2)
        let runs = Self.runs(plan)
        #expect(runs.count == 8)
        let source = DataSource(locator: DataLocator(directories: []))
        for run in runs {
            let data = try source.load(run.record.config.dataset)
            #expect(run.wasTrained(on: data))
            guard let test = data.splits.test, let trainAccuracy = run.record.trainAccuracy,
                  let testAccuracy = run.record.testAccuracy else {
                Issue.record("run \(run.record.id) has no test split or accuracy")
                continue
            }
            let single = run.record.config.precision == .float32
            let onTrain = single ? try Predictions(network: run.network(Float.self), features: data.splits.train.features)
                                 : try Predictions(network: run.network(Double.self), features: data.splits.train.features)
            let onTest = single ? try Predictions(network: run.network(Float.self), features: test.features)
                                : try Predictions(network: run.network(Double.self), features: test.features)
            #expect(onTrain.accuracy(labels: data.splits.train.labels) == trainAccuracy)
            #expect(onTest.accuracy(labels: test.labels) == testAccuracy)
            // Probabilities of a sigmoid output: both classes, summing to 1, agreeing with the prediction.
            for (row, predicted) in zip(onTest.probabilities, onTest.predicted) {
                #expect(row.count == 2 && abs(row[0] + row[1] - 1) < 1e-6)
                #expect((row[1] > 0.5 ? 1 : 0) == predicted)
            }
        }
    }

    @Test("new data go through the training split's preprocessing (scale, standardisation statistics)")
    func newDataArePreprocessedLikeTraining() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, _) = try runExperiment(Self.softmax, root: root, jobs: 1)
        let source = DataSource(locator: DataLocator(directories: []))
        for run in Self.runs(plan) {
            let recipe = run.record.config.dataset
            // The training recipe given as new data: the same raw examples, so after the same
            // preprocessing the same features, the same predictions and the recorded accuracy.
            let (data, new) = try source.load(recipe, with: .generated(recipe))
            #expect(new.features == data.splits.train.features)
            let single = run.record.config.precision == .float32
            let predictions = single ? try Predictions(network: run.network(Float.self), features: new.features)
                                     : try Predictions(network: run.network(Double.self), features: new.features)
            #expect(predictions.accuracy(labels: new.labels) == run.record.trainAccuracy)
            #expect(predictions.probabilities.allSatisfy { $0.count == 3 && abs($0.reduce(0, +) - 1) < 1e-5 })
            // Other data are standardised with the training statistics, not their own.
            var other = recipe
            other.seed = 99
            let (_, drawn) = try source.load(recipe, with: .generated(other))
            guard let rawTrain = try recipe.makeGenerator()?.make(), let rawOther = try other.makeGenerator()?.make() else {
                Issue.record("no generator")
                continue
            }
            for feature in 0..<rawTrain.featureCount {
                let values = (0..<rawTrain.exampleCount).map { rawTrain.features[feature, $0] / 2 }
                let mean = values.reduce(0, +) / Double(values.count)
                let deviation = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
                for example in [0, 7, rawOther.exampleCount - 1] {
                    let expected = (rawOther.features[feature, example] / 2 - mean) / deviation
                    #expect(abs(drawn.features[feature, example] - expected) <= 1e-12 * max(1, abs(expected)))
                }
            }
        }
    }

    @Test("--best picks the highest test accuracy; the errors name the folder")
    func bestAndErrors() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, _) = try runExperiment(Self.split, root: root, jobs: 2)
        let records = Self.runs(plan).map(\.record)
        let best = try TrainedRun.best(in: plan.layout.directory)
        #expect(best.record.testAccuracy == records.compactMap(\.testAccuracy).max())
        #expect(best.record.index == records.filter { $0.testAccuracy == best.record.testAccuracy }.map(\.index).min())

        #expect(throws: PredictionError.self) { try TrainedRun(directory: plan.layout.directory) }
        #expect(throws: PredictionError.self) { try TrainedRun.best(in: root) }
        let id = plan.runs[0].id
        try Data("not a zip".utf8).write(to: plan.layout.parameters(id))
        let damaged = #expect(throws: PredictionError.self) { try TrainedRun(directory: plan.layout.runDirectory(id)) }
        #expect("\(damaged.map { "\($0)" } ?? "")".contains("params.npz: not the W1, b1"))

        // Other data than the run's: the fingerprint differs, so its statistics cannot be remade.
        let run = try TrainedRun(directory: plan.layout.runDirectory(plan.runs[1].id))
        var changed = run.record.config.dataset
        changed.seed = 4
        #expect(!run.wasTrained(on: try DataSource(locator: DataLocator(directories: [])).load(changed)))

        let (diverged, _) = try runExperiment(SweepRunnerTests.diverging, root: root, jobs: 1)
        let failed = diverged.runs.first { (try? diverged.layout.readRecord($0.id))??.status == .diverged }
        let notTrained = #expect(throws: PredictionError.self) {
            try TrainedRun(directory: diverged.layout.runDirectory(failed?.id ?? ""))
        }
        #expect("\(notTrained.map { "\($0)" } ?? "")".contains("diverged: it has no trained parameters"))
    }

    @Test("the CSV: one row per example, class names as text, full-precision probabilities")
    func csv() {
        let predictions = Predictions(probabilities: [[0.25, 0.75], [0.9, 0.1]], predicted: [1, 0])
        #expect(predictions.csv(classNames: ["non-cat", "cat, tabby"], labels: [1, 1]) == """
            example,label,predicted,correct,probability_non-cat,"probability_cat, tabby"\r
            0,"cat, tabby","cat, tabby",1,0.25,0.75\r
            1,"cat, tabby",non-cat,0,0.9,0.1\r

            """)
        #expect(predictions.csv(classNames: ["a", "b"], labels: nil).hasPrefix("example,predicted,probability_a,probability_b\r\n0,b,0.25,0.75\r\n"))
    }
}

/// `--data` files are checked against the training file before anything is predicted.
@Suite("predict: new data files")
struct PredictionFileTests {
    @Test("a CSV with other columns, and a test or validation file of another width, are refused")
    func columnsAndWidths() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        var rows = ["x1,x2,y"]
        for i in 0..<40 { rows.append("\(Double(i % 7) / 7),\(Double(i % 5) / 5),\(i % 2)") }
        try rows.joined(separator: "\n").write(to: root.appendingPathComponent("train.csv"), atomically: true, encoding: .utf8)
        try (["x2,x1,y"] + rows.dropFirst()).joined(separator: "\n")
            .write(to: root.appendingPathComponent("swapped.csv"), atomically: true, encoding: .utf8)
        try (["x1,x2,x3,y"] + rows.dropFirst().map { "0.5," + $0 }).joined(separator: "\n")
            .write(to: root.appendingPathComponent("wide.csv"), atomically: true, encoding: .utf8)
        let path = root.appendingPathComponent("train.csv").path
        let text = """
            name: csvrun
            dataset: {train: \(path), test_fraction: 0.25}
            model: {hidden: [3], activation: tanh, output: sigmoid}
            training: {learning_rate: 0.1, iterations: 10}
            """
        let (plan, _) = try runExperiment(text, root: root, jobs: 1)
        let source = DataSource(locator: DataLocator(directories: []))
        let config = try #require(try plan.layout.readRecord(plan.runs[0].id)).config.dataset
        let swapped = root.appendingPathComponent("swapped.csv").path
        #expect(throws: DatasetError.badOption(name: "--data", expected: "the training file's columns (x1,x2,y)",
                                               found: "x2,x1,y in \(swapped)")) {
            try source.load(config, with: .file(name: swapped, labels: nil))
        }
        _ = try source.load(config, with: .file(name: path, labels: nil))
        // A validation file one feature wider is refused when the data are loaded, naming both files.
        var wide = config
        wide.testFraction = nil
        wide.validation = root.appendingPathComponent("wide.csv").path
        #expect(throws: DatasetError.self) { try source.load(wide) }
        do {
            _ = try source.load(wide)
        } catch {
            #expect("\(error)".contains("the validation file has 3 features per example; the training file"), "\(error)")
        }
    }
}
