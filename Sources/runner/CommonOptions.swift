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

    @Option(help: "Refuse sweeps with more runs than this (at most 1000000).")
    var maxRuns: Int = 10_000

    @Option(help: ArgumentHelp(
        "Refuse sweeps whose data and concurrent runs need more memory than this (default: the machine's memory).",
        discussion: "A number of bytes with an optional K, M, G or T suffix (powers of 1024), e.g. 8G.",
        valueName: "size"))
    var maxMemory: String?

    @Option(help: "Results root; each experiment writes to <out>/<name>/.")
    var out: String = "results"

    @Flag(help: "When a data file is missing, say so and exit 3 instead of 64 (for reproduction scripts).")
    var skipMissingData = false

    func validate() throws {
        guard (1...1_000_000).contains(maxRuns) else {
            throw ValidationError("--max-runs must be in 1...1000000; found \(maxRuns)")
        }
        guard !out.isEmpty else { throw ValidationError("--out must name a folder; found an empty string") }
        if let maxMemory, Self.bytes(maxMemory) == nil {
            throw ValidationError("--max-memory must be a size such as 512M, 8G or 1.5T; found '\(maxMemory)'")
        }
    }

    /// "8G" → 8·2^30 bytes; nil for anything that is not a positive size.
    static func bytes(_ text: String) -> Double? {
        let suffixes: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        var number = Substring(text.uppercased())
        if number.hasSuffix("IB") || number.hasSuffix("B") { number = number.dropLast(number.hasSuffix("IB") ? 2 : 1) }
        var scale = 1.0
        if let last = number.last, let factor = suffixes[last] {
            scale = factor
            number = number.dropLast()
        }
        // Decimal only (Double would also take "0x10" or "nan"), and at least one byte.
        guard number.allSatisfy({ $0.isASCII && ($0.isNumber || ".E+-".contains($0)) }), number.first?.isNumber ?? false
              || number.first == ".",
              let value = Double(number), value.isFinite, (value * scale).isFinite, value * scale >= 1 else { return nil }
        return (value * scale).rounded(.down)
    }

    /// Refuses, with exit 64, a sweep that would not fit in memory with `jobs` runs at once
    /// (the check runs after the data are loaded: loading itself may briefly hold twice the data).
    func checkMemory(_ plan: SweepPlan, jobs: Int) throws {
        do {
            try plan.checkMemory(jobs: jobs, limit: memoryLimit.bytes, limitSource: memoryLimit.source)
        } catch {
            printError("\(experiment): error: \(error)")
            throw Exit.badInput
        }
    }

    /// `--max-memory`, else the machine's physical memory.
    var memoryLimit: (bytes: Double, source: String) {
        if let limit = maxMemory.flatMap(Self.bytes) { return (limit, "--max-memory") }
        // An address-space limit (ulimit -v) below the machine's memory is the real ceiling.
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max,
           Double(limit.rlim_cur) < Double(ProcessInfo.processInfo.physicalMemory) {
            return (Double(limit.rlim_cur), "the address-space limit (ulimit -v)")
        }
        return (Double(ProcessInfo.processInfo.physicalMemory), "the machine's memory")
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
            let plan = try SweepRunner(dataSource: DataSource(locator: locator)).plan(experiment, outputRoot: out,
                                                                                      memoryLimit: memoryLimit)
            for warning in plan.warnings { printError("\(self.experiment): warning: \(warning)") }
            return plan
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

/// `--data-dir` for the commands that only report: a 2-column CSV dataset is read again for
/// the report's decision boundaries.
struct ReportDataOptions: ParsableArguments {
    @Option(help: "Where a CSV dataset is looked for again for the decision boundaries (then $NETSWEEP_DATA, ./data, ../shared/datasets, /usr/share/datasets).")
    var dataDir: String?

    var locator: DataLocator {
        DataLocator.standard(dataDirectory: dataDir, environment: ProcessInfo.processInfo.environment["NETSWEEP_DATA"],
                             checkout: FileManager.default.currentDirectoryPath)
    }
}
