import Dispatch
import Foundation
import NeuralNet
import Synchronization

/// Asynchronous successive halving (ASHA, Li et al. 2020) made deterministic: a run is promoted
/// from rung k as soon as it ranks in the best ⌊t/eta⌋ of the first t runs of that rung — in sweep
/// order at rung 0, in promotion order above — once those t have their records. Every decision
/// depends only on a prefix of records, never on which run finished first, so `--jobs`, several
/// processes and a kill and resume give the same promotions; a worker never waits for a whole
/// rung while there is a promotion or a first-rung run to train.
struct AsynchronousPromotions {
    /// Run indices at each rung, in order (rung 0: every run; the last: the full budget).
    var members: [[Int]]
    /// Whether no more runs can join the rung and each of its runs has a record.
    var closed: [Bool]

    /// - Parameters:
    ///   - count: the sweep's runs.
    ///   - rungs: the rungs below the full budget.
    ///   - value: the metric of run `index`'s record at `rung`: nil without a record, `.some(nil)`
    ///     for a record without a metric (diverged or failed: never promoted).
    init(count: Int, rungs: Int, eta: Int, lowerIsBetter: Bool, value: (_ rung: Int, _ index: Int) -> Double??) {
        members = [Array(0..<count)] + [[Int]](repeating: [], count: rungs)
        closed = [Bool](repeating: false, count: rungs + 1)
        var inputClosed = true   // rung 0's members are all known from the start
        for k in 0...rungs {
            var recorded = 0
            // The rung's recorded runs so far, best first (kept sorted as each is inserted).
            var entries: [HalvingSummary.Entry] = []
            var promoted = Set<Int>()
            for index in members[k] {
                guard let metric = value(k, index) else { break }
                recorded += 1
                let entry = HalvingSummary.Entry(id: "", index: index, value: metric)
                var (low, high) = (0, entries.count)   // the first entry `entry` ranks before
                while low < high {
                    let middle = (low + high) / 2
                    if SweepRunner.ranks(entry, before: entries[middle], lowerIsBetter: lowerIsBetter) { high = middle } else { low = middle + 1 }
                }
                entries.insert(entry, at: low)
                guard k < rungs else { continue }
                // The best ⌊t/eta⌋ of the first t runs of the rung, each promoted once.
                for entry in entries.prefix(recorded / eta) where entry.value != nil && !promoted.contains(entry.index) {
                    promoted.insert(entry.index)
                    members[k + 1].append(entry.index)
                }
            }
            closed[k] = inputClosed && recorded == members[k].count
            // A closed rung with fewer than eta runs promotes its best, as the synchronous schedule does.
            if k < rungs, closed[k], members[k + 1].isEmpty,
               let best = entries.filter({ $0.value != nil })
                .min(by: { SweepRunner.ranks($0, before: $1, lowerIsBetter: lowerIsBetter) }) {
                members[k + 1].append(best.index)
            }
            inputClosed = closed[k]
        }
    }

    /// The runs to train, highest rung first (promotions before new runs), each as (rung, index).
    func pending(recorded: (_ rung: Int, _ index: Int) -> Bool) -> [(rung: Int, index: Int)] {
        var tasks: [(rung: Int, index: Int)] = []
        for k in members.indices.reversed() {
            for index in members[k] where !recorded(k, index) { tasks.append((k, index)) }
        }
        return tasks
    }
}

