import ArgumentParser
import Experiments
import Foundation
import NeuralNet

/// `runner gradcheck EXPERIMENT.yaml`: the tutorials' gradient check on a configured network.
struct GradCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcheck",
        abstract: "Check backward propagation against finite differences on one run's network and a few examples.",
        discussion: """
            Builds run N's network as training would start it (same initialiser, same seed), takes the first --examples training examples, and compares each W_l and b_l's gradient from backward propagation with the central difference (J(θ+ε) − J(θ−ε)) / 2ε of the cost (with the run's L2 term), as the deep-learning course's gradient-checking assignment does: relative error ‖numeric − analytic‖ / (‖numeric‖ + ‖analytic‖) per matrix, pass at most 1e-7. The default step is ε = 1e-6: at the assignment's 1e-7, double rounding alone gives errors near 1e-7 on small gradients (its own threshold is 2e-7). Wide matrices are sampled: at most --max-entries evenly spaced entries each (every entry costs two forward passes). Computed in float64 whatever the run's precision.

            Exit codes: 0 every matrix passes; 1 some matrix fails; 64 bad input; 3 data missing (with --skip-missing-data).

            Example:
              runner gradcheck experiments/toy_backprop.yaml
            """)

    @OptionGroup var options: ExperimentOptions

    @Option(name: .customLong("run"), help: "The run whose network is checked (its index in runner plan).")
    var runIndex: Int = 0

    @Option(help: "Training examples in the check's batch.")
    var examples: Int = 8

    @Option(help: "The finite-difference step ε (the tutorial's 1e-7 leaves rounding errors near 1e-7 on small gradients).")
    var epsilon: Double = 1e-6

    @Option(help: "At most this many entries of each parameter matrix are checked.")
    var maxEntries: Int = 2000

    @Option(help: "The largest relative error that passes.")
    var threshold: Double = 1e-7

    func validate() throws {
        guard examples >= 1 else { throw ValidationError("--examples must be at least 1; found \(examples)") }
        guard maxEntries >= 1 else { throw ValidationError("--max-entries must be at least 1; found \(maxEntries)") }
        guard epsilon.isFinite, epsilon > 0 else { throw ValidationError("--epsilon must be a finite number > 0; found \(epsilon)") }
        guard threshold.isFinite, threshold > 0 else { throw ValidationError("--threshold must be a finite number > 0; found \(threshold)") }
    }

    func run() throws {
        let plan = try options.loadPlan()
        guard plan.runs.indices.contains(runIndex) else {
            printError("\(options.experiment): error: --run \(runIndex) is not a run of this sweep (0...\(plan.runs.count - 1))")
            throw Exit.badInput
        }
        let chosen = plan.runs[runIndex]
        guard let data = plan.data[chosen.dataKey] else {
            printError("\(options.experiment): error: the data of run \(runIndex) were not prepared")
            throw Exit.badInput
        }
        let train = data.splits.train
        let count = min(examples, data.trainExamples)
        let features: Matrix<Double>
        if data.hasDoubleFeatures {
            features = train.features.columns(0..<count)
        } else if let single = data.singlePrecision {
            features = single.train.columns(0..<count).converted(to: Double.self)
        } else {
            printError("\(options.experiment): error: the data of run \(runIndex) hold no features")
            throw Exit.badInput
        }
        let config = chosen.planned.config
        var random = NumpyRandom(seed: config.seed)
        let network = Network<Double>(architecture: chosen.architecture, initializer: config.model.initializer,
                                      seed: config.model.initSeed ?? config.seed,
                                 drawOrder: config.model.initOrder ?? .outIn, random: &random)
        let results: [GradientCheck.Result]
        do {
            results = try GradientCheck.check(network: network, inputs: features, labels: Array(train.labels[0..<count]),
                                              regularization: config.training.plan.regularization, epsilon: epsilon,
                                              maxEntries: maxEntries)
        } catch {
            printError("\(options.experiment): error: \(error)")
            throw Exit.badInput
        }
        let values = chosen.planned.sweptValues.isEmpty ? "" : " (" + zip(plan.experiment.columns, chosen.planned.sweptValues)
            .map { "\($0)=\($1)" }.joined(separator: ", ") + ")"
        print("gradient check of run \(runIndex)\(values): layers \(chosen.architecture.layerSizes.map(String.init).joined(separator: "-")), "
              + "\(count) examples, ε = \(epsilon)")
        var rows = [["parameter", "shape", "checked", "relative error", "result"]]
        for result in results {
            rows.append(["\(result.parameter)\(result.layer)", "\(result.rows)×\(result.columns)", "\(result.checked)",
                         String(format: "%.3e", result.relativeError), result.relativeError <= threshold ? "pass" : "FAIL"])
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows { print(zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")) }
        let failed = results.filter { !($0.relativeError <= threshold) }.count
        print(failed == 0 ? "every gradient agrees with its finite difference (≤ \(threshold))"
                          : "\(failed) of \(results.count) matrices differ by more than \(threshold)"
                            + " (with very small gradients — a small init, a deep net — the finite difference's rounding alone"
                            + " can exceed it: if the error falls as --epsilon grows to 1e-5 or 1e-4, backpropagation is right)")
        if failed > 0 { throw Exit.runsFailed }
    }
}
