import Foundation
import NeuralNet
import Synchronization
import Testing
@testable import Experiments

/// `schedule: {successive_halving: {…, asynchronous: true}}` (ASHA, deterministic).
@Suite("asynchronous successive halving")
struct AsynchronousHalvingTests {
    static let schedule = "schedule: {successive_halving: {eta: 3, min_iterations: 100, asynchronous: true}}"
    static let experiment = SuccessiveHalvingTests.experiment
        .replacingOccurrences(of: "schedule: {successive_halving: {eta: 3, min_iterations: 100}}", with: schedule)

    @Test("promotions: the best ⌊t/eta⌋ of each prefix of t records, once each; a gap in the prefix waits; a small closed rung promotes its best")
    func promotionRule() {
        let values: [Double] = [5, 3, 9, 1, 7, 2, 8, 6, 4]
        func decide(_ rung0: [Double?], rung1: [Int: Double] = [:]) -> AsynchronousPromotions {
            AsynchronousPromotions(count: rung0.count, rungs: 1, eta: 3, lowerIsBetter: true) { k, index in
                if k == 0 { return rung0[index].map { .some($0) } }
                return rung1[index].map { .some($0) }
            }
        }
        // 3 → promote run 1 (3.0); 4 → run 3 (1.0) is now best; 6 → the best two are 3 and 5.
        #expect(decide(values).members[1] == [1, 3, 5])
        #expect(decide(Array(values.prefix(4)) + [nil, nil, nil, nil, nil]).members[1] == [1, 3])
        // Run 2 has no record yet: only runs 0 and 1 count, and two are fewer than eta.
        #expect(decide([5, 3, nil, 1, 7, 2, 8, 6, 4]).members[1] == [])
        #expect(decide(values).closed == [true, false])
        #expect(decide(values, rung1: [1: 0.5, 3: 0.2, 5: 0.1]).closed == [true, true])
        // Fewer runs than eta: nothing until the rung is closed, then its best.
        #expect(decide([2, 1]).members[1] == [1])
        #expect(decide([2, nil]).members[1] == [])
        // A run without a metric (diverged) is never promoted.
        #expect(decide([nil, nil, nil].map { _ in Optional<Double>.none }).members[1] == [])
        let diverged = AsynchronousPromotions(count: 3, rungs: 1, eta: 3, lowerIsBetter: true) { k, index in
            k == 0 ? .some(index == 2 ? 1.0 : nil) : nil
        }
        #expect(diverged.members[1] == [2])
        #expect(decide(values).pending { k, _ in k == 0 }.map(\.index) == [1, 3, 5])
    }

