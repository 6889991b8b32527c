import Datasets
import Foundation
import NeuralNet
import Testing
@testable import Experiments

/// `validation_fraction` and `early_stopping`.
@Suite("validation split and early stopping")
struct EarlyStoppingTests {
    static let experiment = """
        name: es
        dataset: {generator: moons, n: 120, noise: 0.3, seed: 2, test_fraction: 0.2, validation_fraction: 0.25, split_seed: 1}
        model: {hidden: [10, 10], activation: relu, output: sigmoid, init: he}
        training:
          optimizer: gd
          learning_rate: 0.5
          iterations: 20000
          record_every: 100
          early_stopping: {metric: validation_cost, patience: 3}
        sweep:
          learning_rate: [0.05, 0.5]
          precision: [float64, float32]
          engine: [{first_layer: primal}, {first_layer: dual}, {implementation: reference}]
        """

    @Test("mini-batch runs with early stopping read back: their final cost (whole training set) is not a curve row's (a batch's)")
    func miniBatchesReadBack() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let text = Self.experiment
            .replacingOccurrences(of: "optimizer: gd", with: "optimizer: adam\n  batch_size: 16")
            .replacingOccurrences(of: "learning_rate: [0.05, 0.5]", with: "learning_rate: [0.003, 0.3]")
            .replacingOccurrences(of: "\n  engine: [{first_layer: primal}, {first_layer: dual}, {implementation: reference}]", with: "")
            .replacingOccurrences(of: "iterations: 20000", with: "iterations: 3000")
        #expect(text.contains("batch_size: 16") && !text.contains("engine:"))
        let (plan, outcome) = try runExperiment(text, root: root, jobs: 2)
        let records = try #require(outcome.report).records.compactMap { $0 }
        #expect(records.count == 4 && records.contains { $0.bestIteration != nil && $0.bestIteration != $0.iterations }, "\(records.map(\.bestIteration))")
        for record in records { #expect(throws: Never.self) { try plan.layout.readCurve(for: record) } }
        _ = try Reporter(layout: plan.layout).write()
    }

    @Test("the three splits partition the data; the test split is the one without validation")
    func splits() throws {
        let source = DataSource(locator: DataLocator(directories: []))
        let config = try ExperimentLoader().load(text: Self.experiment, file: "es.yaml").runs[0].config.dataset
        let data = try source.load(config)
        guard let test = data.splits.test, let validation = data.splits.validation else {
            Issue.record("no test or validation split")
            return
        }
        #expect((data.trainExamples, test.exampleCount, validation.exampleCount) == (72, 24, 24))
        var withoutValidation = config
        withoutValidation.validationFraction = nil
        let plain = try source.load(withoutValidation)
        #expect(plain.splits.test?.features == test.features)
        // Every example once: the training and validation examples are the other split's training examples.
        func columns(_ dataset: Dataset) -> Set<[Double]> {
            Set((0..<dataset.exampleCount).map { j in (0..<dataset.featureCount).map { dataset.features[$0, j] } })
        }
        #expect(columns(data.splits.train).union(columns(validation)) == columns(plain.splits.train))
        #expect(columns(data.splits.train).isDisjoint(with: columns(validation)))
        #expect(data.fingerprint != plain.fingerprint)
    }

