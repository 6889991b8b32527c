import Foundation
import NeuralNet

/// What successive halving decided and what it saved; written as `schedule.json`.
public struct HalvingSummary: Codable, Sendable, Equatable {
    public struct Rung: Codable, Sendable, Equatable {
        /// The rung's budget.
        public var iterations: Int
        /// Every run of the rung, best first, with its metric (nil: diverged or failed).
        public var ranking: [Entry]
        /// The runs promoted to the next rung (the first `promoted` of `ranking`; asynchronous
        /// halving: `promotions`).
        public var promoted: Int
        /// Asynchronous halving: the runs promoted, in the order they were (not always a prefix
        /// of the final ranking: a run promoted early stays promoted).
        public var promotions: [String]? = nil
    }

    public struct Entry: Codable, Sendable, Equatable {
        public var id: String
        public var index: Int
        public var value: Double?
    }

    public var eta: Int
    public var minIterations: Int
    public var metric: String
    /// The runs' full budget, which the last rung trains to.
    public var fullIterations: Int
    public var rungs: [Rung]
    /// The runs trained to the full budget.
    public var finalRuns: [String]
    /// Parameter updates made in every rung and the last one (a promoted run goes on from its
    /// rung's saved state; one that cannot — it stopped early in its rung, the reference engine
    /// trains it, its state is unreadable — trains again from the start, and those updates count again).
    public var iterationsTrained: Int
    /// Updates the full grid would make: every run to the full budget.
    public var gridIterations: Int
    /// Whether every rung has its records (false after an interruption).
    public var complete: Bool
    /// True for asynchronous halving (ASHA); absent otherwise.
    public var asynchronous: Bool? = nil
    /// An interrupted synchronous sweep: the rung it stopped in, and how many runs that rung
    /// has (absent when complete, or when it stopped in the last stretch).
    public var interrupted: Interruption? = nil

    public struct Interruption: Codable, Sendable, Equatable {
        public var iterations: Int
        public var runs: Int
    }

    enum CodingKeys: String, CodingKey {
        case eta, minIterations = "min_iterations", metric, fullIterations = "full_iterations", rungs
        case finalRuns = "final_runs", iterationsTrained = "iterations_trained", gridIterations = "grid_iterations", complete
        case asynchronous, interrupted
    }

    /// "successive halving (eta 3, validation_cost): 27 → 9 → 3 runs at 100, 300, 900 iterations, 3 to 2000;
    /// 13 500 of the grid's 54 000 updates (75.0 % saved)".
    public var description: String {
        var counts = rungs.map { String($0.ranking.count) }
        var budgets = rungs.map { String($0.iterations) }
        var state = ""
        if let interrupted {
            counts.append(String(interrupted.runs))
            budgets.append(String(interrupted.iterations))
            state = ", stopped in the rung of \(interrupted.iterations) (the search goes on to \(fullIterations))"
        } else if complete && finalRuns.isEmpty {
            counts.append("0")
            state = "; no run had a value to promote (every run of the last rung diverged or failed)"
        } else {
            counts.append(complete ? String(finalRuns.count) : rungs.last.map { String($0.promoted) } ?? String(gridIterations / max(fullIterations, 1)))
            budgets.append(String(fullIterations))
            if !complete { state = ", the last stretch unfinished" }
        }
        var text = (asynchronous == true ? "asynchronous " : "") + "successive halving (eta \(eta), \(metric)): "
            + counts.joined(separator: " → ") + " runs at " + budgets.joined(separator: ", ") + " iterations" + state + "; "
            + "\(iterationsTrained) of the full grid's " + (gridIterations == Int.max ? "more than \(Int.max)" : "\(gridIterations)") + " updates"
        let saved = gridIterations > 0 ? 100 * (1 - Double(iterationsTrained) / Double(gridIterations)) : 0
        if !complete {
            // What an unfinished search saves is not known yet.
            text += " so far; incomplete: re-run to finish (its runs were interrupted, are still training in another "
                + "process, or could not be written)"
        } else if finalRuns.isEmpty || gridIterations == Int.max {
            // Nothing saved by a search that found nothing; a grid beyond Int.max has no exact share.
        } else if saved >= 0 {
            text += " (" + String(format: "%.1f", saved) + " % saved)"
        } else {
            text += " (" + String(format: "%.1f", -saved) + " % more than the grid: promoted runs that cannot go on from their rung "
                + "train again from the start)"
        }
        return text
    }
}

