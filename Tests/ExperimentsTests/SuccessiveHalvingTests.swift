import Foundation
import NeuralNet
import Synchronization
import Testing
@testable import Experiments

/// `schedule: {successive_halving: …}`.
@Suite("successive halving")
struct SuccessiveHalvingTests {
    static let experiment = """
        name: sh
        dataset: {generator: moons, n: 200, noise: 0.25, seed: 2, validation_fraction: 0.25, split_seed: 1}
        model: {depth: 1, width: 8, activation: tanh, output: sigmoid, init: {normal: 0.5, seed: 1}}
        training: {optimizer: gd, learning_rate: 0.1, iterations: 900, record_every: 50}
        sweep:
          learning_rate: [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 3.0, 1.0e300]
        schedule: {successive_halving: {eta: 3, min_iterations: 100}}
        """

    static func read(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    static func schedule(_ plan: SweepPlan) throws -> HalvingSummary {
        try JSONDecoder().decode(HalvingSummary.self, from: Data(contentsOf: plan.layout.schedule))
    }

    @Test("each rung promotes exactly the runs a plain grid at that budget ranks best; pruned runs keep that grid's results")
    func promotesTheKnownBest() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, outcome) = try runExperiment(Self.experiment, root: root, jobs: 2)
        let schedule = try Self.schedule(plan)
        #expect(schedule.complete)
        #expect(schedule.rungs.map(\.iterations) == [100, 300])
        #expect(schedule.rungs.map(\.ranking.count) == [9, 3])
        #expect(schedule.finalRuns.count == 1)
        // The absurd learning rate ranks last and is pruned at the first rung.
        #expect(schedule.rungs[0].ranking.last?.id == plan.runs[8].id)
        #expect(try plan.layout.readRecord(plan.runs[8].id)?.iterations == 100)
        // Promoted runs go on from their rung's saved state: 9·100, then 3·(300 − 100), then 900 − 300.
        #expect(schedule.iterationsTrained == 9 * 100 + 3 * 200 + 600)
        #expect(schedule.gridIterations == 9 * 900)
        #expect(outcome.halving == schedule)
        // runner plan's projection, made before the sweep by the same rule, says what it did.
        let halving = try #require(plan.experiment.schedule.successiveHalving)
        let projection = try #require(SweepRunner.projection(halving, plan: plan))
        #expect(projection.contains("9 → 3 → 1 runs at 100, 300, 900 iterations; about \(schedule.iterationsTrained) "
                                    + "of the full grid's \(schedule.gridIterations) updates"), "\(projection)")
        // runner status: the 8 pruned runs are counted as pruned, not finished.
        let status = try StoreStatus(layout: plan.layout)
        #expect(status.counts()[.pruned] == 8)
        #expect(status.counts()[.finished] == 1)
        #expect(status.missing.isEmpty)

        var survivors = Array(0..<9)
        for rung in schedule.rungs {
            // The same runs as a plain sweep trained to the rung's budget.
            let grid = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: grid) }
            let text = Self.experiment
                .replacingOccurrences(of: "schedule: {successive_halving: {eta: 3, min_iterations: 100}}", with: "")
                .replacingOccurrences(of: "iterations: 900", with: "iterations: \(rung.iterations)")
            let (gridPlan, _) = try runExperiment(text, root: grid, jobs: 2)
            let costs = try survivors.map { index -> (Int, Double) in
                let record = try #require(try gridPlan.layout.readRecord(gridPlan.runs[index].id))
                return (index, record.status.isTrained ? record.validationCost ?? .infinity : .infinity)
            }
            let expected = costs.sorted { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.map(\.0)
            #expect(rung.ranking.map(\.index) == expected)
            let promoted = Array(expected.prefix(max(1, survivors.count / 3)))
            // Pruned runs: their record and curve are that grid run's (the same seed, the same updates).
            for index in expected.dropFirst(promoted.count) {
                let record = try #require(try plan.layout.readRecord(plan.runs[index].id))
                let gridRecord = try #require(try gridPlan.layout.readRecord(gridPlan.runs[index].id))
                #expect(record.status == (gridRecord.status == .finished ? .pruned : gridRecord.status))
                #expect(record.finalCost == gridRecord.finalCost && record.iterations == gridRecord.iterations)
                #expect(try Self.read(plan.layout.curve(plan.runs[index].id)) == Self.read(gridPlan.layout.curve(gridPlan.runs[index].id)))
            }
            survivors = promoted.sorted()
        }
        #expect(schedule.finalRuns == survivors.map { plan.runs[$0].id })
        let final = try #require(try plan.layout.readRecord(schedule.finalRuns[0]))
        #expect(final.status == .finished && final.iterations == 900 && final.continuedFrom == 300)
        let rung300 = ResultsLayout(directory: plan.layout.directory.appendingPathComponent("rungs/300"))
        for entry in schedule.rungs[1].ranking {
            #expect(try rung300.readRecord(entry.id)?.continuedFrom == 100)
        }
        // The final run equals one trained to 900 without a pause (the grid above at full length).
        let full = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: full) }
        let (fullPlan, _) = try runExperiment(Self.experiment.replacingOccurrences(
            of: "schedule: {successive_halving: {eta: 3, min_iterations: 100}}", with: ""), root: full, jobs: 2)
        let finalIndex = try #require(plan.runs.firstIndex { $0.id == final.id })
        let unpaused = try #require(try fullPlan.layout.readRecord(fullPlan.runs[finalIndex].id))
        #expect(final.finalCost == unpaused.finalCost && final.validationCost == unpaused.validationCost)
        #expect(try Self.read(plan.layout.curve(final.id)) == Self.read(fullPlan.layout.curve(unpaused.id)))
        #expect(try Data(contentsOf: plan.layout.parameters(final.id)) == Data(contentsOf: fullPlan.layout.parameters(unpaused.id)))
        // No saved state is left once every run has its record.
        let rungs = plan.layout.directory.appendingPathComponent("rungs")
        let states = FileManager.default.enumerator(atPath: rungs.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix("state.npz") }
        #expect(states == [])
        let summary = try Self.read(plan.layout.summary)
        #expect(summary.hasPrefix("run_id,learning_rate,status,diverged_at,final_cost,train_accuracy,test_accuracy,iterations_done,"
                                  + "wall_seconds,validation_cost,validation_accuracy,best_iteration,stopped_at\r\n"))
    }

    @Test("the same promotions and results with --jobs 1, --jobs 2 and after an interruption and resume")
    func deterministic() throws {
        let one = try makeTemporaryDirectory(), two = try makeTemporaryDirectory(), resumed = try makeTemporaryDirectory()
        defer { for url in [one, two, resumed] { try? FileManager.default.removeItem(at: url) } }
        let (planOne, _) = try runExperiment(Self.experiment, root: one, jobs: 1)
        let (planTwo, _) = try runExperiment(Self.experiment, root: two, jobs: 2)
        #expect(try Self.schedule(planOne) == Self.schedule(planTwo))
        #expect(try dropColumn("wall_seconds", from: Self.read(planOne.layout.summary))
                == dropColumn("wall_seconds", from: Self.read(planTwo.layout.summary)))
        #expect(try Self.read(planOne.layout.curves) == Self.read(planTwo.layout.curves))

        // Stopped after 10 trainings (in the second rung), then resumed.
        let experiment = try ExperimentLoader().load(text: Self.experiment, file: "test.yaml")
        let plan = try generatorRunner.plan(experiment, outputRoot: resumed.path)
        let stop = StopFlag()
        let trained = Atomic<Int>(0)
        let reports = Mutex<[String]>([])
        let interrupted = try generatorRunner.run(plan, options: SweepOptions(jobs: 1, outputRoot: resumed.path), stop: stop) { done, total, rung in
            reports.withLock { $0.append("\(rung ?? 0):\(done)/\(total)") }
            if trained.add(1, ordering: .relaxed).newValue == 10 { stop.raise() }
        }
        // Progress is counted per rung, with the rung's budget.
        #expect(reports.withLock { $0 } == (1...9).map { "100:\($0)/9" } + ["300:1/3"])
        #expect(interrupted.halving?.complete == false)
        #expect(interrupted.notStarted > 0)
        // It names the rung it stopped in and counts that rung's updates so far: 9 runs × 100,
        // then one run's 200 more from its saved state.
        #expect(interrupted.halving?.interrupted == HalvingSummary.Interruption(iterations: 300, runs: 3))
        #expect(interrupted.halving?.iterationsTrained == 1100)
        #expect(interrupted.halving?.description.contains("9 → 3 runs at 100, 300 iterations, stopped in the rung of 300 (the search goes on to 900); 1100 of the full grid's 8100 updates so far; incomplete") == true,
                "\(interrupted.halving?.description ?? "")")
        // A copy without its saved states: its promoted runs train again from the start, to the same results.
        let stateless = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: stateless) }
        try FileManager.default.removeItem(at: stateless)
        try FileManager.default.copyItem(at: resumed, to: stateless)
        let enumerator = FileManager.default.enumerator(atPath: stateless.path)
        var removed = 0
        while let path = enumerator?.nextObject() as? String {
            guard path.hasSuffix("state.npz") else { continue }
            try FileManager.default.removeItem(at: stateless.appendingPathComponent(path))
            removed += 1
        }
        #expect(removed > 0)
        // Another copy with two runs' states swapped: each is refused (not its run), and both train again.
        let swapped = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: swapped) }
        try FileManager.default.removeItem(at: swapped)
        try FileManager.default.copyItem(at: resumed, to: swapped)
        let rung100 = ResultsLayout(directory: swapped.appendingPathComponent("sh/rungs/100"))
        let rung300 = ResultsLayout(directory: swapped.appendingPathComponent("sh/rungs/300"))
        let waiting = plan.runs.filter { FileSystem.exists(rung100.trainingState($0.id)) && !FileSystem.exists(rung300.record($0.id)) }
        #expect(waiting.count >= 2)
        if waiting.count >= 2 {
            let (a, b) = (rung100.trainingState(waiting[0].id), rung100.trainingState(waiting[1].id))
            let temporary = a.appendingPathExtension("swap")
            try FileManager.default.moveItem(at: a, to: temporary)
            try FileManager.default.moveItem(at: b, to: a)
            try FileManager.default.moveItem(at: temporary, to: b)
            let (swappedPlan, _) = try runExperiment(Self.experiment, root: swapped, jobs: 2)
            #expect(try rung300.readRecord(waiting[0].id)?.continuedFrom == nil)
            #expect(try rung300.readRecord(waiting[1].id)?.continuedFrom == nil)
            #expect(try dropColumn("wall_seconds", from: Self.read(swappedPlan.layout.summary))
                    == dropColumn("wall_seconds", from: Self.read(planOne.layout.summary)))
            #expect(try Self.read(swappedPlan.layout.curves) == Self.read(planOne.layout.curves))
        }
        let (again, outcome) = try runExperiment(Self.experiment, root: resumed, jobs: 2)
        #expect(outcome.skipped > 0)
        #expect(try Self.schedule(again) == Self.schedule(planOne))
        #expect(try dropColumn("wall_seconds", from: Self.read(again.layout.summary))
                == dropColumn("wall_seconds", from: Self.read(planOne.layout.summary)))
        let (retrained, _) = try runExperiment(Self.experiment, root: stateless, jobs: 2)
        var schedule = try Self.schedule(retrained)
        #expect(try schedule.iterationsTrained > Self.schedule(planOne).iterationsTrained)
        schedule.iterationsTrained = try Self.schedule(planOne).iterationsTrained
        #expect(try schedule == Self.schedule(planOne))
        #expect(try Self.read(retrained.layout.curves) == Self.read(planOne.layout.curves))
        #expect(try dropColumn("wall_seconds", from: Self.read(retrained.layout.summary))
                == dropColumn("wall_seconds", from: Self.read(planOne.layout.summary)))
    }

    @Test("with early stopping every run ends as a plain sweep to its rung's budget ends: promoted runs go on with its best-so-far")
    func earlyStoppingContinues() throws {
        // Few noisy examples and a wide network ranked by the training cost: the runs promoted keep
        // lowering it while their validation cost turns up, so early stopping's best-so-far from
        // before a pause decides what they keep.
        let text = Self.experiment
            .replacingOccurrences(of: "n: 200, noise: 0.25, seed: 2, validation_fraction: 0.25",
                                  with: "n: 80, noise: 0.45, seed: 2, validation_fraction: 0.5")
            .replacingOccurrences(of: "depth: 1, width: 8", with: "depth: 2, width: 48")
            .replacingOccurrences(of: "record_every: 50}", with: "record_every: 50, early_stopping: {metric: validation_cost, patience: 6, every: 50}}")
            .replacingOccurrences(of: "learning_rate: [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 3.0, 1.0e300]",
                                  with: "learning_rate: [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0]")
            .replacingOccurrences(of: "min_iterations: 100}", with: "min_iterations: 100, metric: final_cost}")
        #expect(text != Self.experiment)
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, _) = try runExperiment(text, root: root, jobs: 2)
        let schedule = try Self.schedule(plan)
        #expect(schedule.complete)
        var budgetOf: [String: Int] = [:]
        for rung in schedule.rungs { for entry in rung.ranking.dropFirst(rung.promoted) { budgetOf[entry.id] = rung.iterations } }
        for id in schedule.finalRuns { budgetOf[id] = 900 }
        var continued = 0, stoppedEarly = 0, bestBeforePause = 0
        for budget in Set(budgetOf.values).sorted() {
            let grid = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: grid) }
            let (gridPlan, _) = try runExperiment(
                text.replacingOccurrences(of: "schedule: {successive_halving: {eta: 3, min_iterations: 100, metric: final_cost}}", with: "")
                    .replacingOccurrences(of: "iterations: 900", with: "iterations: \(budget)"), root: grid, jobs: 2)
            for (index, run) in plan.runs.enumerated() where budgetOf[run.id] == budget {
                let record = try #require(try plan.layout.readRecord(run.id))
                let gridRecord = try #require(try gridPlan.layout.readRecord(gridPlan.runs[index].id))
                if record.continuedFrom != nil { continued += 1 }
                if record.status == .stoppedEarly { stoppedEarly += 1 }
                if record.status == .pruned {
                    #expect(record.prunedAt == budget && record.rungBudget == budget, "run \(index)")
                }
                if let from = record.continuedFrom, let best = record.bestIteration, best < from - 50 { bestBeforePause += 1 }
                #expect(record.iterations == gridRecord.iterations && record.bestIteration == gridRecord.bestIteration, "run \(index)")
                #expect(record.finalCost == gridRecord.finalCost && record.validationCost == gridRecord.validationCost, "run \(index)")
                #expect(try Self.read(plan.layout.curve(run.id)) == Self.read(gridPlan.layout.curve(gridPlan.runs[index].id)), "run \(index)")
                #expect(try Data(contentsOf: plan.layout.parameters(run.id)) == Data(contentsOf: gridPlan.layout.parameters(gridPlan.runs[index].id)))
            }
        }
        // The comparison covers runs that went on from a rung and runs that stopped early.
        #expect(continued >= 2 && stoppedEarly >= 1 && bestBeforePause >= 1,
                "\(continued) continued, \(stoppedEarly) stopped early, \(bestBeforePause) kept a check from before their pause")
        // summary.csv's stopped_at is the rung's budget, not the iterations done.
        let summary = try Self.read(plan.layout.summary).components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
        for (run, row) in zip(plan.runs, summary) where row.contains(",pruned,") {
            #expect(row.hasSuffix(",\(budgetOf[run.id] ?? -1)"), "\(row)")
        }
    }

    @Test("a run whose process dies without its record is trained by the process waiting for it at the rung")
    func takesOverAbandonedRuns() throws {
        let one = try makeTemporaryDirectory(), root = try makeTemporaryDirectory()
        defer { for url in [one, root] { try? FileManager.default.removeItem(at: url) } }
        let (planOne, _) = try runExperiment(Self.experiment, root: one, jobs: 2)
        let plan = try generatorRunner.plan(try ExperimentLoader().load(text: Self.experiment, file: "test.yaml"), outputRoot: root.path)
        // Another "process" holds run 4's first-rung claim, then lets go of it without a record.
        let rung = plan.layout.rung(100)
        let claim = try #require(try RunClaim.acquire(rung.claim(plan.runs[4].id)))
        let notices = Mutex<[String]>([])
        let finished = Atomic<Bool>(false)
        let result = Mutex<SweepOutcome?>(nil)
        let options = SweepOptions(jobs: 2, outputRoot: root.path, notice: { message in notices.withLock { $0.append(message) } })
        DispatchQueue.global().async {
            let outcome = try? generatorRunner.run(plan, options: options, stop: StopFlag())
            result.withLock { $0 = outcome }
            finished.store(true, ordering: .sequentiallyConsistent)
        }
        var waited = 0
        // Upper bounds for a hang, not timings (the test also runs under ThreadSanitizer).
        while notices.withLock({ $0.isEmpty }), waited < 2400 {
            usleep(50_000)
            waited += 1
        }
        #expect(notices.withLock { $0.first?.contains("waiting at the 100-iteration rung for 1 run another process is training") } == true)
        // runner status sees the claim inside the rung (it looked in runs/<id>/ only).
        let inRung = try StoreStatus(layout: plan.layout).runs.first { $0.entry.id == plan.runs[4].id }
        #expect(inRung?.state == .claimed && inRung?.owner?.hasSuffix("(in the rung of 100 iterations)") == true, "\(String(describing: inRung))")
        #expect(RunClaim.holder(of: plan.runs[4].id, in: plan.layout, rungs: plan.layout.rungBudgets)?.rung == 100)
        let finishedEarly = finished.load(ordering: .sequentiallyConsistent)
        #expect(!finishedEarly, "the sweep ended without run 4's record")
        claim.release()
        waited = 0
        while !finished.load(ordering: .sequentiallyConsistent), waited < 6000 {
            usleep(50_000)
            waited += 1
        }
        let outcome = try #require(result.withLock { $0 })
        #expect(outcome.halving?.complete == true && outcome.notStarted == 0)
        #expect(try Self.schedule(plan) == Self.schedule(planOne))
        #expect(try dropColumn("wall_seconds", from: Self.read(plan.layout.summary))
                == dropColumn("wall_seconds", from: Self.read(planOne.layout.summary)))

        // The holder dies while the rung's pass is still training the others (it skipped run 4
        // as held): at the pass's end nobody holds it, and it is trained here all the same.
        let again = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: again) }
        let secondPlan = try generatorRunner.plan(try ExperimentLoader().load(text: Self.experiment, file: "test.yaml"),
                                                  outputRoot: again.path)
        let secondRung = ResultsLayout(directory: secondPlan.layout.directory.appendingPathComponent("rungs/100"))
        let held = Mutex<RunClaim?>(try RunClaim.acquire(secondRung.claim(secondPlan.runs[4].id)))
        let second = try generatorRunner.run(secondPlan, options: SweepOptions(jobs: 2, outputRoot: again.path), stop: StopFlag()) { done, _, _ in
            if done == 7 { held.withLock { $0?.release(); $0 = nil } }
        }
        #expect(second.halving?.complete == true && second.notStarted == 0)
        #expect(try Self.schedule(secondPlan) == Self.schedule(planOne))
    }

    @Test("two shards (a cluster's array tasks) work through the rungs together: the same promotions, records and curves as one process")
    func sharedBetweenProcesses() throws {
        let one = try makeTemporaryDirectory(), shared = try makeTemporaryDirectory()
        defer { for url in [one, shared] { try? FileManager.default.removeItem(at: url) } }
        let (planOne, _) = try runExperiment(Self.experiment, root: one, jobs: 1)
        let experiment = try ExperimentLoader().load(text: Self.experiment, file: "test.yaml")
        let plan = try generatorRunner.plan(experiment, outputRoot: shared.path)
        // Two tasks at once on one folder; each waits at a rung for the runs the other is training.
        let notices = Mutex<[String]>([])
        let outcomes = Mutex<[Int: SweepOutcome]>([:])
        let errors = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let options = SweepOptions(jobs: 1, outputRoot: shared.path, shard: Shard(index: index, count: 2),
                                       notice: { message in notices.withLock { $0.append(message) } })
            do {
                let outcome = try generatorRunner.run(plan, options: options, stop: StopFlag())
                outcomes.withLock { $0[index] = outcome }
            } catch {
                errors.withLock { $0.append("\(error)") }
            }
        }
        #expect(errors.withLock { $0 }.isEmpty)
        for outcome in outcomes.withLock({ $0 }).values {
            // Neither task leaves a run untrained; each counts every run of the sweep as its own.
            #expect(outcome.notStarted == 0 && outcome.shardRuns == 9 && outcome.fileSystemError == nil)
        }
        for notice in notices.withLock({ $0 }) {
            #expect(notice.hasPrefix("successive halving: waiting at the ") && notice.contains("another process is training (pid "), "\(notice)")
        }
        // The last task to finish wrote the complete schedule; the merge writes the reports.
        #expect(try Self.schedule(plan) == Self.schedule(planOne))
        _ = try Reporter(layout: plan.layout).write(html: false)
        #expect(try dropColumn("wall_seconds", from: Self.read(plan.layout.summary))
                == dropColumn("wall_seconds", from: Self.read(planOne.layout.summary)))
        #expect(try Self.read(plan.layout.curves) == Self.read(planOne.layout.curves))
        for run in plan.runs {
            #expect(try Data(contentsOf: plan.layout.parameters(run.id)) == Data(contentsOf: planOne.layout.parameters(run.id)))
        }
    }

    @Test("without the schedule the pruned runs train in full; --best prefers runs trained in full; --set reaches the schedule")
    func pruningIsUndone() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, _) = try runExperiment(Self.experiment, root: root, jobs: 2)
        let best = try TrainedRun.best(in: plan.layout.directory)
        let finalRuns = try Self.schedule(plan).finalRuns
        #expect(best.record.status == .finished && best.record.id == finalRuns[0])
        let grid = Self.experiment.replacingOccurrences(of: "schedule: {successive_halving: {eta: 3, min_iterations: 100}}", with: "")
        let (again, outcome) = try runExperiment(grid, root: root, jobs: 2)
        #expect(outcome.executed == 8 && outcome.skipped == 1)
        #expect(!FileSystem.exists(again.layout.schedule))
        for run in again.runs {
            let record = try #require(try again.layout.readRecord(run.id))
            #expect(record.status != .pruned && record.iterations == 900)
        }
        let overridden = try ExperimentLoader().load(text: Self.experiment, file: "sh.yaml",
                                                     overrides: ["schedule.successive_halving.eta=2", "sweep.learning_rate=[0.1, 0.3]"])
        #expect(overridden.schedule.successiveHalving?.eta == 2 && overridden.runs.count == 2)
        let search = Self.experiment.replacingOccurrences(of: "sweep:\n  learning_rate: [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 3.0, 1.0e300]",
                                                          with: "search:\n  samples: 9\n  learning_rate: {log_uniform: [0.001, 1.0]}")
        #expect(try ExperimentLoader().load(text: search, file: "sh.yaml", overrides: ["search.samples=4"]).runs.count == 4)
    }

    @Test("runner plan's projection names the rungs the sweep then runs: a lone survivor skips to the full budget",
          arguments: [(1000, 9), (1000, 4), (2000, 10), (500, 1)])
    func projectionMatchesTheSweep(iterations: Int, runs: Int) throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let rates = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 3.0, 0.5, 0.05].prefix(runs).map { "\($0)" }.joined(separator: ", ")
        let text = Self.experiment
            .replacingOccurrences(of: "iterations: 900", with: "iterations: \(iterations)")
            .replacingOccurrences(of: "[0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 3.0, 1.0e300]", with: "[\(rates)]")
        let experiment = try ExperimentLoader().load(text: text, file: "test.yaml")
        let plan = try generatorRunner.plan(experiment, outputRoot: root.path)
        let halving = try #require(plan.experiment.schedule.successiveHalving)
        let projection = try #require(SweepRunner.projection(halving, plan: plan))
        let outcome = try generatorRunner.run(plan, options: SweepOptions(jobs: 2, outputRoot: root.path), stop: StopFlag())
        let done = try #require(outcome.halving).description
        // The same line up to the saving, apart from "about".
        let shown = projection.replacingOccurrences(of: "about ", with: "")
        #expect(shown.components(separatedBy: " updates")[0] == done.components(separatedBy: " updates")[0],
                "plan: \(projection)\nrun:  \(done)")
    }

    @Test("a search with a swept column: the row holding the run trained in full is ranked first, whatever its other cells")
    func rowWithTheFinalRunFirst() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let text = Self.experiment
            .replacingOccurrences(of: "sweep:\n  learning_rate: [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 3.0, 1.0e300]\n",
                                  with: "sweep:\n  width: [8, 1]\nsearch:\n  samples: 6\n  seed: 3\n  learning_rate: {log_uniform: [0.001, 3.0]}\n")
        let (plan, outcome) = try runExperiment(text, root: root, jobs: 2)
        let final = try #require(outcome.halving?.finalRuns.first)
        let entry = try #require(plan.runs.first { $0.id == final })
        let rows = try Self.read(plan.layout.accuracyTable).components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
        let label = try #require(rows.first?.components(separatedBy: ",").first)
        #expect(entry.planned.sweptValues.contains(label), "\(rows)")
    }

    @Test("a cell's pruning note: one budget, a range, and k of n with repeats; a cell with a run not pruned is full depth")
    func pruningNotes() {
        let one = AccuracyTable.Pruning(count: 1, shortest: 300, longest: 300)
        let range = AccuracyTable.Pruning(count: 3, shortest: 100, longest: 300)
        #expect(AccuracyTable.note(one, values: 1) == " (pruned at 300)")
        #expect(AccuracyTable.note(range, values: 3) == " (pruned at 100–300)")
        #expect(AccuracyTable.note(one, values: 3) == " (1 of 3 pruned at 300)")
        #expect(AccuracyTable.depth(values: 3, pruning: range) == 300)
        #expect(AccuracyTable.depth(values: 4, pruning: range) == Int.max)
        #expect(AccuracyTable.depth(values: 2, pruning: nil) == Int.max)
    }

    @Test("a diverged run is never promoted, even when fewer runs than eta would keep have a value; none at all ends the search")
    func divergedRunsNotPromoted() throws {
        for (rates, finalists) in [("[0.1, 1.0e300, 2.0e300, 3.0e300, 4.0e300, 5.0e300, 6.0e300, 7.0e300, 8.0e300]", 1),
                                   ("[1.0e300, 2.0e300, 3.0e300]", 0)] {
            let root = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            // relu: unbounded, so a learning rate of 1e300 overflows (tanh would saturate instead).
            let text = Self.experiment.replacingOccurrences(of: "[0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 3.0, 1.0e300]", with: rates)
                .replacingOccurrences(of: "activation: tanh", with: "activation: relu")
            let (plan, outcome) = try runExperiment(text, root: root, jobs: 2)
            let schedule = try Self.schedule(plan)
            #expect(schedule.complete && schedule.rungs.count == 1 && schedule.rungs[0].promoted == finalists, "\(rates)")
            #expect(outcome.halving?.finalRuns.count == finalists, "\(rates)")
            #expect(outcome.halving?.description.contains("no run had a value to promote") == (finalists == 0), "\(rates)")
            if finalists == 0 {
                #expect(outcome.halving?.description.contains("3 → 0 runs at 100 iterations; no run") == true && outcome.halving?.description.contains("saved") == false,
                        "\(outcome.halving?.description ?? "")")
            }
            let records = try plan.runs.map { try #require(try plan.layout.readRecord($0.id)) }
            #expect(records.filter { $0.status == .finished }.count == finalists, "\(rates)")
            #expect(records.filter { $0.status == .diverged }.count == plan.runs.count - finalists, "\(rates)")
            #expect(records.allSatisfy { $0.status != .diverged || $0.iterations <= 100 }, "\(rates)")
        }
    }

    @Test("a run that stopped early inside its rung and was then pruned is marked with its rung's budget, not its iterations")
    func prunedAtTheRungsBudget() throws {
        let text = Self.experiment
            .replacingOccurrences(of: "record_every: 50}", with: "record_every: 10, early_stopping: {metric: validation_cost, patience: 1, every: 10}}")
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, _) = try runExperiment(text, root: root, jobs: 2)
        let schedule = try Self.schedule(plan)
        var budgetOf: [String: Int] = [:]
        for rung in schedule.rungs { for entry in rung.ranking.dropFirst(rung.promoted) { budgetOf[entry.id] = rung.iterations } }
        var inside = 0
        for run in plan.runs {
            let record = try #require(try plan.layout.readRecord(run.id))
            guard record.status == .pruned else { continue }
            #expect(record.prunedAt == budgetOf[run.id], "\(run.id)")
            if record.iterations < record.rungBudget { inside += 1 }
        }
        #expect(inside >= 1)
        let summary = try Self.read(plan.layout.summary).components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
        for (run, row) in zip(plan.runs, summary) where row.contains(",pruned,") {
            #expect(row.hasSuffix(",\(budgetOf[run.id] ?? -1)"), "\(row)")
        }
        let table = try Reporter(layout: plan.layout, jobs: 1).write().table
        for budget in Set(budgetOf.values) { #expect(table.contains("(pruned at \(budget))"), "\(table)") }
        // Without the run trained in full, --best picks among the latest rung's runs (a score
        // from a shorter budget does not compete).
        for id in schedule.finalRuns { try FileManager.default.removeItem(at: plan.layout.runDirectory(id)) }
        let latest = try #require(budgetOf.values.max())
        let best = try TrainedRun.best(in: plan.layout.directory)
        #expect(best.record.rungBudget == latest && best.record.status == .pruned)
    }

    @Test("a budget near Int.max plans (the projection saturates instead of trapping)")
    func hugeBudgetProjection() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let text = Self.experiment.replacingOccurrences(of: "iterations: 900", with: "iterations: 9000000000000000000")
            .replacingOccurrences(of: "min_iterations: 100", with: "min_iterations: 1")
        let plan = try generatorRunner.plan(try ExperimentLoader().load(text: text, file: "test.yaml"), outputRoot: root.path)
        let halving = try #require(plan.experiment.schedule.successiveHalving)
        let projection = try #require(SweepRunner.projection(halving, plan: plan))
        // 9 runs × 9e18: the grid is shown in Double, and the share saved is right (not 0 % of Int.max).
        #expect(projection.contains("of the full grid's 8.1e+19 updates (88.9 % saved"), "\(projection)")
        #expect(Int.max.saturatingTimes(3) == Int.max && Int.max.saturatingTimes(-3) == Int.min && (-4).saturatingTimes(5) == -20)
        #expect(Int.max.saturatingPlus(1) == Int.max && Int.min.saturatingPlus(-1) == Int.min && 2.saturatingPlus(-5) == -3)
    }

    @Test("the accuracy table marks pruned runs with their budget; a search ranks the runs trained in full first, then later rungs")
    func tableMarksPrunedRuns() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let text = Self.experiment
            .replacingOccurrences(of: "sweep:\n  learning_rate: [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 2.0, 3.0, 1.0e300]\n",
                                  with: "search:\n  samples: 9\n  seed: 4\n  learning_rate: {log_uniform: [0.001, 3.0]}\n")
        #expect(text != Self.experiment)
        let (plan, outcome) = try runExperiment(text, root: root, jobs: 2)
        let schedule = try #require(outcome.halving)
        #expect(schedule.finalRuns.count == 1)
        let report = try Reporter(layout: plan.layout, jobs: 1).write()
        let records = Dictionary(uniqueKeysWithValues: report.records.compactMap { $0 }.map { ($0.id, $0) })
        // The CSV's rows (one per run, its learning rate the row label) in the table's order.
        let rows = try Self.read(plan.layout.accuracyTable).components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
        #expect(rows.count == 9)
        var idByRate: [String: String] = [:]
        for run in plan.runs { idByRate[run.planned.sweptValues[0]] = run.id }
        let order: [RunRecord?] = rows.map { row in
            idByRate[row.components(separatedBy: ",")[0]].flatMap { records[$0] }
        }
        // Trained in full, then pruned at 300, then at 100; a run without a value (diverged) last.
        func budget(_ record: RunRecord?) -> Int {
            guard let record, record.status != .diverged else { return -1 }
            return record.status == .pruned ? record.iterations : Int.max
        }
        let budgets = order.map(budget)
        #expect(budgets == budgets.sorted(by: >), "\(budgets)")
        #expect(budgets.first == Int.max && budgets.contains(300) && budgets.contains(100))
        let table = report.table
        for budget in [100, 300] {
            let pruned = records.values.filter { $0.status == .pruned && $0.iterations == budget }.count
            #expect(pruned > 0 && table.components(separatedBy: "(pruned at \(budget))").count - 1 == pruned, "\(table)")
        }
        #expect(table.contains("(pruned at N): successive halving stopped the run at N iterations"))
    }

    @Test("unequal budgets and bad settings are refused with the reason")
    func refusals() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let unequal = Self.experiment.replacingOccurrences(of: "  learning_rate: [0.003", with: "  iterations: [300, 900]\n  learning_rate: [0.003")
        do {
            _ = try runExperiment(unequal, root: root, jobs: 1)
            Issue.record("unequal budgets were accepted")
        } catch {
            #expect("\(error)" == "successive halving compares runs at equal budgets, but the runs train for 300, 900 iterations")
        }
        // Refused when planned (runner plan too), before anything runs.
        for (text, message) in [
            (unequal, "successive halving compares runs at equal budgets"),
            (Self.experiment.replacingOccurrences(of: "min_iterations: 100", with: "min_iterations: 900"),
             "successive_halving.min_iterations (900) must be below the runs' budget (900 iterations)"),
            (Self.experiment.replacingOccurrences(of: " validation_fraction: 0.25,", with: "")
                .replacingOccurrences(of: "min_iterations: 100}", with: "min_iterations: 100, metric: validation_cost}"),
             "successive_halving.metric validation_cost needs a validation split"),
        ] {
            do {
                _ = try generatorRunner.plan(try ExperimentLoader().load(text: text, file: "test.yaml"), outputRoot: root.path)
                Issue.record("accepted: \(message)")
            } catch {
                #expect("\(error)".contains(message), "\(error)")
            }
        }
        // Another schedule on a folder that holds one: refused (its pruned runs would mix), unless --force.
        let folder = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try runExperiment(Self.experiment, root: folder, jobs: 2)
        let changed = Self.experiment.replacingOccurrences(of: "min_iterations: 100", with: "min_iterations: 30")
        do {
            _ = try runExperiment(changed, root: folder, jobs: 2)
            Issue.record("a changed schedule was accepted")
        } catch {
            #expect("\(error)".contains("holds a successive-halving sweep with eta 3, min_iterations 100, metric validation_cost "
                                       + "(schedule.json); this file asks for eta 3, min_iterations 30, metric validation_cost"), "\(error)")
        }
        let (forced, _) = try runExperiment(changed, root: folder, jobs: 2, force: true)
        #expect(try Self.schedule(forced).rungs.map(\.iterations) == [30, 90])
        // With schedule.json deleted, the rung folders still tell: refused too.
        try FileManager.default.removeItem(at: forced.layout.schedule)
        do {
            _ = try runExperiment(Self.experiment, root: folder, jobs: 2)
            Issue.record("a changed schedule was accepted without schedule.json")
        } catch {
            #expect("\(error)".contains("holds successive-halving rungs at 30, 90, 100, 300 iterations (rungs/ and pruned runs), "
                                       + "but this file's schedule has rungs at 100, 300 (schedule.json is missing or unreadable)"), "\(error)")
        }
        // Rung folders deleted too, schedule.json unreadable: the pruned records still tell.
        try FileManager.default.removeItem(at: forced.layout.directory.appendingPathComponent("rungs"))
        try Data("{".utf8).write(to: forced.layout.schedule)
        do {
            _ = try runExperiment(Self.experiment, root: folder, jobs: 2)
            Issue.record("a changed schedule was accepted without rungs and schedule.json")
        } catch {
            #expect("\(error)".contains("holds successive-halving rungs at 30, 90 iterations (rungs/ and pruned runs)"), "\(error)")
        }
        // Without a validation split, ranking by the training cost is fine.
        let byCost = Self.experiment.replacingOccurrences(of: " validation_fraction: 0.25,", with: "")
            .replacingOccurrences(of: "min_iterations: 100}", with: "min_iterations: 100, metric: final_cost}")
        _ = try generatorRunner.plan(try ExperimentLoader().load(text: byCost, file: "test.yaml"), outputRoot: root.path)
        #expect(loadErrors(text: Self.experiment.replacingOccurrences(of: "eta: 3", with: "eta: 1"), file: "sh.yaml")
                == ["sh.yaml:7:38: error: 'eta' must be an integer ≥ 2; found 1"])
        #expect(loadErrors(text: Self.experiment.replacingOccurrences(of: "min_iterations: 100", with: "min_iteration: 100"), file: "sh.yaml").first?
                .contains("unknown key 'min_iteration' in 'successive_halving'; did you mean 'min_iterations'?") == true)
        #expect(loadErrors(text: Self.experiment.replacingOccurrences(of: "min_iterations: 100", with: "min_iterations: 100, metric: test_accuracy"), file: "sh.yaml").first?
                .contains("'metric' must be one of validation_cost, validation_accuracy, final_cost, train_accuracy; found 'test_accuracy'") == true)
    }
}
