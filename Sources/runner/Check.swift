import ArgumentParser
import Experiments
import Foundation

/// `runner check RESULTS_DIR`: re-checks an experiment's expectations on saved results.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-check a results folder's expectations without training.",
        discussion: """
            Reads plan.json (which carries the experiment's expect: section), the run records and their curves; prints the expected/got table and exits 1 if any expectation fails. Rewrites the reports as runner report does (expectations.csv, the CSVs, report.html and figures/).

            Example:
              runner check results/quickstart
            """)

    @Flag(help: "Report records made by different engine builds together.")
    var allowMixed = false

    @Argument(help: "A results folder, e.g. results/toy_backprop.", completion: .directory)
    var directory: String

    @OptionGroup var data: ReportDataOptions

    func run() throws {
        let report: Reporter.Report
        do {
            report = try Reporter(layout: ResultsLayout(directory: URL(fileURLWithPath: directory)), dataLocator: data.locator).write(allowMixed: allowMixed)
        } catch {
            printError("\(directory): error: \(error)")
            throw Exit.code(for: error)
        }
        guard !report.expectations.isEmpty else {
            print("\(report.plan.experiment): no expectations to check")
            return
        }
        print(ExpectationChecker.table(report.expectations))
        if report.hasFailedExpectation { throw Exit.runsFailed }
    }
}
