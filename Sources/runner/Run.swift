import ArgumentParser
import Dispatch
import Experiments
import Foundation

/// `runner [run] EXPERIMENT.yaml`: runs the sweep, writes the reports, prints the table.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment's sweep (the default command).",
        discussion: """
            Runs whose record already exists under <out>/<name>/runs/ are skipped (--force re-runs
            them), so a stopped sweep resumes where it left off. The first Ctrl-C stops starting new
            runs, lets running ones finish and writes the reports; a second one quits at once.

            Examples:
              runner experiments/quickstart.yaml
              runner run experiments/tanh_vs_relu.yaml --jobs 1 --out /tmp/results
              runner experiments/quickstart.yaml --set sweep.activation=[tanh] --force
            """)

    @OptionGroup var options: ExperimentOptions

    @Option(name: .shortAndLong, help: "Runs at once (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Re-run runs whose record already exists.")
    var force = false

    @Flag(help: "No progress line and no table on the terminal.")
    var quiet = false

    @Option(help: "Swept key for the accuracy table's rows.")
    var rows: String?

    @Option(help: "Swept key for the accuracy table's columns.")
    var columns: String?

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1; found \(jobs)") }
    }

    func run() throws {
        let plan = try options.loadPlan()
        let stop = StopFlag()
        let signals = SignalHandler(stop: stop)
        defer { signals.cancel() }
        let progress = Progress(total: plan.runs.count, isEnabled: !quiet && isatty(STDERR_FILENO) == 1)
        let sweepOptions = SweepOptions(
            jobs: jobs, outputRoot: options.out, force: force, tableRows: rows, tableColumns: columns,
            runnerVersion: Runner.version, gitCommit: GitCommit.current())
        let outcome: SweepOutcome
        do {
            outcome = try SweepRunner(dataSource: DataSource(locator: DataLocator(directories: [])))
                .run(plan, options: sweepOptions, stop: stop) { done, total in progress.update(done: done, of: total) }
        } catch {
            progress.finish()
            printError("\(options.experiment): error: \(error)")
            throw ExitCode.failure
        }
        progress.finish()
        if !quiet {
            print(outcome.report.table)
            print("")
        }
        let records = outcome.report.records.compactMap { $0 }
        let diverged = records.filter { $0.status == .diverged }.count
        let failed = records.filter { $0.status == .failed }
        print("\(plan.experiment.name): \(plan.runs.count) runs — \(outcome.executed) run now, \(outcome.skipped) already done"
              + (outcome.notStarted > 0 ? ", \(outcome.notStarted) not started" : "")
              + "; \(records.count - diverged - failed.count) finished, \(diverged) diverged, \(failed.count) failed."
              + " Results in \(plan.layout.directory.path)")
        for record in failed { printError("run \(record.index) (\(record.id)) failed: \(record.error ?? "unknown error")") }
        if !outcome.report.expectations.isEmpty {
            print("")
            print(ExpectationChecker.table(outcome.report.expectations))
        }
        if stop.isRaised { throw Exit.interrupted }
        if diverged + failed.count > 0 || outcome.report.hasFailedExpectation { throw Exit.runsFailed }
    }
}

/// Ctrl-C: the first stops new runs, the second exits at once with 130.
final class SignalHandler {
    private let source: DispatchSourceSignal

    init(stop: StopFlag) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            if stop.isRaised {
                printError("\ninterrupted again: exiting now")
                Foundation.exit(130)
            }
            stop.raise()
            printError("\ninterrupt: finishing the runs in progress, then writing the reports (Ctrl-C again to quit now)")
        }
        source.resume()
        self.source = source
    }

    func cancel() { source.cancel() }
}

/// A progress line on standard error: runs done/total, elapsed time, ETA.
final class Progress: Sendable {
    private let start = DispatchTime.now()
    private let isEnabled: Bool

    init(total: Int, isEnabled: Bool) {
        self.isEnabled = isEnabled
    }

    func update(done: Int, of total: Int) {
        guard isEnabled else { return }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let remaining = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        FileHandle.standardError.write(Data(
            "\r\u{1B}[K[\(done)/\(total)] elapsed \(Self.clock(elapsed)), ETA \(Self.clock(remaining))".utf8))
    }

    func finish() {
        if isEnabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return String(format: "%d:%02d", total / 60, total % 60)
    }
}

/// The checkout's commit, if the runner is run inside a git work tree.
enum GitCommit {
    static func current() -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "rev-parse", "--short=12", "HEAD"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return commit.isEmpty ? nil : commit
    }
}
