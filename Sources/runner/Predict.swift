import ArgumentParser
import Datasets
import Experiments
import Foundation
import NeuralNet

/// `runner predict RUN_DIR`: a trained run's network applied to its own data or to new data.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict with a trained run: its params.npz, architecture and preprocessing, on its data or new data.",
        discussion: """
            Loads runs/<id>/params.npz and the run's record (architecture, output layer, precision) and makes the run's data again (through --data-dir, like runner run) to apply the same preprocessing: the same classes kept, the same scale, and the training split's standardisation statistics. The data must be the ones trained on (the run id folds in their fingerprint).

            Without --data it predicts the run's test split (--split train for the training split) and prints the accuracy beside the recorded one: they are equal, example for example, because the same network sees the same inputs. --data takes a file read with the run's file options (format, HDF5 keys — test_set_x/test_set_y, then train_set_x/train_set_y, unless the experiment names others — CSV label column, class names; an IDX image file takes --labels), or a generator's recipe as a YAML mapping such as '{generator: planar, seed: 2}'. A file without labels is predicted too (your own image, as the cat tutorial's last step): an HDF5 file without the labels' dataset, a CSV file with the training file's columns but the label column, an IDX image file without --labels; its rows have no label and correct columns, and no accuracy is printed (keep_classes cannot choose among examples whose class is unknown: every example is predicted).

            Writes one row per example to --out (or standard output): example (its position in the split or file, from 0, after the experiment's keep_classes for labelled data), label, predicted, correct (1/0) (label and correct only for labelled data), and probability_<class> for every class (a sigmoid output gives both classes' probabilities); the summary goes to standard error. --best takes, among the runs trained in full (pruned runs of a successive-halving sweep only when there are no others), the highest validation accuracy when the runs have a validation split, else test accuracy, else train accuracy.

            Exit codes: 0 predictions written; 64 not a finished run's folder, damaged parameters, data changed since the run, bad --data; 3 a data file is missing (only with --skip-missing-data); 74 a file could not be read or written.

            Examples (after runner experiments/quickstart.yaml, experiments/deep_cat.yaml and experiments/fashion_mlp.yaml):
              runner predict --best results/quickstart --out predictions.csv
              runner predict --best results/deep_cat --data test_catvnoncat.h5 --out cats.csv
              runner predict --best results/quickstart --data '{generator: planar, seed: 7}' --out new.csv
              runner predict --best results/fashion_mlp --data fashion-mnist/t10k-images-idx3-ubyte.gz --out unlabelled.csv
            """)

    @Argument(help: "The run's folder (results/<experiment>/runs/<id>); or give --best.", completion: .directory)
    var runDirectory: String?

    @Option(help: "Use the best run of this results folder (highest validation, else test, else train accuracy).")
    var best: String?

    @Option(help: "New data: a file (read with the run's file options) or a generator recipe such as '{generator: moons, seed: 3}'.")
    var data: String?

    @Option(help: "The label file of an IDX image file given to --data (without it, the images are predicted unlabelled).")
    var labels: String?

    @Option(help: "Without --data: which of the run's splits to predict (train or test; default test when there is one).")
    var split: String?

    @Option(help: "Where the predictions go (CSV); default (or -) standard output.")
    var out: String?

    @Option(help: "Where the run's data files are looked for (then $NETSWEEP_DATA, ./data, ../shared/datasets, /usr/share/datasets).")
    var dataDir: String?

    @Flag(help: "When a data file is missing, say so and exit 3 instead of 64.")
    var skipMissingData = false

    func validate() throws {
        guard (runDirectory == nil) != (best == nil) else {
            throw ValidationError(runDirectory == nil ? "give a run's folder or --best RESULTS_DIR"
                                                      : "give either a run's folder or --best, not both")
        }
        if let split, !["train", "test"].contains(split) {
            throw ValidationError("--split must be train or test; found '\(split)'")
        }
        if labels != nil, data == nil { throw ValidationError("--labels goes with --data (the label file of an IDX image file)") }
        if data != nil, split != nil { throw ValidationError("--split applies to the run's own data; --data gives other data") }
        if out?.isEmpty == true { throw ValidationError("--out must name a file (or - for standard output); found an empty string") }
        if labels != nil, data?.trimmingCharacters(in: .whitespaces).hasPrefix("{") == true {
            throw ValidationError("--labels goes with a --data file (an IDX image file), not a generator recipe")
        }
        if let out, out != "-" { try Self.checkTarget(out, inputs: [data, labels].compactMap { $0 }) }
    }

    func run() throws {
        let run: TrainedRun
        do {
            if let best {
                let chosen = try TrainedRun.best(in: URL(fileURLWithPath: best))
                run = try TrainedRun(directory: chosen.directory)
            } else {
                run = try TrainedRun(directory: URL(fileURLWithPath: runDirectory ?? ""))
            }
        } catch {
            printError("runner predict: error: \(error)")
            throw Exit.code(for: error)
        }
        let newData: DataSource.NewData?
        do {
            newData = try data.map(parseData)
        } catch let error as ConfigErrors {
            printError(error.description)
            throw Exit.badInput
        } catch {
            printError("runner predict: error: \(error)")
            throw Exit.badInput
        }
        let source = DataSource(locator: DataLocator.standard(
            dataDirectory: dataDir, environment: ProcessInfo.processInfo.environment["NETSWEEP_DATA"],
            checkout: FileManager.default.currentDirectoryPath))
        let prepared: PreparedData
        let target: Dataset
        let what: String
        var labelled = true
        do {
            if let newData {
                (prepared, target, labelled) = try source.load(run.record.config.dataset, with: newData)
                what = data ?? ""
            } else {
                prepared = try source.load(run.record.config.dataset, compact: true)
                let wanted = split ?? (prepared.splits.test == nil ? "train" : "test")
                guard let chosen = wanted == "train" ? prepared.splits.train : prepared.splits.test else {
                    printError("runner predict: error: the run's data have no test split; use --split train or --data")
                    throw Exit.badInput
                }
                target = chosen
                what = "the run's \(wanted) split"
            }
        } catch let error as ExitCode {
            throw error
        } catch let error as DatasetError {
            if skipMissingData, case .missing = error {
                printError("runner predict: skipped: \(error)")
                throw Exit.missingData
            }
            printError("runner predict: error: \(error)")
            throw Exit.badInput
        } catch {
            printError("runner predict: error: \(error)")
            throw Exit.code(for: error)
        }
        guard run.wasTrained(on: prepared) else {
            printError("runner predict: error: \(PredictionError.dataChanged(path: run.directory.path, data: prepared.summary))")
            throw Exit.badInput
        }
        if labelled, target.exampleCount == 0 {
            printError("runner predict: error: no example of \(what) is of the run's classes ("
                       + prepared.splits.train.classNames.joined(separator: ", ") + "): nothing to predict")
            throw Exit.badInput
        }
        let predictions: Predictions
        do {
            predictions = run.record.config.precision == .float32
                ? try Predictions(network: run.network(Float.self), features: target.features)
                : try Predictions(network: run.network(Double.self), features: target.features)
        } catch {
            printError("runner predict: error: \(error)")
            throw Exit.badInput
        }
        let classNames = prepared.splits.train.classNames
        let text = predictions.csv(classNames: classNames, labels: labelled ? target.labels : nil)
        do {
            if let out, out != "-" {
                try AtomicFile.write(Data(text.utf8), to: URL(fileURLWithPath: out))
            } else {
                try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
            }
        } catch let error as FileSystemError {
            printError("runner predict: error: \(error)")
            throw Exit.code(for: error)
        } catch {
            // Standard output closed or full: what the system said, not Foundation's error text.
            let nsError = error as NSError
            let posix = nsError.domain == NSPOSIXErrorDomain ? nsError
                : (nsError.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { $0.domain == NSPOSIXErrorDomain ? $0 : nil }
            let reason = posix.map { String(cString: strerror(Int32($0.code))) } ?? "the write failed"
            printError("runner predict: error: cannot write the predictions to \(out ?? "standard output"): \(reason)")
            throw Exit.fileSystem
        }
        let outcome: String
        if labelled {
            let accuracy = predictions.accuracy(labels: target.labels)
            let recorded: Double? = newData != nil ? nil : (split ?? (prepared.splits.test == nil ? "train" : "test")) == "train"
                ? run.record.trainAccuracy : run.record.testAccuracy
            outcome = "accuracy \(CSVWriter.number(accuracy))"
                + (recorded.map { " (recorded \(CSVWriter.number($0))" + ($0 == accuracy ? ", the same)" : ", DIFFERENT)") } ?? "")
        } else {
            let counts = classNames.indices.map { index in predictions.predicted.filter { Int($0) == index }.count }
            outcome = "no labels, so no accuracy; predictions per class: "
                + zip(classNames, counts).filter { $0.1 > 0 }.map { "\($0.0): \($0.1)" }.joined(separator: ", ")
        }
        printError("run \(run.record.id) (\(run.layerSizes.map(String.init).joined(separator: "-")), "
                   + "\(run.record.config.model.activation.description), \(run.record.config.precision.rawValue)) on \(what): "
                   + "\(target.exampleCount) example\(target.exampleCount == 1 ? "" : "s"), \(outcome)"
                   + (out.map { $0 == "-" ? "" : "; written to \($0)" } ?? "") + (best.map { "; chosen from \($0) as the best run" } ?? "")
                   + (run.record.status == .pruned
                      ? "; note: successive halving pruned this run at its rung of \(run.record.rungBudget) iterations (its parameters are from then)" : ""))
    }

    /// Refuses an `--out` that is not a regular file (a device, a FIFO, a folder, a link) or that
    /// is a file of a run's folder: predictions replace what is there.
    static func checkTarget(_ path: String, inputs: [String] = []) throws {
        var status = stat()
        if lstat(path, &status) == 0, (status.st_mode & S_IFMT) != S_IFREG {
            throw ValidationError("--out \(path) exists and is not a regular file (a folder, a link, a device or a pipe); "
                                  + "name a new file or a .csv file to replace")
        }
        // The file being predicted must not be replaced by its predictions.
        var input = stat()
        for name in inputs where lstat(path, &status) == 0 && stat(name, &input) == 0
            && status.st_dev == input.st_dev && status.st_ino == input.st_ino {
            throw ValidationError("--out \(path) is the file being predicted (\(name)): write the predictions elsewhere")
        }
        let folder = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("record.json").path) {
            throw ValidationError("--out \(path) is in a run's folder (beside its record.json): write the predictions elsewhere")
        }
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("plan.json").path) {
            throw ValidationError("--out \(path) is in an experiment's results folder (beside its plan.json), whose files "
                                  + "the reports own: write the predictions elsewhere")
        }
    }

    /// `--data`: a YAML mapping with a generator, else a file name (a path from the current folder
    /// when there is one, else looked for like the experiment's data).
    private func parseData(_ text: String) throws -> DataSource.NewData {
        guard text.trimmingCharacters(in: .whitespaces).hasPrefix("{") else {
            let labelPath = labels.map { FileManager.default.fileExists(atPath: $0) ? URL(fileURLWithPath: $0).path : $0 }
            return .file(name: FileManager.default.fileExists(atPath: text) ? URL(fileURLWithPath: text).path : text, labels: labelPath)
        }
        // Columns are counted from "dataset: ", the prefix the recipe is parsed under.
        let recipe = try ExperimentLoader().datasetRecipe(text, source: "--data")
        guard recipe.generator != nil else {
            throw ValidationError("--data '\(text)': a mapping must name a generator (a file is given by its name)")
        }
        // The run's preprocessing applies to new data; a recipe's own would be ignored.
        let preprocessing: [(String, Bool)] = [
            ("scale", recipe.scale != nil), ("standardize", recipe.standardize != nil), ("center", recipe.center != nil),
            ("keep_classes", recipe.keepClasses != nil), ("take_train", recipe.takeTrain != nil), ("take_test", recipe.takeTest != nil),
            ("test_fraction", recipe.testFraction != nil), ("validation_fraction", recipe.validationFraction != nil),
            ("split_seed", recipe.splitSeed != nil),
        ]
        if let (key, _) = preprocessing.first(where: \.1) {
            throw ValidationError("--data '\(text)': '\(key)' is preprocessing, and new data get the run's own "
                                  + "(its scale, classes and training statistics); give only the generator's recipe")
        }
        return .generated(recipe)
    }
}
