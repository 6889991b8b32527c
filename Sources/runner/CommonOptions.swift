import ArgumentParser
import Datasets
import Experiments
import Foundation

/// Options shared by the commands that read an experiment file.
struct ExperimentOptions: ParsableArguments {
    @Argument(help: "The experiment file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
    var experiment: String

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a value before running: key=value (repeatable).",
        discussion: "e.g. --set training.learning_rate=0.01 --set sweep.activation=[tanh]", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: "Where data files are looked for first (then $NETSWEEP_DATA, ./data, ../shared/datasets, /usr/share/datasets).")
    var dataDir: String?

    @Option(help: "Refuse sweeps with more runs than this.")
    var maxRuns: Int = 10_000

    @Option(help: "Results root; each experiment writes to <out>/<name>/.")
    var out: String = "results"

    @Flag(help: "When a data file is missing, say so and exit 3 instead of 64 (for reproduction scripts).")
    var skipMissingData = false

    func validate() throws {
        guard maxRuns >= 1 else { throw ValidationError("--max-runs must be at least 1; found \(maxRuns)") }
    }

    /// Loads the experiment and binds it to its data, printing located errors and exiting 64 on bad input.
    func loadPlan() throws -> SweepPlan {
        let experiment: Experiment
        do {
            experiment = try ExperimentLoader(runCap: maxRuns).load(file: self.experiment, overrides: overrides)
        } catch {
            printError(error.description)
            throw Exit.badInput
        }
        let locator = DataLocator.standard(
            dataDirectory: dataDir, environment: ProcessInfo.processInfo.environment["NETSWEEP_DATA"],
            checkout: FileManager.default.currentDirectoryPath)
        do {
            return try SweepRunner(dataSource: DataSource(locator: locator)).plan(experiment, outputRoot: out)
        } catch let error as DatasetError where skipMissingData {
            guard case .missing = error else {
                printError("\(self.experiment): error: \(error)")
                throw Exit.badInput
            }
            printError("\(self.experiment): skipped: \(error)")
            throw Exit.missingData
        } catch {
            printError("\(self.experiment): error: \(error)")
            throw Exit.badInput
        }
    }
}
