import ArgumentParser
import Experiments
import Foundation

/// `runner merge DIR [DIR…]`: the reports of a sharded sweep, once every shard has run.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the reports of a sharded sweep (a Slurm array's merge job) and list what is missing.",
        discussion: """
            Reads plan.json and every run's record, writes summary.csv, curves.csv, accuracy_table.csv (and expectations.csv), and lists each run without a record (pending, or still claimed by a live process) with its shard. With several folders (results copied back from nodes without a shared file system), the runs of the others are copied into the first one, which must hold the same plan; records of another engine build are refused unless --allow-mixed.

            Exit codes: 0 every run finished (and every expectation passed); 1 some run failed or diverged, or an expectation failed; 4 some runs have no record yet (re-submit, or run the missing shards); 64 not a results folder, another plan, a damaged record; 74 a file could not be read or written.

            Folders copied back from nodes are named after the first: runner merge results/sweep node7/sweep node8/sweep.

            Example:
              runner merge results/quickstart
            """)

    @Argument(help: "The results folder (then folders to merge into it).", completion: .directory)
    var directories: [String]

    @Option(help: "Shards the sweep ran as, to name each missing run's shard (default: the Slurm submission's).")
    var shards: Int?

    @Flag(help: "Merge and report records made by different engine builds together.")
    var allowMixed = false

    @Flag(help: "Write the CSVs only: no report.html and figures/.")
    var noHTML = false

    @OptionGroup var data: ReportDataOptions

    func validate() throws {
        guard !directories.isEmpty else { throw ValidationError("give the results folder to merge, e.g. results/quickstart") }
        if let shards, !(1...Shard.maximumCount).contains(shards) {
            throw ValidationError("--shards must be in 1...\(Shard.maximumCount); found \(shards)")
        }
    }

    func run() throws {
        let target = ResultsLayout(directory: URL(fileURLWithPath: directories[0]))
        let report: Reporter.Report
        let status: StoreStatus
        do {
            let sources = directories.dropFirst().map { ResultsLayout(directory: URL(fileURLWithPath: $0)) }
            if !sources.isEmpty {
                let outcomes = try ResultsMerger(target: target).merge(Array(sources), allowMixed: allowMixed)
                for (source, outcome) in zip(directories.dropFirst(), outcomes) {
                    print("\(source): \(outcome.copied) runs merged, \(outcome.alreadyPresent) already in \(directories[0])")
                }
            }
            report = try Reporter(layout: target, dataLocator: data.locator).write(allowMixed: allowMixed, html: !noHTML)
            status = try StoreStatus(layout: target, shards: shards)
        } catch {
            printError("\(directories[0]): error: \(error)")
            throw Exit.code(for: error)
        }
        print(report.table)
        if let data = try? FileSystem.read(target.schedule), let halving = try? JSONDecoder().decode(HalvingSummary.self, from: data) {
            print(halving.description + " (schedule.json)")
        }
        for note in report.notes { print("note: \(note)") }
        print("")
        let counts = status.counts()
        let missing = status.missing
        // Successive halving's pruned runs have results (their last rung's) but did not train in full.
        let pruned = counts[.pruned, default: 0]
        print("\(report.plan.experiment): \(status.runs.count) runs — \(counts[.finished, default: 0]) finished, "
              + (pruned > 0 ? "\(pruned) pruned, " : "")
              + "\(counts[.diverged, default: 0]) diverged, \(counts[.failed, default: 0]) failed, \(missing.count) without a complete record. "
              + "Reports written to \(directories[0])")
        for run in missing.prefix(50) {
            printError("missing: run \(run.entry.index) (\(run.entry.id))" + (run.shard.map { ", shard \($0)" } ?? "")
                       + (run.owner.map { ", in flight: \($0)" } ?? ", pending") + (run.problem.map { ": \($0)" } ?? ""))
        }
        if missing.count > 50 { printError("missing: … and \(missing.count - 50) more (runner status \(directories[0]))") }
        for run in status.runs where run.state == .failed || run.state == .diverged {
            printError("\(run.state.rawValue): run \(run.entry.index) (\(run.entry.id))" + (run.shard.map { ", shard \($0)" } ?? ""))
        }
        if !report.expectations.isEmpty && missing.isEmpty {
            print("")
            print(ExpectationChecker.table(report.expectations))
        }
        if !missing.isEmpty {
            printError("\(directories[0]): \(missing.count) of \(status.runs.count) runs have no complete record; re-submit "
                       + "(runner slurm runs only what is missing) or run the missing shards, then merge again")
            throw Exit.incomplete
        }
        if counts[.failed, default: 0] + counts[.diverged, default: 0] > 0 || report.hasFailedExpectation { throw Exit.runsFailed }
    }
}

/// `runner status DIR`: where a sweep stands, per shard.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a results folder's runs per shard: finished, pruned, diverged, failed, claimed (in flight) and pending.",
        discussion: """
            Reads plan.json, the records and the run claims (nothing is written). For a folder submitted with 'runner slurm', the shards are the submission's and the Slurm jobs' states are shown when squeue or scontrol can say.

            Example:
              runner status results/quickstart
            """)

    @Argument(help: "A results folder, e.g. results/quickstart.", completion: .directory)
    var directory: String

    @Option(help: "Shards the sweep runs as (default: the Slurm submission's; none: totals only).")
    var shards: Int?

    func validate() throws {
        if let shards, !(1...Shard.maximumCount).contains(shards) {
            throw ValidationError("--shards must be in 1...\(Shard.maximumCount); found \(shards)")
        }
    }

    func run() throws {
        let layout = ResultsLayout(directory: URL(fileURLWithPath: directory))
        let status: StoreStatus
        let submission: Submission?
        do {
            status = try StoreStatus(layout: layout, shards: shards)
            submission = try layout.readSubmission()
        } catch {
            printError("\(directory): error: \(error)")
            throw Exit.code(for: error)
        }
        let states = StoreStatus.State.allCases
        var rows: [[String]] = [["shard"] + states.map(\.rawValue) + ["runs"]]
        if let count = status.shards {
            for shard in 0..<count {
                let counts = status.counts(shard: shard)
                rows.append([String(shard)] + states.map { String(counts[$0, default: 0]) }
                            + [String(counts.values.reduce(0, +))])
            }
        }
        let total = status.counts()
        rows.append(["all"] + states.map { String(total[$0, default: 0]) } + [String(status.runs.count)])
        print(TextTable.render(rows))
        for (iterations, recorded) in status.rungProgress(in: layout) {
            print("rung \(iterations): \(recorded) run\(recorded == 1 ? "" : "s") recorded (successive halving, rungs/\(iterations)/)")
        }
        for run in status.runs where run.state == .claimed {
            print("in flight: run \(run.entry.index) (\(run.entry.id))" + (run.shard.map { ", shard \($0)" } ?? "")
                  + ": \(run.owner ?? "?")")
        }
        if let submission {
            for (name, job) in [("array", submission.arrayJob), ("merge", submission.mergeJob)] {
                guard let job else { continue }
                print("slurm \(name) job \(job): " + (SlurmClient.state(of: job) ?? "state unknown (squeue/scontrol cannot say)"))
            }
        }
    }
}

/// Aligned columns, right-aligned numbers.
enum TextTable {
    static func render(_ rows: [[String]]) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        let widths = (0..<width).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == 0 ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