    @Test("the same promotions as the rule applied to plain sweeps at each budget; final runs equal runs trained without a pause")
    func matchesPlainSweeps() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, outcome) = try runExperiment(Self.experiment, root: root, jobs: 2)
        let schedule = try SuccessiveHalvingTests.schedule(plan)
        #expect(schedule.complete && schedule.asynchronous == true && outcome.halving == schedule)
        #expect(outcome.halving?.description.hasPrefix("asynchronous successive halving (eta 3, validation_cost): 9 → ") == true)
        var grids: [Int: SweepPlan] = [:]
        var cleanup: [URL] = []
        defer { for url in cleanup { try? FileManager.default.removeItem(at: url) } }
        for budget in [100, 300, 900] {
            let grid = try makeTemporaryDirectory()
            cleanup.append(grid)
            let text = Self.experiment.replacingOccurrences(of: Self.schedule, with: "")
                .replacingOccurrences(of: "iterations: 900", with: "iterations: \(budget)")
            grids[budget] = try runExperiment(text, root: grid, jobs: 2).0
        }
        let budgets = [100, 300, 900]
        let expected = AsynchronousPromotions(count: 9, rungs: 2, eta: 3, lowerIsBetter: true) { k, index in
            guard let grid = grids[budgets[k]], let record = try? grid.layout.readRecord(grid.runs[index].id) else { return nil }
            return .some(SweepRunner.value(.validationCost, of: record))
        }
        #expect(schedule.rungs.map { $0.promotions ?? [] } == [1, 2].map { k in expected.members[k].map { plan.runs[$0].id } })
        #expect(schedule.finalRuns == expected.members[2].map { plan.runs[$0].id })
        #expect(!schedule.finalRuns.isEmpty)
        // Every run's results are those of a plain run to its last rung's budget.
        for (index, run) in plan.runs.enumerated() {
            let last = expected.members.lastIndex { $0.contains(index) } ?? 0
            let grid = try #require(grids[budgets[last]])
            let record = try #require(try plan.layout.readRecord(run.id))
            let gridRecord = try #require(try grid.layout.readRecord(grid.runs[index].id))
            #expect(record.status == (last == 2 ? gridRecord.status : (gridRecord.status == .finished ? .pruned : gridRecord.status)))
            #expect(record.finalCost == gridRecord.finalCost && record.iterations == gridRecord.iterations, "run \(index)")
            #expect(try SuccessiveHalvingTests.read(plan.layout.curve(run.id)) == SuccessiveHalvingTests.read(grid.layout.curve(grid.runs[index].id)))
            #expect(record.continuedFrom == (last == 0 ? nil : budgets[last - 1]), "run \(index)")
        }
        #expect(schedule.iterationsTrained == 9 * 100 + expected.members[1].count * 200 + expected.members[2].count * 600)
        let states = FileManager.default.enumerator(atPath: plan.layout.directory.path)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix("state.npz") }
        #expect(states == [])
    }

    @Test("--jobs 1, --jobs 2, two shards at once and a kill and resume give the same schedule and results")
    func deterministic() throws {
        let one = try makeTemporaryDirectory(), two = try makeTemporaryDirectory()
        let shared = try makeTemporaryDirectory(), resumed = try makeTemporaryDirectory()
        defer { for url in [one, two, shared, resumed] { try? FileManager.default.removeItem(at: url) } }
        let (planOne, _) = try runExperiment(Self.experiment, root: one, jobs: 1)
        let (planTwo, _) = try runExperiment(Self.experiment, root: two, jobs: 2)
        let reference = try SuccessiveHalvingTests.schedule(planOne)
        func same(_ plan: SweepPlan) throws {
            #expect(try SuccessiveHalvingTests.schedule(plan) == reference)
            #expect(try dropColumn("wall_seconds", from: SuccessiveHalvingTests.read(plan.layout.summary))
                    == dropColumn("wall_seconds", from: SuccessiveHalvingTests.read(planOne.layout.summary)))
            #expect(try SuccessiveHalvingTests.read(plan.layout.curves) == SuccessiveHalvingTests.read(planOne.layout.curves))
        }
        try same(planTwo)

        let experiment = try ExperimentLoader().load(text: Self.experiment, file: "test.yaml")
        let plan = try generatorRunner.plan(experiment, outputRoot: shared.path)
        let errors = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            do {
                _ = try generatorRunner.run(plan, options: SweepOptions(jobs: 1, outputRoot: shared.path,
                                                                         shard: Shard(index: index, count: 2)), stop: StopFlag())
            } catch {
                errors.withLock { $0.append("\(error)") }
            }
        }
        #expect(errors.withLock { $0 }.isEmpty)
        _ = try Reporter(layout: plan.layout).write(html: false)
        try same(plan)

        let resumedPlan = try generatorRunner.plan(experiment, outputRoot: resumed.path)
        let stop = StopFlag()
        let trained = Atomic<Int>(0)
        let interrupted = try generatorRunner.run(resumedPlan, options: SweepOptions(jobs: 2, outputRoot: resumed.path), stop: stop) { _, _, _ in
            if trained.add(1, ordering: .relaxed).newValue == 6 { stop.raise() }
        }
        #expect(interrupted.halving?.complete == false)
        let (again, _) = try runExperiment(Self.experiment, root: resumed, jobs: 2)
        try same(again)
    }
}
