import Datasets
import Foundation
import NeuralNet
import Synchronization

/// How a sweep is run.
public struct SweepOptions: Sendable {
    /// Concurrent runs (default: the number of cores).
    public var jobs: Int
    /// Results go to `<outputRoot>/<experiment name>/`.
    public var outputRoot: String
    /// Re-run runs whose record already exists.
    public var force: Bool
    /// Accuracy-table layout overrides.
    public var tableRows: String?
    public var tableColumns: String?
    /// The runner's version, recorded in `experiment.yaml`.
    public var runnerVersion: String
    /// The git commit of the checkout, if any.
    public var gitCommit: String?

    public init(jobs: Int, outputRoot: String, force: Bool = false, tableRows: String? = nil,
                tableColumns: String? = nil, runnerVersion: String = "dev", gitCommit: String? = nil) {
        self.jobs = jobs
        self.outputRoot = outputRoot
        self.force = force
        self.tableRows = tableRows
        self.tableColumns = tableColumns
        self.runnerVersion = runnerVersion
        self.gitCommit = gitCommit
    }
}

/// A sweep bound to its data: every run resolved, with what is already done.
public struct SweepPlan: Sendable {
    public var experiment: Experiment
    public var runs: [ResolvedRun]
    /// Prepared data by dataset configuration (each loaded once).
    public var data: [DatasetConfig: PreparedData]
    public var layout: ResultsLayout

    /// Whether run `index` has a usable record from an earlier invocation (failed runs are retried).
    public func isDone(_ run: ResolvedRun) -> Bool {
        guard let record = layout.existingRecord(run.id) else { return false }
        return record.status != .failed
    }

    /// Shapes of the distinct datasets, for `runner plan`.
    public var datasetDescriptions: [String] {
        var seen: [DatasetConfig] = []
        var lines: [String] = []
        for run in runs where !seen.contains(run.dataKey) {
            seen.append(run.dataKey)
            guard let prepared = data[run.dataKey] else { continue }
            lines.append(prepared.summary + " [fingerprint \(prepared.fingerprint.prefix(16))]")
        }
        return lines
    }
}

/// What a sweep did.
public struct SweepOutcome: Sendable {
    public var report: Reporter.Report
    /// Runs executed now, and runs skipped because their record existed.
    public var executed: Int
    public var skipped: Int
    /// Runs never started because the sweep was stopped.
    public var notStarted: Int

    public var failedOrDiverged: Int {
        report.records.compactMap { $0 }.filter { $0.status != .finished }.count
    }
}

/// Plans and runs sweeps.
public struct SweepRunner: Sendable {
    public var dataSource: DataSource

    public init(dataSource: DataSource) {
        self.dataSource = dataSource
    }

    /// Loads every distinct dataset once and resolves every run.
    /// - Throws: `DatasetError` for data problems, `PlanError` for a model that does not fit its data.
    public func plan(_ experiment: Experiment, outputRoot: String) throws -> SweepPlan {
        var data: [DatasetConfig: PreparedData] = [:]
        var runs: [ResolvedRun] = []
        runs.reserveCapacity(experiment.runs.count)
        for planned in experiment.runs {
            let key = planned.config.dataset
            if data[key] == nil {
                let precisions = Set(experiment.runs.filter { $0.config.dataset == key }.map(\.config.precision))
                data[key] = try dataSource.load(key, double: precisions.contains(.float64),
                                                single: precisions.contains(.float32))
            }
            guard let prepared = data[key] else { continue }
            runs.append(try ResolvedRun(planned: planned, data: prepared))
        }
        return SweepPlan(experiment: experiment, runs: runs, data: data,
                         layout: ResultsLayout(root: outputRoot, experiment: experiment.name))
    }

