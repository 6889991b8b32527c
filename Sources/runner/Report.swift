import ArgumentParser
import Experiments
import Foundation

/// `runner report RESULTS_DIR`: rebuilds every CSV and table from the per-run records.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild summary.csv, curves.csv and the accuracy table from a results folder.",
        discussion: """
            Reads plan.json and runs/<id>/record.json (and each run's curve.csv and params.npz); nothing is trained. The data are read again only for the decision boundaries of a 2-D dataset (generated again, or a CSV found through --data-dir); the report says when that figure is left out, and why.

            Example:
              runner report results/quickstart --rows hidden --columns activation
            """)

    @Flag(help: "Report records made by different engine builds together.")
    var allowMixed = false

    @Argument(help: "A results folder, e.g. results/quickstart.", completion: .directory)
    var directory: String

    @Option(help: "Swept key for the accuracy table's rows.")
    var rows: String?

    @Option(help: "Swept key for the accuracy table's columns.")
    var columns: String?

    @Flag(help: "Write the CSVs only: no report.html and figures/.")
    var noHTML = false

    @OptionGroup var data: ReportDataOptions

    func run() throws {
        let reporter = Reporter(layout: ResultsLayout(directory: URL(fileURLWithPath: directory)), dataLocator: data.locator)
        do {
            let report = try reporter.write(rows: rows, columns: columns, allowMixed: allowMixed, html: !noHTML)
            print(report.table)
            for note in report.notes { print("note: \(note)") }
            let done = report.records.compactMap { $0 }.count
            print("\n\(done) of \(report.plan.runs.count) runs have records; reports written to \(directory)")
        } catch {
            printError("\(directory): error: \(error)")
            throw Exit.code(for: error)
        }
    }
}
