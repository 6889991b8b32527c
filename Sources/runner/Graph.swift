import ArgumentParser
import Experiments
import Foundation

/// `runner graph EXPERIMENT.yaml`: the network of one run, as SVG or Graphviz DOT.
struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw the network of one of an experiment's runs: layers with their W and b shapes, forward and backward flow.",
        discussion: """
            Prints an SVG document (or Graphviz DOT with --format dot) on standard output; nothing is trained. The data are read for the input width.

            Examples:
              runner graph experiments/quickstart.yaml
              runner graph experiments/quickstart.yaml --run 9 --format dot
            """)

    @OptionGroup var options: ExperimentOptions

    @Option(name: .customLong("run"), parsing: .unconditional, help: "The run whose network is drawn (its index in 'runner plan').")
    var runIndex: Int = 0

    enum Format: String, ExpressibleByArgument, CaseIterable { case svg, dot }

    @Option(help: "svg or dot.")
    var format: Format = .svg

    func run() throws {
        let plan = try options.loadPlan()
        guard plan.runs.indices.contains(runIndex) else {
            printError("\(options.experiment): error: --run \(runIndex) is not a run of this experiment (0…\(plan.runs.count - 1))")
            throw Exit.badInput
        }
        let graph = NetworkGraph(plan.runs[runIndex].architecture)
        print(format == .svg ? graph.svg() : graph.dot(), terminator: "")
    }
}