extension SweepRunner {
    /// `schedule: {successive_halving: {…, asynchronous: true}}`: every worker (of this process
    /// and of any other on the folder) trains, highest rung first, the promoted runs and then the
    /// first rung's runs nobody holds; a promoted run goes on from its rung's saved state. Runs
    /// never promoted get their last rung's results in `runs/<id>/` with status `pruned` once the
    /// sweep is complete.
    func runAsynchronousHalving(_ halving: SuccessiveHalving, runs: [ResolvedRun], plan: SweepPlan, options: SweepOptions,
                                stop: StopFlag, progress: @Sendable (Int, Int, Int?) -> Void) throws -> (Pass, HalvingSummary) {
        let layout = plan.layout
        let full = try Self.fullBudget(runs, plan: plan)
        let metric = Self.metric(halving, plan: plan)
        let budgets = halving.budgets(total: full)
        let layouts = budgets.map { layout.rung($0) } + [layout]
        for rung in layouts { try FileSystem.createDirectories(rung.runsDirectory) }
        let alreadyDone = Set(runs.filter { !options.force && plan.isDone($0, acceptingPruned: true) }.map(\.id))
        let book = AsynchronousBook(runs: runs, layouts: layouts, force: options.force)
        let executors = layouts.enumerated().map { k, rung in
            RunExecutor(layout: rung, force: options.force, build: options.build, stop: stop,
                        budget: k < budgets.count ? budgets[k] : nil, savesState: k < budgets.count,
                        continuesFrom: k > 0 ? layouts[k - 1] : nil)
        }
        let jobs = max(1, min(options.jobs, runs.count))
        Self.setBLASThreads(concurrentRuns: runs.count > 1 ? max(1, options.jobs) : 1)
        let failure = Mutex<FileSystemError?>(nil)
        let announced = Atomic<Bool>(false)
        let finished = Counter()
        DispatchQueue.concurrentPerform(iterations: jobs) { _ in
            while !stop.isRaised {
                let decisions = book.decisions(rungs: budgets.count, eta: halving.eta, metric: metric)
                guard let task = book.take(from: decisions) else {
                    if decisions.closed.allSatisfy({ $0 }) { return }
                    // Everything left is training here or in another process: its records decide.
                    if !announced.exchange(true, ordering: .relaxed), book.heldElsewhere > 0 {
                        options.notice?("asynchronous successive halving: waiting for \(book.heldElsewhere) run"
                                        + "\(book.heldElsewhere == 1 ? "" : "s") another process is training")
                    }
                    usleep(50_000)
                    book.forgetHeldElsewhere()
                    continue
                }
                let run = runs[task.index]
                // Every run's data was prepared in `plan`, so the lookup cannot miss.
                guard let prepared = plan.data[run.dataKey] else { stop.raise(); return }
                do throws(FileSystemError) {
                    let outcome = try executors[task.rung].execute(run, data: prepared)
                    switch outcome {
                    case .claimedElsewhere: book.heldElsewhere(task)
                    case .stopped: book.finish(task, record: nil)
                    case .recorded(let record), .doneElsewhere(let record):
                        book.finish(task, record: record)
                        // Rungs interleave: one count over the sweep, no rung label.
                        progress(finished.increment(), book.known, nil)
                    }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                    stop.raise()
                    book.finish(task, record: nil)
                }
            }
        }
        let ioError = failure.withLock { $0 }
        // The summary, and the pruned runs' results, from the records as they stand.
        let lock = try FileLock.acquire(layout.directory.appendingPathComponent(".schedule.lock"), exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        let decisions = book.decisions(rungs: budgets.count, eta: halving.eta, metric: metric)
        let complete = !stop.isRaised && ioError == nil && decisions.closed.allSatisfy { $0 }
        var rungs: [HalvingSummary.Rung] = []
        var trained = 0
        for (k, budget) in budgets.enumerated() {
            let ranking = decisions.members[k].map { index in
                HalvingSummary.Entry(id: runs[index].id, index: index,
                                     value: book.record(k, index).flatMap { Self.value(metric, of: $0) })
            }.sorted { Self.ranks($0, before: $1, lowerIsBetter: metric.lowerIsBetter) }
            let promotions = decisions.members[k + 1].map { runs[$0].id }
            rungs.append(.init(iterations: budget, ranking: ranking, promoted: promotions.count, promotions: promotions))
        }
        for k in layouts.indices {
            for index in decisions.members[k] {
                trained = trained.saturatingPlus(book.record(k, index)?.updatesMade ?? 0)
            }
        }
        if complete {
            for (k, rung) in layouts.enumerated().dropLast() {
                let promoted = Set(decisions.members[k + 1])
                for index in decisions.members[k] {
                    unlink(rung.trainingState(runs[index].id).path)
                    guard !promoted.contains(index), let record = book.record(k, index),
                          options.force || !alreadyDone.contains(runs[index].id) else { continue }
                    try prune(record, budget: budgets[k], from: rung, into: layout)
                }
            }
        }
        let finalRuns = decisions.members[budgets.count].filter { book.record(budgets.count, $0) != nil }.map { runs[$0].id }
        let summary = HalvingSummary(eta: halving.eta, minIterations: halving.minIterations, metric: metric.rawValue,
                                     fullIterations: full, rungs: rungs, finalRuns: complete ? finalRuns : [],
                                     iterationsTrained: trained, gridIterations: full.saturatingTimes(runs.count), complete: complete,
                                     asynchronous: true)
        try AtomicFile.writeJSON(summary, to: layout.schedule)
        var pass = Pass()
        pass.pending = runs.count - alreadyDone.count
        pass.skipped = alreadyDone.count
        pass.executed = runs.filter { !alreadyDone.contains($0.id) && plan.isDone($0, acceptingPruned: true) }.count
        pass.elsewhere = complete ? 0 : min(book.heldElsewhere, pass.pending - pass.executed)
        pass.ioError = ioError
        return (pass, summary)
    }
}

/// What the workers of one process share: the records read so far (a record never changes once
/// written), the tasks being trained here, and those another process holds.
///
/// Guarded by an `NSLock` (a pthread mutex), not `Synchronization.Mutex`: workers contend for it
/// while records are read, and on Linux a contended `Mutex` is handed over by the kernel
/// (priority-inheritance futex), which ThreadSanitizer cannot see, so `make tsan` reported its
/// accesses as races.
final class AsynchronousBook: @unchecked Sendable {
    private struct State {
        var records: [Int: [Int: RunRecord]] = [:]
        var inFlight: Set<[Int]> = []
        var elsewhere: Set<[Int]> = []
        /// With --force, only records written by this process count (the old ones are being redone).
        var trainedHere: Set<[Int]> = []
        var known = 0
    }

