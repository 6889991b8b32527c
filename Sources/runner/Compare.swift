import ArgumentParser
import Experiments
import Foundation

/// `runner compare DIR_A DIR_B`: one experiment's results from two builds or machines.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare two results folders of one experiment run by run; exit 1 when a number moved beyond the tolerance.",
        discussion: """
            Runs are matched by id (the same config and data give the same id). For each: the status, the iteration a run diverged at, the final cost and every recorded cost (relative difference, --tolerance), and the train and test accuracy (absolute difference, --accuracy-tolerance). Prints what moved, the largest differences and the runs only one folder has.

            Exit codes: 0 every shared run within the tolerances and the same runs in both; 1 something moved, or a run is missing from one folder; 64 not a results folder, a damaged record; 74 a file could not be read.

            Example (CI across versions):
              runner compare baseline/deep_cat results/deep_cat --tolerance 1e-9
            """)

    @Argument(help: "The first results folder (e.g. from the previous build).", completion: .directory)
    var first: String

    @Argument(help: "The second results folder.", completion: .directory)
    var second: String

    @Option(help: "Relative difference allowed in costs (final and every recorded point).")
    var tolerance: Double = 1e-9

    @Option(help: "Absolute difference allowed in train and test accuracy.")
    var accuracyTolerance: Double = 0

    func validate() throws {
        guard tolerance.isFinite, tolerance >= 0 else { throw ValidationError("--tolerance must be a finite number ≥ 0; found \(tolerance)") }
        guard accuracyTolerance.isFinite, accuracyTolerance >= 0 else {
            throw ValidationError("--accuracy-tolerance must be a finite number ≥ 0; found \(accuracyTolerance)")
        }
    }

    func run() throws {
        let comparison: ResultsComparison
        do {
            comparison = try ResultsComparison(ResultsLayout(directory: URL(fileURLWithPath: first)),
                                               ResultsLayout(directory: URL(fileURLWithPath: second)),
                                               costTolerance: tolerance, accuracyTolerance: accuracyTolerance)
        } catch {
            printError("runner compare: error: \(error)")
            throw Exit.code(for: error)
        }
        if comparison.experiments.first != comparison.experiments.second {
            print("note: the folders hold different experiments (\(comparison.experiments.first), \(comparison.experiments.second)); "
                  + "runs are compared where the configuration and data are the same")
        }
        if comparison.builds.first != comparison.builds.second {
            print("builds: \(first): " + (comparison.builds.first.isEmpty ? "no records" : comparison.builds.first.joined(separator: "; "))
                  + "\n        \(second): " + (comparison.builds.second.isEmpty ? "no records" : comparison.builds.second.joined(separator: "; ")))
        }
        if !comparison.differences.isEmpty {
            print(comparison.table())
            print("")
        }
        for (folder, ids) in [(first, comparison.onlyInFirst), (second, comparison.onlyInSecond)] where !ids.isEmpty {
            print("only in \(folder): \(ids.count) run\(ids.count == 1 ? "" : "s") (" + ids.prefix(8).joined(separator: ", ")
                  + (ids.count > 8 ? ", …" : "") + ")")
        }
        print("\(comparison.compared) runs compared; largest cost difference "
              + String(format: "%.3g", comparison.largestCostDifference) + " relative (tolerance \(tolerance)), largest accuracy difference "
              + String(format: "%.3g", comparison.largestAccuracyDifference) + " (tolerance \(accuracyTolerance)); "
              + (comparison.isSame ? "within the tolerances" : "\(comparison.differences.count) beyond them"))
        if !comparison.isSame { throw Exit.runsFailed }
    }
}
