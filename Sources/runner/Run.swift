import ArgumentParser
import Dispatch
import Experiments
import Foundation
import Synchronization

/// `runner [run] EXPERIMENT.yaml`: runs the sweep, writes the reports, prints the table.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment's sweep (the default command).",
        discussion: """
            Runs whose record already exists under <out>/<name>/runs/ are skipped (--force re-runs them), so a stopped sweep resumes where it left off. Several runner processes may share one results folder: each run is claimed by one of them. The first Ctrl-C (or SIGTERM, SIGHUP) stops the runs in progress at their next iteration, keeps them pending and writes the reports; a second one exits at once.

            Examples:
              runner experiments/quickstart.yaml
              runner run experiments/toy_backprop.yaml --jobs 1 --out /tmp/results
              runner experiments/quickstart.yaml --set sweep.activation=[tanh] --force
            """)

    @OptionGroup var options: ExperimentOptions

    @Option(name: .shortAndLong, help: "Runs at once; the default is the number of cores ($SLURM_CPUS_PER_TASK inside a Slurm task).")
    var jobs: Int = Run.defaultJobs

    /// The cores Slurm gave the task, else the machine's.
    static var defaultJobs: Int {
        ProcessInfo.processInfo.environment["SLURM_CPUS_PER_TASK"].flatMap { Int($0) }.flatMap { $0 >= 1 ? $0 : nil }
            ?? ProcessInfo.processInfo.activeProcessorCount
    }

    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Run only shard I of N (0 ≤ I < N) and leave the reports to 'runner merge'.",
        discussion: "Shards split the plan by estimated cost, the same way in every process; 'runner slurm' submits one array task per shard. A successive-halving sweep is not split: every task works through its rungs, sharing their runs with the others by the runs' claims.",
        valueName: "I/N"))
    var shard: String?

    @Flag(help: "Re-run runs whose record already exists.")
    var force = false

    @Flag(help: "No progress line, no accuracy table and no expectations table unless one fails.")
    var quiet = false

    @Option(help: "Swept key for the accuracy table's rows.")
    var rows: String?

    @Option(help: "Swept key for the accuracy table's columns.")
    var columns: String?

    @Flag(help: "Keep and report records made by another engine build together with this one's.")
    var allowMixed = false

    @Flag(help: "Write the CSVs only: no report.html and figures/.")
    var noHTML = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1; found \(jobs)") }
        if let shard, Shard(shard) == nil {
            throw ValidationError("--shard must be I/N with 0 ≤ I < N ≤ \(Shard.maximumCount), e.g. 0/4; found '\(shard)'")
        }
    }

    func run() throws {
        let plan = try options.loadPlan()
        // Checked before training, not when the reports are written at the end.
        for (option, key) in [("--rows", rows), ("--columns", columns)] {
            guard let key, !plan.experiment.columns.contains(key) else { continue }
            printError("\(options.experiment): error: \(option) '\(key)' is not a swept key"
                       + (plan.experiment.columns.isEmpty ? " (the experiment sweeps nothing)"
                          : "; swept: " + plan.experiment.columns.joined(separator: ", ")))
            throw Exit.badInput
        }
        try options.checkMemory(plan, jobs: jobs)
        let stop = SignalGate.stop
        SignalGate.writesReports.store(shard == nil, ordering: .sequentiallyConsistent)
        SignalGate.beginSweep()
        let progress = Progress(isEnabled: !quiet && isatty(STDERR_FILENO) == 1,
                                halving: plan.experiment.schedule.successiveHalving.map { !$0.asynchronous } ?? false)
        let sweepOptions = SweepOptions(
            jobs: jobs, outputRoot: options.out, force: force, tableRows: rows, tableColumns: columns,
            build: EngineBuild.current(), allowMixed: allowMixed, shard: shard.flatMap(Shard.init), html: !noHTML,
            notice: { [name = plan.experiment.name] in printError("\(name): \($0)") })
        let outcome: SweepOutcome
        do {
            outcome = try SweepRunner(dataSource: DataSource(locator: DataLocator(directories: [])))
                .run(plan, options: sweepOptions, stop: stop) { done, total, rung in progress.update(done: done, of: total, rung: rung) }
        } catch {
            progress.finish()
            // A file-system failure is not the experiment file's fault: say so.
            printError((error is FileSystemError ? "runner" : options.experiment) + ": error: \(error)")
            throw Exit.code(for: error)
        }
        progress.finish()
        guard let report = outcome.report else {
            try finishShard(plan, outcome)
            return
        }
        if !quiet {
            print(report.table)
            print("")
        }
        let failures = summarize(outcome, what: "\(plan.experiment.name): \(plan.runs.count) run\(plan.runs.count == 1 ? "" : "s")",
                                 results: "Results in \(plan.layout.directory.path)"
                                    + (noHTML ? "" : "; report: \(plan.layout.report.path)"))
        if let halving = outcome.halving { print(halving.description + " (schedule.json)") }
        for note in report.notes { print("note: \(note)") }
        // --quiet keeps the table for when it matters: a failed expectation.
        // While other processes still train some runs, this process's view is partial: the last
        // process to finish checks the expectations.
        let othersRunning = outcome.claimedElsewhere > 0
        if othersRunning && !report.expectations.isEmpty {
            print("expectations not checked here: \(outcome.claimedElsewhere) runs are still training in other processes "
                  + "(the last one to finish checks them; or run 'runner check \(plan.layout.directory.path)')")
        }
        // An interrupted sweep's expectations are not its verdict: the exit code says it stopped.
        if !report.expectations.isEmpty && SignalGate.exitCode == nil && !othersRunning
            && (!quiet || report.hasFailedExpectation) {
            print("")
            print(ExpectationChecker.table(report.expectations))
        }
        try exit(outcome, failures: failures, expectationFailed: report.hasFailedExpectation && !othersRunning)
    }

    /// A shard's summary line and exit code: its own runs only; no reports.
    func finishShard(_ plan: SweepPlan, _ outcome: SweepOutcome) throws {
        let failures = summarize(outcome, what: "\(plan.experiment.name) shard \(shard.flatMap(Shard.init)?.description ?? "?"): "
                                 + "\(outcome.shardRuns) of \(plan.runs.count) runs",
                                 results: "Reports: runner merge \(plan.layout.directory.path)")
        try exit(outcome, failures: failures, expectationFailed: false)
    }

    /// Prints the summary line ("N runs — … run now, … already done; … finished, …") and each
    /// failed run's error. Returns how many runs failed or diverged.
    func summarize(_ outcome: SweepOutcome, what: String, results: String) -> Int {
        let records = outcome.shardRecords
        let diverged = records.filter { $0.status == .diverged }.count
        let failed = records.filter { $0.status == .failed }
        let stoppedEarly = records.filter { $0.status == .stoppedEarly }.count
        let pruned = records.filter { $0.status == .pruned }.count
        print("\(what) — \(outcome.executed) run now, \(outcome.skipped) already done"
              + (outcome.claimedElsewhere > 0 ? ", \(outcome.claimedElsewhere) running in another process" : "")
              + (outcome.notStarted > 0 ? ", \(outcome.notStarted) not run (pending)" : "")
              + "; \(records.count - diverged - failed.count - stoppedEarly - pruned) finished, "
              + (stoppedEarly > 0 ? "\(stoppedEarly) stopped early, " : "") + (pruned > 0 ? "\(pruned) pruned, " : "") + "\(diverged) diverged, \(failed.count) failed. \(results)")
        for record in failed { printError("run \(record.index) (\(record.id)) failed: \(record.error ?? "unknown error")") }
        return diverged + failed.count
    }

    /// The exit code, most telling first: an I/O failure (74), a signal (128 + N; after SIGUSR1
    /// in a Slurm job, the job is requeued first), failed runs or expectations (1).
    func exit(_ outcome: SweepOutcome, failures: Int, expectationFailed: Bool) throws {
        if let error = outcome.fileSystemError {
            printError("runner: error: \(error); the sweep stopped, the records written before are kept (re-run to resume)")
            throw Exit.fileSystem
        }
        if let code = SignalGate.exitCode {
            _ = SignalGate.requeueSlurmJobIfAsked()
            throw ExitCode(code)
        }
        if failures > 0 || expectationFailed { throw Exit.runsFailed }
    }
}