    private let runs: [ResolvedRun]
    private let layouts: [ResultsLayout]
    private let force: Bool
    private let lock = NSLock()
    private var _state = State()

    init(runs: [ResolvedRun], layouts: [ResultsLayout], force: Bool) {
        self.runs = runs
        self.layouts = layouts
        self.force = force
    }

    /// Runs `body` holding the lock, with the state.
    private func withState<R>(_ body: (inout State) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&_state)
    }

    /// Run `index`'s record at rung `k` (the last rung: the results folder itself, where a
    /// pruned record is not a record of the full budget).
    func record(_ k: Int, _ index: Int) -> RunRecord? {
        withState { lookup(k, index, &$0) }
    }

    private func lookup(_ k: Int, _ index: Int, _ state: inout State) -> RunRecord? {
        if let record = state.records[k]?[index] { return record }
        if force && !state.trainedHere.contains([k, index]) { return nil }
        guard let record = try? layouts[k].readRecord(runs[index].id),
              k < layouts.count - 1 || record.status != .pruned else { return nil }
        state.records[k, default: [:]][index] = record
        return record
    }

    func decisions(rungs: Int, eta: Int, metric: SuccessiveHalving.Metric) -> AsynchronousPromotions {
        withState { state in
            let decisions = AsynchronousPromotions(count: runs.count, rungs: rungs, eta: eta, lowerIsBetter: metric.lowerIsBetter) {
                k, index in
                guard let record = lookup(k, index, &state) else { return nil }
                return .some(SweepRunner.value(metric, of: record))
            }
            state.known = decisions.members.reduce(0) { $0 + $1.count }
            return decisions
        }
    }

    /// The first pending task nobody here trains and no other process is known to hold; marked in flight.
    func take(from decisions: AsynchronousPromotions) -> (rung: Int, index: Int)? {
        withState { state in
            let tasks = decisions.pending { k, index in lookup(k, index, &state) != nil }
            guard let task = tasks.first(where: { !state.inFlight.contains([$0.rung, $0.index])
                && !state.elsewhere.contains([$0.rung, $0.index]) }) else { return nil }
            state.inFlight.insert([task.rung, task.index])
            return task
        }
    }

    /// A task done (its record, which counts from now on) or given up (nil: stopped).
    func finish(_ task: (rung: Int, index: Int), record: RunRecord?) {
        withState { state in
            state.inFlight.remove([task.rung, task.index])
            guard let record, task.rung < layouts.count - 1 || record.status != .pruned else { return }
            state.trainedHere.insert([task.rung, task.index])
            state.records[task.rung, default: [:]][task.index] = record
        }
    }

    func heldElsewhere(_ task: (rung: Int, index: Int)) {
        withState { state in
            state.inFlight.remove([task.rung, task.index])
            state.elsewhere.insert([task.rung, task.index])
        }
    }

    var heldElsewhere: Int { withState { $0.elsewhere.count } }
    var known: Int { withState { $0.known } }

    /// Held claims are looked at again (their process may have finished or died).
    func forgetHeldElsewhere() { withState { $0.elsewhere.removeAll() } }
}