    @Test("early stopping keeps the best evaluation's parameters, in every engine and precision")
    func keepsBest() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, outcome) = try runExperiment(Self.experiment, root: root, jobs: 2)
        #expect(outcome.failedOrDiverged == 0)
        let source = DataSource(locator: DataLocator(directories: []))
        var bestIterations: [String: Set<Int>] = [:]
        for entry in plan.runs {
            let run = try TrainedRun(directory: plan.layout.runDirectory(entry.id))
            let record = run.record
            #expect(record.status == .stoppedEarly)
            guard let best = record.bestIteration, let validationCost = record.validationCost else {
                Issue.record("run \(entry.planned.index) has no best iteration")
                continue
            }
            // Patience: 3 evaluations, every 100 iterations, after the best.
            #expect(record.iterations == best + 300)
            let curve = try plan.layout.readCurve(for: record)
            #expect(curve.last?.iteration == record.iterations)
            let row = curve.first { $0.iteration == best }?.text.split(separator: ",").map(String.init) ?? []
            #expect(row.count == 6)
            // The best row has the lowest validation cost of the curve.
            let costs = curve.compactMap { Double($0.text.split(separator: ",")[4]) }
            #expect(costs.min() == validationCost && Double(row[4]) == validationCost)
            // The kept parameters: reloaded, they give the recorded validation cost and the recorded
            // training cost, which is the curve's cost at the best iteration (full batch).
            let data = try source.load(record.config.dataset)
            guard let validation = data.splits.validation else { continue }
            let single = record.config.precision == .float32
            let onValidation = single
                ? try run.network(Float.self).evaluate(inputs: validation.features.converted(to: Float.self), labels: validation.labels)
                : try run.network(Double.self).evaluate(inputs: validation.features, labels: validation.labels)
            #expect(onValidation.cost == validationCost)
            #expect(onValidation.accuracy == record.validationAccuracy)
            let relative = abs((record.finalCost ?? 0) - (Double(row[2]) ?? 1)) / (Double(row[2]) ?? 1)
            #expect(relative < (single ? 1e-6 : 1e-13), "run \(entry.planned.index): \(relative)")
            bestIterations[entry.planned.sweptValues[0] + entry.planned.sweptValues[1], default: []].insert(best)
        }
        // The engines agree on where the best was (same learning rate and precision).
        #expect(bestIterations.values.allSatisfy { $0.count == 1 }, "\(bestIterations)")
        let summary = try String(contentsOf: plan.layout.summary, encoding: .utf8)
        #expect(summary.hasPrefix("run_id,learning_rate,precision,engine,status,diverged_at,final_cost,train_accuracy,test_accuracy,"
                                  + "iterations_done,wall_seconds,validation_cost,validation_accuracy,best_iteration\r\n"))
        let curves = try String(contentsOf: plan.layout.curves, encoding: .utf8)
        #expect(curves.hasPrefix("run_id,learning_rate,precision,engine,iteration,epoch,cost,train_accuracy,validation_cost,validation_accuracy\r\n"))
    }

    @Test("a validation split without early stopping: metrics of the final parameters, status finished")
    func validationOnly() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let text = Self.experiment.replacingOccurrences(of: "  early_stopping: {metric: validation_cost, patience: 3}\n", with: "")
            .replacingOccurrences(of: "iterations: 20000", with: "iterations: 250")
        let (plan, _) = try runExperiment(text, root: root, jobs: 2)
        for entry in plan.runs {
            let record = try #require(try plan.layout.readRecord(entry.id))
            #expect(record.status == .finished && record.iterations == 250 && record.bestIteration == nil)
            let curve = try plan.layout.readCurve(for: record)
            #expect(curve.map(\.iteration) == [0, 100, 200, 250])
            #expect(curve.last.map { Double($0.text.split(separator: ",")[4]) } == record.validationCost)
        }
    }

    @Test("the parameters after the last update are a check too: a run that still improves keeps its last")
    func lastUpdateIsACheck() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // Checks every 200 iterations, 100 iterations: only the start and the end are checked.
        let text = Self.experiment.replacingOccurrences(of: "iterations: 20000", with: "iterations: 100")
            .replacingOccurrences(of: "patience: 3}", with: "patience: 3, every: 200}")
        let (plan, _) = try runExperiment(text, root: root, jobs: 2)
        for entry in plan.runs {
            let record = try #require(try plan.layout.readRecord(entry.id))
            #expect(record.status == .finished && record.bestIteration == 100, "run \(entry.planned.index): \(record.bestIteration ?? -1)")
            let curve = try plan.layout.readCurve(for: record)
            #expect(curve.last.map { Double($0.text.split(separator: ",")[4]) } == record.validationCost)
        }
    }

    @Test("bad early-stopping and validation settings are located errors")
    func errors() throws {
        let base = Self.experiment
        #expect(loadErrors(text: base.replacingOccurrences(of: "patience: 3}", with: "patience: 3, every: 150}"), file: "es.yaml")
            == ["es.yaml:9:19: error: early_stopping.every must be a multiple of record_every (100): the validation metric is evaluated where the cost is recorded; found 150"])
        #expect(loadErrors(text: base.replacingOccurrences(of: "patience: 3}", with: "patience: 0}"), file: "es.yaml")
            == ["es.yaml:9:55: error: 'patience' must be an integer ≥ 1; found 0"])
        #expect(loadErrors(text: base.replacingOccurrences(of: "metric: validation_cost", with: "metric: val_loss"), file: "es.yaml")
            .first?.contains("'metric' must be one of validation_cost, validation_accuracy; found 'val_loss'") == true)
        #expect(loadErrors(text: base.replacingOccurrences(of: "validation_fraction: 0.25", with: "validation_fraction: 1.5"), file: "es.yaml")
            .first?.contains("'validation_fraction' must be a number in (0, 1); found 1.5") == true)
        // Early stopping without a validation split is refused at plan time, naming the fix.
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let noValidation = base.replacingOccurrences(of: " validation_fraction: 0.25,", with: "")
        #expect(throws: PlanError.self) { try runExperiment(noValidation, root: root, jobs: 1) }
        do {
            _ = try runExperiment(noValidation, root: root, jobs: 1)
        } catch {
            #expect("\(error)".contains("training.early_stopping needs a validation split: add dataset.validation_fraction"))
        }
    }

}