extension SweepRunner {
    /// Successive halving: every run trains `minIterations` in `rungs/<budget>/`, the best
    /// 1/eta by the metric train eta times as long, and so on; the last survivors train to
    /// the full budget in the results folder itself. The runs a rung does not promote get their
    /// rung's record, curve and parameters in `runs/<id>/` with status `pruned`. Decisions depend
    /// only on the rungs' records, so `--jobs`, the order runs finish in, a kill and resume, and
    /// several processes sharing the folder (shells, a cluster's array tasks) give the same promotions.
    func runSuccessiveHalving(_ halving: SuccessiveHalving, runs: [ResolvedRun], plan: SweepPlan, options: SweepOptions,
                              stop: StopFlag, progress: @Sendable (Int, Int, Int?) -> Void) throws -> (Pass, HalvingSummary) {
        let layout = plan.layout
        let full = try Self.fullBudget(runs, plan: plan)
        let metric = Self.metric(halving, plan: plan)
        let alreadyDone = Set(runs.filter { !options.force && plan.isDone($0, acceptingPruned: true) }.map(\.id))
        var total = Pass()
        var survivors = runs
        var rungs: [HalvingSummary.Rung] = []
        var trained = 0
        var complete = true
        var interrupted: HalvingSummary.Interruption?
        var previousRung: ResultsLayout?
        for budget in halving.budgets(total: full) where survivors.count > 1 {
            let rungLayout = layout.rung(budget)
            try FileSystem.createDirectories(rungLayout.runsDirectory)
            let (pass, records) = try trainRung(survivors, budget: budget, plan: plan, layout: rungLayout,
                                                continuesFrom: previousRung, options: options, stop: stop, progress: progress)
            total.ioError = total.ioError ?? pass.ioError
            total.elsewhere += pass.elsewhere
            guard !stop.isRaised, pass.ioError == nil, records.allSatisfy({ $0 != nil }) else {
                // The rung's updates so far count, and the summary names the rung.
                trained = records.reduce(trained) { $0.saturatingPlus($1?.updatesMade ?? 0) }
                interrupted = HalvingSummary.Interruption(iterations: budget, runs: survivors.count)
                complete = false
                break
            }
            trained = records.reduce(trained) { $0.saturatingPlus($1?.updatesMade ?? 0) }
            let ranking = zip(survivors, records).map { run, record in
                HalvingSummary.Entry(id: run.id, index: run.planned.index, value: record.flatMap { Self.value(metric, of: $0) })
            }.sorted { Self.ranks($0, before: $1, lowerIsBetter: metric.lowerIsBetter) }
            // The best ⌊n/eta⌋ with a value: a diverged or failed run is never promoted (as in the
            // asynchronous schedule), even when fewer than that many runs have a value.
            let kept = ranking.prefix(halving.kept(of: survivors.count)).filter { $0.value != nil }
            rungs.append(.init(iterations: budget, ranking: ranking, promoted: kept.count))
            let promoted = Set(kept.map(\.id))
            for (run, record) in zip(survivors, records) where !promoted.contains(run.id) {
                guard let record, options.force || !alreadyDone.contains(run.id) else { continue }
                try prune(record, budget: budget, from: rungLayout, into: layout)
            }
            // Saved states no run will go on from: the pruned runs' here, and the previous rung's
            // of every run this rung has recorded (a process killed mid-rung keeps the rest).
            for run in survivors where !promoted.contains(run.id) { unlink(rungLayout.trainingState(run.id).path) }
            for run in survivors { if let previousRung { unlink(previousRung.trainingState(run.id).path) } }
            survivors = survivors.filter { promoted.contains($0.id) }
            previousRung = rungLayout
        }
        if complete {
            // The last runs: no decision waits on them, so a process whose share is done leaves.
            let (pass, _) = try trainRung(survivors, budget: nil, plan: plan, layout: layout, continuesFrom: previousRung,
                                          waits: false, options: options, stop: stop, progress: progress)
            total.ioError = total.ioError ?? pass.ioError
            total.elsewhere += pass.elsewhere
        }
        // Other processes may train some of the last runs: whichever of them reads the records last
        // (under this lock, after writing its own) sees them all and writes the complete schedule.
        let scheduleLock = try FileLock.acquire(layout.directory.appendingPathComponent(".schedule.lock"), exclusive: true)
        defer { withExtendedLifetime(scheduleLock) {} }
        if complete {
            let records = survivors.map { try? layout.readRecord($0.id) }
            complete = !stop.isRaised && total.ioError == nil && records.allSatisfy { $0 != nil }
            trained = records.reduce(trained) { $0.saturatingPlus($1?.updatesMade ?? 0) }
            if complete, let previousRung {
                for run in survivors { unlink(previousRung.trainingState(run.id).path) }
            }
        }
        // Counted over the whole sweep: a run is done when its record is in runs/<id>/.
        let doneNow = runs.filter { !alreadyDone.contains($0.id) && plan.isDone($0, acceptingPruned: true) }.count
        total.pending = runs.count - alreadyDone.count
        total.skipped = alreadyDone.count
        total.executed = doneNow
        total.elsewhere = min(total.elsewhere, total.pending - doneNow)
        let summary = HalvingSummary(eta: halving.eta, minIterations: halving.minIterations, metric: metric.rawValue,
                                     fullIterations: full, rungs: rungs, finalRuns: complete ? survivors.map(\.id) : [],
                                     iterationsTrained: trained, gridIterations: full.saturatingTimes(runs.count), complete: complete,
                                     interrupted: interrupted)
        try AtomicFile.writeJSON(summary, to: layout.schedule)
        return (total, summary)
    }