    /// Runs the pending runs of `plan` and writes the reports.
    /// - Parameter progress: called after each run with (done, total) runs of this invocation.
    public func run(_ plan: SweepPlan, options: SweepOptions, stop: StopFlag,
                    progress: @Sendable (Int, Int) -> Void = { _, _ in }) throws -> SweepOutcome {
        let layout = plan.layout
        try FileManager.default.createDirectory(at: layout.runsDirectory, withIntermediateDirectories: true)
        try writeExperimentFile(plan, options: options)
        try AtomicFile.writeJSON(planFile(plan), to: layout.plan)

        // Longest first (by estimate), so that no worker is left alone with a long run at the
        // end of a sweep; records and reports do not depend on the order.
        let pending = plan.runs.filter { options.force || !plan.isDone($0) }
            .map { run in (run, plan.data[run.dataKey].map { run.estimatedCost(exampleCount: $0.trainExamples) } ?? 0) }
            .enumerated()
            .sorted { $0.element.1 > $1.element.1 || ($0.element.1 == $1.element.1 && $0.offset < $1.offset) }
            .map { $0.element.0 }
        let skipped = plan.runs.count - pending.count
        let scheduler = Scheduler(jobs: options.jobs)
        // One BLAS thread per run while runs share the cores; all cores for a lone run.
        let cores = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap { Int($0) }
            ?? ProcessInfo.processInfo.activeProcessorCount
        BLAS.setThreadCount(min(scheduler.jobs, pending.count) > 1 ? 1 : cores)
        let executor = RunExecutor(layout: layout)
        let finished = Counter()
        let data = plan.data
        let results = scheduler.run(count: pending.count, stop: stop) { index -> RunRecord in
            let run = pending[index]
            // Every run's data was prepared in `plan`, so the lookup cannot miss.
            let record = data[run.dataKey].map { executor.execute(run, data: $0) }
                ?? RunRecord(id: run.id, index: run.planned.index, configurationIndex: run.planned.configurationIndex,
                             sweptValues: run.planned.sweptValues, status: .failed, divergedAt: nil,
                             error: "no data prepared", iterations: 0, finalCost: nil, trainAccuracy: nil,
                             testAccuracy: nil, wallSeconds: 0, flops: 0, config: run.planned.config)
            progress(finished.increment(), pending.count)
            return record
        }
        let executed = results.compactMap { $0 }.count
        let report = try Reporter(layout: layout).write(rows: options.tableRows, columns: options.tableColumns)
        return SweepOutcome(report: report, executed: executed, skipped: skipped,
                            notStarted: pending.count - executed)
    }

    func planFile(_ plan: SweepPlan) -> PlanFile {
        PlanFile(experiment: plan.experiment.name, columns: plan.experiment.columns,
                 columnAxes: plan.experiment.columnAxes,
                 hasRepeats: plan.experiment.hasRepeats, report: plan.experiment.report,
                 expectations: plan.experiment.expectations, runs: plan.runs.map {
                     PlanFile.Entry(index: $0.planned.index, id: $0.id, configurationIndex: $0.planned.configurationIndex,
                                    sweptValues: $0.planned.sweptValues)
                 })
    }

    /// `experiment.yaml`: the document as run, then a `provenance` section.
    func writeExperimentFile(_ plan: SweepPlan, options: SweepOptions) throws {
        let formatter = ISO8601DateFormatter()
        var text = plan.experiment.resolvedYAML
        if !text.hasSuffix("\n") { text += "\n" }
        text += """
            provenance:
              runner_version: \(options.runnerVersion)
              git_commit: \(options.gitCommit ?? "null")
              blas: "\(BLAS.configuration)"
              started_at: \(formatter.string(from: Date()))
              cores: \(ProcessInfo.processInfo.activeProcessorCount)
              jobs: \(options.jobs)
              source_file: "\(plan.experiment.file)"

            """
        try AtomicFile.write(Data(text.utf8), to: plan.layout.experimentFile)
    }
}

/// A thread-safe counter for progress reports.
final class Counter: Sendable {
    private let value = Synchronization.Atomic<Int>(0)
    func increment() -> Int { value.add(1, ordering: .relaxed).newValue }
}
