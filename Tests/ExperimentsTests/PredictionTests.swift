@preconcurrency import CHDF5
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
            let (data, new, _) = try source.load(recipe, with: .generated(recipe))
            #expect(new.features == data.splits.train.features)
            let single = run.record.config.precision == .float32
            let predictions = single ? try Predictions(network: run.network(Float.self), features: new.features)
                                     : try Predictions(network: run.network(Double.self), features: new.features)
            #expect(predictions.accuracy(labels: new.labels) == run.record.trainAccuracy)
            #expect(predictions.probabilities.allSatisfy { $0.count == 3 && abs($0.reduce(0, +) - 1) < 1e-5 })
            // Other data are standardised with the training statistics, not their own.
            var other = recipe
            other.seed = 99
            let (_, drawn, _) = try source.load(recipe, with: .generated(other))
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
        #expect(throws: DatasetError.badOption(name: "--data", expected: "the training file's columns (x1,x2,y), or those without the label column",
                                               found: "x2,x1,y in \(swapped)")) {
            try source.load(config, with: .file(name: swapped, labels: nil))
        }
        let (_, labelledData, labelled) = try source.load(config, with: .file(name: path, labels: nil))
        #expect(labelled)
        // The same rows without the label column: new examples without labels, the same features.
        let bare = root.appendingPathComponent("bare.csv")
        try rows.map { $0.split(separator: ",").dropLast().joined(separator: ",") }.joined(separator: "\n")
            .write(to: bare, atomically: true, encoding: .utf8)
        let (_, unlabelledData, isLabelled) = try source.load(config, with: .file(name: bare.path, labels: nil))
        #expect(!isLabelled && unlabelledData.features == labelledData.features && unlabelledData.classNames == labelledData.classNames)
        // Unlabelled but with the columns swapped: the columns are what the message names.
        let bareSwapped = root.appendingPathComponent("bare-swapped.csv")
        try (["x2,x1"] + rows.dropFirst().map { $0.split(separator: ",").dropLast().joined(separator: ",") }).joined(separator: "\n")
            .write(to: bareSwapped, atomically: true, encoding: .utf8)
        #expect(throws: DatasetError.badOption(name: "--data", expected: "the training file's columns (x1,x2,y), or those without the label column",
                                               found: "x2,x1 in \(bareSwapped.path)")) {
            try source.load(config, with: .file(name: bareSwapped.path, labels: nil))
        }
        // A label file is for IDX images only: a CSV carries its labels (or has none).
        #expect(throws: DatasetError.badOption(name: "--labels", expected: "only with an IDX image file (csv files carry their labels)",
                                               found: "'labels-idx1-ubyte' with '\(bare.path)'")) {
            try source.load(config, with: .file(name: bare.path, labels: "labels-idx1-ubyte"))
        }
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

@Suite("Predicting on data without labels")
struct UnlabelledPredictionTests {
    /// Trains the cat-style HDF5 fixture (12 features, 6 examples) and returns the run's dataset section.
    static func trainedOnHDF5(root: URL) throws -> (DatasetConfig, URL) {
        let images = (0..<72).map { UInt8(($0 * 37) % 256) }
        let file = root.appendingPathComponent("cats.h5")
        try FixtureFiles.hdf5(file, images: images, count: 6, labels: [1, 0, 1, 1, 0, 0], classes: ["non-cat", "cat"])
        let text = """
            name: h5run
            dataset: {train: \(file.path), scale: 255, keep_classes: [cat, non-cat]}
            model: {hidden: [3], activation: relu, output: sigmoid}
            training: {learning_rate: 0.1, iterations: 10}
            """
        let (plan, _) = try runExperiment(text, root: root, jobs: 1)
        return (try #require(try plan.layout.readRecord(plan.runs[0].id)).config.dataset, file)
    }

    @Test("an HDF5 file without the labels' dataset is predicted on every example, with the run's preprocessing")
    func hdf5WithoutLabels() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (config, file) = try Self.trainedOnHDF5(root: root)
        let source = DataSource(locator: DataLocator(directories: []))
        let (_, labelledData, labelled) = try source.load(config, with: .file(name: file.path, labels: nil))
        #expect(labelled)
        // The learner's own image: x only, under the test split's name.
        let own = root.appendingPathComponent("my_image.h5")
        let pixels = (0..<12).map { UInt8(($0 * 37) % 256) }
        let handle = H5Fcreate(own.path, 2 /* H5F_ACC_TRUNC */, 0, 0)
        let dims: [hsize_t] = [1, 2, 2, 3]
        let space = H5Screate_simple(4, dims, nil)
        let dataset = H5Dcreate2(handle, "test_set_x", H5T_STD_U8LE_g, space, 0, 0, 0)
        _ = pixels.withUnsafeBytes { H5Dwrite(dataset, H5T_NATIVE_UINT8_g, 0, 0, 0, $0.baseAddress) }
        H5Dclose(dataset)
        H5Sclose(space)
        H5Fclose(handle)
        let (_, image, isLabelled) = try source.load(config, with: .file(name: own.path, labels: nil))
        #expect(!isLabelled)
        #expect(image.exampleCount == 1 && image.classNames == ["cat", "non-cat"])
        // The same scale as the run's data: the first training image (kept first by keep_classes).
        #expect(image.features.storage == labelledData.features.columns(0..<1).storage)
    }