    /// Trains a rung's runs together with any other process working through the same sweep: this
    /// process trains the runs nobody holds, then waits for those a live process is training (it
    /// holds their claim) and takes over any whose claim is let go without a record (a killed or
    /// requeued task). Waiting is only ever on a process that is training, never on one that waits,
    /// so processes cannot wait on each other. Returns the last pass and every run's record.
    /// With `waits` false (the last runs, which no decision needs) it does not wait for live
    /// processes, but still trains the runs whose process ended without a record.
    func trainRung(_ runs: [ResolvedRun], budget: Int?, plan: SweepPlan, layout: ResultsLayout, continuesFrom: ResultsLayout?,
                   waits: Bool = true, options: SweepOptions, stop: StopFlag,
                   progress: @Sendable (Int, Int, Int?) -> Void) throws -> (Pass, [RunRecord?]) {
        var pending = runs
        var announced = false
        while true {
            let pass = try self.pass(pending, plan: plan, layout: layout, budget: budget, options: options, stop: stop,
                                     continuesFrom: continuesFrom, savesState: budget != nil, progress: progress)
            let records = runs.map { try? layout.readRecord($0.id) }
            let missing = zip(runs, records).filter { $0.1 == nil }.map(\.0)
            guard !missing.isEmpty, !stop.isRaised, pass.ioError == nil else { return (pass, records) }
            let holders = missing.compactMap { RunClaim.holder(layout.claim($0.id)) }
            if holders.isEmpty {
                // Held elsewhere during the pass and free now (their process finished between the
                // two looks, or died): look again, and train what is still missing here.
                if pass.elsewhere > 0 {
                    pending = missing
                    continue
                }
                // Missing for another reason than a process training it: the rung is incomplete.
                return (pass, records)
            }
            guard waits else { return (pass, records) }
            if !announced {
                announced = true
                let owners = Set(holders.map(\.description)).sorted()
                options.notice?("successive halving: waiting at the \(budget ?? 0)-iteration rung for \(holders.count) "
                                + "run\(holders.count == 1 ? "" : "s") another process is training (" + owners.prefix(3).joined(separator: "; ")
                                + (owners.count > 3 ? "; …" : "") + ")")
            }
            // Until a missing run has its record or its claim is let go (then it is trained here).
            while !stop.isRaised,
                  missing.allSatisfy({ RunClaim.holder(layout.claim($0.id)) != nil && (try? layout.readRecord($0.id)) == nil }) {
                usleep(100_000)
            }
            pending = missing
        }
    }

    /// What `runner plan` says of a halving sweep before it runs: the rungs' budgets, how many
    /// runs each would keep (synchronous rule; asynchronous keeps at least as many), and the
    /// updates that makes against the full grid's.
    public static func projection(_ halving: SuccessiveHalving, plan: SweepPlan) -> String? {
        guard let full = try? fullBudget(plan.runs, plan: plan), !plan.runs.isEmpty else { return nil }
        // As the sweeps do: the synchronous one runs a rung only while it has more than one run
        // (a lone survivor trains straight to the full budget); the asynchronous one has every rung.
        var budgets: [Int] = [], counts: [Int] = []
        var count = plan.runs.count
        for budget in halving.budgets(total: full) where halving.asynchronous || count > 1 {
            budgets.append(budget)
            counts.append(count)
            count = halving.kept(of: count)
        }
        budgets.append(full)
        counts.append(count)
        // Exact counts while they fit in an Int; the share saved in Double, which does not
        // overflow (a budget of 9e18 iterations is a valid file).
        var updates = 0, previous = 0
        var updatesReal = 0.0
        for (count, budget) in zip(counts, budgets) {
            updates = updates.saturatingPlus(count.saturatingTimes(budget - previous))
            updatesReal += Double(count) * Double(budget - previous)
            previous = budget
        }
        let grid = plan.runs.count.saturatingTimes(full)
        let gridReal = Double(plan.runs.count) * Double(full)
        func shown(_ exact: Int, _ real: Double) -> String { exact == Int.max ? String(format: "%.3g", real) : String(exact) }
        return (halving.asynchronous ? "asynchronous " : "") + "successive halving (eta \(halving.eta), \(metric(halving, plan: plan).rawValue)): "
            + counts.map(String.init).joined(separator: " → ") + " runs at " + budgets.map(String.init).joined(separator: ", ")
            + " iterations; " + (halving.asynchronous ? "at least " : "about ") + shown(updates, updatesReal)
            + " of the full grid's " + shown(grid, gridReal) + " updates ("
            + (halving.asynchronous ? "at most " : "") + String(format: "%.1f", 100 * (1 - updatesReal / max(gridReal, 1))) + " % saved"
            + (halving.asynchronous ? "; asynchronous promotion keeps more runs" : "") + "; the GFLOP above are the full grid's)"
    }

