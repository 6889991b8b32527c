import ArgumentParser
import Experiments
import Foundation

/// `runner plan EXPERIMENT.yaml`: the runs a real invocation would execute, without training.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the runs an experiment would execute (dry run).",
        discussion: """
            One line per run: its index, id, swept values, whether its record already exists (done), its matrix-product work in GFLOP (as the engine will do it: a dual first layer's G = XᵀX and B·G products instead of the primal W·X and dZ·Xᵀ), how the engine trains it (primal; dual: the first layer in dual form, where engine.first_layer: auto finds it pays or the file asks; reference: the readable engine) and its memory estimate (parameters, gradients, optimizer state and one batch's activations, besides the shared data). The list is exactly what 'runner run' executes, in the same order; a sweep that would not fit in memory with one run per core is refused (exit 64).

            Example:
              runner plan experiments/lr_depth_width.yaml --set sweep.activation=[tanh]
            """)

    @OptionGroup var options: ExperimentOptions

    @Option(name: .shortAndLong, help: "Runs at once, for the memory check; the default is the number of cores.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1; found \(jobs)") }
    }

    func run() throws {
        let plan = try options.loadPlan()
        for line in plan.datasetDescriptions { print("data: \(line)") }
        let columns = plan.experiment.columns
        var rows: [[String]] = [["#", "run_id"] + columns + ["status", "GFLOP", "engine", "memory"]]
        var total = 0.0
        var pending = 0
        let rungs = plan.layout.rungBudgets
        for run in plan.runs {
            let examples = plan.data[run.dataKey]?.trainExamples ?? 0
            let flops = run.computedFlops(exampleCount: examples)
            total += flops
            let done = plan.isDone(run, countingLegacy: true)
            if !done { pending += 1 }
            var status = "pending"
            if done {
                status = (try? plan.layout.readRecord(run.id))??.status == .pruned ? "done (pruned)" : "done"
            } else if let (owner, rung) = RunClaim.holder(of: run.id, in: plan.layout, rungs: rungs) {
                status = "running (pid \(owner.pid) on \(owner.host)" + (rung.map { ", rung \($0)" } ?? "") + ")"
            }
            rows.append([String(run.planned.index), run.id] + run.planned.sweptValues
                        + [status, String(format: "%.3f", flops / 1e9), run.engineDescription, MemoryLimitError.format(plan.memoryBytes(run))])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  "))
        }
        print("\(plan.runs.count) runs (\(pending) pending, \(plan.runs.count - pending) done), "
              + String(format: "%.2f", total / 1e9) + " GFLOP of matrix products in all; data "
              + MemoryLimitError.format(plan.dataBytes) + " in memory; results in \(plan.layout.directory.path)")
        if let halving = plan.experiment.schedule.successiveHalving, let line = SweepRunner.projection(halving, plan: plan) {
            print(line)
        }
        try options.checkMemory(plan, jobs: jobs)
    }
}