    @Test("an IDX image file without --labels is read as unlabelled examples")
    func idxWithoutLabels() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let images = root.appendingPathComponent("images-idx3-ubyte")
        let labels = root.appendingPathComponent("labels-idx1-ubyte")
        let count = 20
        var imageBytes: [UInt8] = [0, 0, 8, 3, 0, 0, 0, UInt8(count), 0, 0, 0, 2, 0, 0, 0, 2]
        imageBytes += (0..<(count * 4)).map { UInt8(($0 * 13) % 256) }
        try Data(imageBytes).write(to: images)
        try Data([0, 0, 8, 1, 0, 0, 0, UInt8(count)] + (0..<count).map { UInt8($0 % 2) }).write(to: labels)
        let text = """
            name: idxrun
            dataset: {train: \(images.path), train_labels: \(labels.path), format: idx, scale: 255}
            model: {hidden: [3], activation: tanh, output: sigmoid}
            training: {learning_rate: 0.1, iterations: 5}
            """
        let (plan, _) = try runExperiment(text, root: root, jobs: 1)
        let config = try #require(try plan.layout.readRecord(plan.runs[0].id)).config.dataset
        let source = DataSource(locator: DataLocator(directories: []))
        let (prepared, new, labelled) = try source.load(config, with: .file(name: images.path, labels: nil))
        #expect(!labelled && new.exampleCount == count)
        #expect(new.features == prepared.splits.train.features)
    }
}

@Suite("Unlabelled CSV edge cases")
struct UnlabelledCSVTests {
    /// Trains on `header` + rows and returns the run's dataset section.
    static func train(_ lines: [String], labelColumn: String? = nil, root: URL) throws -> DatasetConfig {
        let file = root.appendingPathComponent("train.csv")
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let label = labelColumn.map { ", label_column: '\($0)'" } ?? ""
        let text = """
            name: csvedge
            dataset: {train: \(file.path)\(label)}
            model: {hidden: [2], activation: tanh, output: sigmoid}
            training: {learning_rate: 0.1, iterations: 3}
            """
        let (plan, _) = try runExperiment(text, root: root, jobs: 1)
        return try #require(try plan.layout.readRecord(plan.runs[0].id)).config.dataset
    }

    static func write(_ lines: [String], _ name: String, root: URL) throws -> String {
        let file = root.appendingPathComponent(name)
        try lines.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    @Test("a header longer than 64 KiB, a byte-order mark, a label column named with spaces")
    func headers() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let source = DataSource(locator: DataLocator(directories: []))
        // 6 000 features: an 84 KB header.
        let names = (0..<6_000).map { String(format: "feature_%05d", $0) }
        let row = { (i: Int) in (0..<6_000).map { String(($0 * 7 + i) % 10) }.joined(separator: ",") }
        let wide = try Self.train([(names + ["y"]).joined(separator: ",")] + (0..<6).map { row($0) + ",\($0 % 2)" }, root: root)
        let bare = try Self.write([names.joined(separator: ",")] + (0..<6).map(row), "wide-bare.csv", root: root)
        #expect(try !source.load(wide, with: .file(name: bare, labels: nil)).labelled)
        var swappedNames = names
        swappedNames.swapAt(5_998, 5_999)
        let swapped = try Self.write([(swappedNames + ["y"]).joined(separator: ",")] + (0..<6).map { row($0) + ",0" }, "wide-swapped.csv", root: root)
        #expect(throws: DatasetError.self) { try source.load(wide, with: .file(name: swapped, labels: nil)) }

        // A label column named " y" (after "x1,"): the unlabelled file drops it, not the last column.
        let spaced = try Self.train(["x1, y, x2"] + (0..<8).map { "\($0), \($0 % 2), \($0 * 2)" }, labelColumn: " y", root: root)
        let spacedBare = try Self.write(["x1, x2"] + (0..<3).map { "\($0), \($0 * 2)" }, "spaced-bare.csv", root: root)
        #expect(try !source.load(spaced, with: .file(name: spacedBare, labels: nil)).labelled)
        let wrong = try Self.write(["x1, y"] + (0..<3).map { "\($0), 1" }, "spaced-wrong.csv", root: root)
        #expect(throws: DatasetError.self) { try source.load(spaced, with: .file(name: wrong, labels: nil)) }

        // Excel's byte-order mark on either side.
        let plain = try Self.train(["x1,x2,y"] + (0..<8).map { "\($0),\($0 * 3),\($0 % 2)" }, root: root)
        let marked = try Self.write(["\u{FEFF}x1,x2"] + (0..<3).map { "\($0),\($0 * 3)" }, "bom-bare.csv", root: root)
        #expect(try !source.load(plain, with: .file(name: marked, labels: nil)).labelled)
        let markedLabelled = try Self.write(["\u{FEFF}x1,x2,y"] + (0..<3).map { "\($0),\($0 * 3),1" }, "bom.csv", root: root)
        #expect(try source.load(plain, with: .file(name: markedLabelled, labels: nil)).labelled)
    }

    @Test("one column: an empty value or an empty line is an error, not a dropped example")
    func oneColumn() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let source = DataSource(locator: DataLocator(directories: []))
        let config = try Self.train(["x,y"] + (0..<8).map { "\($0),\($0 % 2)" }, root: root)
        let good = try Self.write(["x", "1", "2", "3", ""], "good.csv", root: root)
        #expect(try source.load(config, with: .file(name: good, labels: nil)).new.exampleCount == 3)
        let quoted = try Self.write(["x", "1", "\"\"", "3"], "quoted.csv", root: root)
        #expect(throws: DatasetError.corrupt(file: quoted, problem: "line 3, column 1 ('x'): expected a finite number; found ''")) {
            try source.load(config, with: .file(name: quoted, labels: nil))
        }
        let blank = try Self.write(["x", "1", "", "3"], "blank.csv", root: root)
        #expect(throws: DatasetError.corrupt(file: blank, problem:
            "line 3 is empty; in a one-column file every line is an example (write its number, or remove the line)")) {
            try source.load(config, with: .file(name: blank, labels: nil))
        }
    }
}