    /// The metric runs are ranked by: as given, else validation_cost with a validation split, else final_cost.
    static func metric(_ halving: SuccessiveHalving, plan: SweepPlan) -> SuccessiveHalving.Metric {
        halving.metric ?? (plan.data.values.contains { $0.splits.validation != nil } ? .validationCost : .finalCost)
    }

    /// Refuses, at plan time, a schedule the sweep cannot follow: unequal budgets, a first rung at
    /// or beyond the budget, a validation metric without a validation split.
    static func checkSchedule(_ halving: SuccessiveHalving, plan: SweepPlan) throws {
        let full = try fullBudget(plan.runs, plan: plan)
        guard halving.minIterations < full else {
            throw SweepError.schedule("successive_halving.min_iterations (\(halving.minIterations)) must be below the runs' "
                                      + "budget (\(full) iterations): every run would train in full")
        }
        let metric = metric(halving, plan: plan)
        if metric == .validationCost || metric == .validationAccuracy,
           plan.runs.contains(where: { plan.data[$0.dataKey]?.splits.validation == nil }) {
            throw SweepError.schedule("successive_halving.metric \(metric.rawValue) needs a validation split: add "
                                      + "dataset.validation_fraction (e.g. 0.1), or rank by final_cost or train_accuracy")
        }
    }

    /// The one budget every run trains to (successive halving compares runs at equal budgets).
    static func fullBudget(_ runs: [ResolvedRun], plan: SweepPlan) throws -> Int {
        let budgets = Set(runs.map { $0.planned.config.training.plan.iterationCount(exampleCount: plan.data[$0.dataKey]?.trainExamples ?? 0) })
        guard budgets.count <= 1, let full = budgets.first else {
            throw SweepError.schedule("successive halving compares runs at equal budgets, but the runs train for "
                                      + budgets.sorted().map(String.init).joined(separator: ", ") + " iterations")
        }
        return full
    }

    /// The metric of a rung's record (nil: no value, ranked last).
    static func value(_ metric: SuccessiveHalving.Metric, of record: RunRecord) -> Double? {
        guard record.status.isTrained else { return nil }
        let value: Double? = switch metric {
        case .validationCost: record.validationCost
        case .validationAccuracy: record.validationAccuracy
        case .finalCost: record.finalCost
        case .trainAccuracy: record.trainAccuracy
        }
        return value.flatMap { $0.isFinite ? $0 : nil }
    }

    /// Best first; runs without a value last; ties by sweep order.
    static func ranks(_ a: HalvingSummary.Entry, before b: HalvingSummary.Entry, lowerIsBetter: Bool) -> Bool {
        switch (a.value, b.value) {
        case let (x?, y?) where x != y: return lowerIsBetter ? x < y : x > y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return a.index < b.index
        }
    }

    /// Gives a run its rung's results as its own, with status `pruned` and the rung's budget.
    func prune(_ record: RunRecord, budget: Int, from rung: ResultsLayout, into layout: ResultsLayout) throws {
        try FileSystem.createDirectories(layout.runDirectory(record.id))
        for (source, target) in [(rung.curve(record.id), layout.curve(record.id)),
                                 (rung.parameters(record.id), layout.parameters(record.id))] where FileSystem.exists(source) {
            try AtomicFile.write(try FileSystem.read(source, limit: 16 << 30), to: target)
        }
        var pruned = record
        if record.status.isTrained {
            pruned.status = .pruned
            pruned.prunedAt = budget
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let json = try? encoder.encode(pruned) else { return }
        try AtomicFile.write(json, to: layout.record(record.id))
    }
}

extension Int {
    /// self·other, or Int.max where that overflows: a budget of 9e18 iterations is a valid
    /// file, and the counts made of it must not trap.
    func saturatingTimes(_ other: Int) -> Int {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? ((self < 0) == (other < 0) ? Int.max : Int.min) : product
    }

    /// self + other, or Int.max (Int.min) where that overflows.
    func saturatingPlus(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? Int.max : Int.min) : sum
    }
}
