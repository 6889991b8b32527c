import ArgumentParser
import Experiments
import Foundation

/// `runner`: batch experiments for fully connected networks, from a YAML file.
@main
struct Runner: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Run neural-network experiments (sweeps of fully connected networks) from a YAML file.",
        discussion: """
            Exit codes: 0 all runs finished (and every expectation passed); 1 some run failed or
            diverged (still reported), or an expectation failed; 64 bad input or usage; 130 interrupted;
            3 a data file is missing (only with --skip-missing-data).

            Examples:
              runner experiments/quickstart.yaml
              runner experiments/tanh_vs_relu.yaml --jobs 2 --set training.iterations=500
              runner plan experiments/lr_depth_width.yaml
              runner report results/quickstart
              runner check results/toy_backprop
            """,
        version: version,
        subcommands: [Run.self, Plan.self, Report.self, Check.self],
        defaultSubcommand: Run.self)
}

/// Exit codes a CI job can trust.
enum Exit {
    static let runsFailed = ExitCode(1)
    static let badInput = ExitCode(64)
    static let interrupted = ExitCode(130)
    /// Only with --skip-missing-data: a data file is not present.
    static let missingData = ExitCode(3)
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