/// A progress line on standard error: runs done/total, elapsed time, ETA. A synchronous
/// halving search counts each rung apart, labelled with its budget ("[rung 300: 4/9]", then
/// "[last runs: 1/1]"), its ETA from that rung's own pace.
final class Progress: Sendable {
    private let start = DispatchTime.now()
    private let isEnabled: Bool
    private let halving: Bool
    /// The rung of the pass being counted (nil: the full budget), when it began (the previous
    /// rung's last update: its pace is measured from there), and the last update.
    private let stage = Mutex<(rung: Int?, since: DispatchTime, last: DispatchTime)?>(nil)

    init(isEnabled: Bool, halving: Bool = false) {
        self.isEnabled = isEnabled
        self.halving = halving
    }

    func update(done: Int, of total: Int, rung: Int? = nil) {
        guard isEnabled else { return }
        let now = DispatchTime.now()
        let elapsed = Double(now.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        var remaining = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        var label = "\(done)/\(total)"
        if halving {
            // Each rung's pace from its own first run on (a new rung starts when the rung changes
            // or its count starts again).
            let since = stage.withLock { current -> DispatchTime in
                if current == nil || current?.rung != rung || done == 1 {
                    // A new rung began when the previous one ended (or the sweep started).
                    current = (rung, current?.last ?? start, now)
                } else {
                    current?.last = now
                }
                return current?.since ?? start
            }
            let stageSeconds = Double(now.uptimeNanoseconds - since.uptimeNanoseconds) / 1e9
            remaining = stageSeconds / Double(done) * Double(total - done)
            label = (rung.map { "rung \($0): " } ?? "last runs: ") + label
        }
        try? FileHandle.standardError.write(contentsOf: Data(
            "\r\u{1B}[K[\(label)] elapsed \(Self.clock(elapsed)), ETA \(Self.clock(remaining))".utf8))
    }

    func finish() {
        if isEnabled { try? FileHandle.standardError.write(contentsOf: Data("\r\u{1B}[K".utf8)) }
    }

    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return String(format: "%d:%02d", total / 60, total % 60)
    }
}

