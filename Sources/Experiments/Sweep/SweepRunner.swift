import Datasets
import Foundation
import NeuralNet
import Synchronization

/// How a sweep is run.
public struct SweepOptions: Sendable {
    /// Concurrent runs (default: the number of cores).
    public var jobs: Int
    /// Results go to `<outputRoot>/<experiment name>/`.
    public var outputRoot: String
    /// Re-run runs whose record already exists.
    public var force: Bool
    /// Accuracy-table layout overrides.
    public var tableRows: String?
    public var tableColumns: String?
    /// The engine build, recorded in `experiment.yaml` and every record.
    public var build: EngineBuild
    /// Keep and report records of other engine builds together with this one's.
    public var allowMixed: Bool
    /// Run only this shard's runs, and leave the reports to `runner merge` (a cluster's array
    /// task); `plan.json` must then be this plan's when it exists.
    public var shard: Shard?
    /// Write `report.html` and `figures/*.svg` with the CSVs.
    public var html: Bool
    /// Told what the sweep is waiting for (successive halving waiting at a rung for runs another
    /// process trains), once per wait.
    public var notice: (@Sendable (String) -> Void)?

    public init(jobs: Int, outputRoot: String, force: Bool = false, tableRows: String? = nil,
                tableColumns: String? = nil, build: EngineBuild = EngineBuild(version: "dev", gitCommit: nil, executable: nil),
                allowMixed: Bool = false, shard: Shard? = nil, html: Bool = true, notice: (@Sendable (String) -> Void)? = nil) {
        self.jobs = jobs
        self.outputRoot = outputRoot
        self.force = force
        self.tableRows = tableRows
        self.tableColumns = tableColumns
        self.build = build
        self.allowMixed = allowMixed
        self.shard = shard
        self.html = html
        self.notice = notice
    }
}

/// A sweep bound to its data: every run resolved, with what is already done.
public struct SweepPlan: Sendable {
    public var experiment: Experiment
    public var runs: [ResolvedRun]
    /// Prepared data by dataset configuration (each loaded once).
    public var data: [DatasetConfig: PreparedData]
    public var layout: ResultsLayout
    /// Where the data files were found (the report reads a 2-column CSV again).
    public var dataLocator = DataLocator(directories: [])
    /// Things the experiment probably did not mean (`SweepRunner.warnings`), for the commands to print.
    public var warnings: [String] = []

    /// Whether run `index` has a usable record from an earlier invocation (failed runs are
    /// retried, and so is a run whose record is damaged: the new record replaces it).
    /// A `pruned` record (successive halving stopped the run at a rung) counts as done only when
    /// `acceptingPruned` (default: when the experiment still halves; without a schedule the run
    /// is trained in full).
    /// With `countingLegacy` (`runner plan`), a 0.2 folder of the run counts too (the sweep
    /// renames it when it runs, if this build made it).
    public func isDone(_ run: ResolvedRun, in layout: ResultsLayout? = nil, acceptingPruned: Bool? = nil,
                       countingLegacy: Bool = false) -> Bool {
        let layout = layout ?? self.layout
        if countingLegacy, !FileSystem.exists(layout.record(run.id)), let legacy = RunID.legacy(run.id), FileSystem.exists(layout.record(legacy)),
           let record = try? layout.readRecord(legacy), record.status != .failed, record.status != .pruned {
            return (try? layout.readCurve(for: record)) != nil && layout.hasParameters(record)
        }
        guard let record = try? layout.readRecord(run.id), record.status != .failed, record.id == run.id,
              record.status != .pruned || (acceptingPruned ?? (experiment.schedule.successiveHalving != nil)),
              (try? layout.readCurve(for: record)) != nil,
              layout.hasIntactParameters(record, layerSizes: run.architecture.layerSizes) else { return false }
        return true
    }

    /// A run's estimated cost in FLOPs (what shards and the worker order are balanced by).
    public func cost(_ run: ResolvedRun) -> Double {
        data[run.dataKey].map { run.estimatedCost(exampleCount: $0.trainExamples) } ?? 0
    }

    /// Bytes of the data every run shares (each dataset once, in the precisions kept).
    public var dataBytes: Double { data.values.reduce(0) { $0 + $1.bytes } }

    /// A run's estimate of its own memory (see `ResolvedRun.memoryBytes`).
    public func memoryBytes(_ run: ResolvedRun) -> Double {
        run.memoryBytes(exampleCount: data[run.dataKey]?.trainExamples ?? 0,
                        testExamples: data[run.dataKey]?.splits.test?.exampleCount ?? 0)
    }

    /// Refuses a sweep whose data and `jobs` largest concurrent runs would not fit in `limit`
    /// bytes: the runs are estimated at plan time, before any of them allocates.
    /// - Parameter limitSource: what the limit is ("--max-memory", "the machine's memory").
    /// - Throws: `MemoryLimitError` naming the largest run, its estimate and the limit.
    public func checkMemory(jobs: Int, limit: Double, limitSource: String) throws {
        let sorted = runs.map { ($0, memoryBytes($0)) }.sorted { $0.1 > $1.1 }
        guard let (largest, largestBytes) = sorted.first else { return }
        let concurrent = sorted.prefix(max(1, jobs)).reduce(0) { $0 + $1.1 }
        if dataBytes + largestBytes > limit {
            throw MemoryLimitError(run: largest, runBytes: largestBytes, dataBytes: dataBytes, jobs: 1,
                                   totalBytes: dataBytes + largestBytes, limit: limit, limitSource: limitSource)
        }
        if dataBytes + concurrent > limit {
            throw MemoryLimitError(run: largest, runBytes: largestBytes, dataBytes: dataBytes, jobs: min(jobs, sorted.count),
                                   totalBytes: dataBytes + concurrent, limit: limit, limitSource: limitSource)
        }
    }

    /// Shapes of the distinct datasets, for `runner plan`.
    public var datasetDescriptions: [String] {
        var seen: [DatasetConfig] = []
        var lines: [String] = []
        for run in runs where !seen.contains(run.dataKey) {
            seen.append(run.dataKey)
            guard let prepared = data[run.dataKey] else { continue }
            lines.append(prepared.summary + " [fingerprint \(prepared.fingerprint.prefix(16))]")
        }
        return lines
    }
}

/// What a sweep did.
public struct SweepOutcome: Sendable {
    /// The reports written (nil for a shard: the merge writes them).
    public var report: Reporter.Report?
    /// Runs executed now, and runs skipped because their record existed.
    public var executed: Int
    public var skipped: Int
    /// Runs never started, or stopped part-way (their partial results discarded), because the
    /// sweep was stopped: they stay pending.
    public var notStarted: Int
    /// Runs left to other live processes that held their claims.
    public var claimedElsewhere: Int
    /// The I/O failure that stopped the sweep, if any (records written before it are valid).
    public var fileSystemError: FileSystemError?
    /// The records of this invocation's runs (every run; a shard's runs), read after the sweep.
    public var shardRecords: [RunRecord]
    /// How many runs this invocation was given (the plan; a shard's part of it).
    public var shardRuns: Int
    /// With `schedule: {successive_halving: …}`: the rungs and the compute saved.
    public var halving: HalvingSummary? = nil

    public var failedOrDiverged: Int {
        shardRecords.filter { !$0.status.isTrained }.count
    }
}

/// Plans and runs sweeps.
public struct SweepRunner: Sendable {
    public var dataSource: DataSource

    public init(dataSource: DataSource) {
        self.dataSource = dataSource
    }

    /// Loads every distinct dataset once and resolves every run.
    /// - Throws: `DatasetError` for data problems, `PlanError` for a model that does not fit its data.
    /// - Parameter memoryLimit: bytes the data may take, and what that limit is; a sweep over
    ///   datasets is refused as soon as those loaded so far exceed it, before loading the rest.
    public func plan(_ experiment: Experiment, outputRoot: String,
                     memoryLimit: (bytes: Double, source: String)? = nil) throws -> SweepPlan {
        var data: [DatasetConfig: PreparedData] = [:]
        var runs: [ResolvedRun] = []
        runs.reserveCapacity(experiment.runs.count)
        var dataBytes = 0.0
        for planned in experiment.runs {
            let key = planned.config.dataset
            if data[key] == nil {
                let precisions = Set(experiment.runs.filter { $0.config.dataset == key }.map(\.config.precision))
                let (double, single) = (precisions.contains(.float64), precisions.contains(.float32))
                // A generated dataset's size is known before it is drawn: refuse before drawing it.
                if let memoryLimit, let estimate = dataSource.estimatedBytes(key, double: double, single: single),
                   dataBytes + estimate > memoryLimit.bytes {
                    throw DataMemoryError(loaded: data.count + 1, distinct: Set(experiment.runs.map(\.config.dataset)).count,
                                          bytes: dataBytes + estimate, limit: memoryLimit.bytes, limitSource: memoryLimit.source)
                }
                let prepared = try dataSource.load(key, double: double, single: single)
                data[key] = prepared
                dataBytes += prepared.bytes
                if let memoryLimit, dataBytes > memoryLimit.bytes {
                    throw DataMemoryError(loaded: data.count, distinct: Set(experiment.runs.map(\.config.dataset)).count,
                                          bytes: dataBytes, limit: memoryLimit.bytes, limitSource: memoryLimit.source)
                }
            }
            guard let prepared = data[key] else { continue }
            runs.append(try ResolvedRun(planned: planned, data: prepared))
        }
        // Two runs with one configuration would share one id and one folder: refuse the sweep
        // (a repeated value in a list is almost always a typo; repeats: varies the seed).
        var firstWithID: [String: ResolvedRun] = [:]
        for run in runs {
            if let first = firstWithID[run.id] {
                throw PlanError(run: run.planned, message: "the same configuration as run \(first.planned.index)"
                    + (first.planned.sweptValues.isEmpty ? "" : " (" + first.planned.sweptValues.joined(separator: ", ") + ")")
                    + ": a value is repeated in a sweep list; remove it (use repeats: to train a configuration with several seeds)")
            }
            firstWithID[run.id] = run
        }
        var plan = SweepPlan(experiment: experiment, runs: runs, data: data,
                             layout: ResultsLayout(root: outputRoot, experiment: experiment.name), dataLocator: dataSource.locator)
        plan.warnings = Self.warnings(runs)
        if let halving = experiment.schedule.successiveHalving { try Self.checkSchedule(halving, plan: plan) }
        return plan
    }

    /// What the plan does that the experiment probably did not mean (printed, never refused).
    static func warnings(_ runs: [ResolvedRun]) -> [String] {
        // Runs that differ only in their seed while model.init.seed reseeds the generator before
        // the weights and the batches: the same training, several times.
        var seedsByConfiguration: [RunConfig: Set<UInt32>] = [:]
        for run in runs where run.planned.config.model.initSeed != nil {
            var config = run.planned.config
            let seed = config.seed
            config.seed = 0
            seedsByConfiguration[config, default: []].insert(seed)
        }
        let identical = seedsByConfiguration.values.filter { $0.count > 1 }
        guard let example = identical.first else { return [] }
        return ["\(identical.count) configuration\(identical.count == 1 ? "" : "s") repeated with seeds "
                + example.sorted().map(String.init).joined(separator: ", ")
                + " train identically: model.init.seed reseeds the run's generator before the weights and the batches, "
                + "so the run's seed changes nothing; sweep init.seed (or leave it out) to vary the repeats"]
    }

    /// Runs the pending runs of `plan` and writes the reports.
    /// - Parameter progress: called after each run with (done, total) runs of this invocation's
    ///   current pass, and the budget of the successive-halving rung that pass trains (nil: the
    ///   runs' full budget, or an asynchronous search's interleaved rungs).
    /// - Throws: `SweepError` when the folder belongs to another live plan or holds records of
    ///   another build; `FileSystemError` when the shared files cannot be written.
    public func run(_ plan: SweepPlan, options: SweepOptions, stop: StopFlag,
                    progress: @Sendable (Int, Int, Int?) -> Void = { _, _, _ in }) throws -> SweepOutcome {
        let layout = plan.layout
        try FileSystem.createDirectories(layout.runsDirectory)
        if let shard = options.shard, let submission = try layout.readSubmission() {
            if !options.allowMixed, !submission.build.isSame(as: options.build) {
                throw SweepError.buildChanged(folder: layout.directory.path, submitted: submission.build.description,
                                              this: options.build.description)
            }
            // Another N splits the plan differently: its shards would overlap the submission's.
            if shard.count != submission.shards {
                throw SweepError.shardCountChanged(folder: layout.directory.path, submitted: submission.shards, this: shard.count)
            }
        }
        let planLock = try claimFolder(plan, shard: options.shard, adopting: options)
        defer { withExtendedLifetime(planLock) {} }
        try checkScheduleUnchanged(plan, force: options.force)
        if !options.force && !options.allowMixed { try checkBuilds(plan, build: options.build) }
        // A shard task leaves the shared files as the submission wrote them.
        if options.shard == nil || !FileSystem.exists(layout.experimentFile) {
            try writeExperimentFile(plan, options: options)
        }
        let inShard: [Bool]
        if let shard = options.shard, plan.experiment.schedule.successiveHalving == nil {
            inShard = Shard.assign(costs: plan.runs.map(plan.cost), count: shard.count).map { $0 == shard.index }
        } else {
            // Successive halving: every task works through the whole sweep, sharing each rung's
            // runs by their claims (a rung's promotions need all of it).
            inShard = [Bool](repeating: true, count: plan.runs.count)
        }
        let ownRuns = zip(plan.runs, inShard).filter(\.1).map(\.0)
        let pass: Pass
        var halving: HalvingSummary?
        if let schedule = plan.experiment.schedule.successiveHalving, schedule.asynchronous {
            (pass, halving) = try runAsynchronousHalving(schedule, runs: ownRuns, plan: plan, options: options, stop: stop,
                                                         progress: progress)
        } else if let schedule = plan.experiment.schedule.successiveHalving {
            (pass, halving) = try runSuccessiveHalving(schedule, runs: ownRuns, plan: plan, options: options, stop: stop,
                                                       progress: progress)
        } else {
            pass = try self.pass(ownRuns, plan: plan, layout: layout, budget: nil, options: options, stop: stop, progress: progress)
        }
        let (executed, skipped, elsewhere, doneElsewhere) = (pass.executed, pass.skipped, pass.elsewhere, pass.doneElsewhere)
        let ioError = pass.ioError
        let pendingCount = pass.pending
        if options.shard != nil {
            // The merge writes the reports once, from every shard's records.
            return SweepOutcome(report: nil, executed: executed, skipped: skipped + doneElsewhere,
                                notStarted: pendingCount - executed - elsewhere - doneElsewhere,
                                claimedElsewhere: elsewhere, fileSystemError: ioError,
                                shardRecords: ownRuns.compactMap { try? layout.readRecord($0.id) }, shardRuns: ownRuns.count)
        }
        // Who else is still training, counted now rather than when this process passed their runs
        // by, and before the records are read: the last process to finish sees nobody, and its
        // report (which then has every record) checks the expectations.
        let rungs = layout.rungBudgets
        let inFlight = plan.runs.filter { RunClaim.holder(of: $0.id, in: layout, rungs: rungs) != nil }.count
        let report: Reporter.Report
        do {
            report = try Reporter(layout: layout, dataLocator: plan.dataLocator, jobs: options.jobs).write(rows: options.tableRows, columns: options.tableColumns,
                                                        allowMixed: options.allowMixed || options.force, html: options.html)
        } catch {
            // The run's own I/O failure is the cause worth naming.
            if let ioError { throw ioError }
            throw error
        }
        return SweepOutcome(report: report, executed: executed, skipped: skipped + doneElsewhere,
                            notStarted: pendingCount - executed - elsewhere - doneElsewhere,
                            claimedElsewhere: inFlight, fileSystemError: ioError,
                            shardRecords: report.records.compactMap { $0 }, shardRuns: plan.runs.count, halving: halving)
    }

    /// What one pass over a set of runs did.
    struct Pass {
        var pending = 0
        var executed = 0
        var skipped = 0
        var elsewhere = 0
        var doneElsewhere = 0
        var ioError: FileSystemError?
    }

    /// Trains the runs of `runs` not yet done in `layout` (to `budget` iterations when given),
    /// longest first, over the scheduler's workers.
    func pass(_ runs: [ResolvedRun], plan: SweepPlan, layout: ResultsLayout, budget: Int?, options: SweepOptions,
              stop: StopFlag, continuesFrom: ResultsLayout? = nil, savesState: Bool = false,
              progress: @Sendable (Int, Int, Int?) -> Void) throws -> Pass {
        // Longest first (by estimate), so that no worker is left alone with a long run at the
        // end of a sweep; records and reports do not depend on the order.
        let pending = runs.filter { options.force || !plan.isDone($0, in: layout, acceptingPruned: false) }
            .map { run in (run, plan.cost(run)) }
            .enumerated()
            .sorted { $0.element.1 > $1.element.1 || ($0.element.1 == $1.element.1 && $0.offset < $1.offset) }
            .map { $0.element.0 }
        let scheduler = Scheduler(jobs: options.jobs)
        // A sweep's runs train on one BLAS thread each whenever runs may share the cores, even a
        // run left alone at the end or after a resume: OpenBLAS rounds some products differently
        // on more threads, and a run's numbers must not depend on what it happened to run beside.
        // A single-run experiment (or --jobs 1) has every core.
        Self.setBLASThreads(concurrentRuns: plan.runs.count > 1 ? scheduler.jobs : 1)
        let executor = RunExecutor(layout: layout, force: options.force, build: options.build, stop: stop, budget: budget,
                                   savesState: savesState, continuesFrom: continuesFrom)
        let finished = Counter()
        let data = plan.data
        let failure = Mutex<FileSystemError?>(nil)
        let results = scheduler.run(count: pending.count, stop: stop) { index -> RunOutcome? in
            let run = pending[index]
            // Every run's data was prepared in `plan`, so the lookup cannot miss.
            guard let prepared = data[run.dataKey] else { return nil }
            do throws(FileSystemError) {
                let outcome = try executor.execute(run, data: prepared)
                if case .stopped = outcome { return outcome }
                progress(finished.increment(), pending.count, budget)
                return outcome
            } catch {
                // A full disk or a vanished folder fails every later run alike: stop the sweep.
                failure.withLock { if $0 == nil { $0 = error } }
                stop.raise()
                return nil
            }
        }
        let outcomes = results.compactMap { $0.flatMap { $0 } }
        var result = Pass()
        result.pending = pending.count
        result.skipped = runs.count - pending.count
        result.executed = outcomes.filter { if case .recorded = $0 { true } else { false } }.count
        result.elsewhere = outcomes.filter { if case .claimedElsewhere = $0 { true } else { false } }.count
        result.doneElsewhere = outcomes.filter { if case .doneElsewhere = $0 { true } else { false } }.count
        result.ioError = failure.withLock { $0 }
        return result
    }

    /// One BLAS thread per run while runs share the cores; all cores (or `OPENBLAS_NUM_THREADS`)
    /// for a lone run.
    static func setBLASThreads(concurrentRuns: Int) {
        let cores = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap { Int($0) }
            ?? ProcessInfo.processInfo.activeProcessorCount
        BLAS.setThreadCount(concurrentRuns > 1 ? 1 : cores)
    }

    /// Prepares the results folder of a cluster submission: `plan.json` (refused while another
    /// live process runs a different plan there), `experiment.yaml`, and the check that its
    /// records are this build's. Array tasks then verify the folder against their own plan.
    public func prepareSubmission(_ plan: SweepPlan, options: SweepOptions) throws {
        try FileSystem.createDirectories(plan.layout.runsDirectory)
        let lock = try claimFolder(plan)
        withExtendedLifetime(lock) {}
        if !options.force && !options.allowMixed { try checkBuilds(plan, build: options.build) }
        try writeExperimentFile(plan, options: options)
    }

    /// A folder holds one successive-halving schedule: its pruned runs and rungs are that
    /// schedule's. Another one (a changed eta, min_iterations, metric or asynchrony) is refused
    /// unless `force` (every run trained again); a plain sweep on the folder trains the pruned
    /// runs in full and drops the old `schedule.json`.
    func checkScheduleUnchanged(_ plan: SweepPlan, force: Bool) throws {
        let url = plan.layout.schedule
        guard let halving = plan.experiment.schedule.successiveHalving else {
            unlink(url.path)
            return
        }
        guard !force else { return }
        if let data = try? FileSystem.read(url, limit: 64 << 20), let old = try? JSONDecoder().decode(HalvingSummary.self, from: data) {
            let metric = Self.metric(halving, plan: plan)
            guard old.eta != halving.eta || old.minIterations != halving.minIterations || old.metric != metric.rawValue
                    || (old.asynchronous ?? false) != halving.asynchronous else { return }
            func describe(_ eta: Int, _ minimum: Int, _ metric: String, _ asynchronous: Bool) -> String {
                "eta \(eta), min_iterations \(minimum), metric \(metric)" + (asynchronous ? ", asynchronous" : "")
            }
            throw SweepError.schedule("\(plan.layout.directory.path) holds a successive-halving sweep with "
                                      + describe(old.eta, old.minIterations, old.metric, old.asynchronous ?? false)
                                      + " (schedule.json); this file asks for "
                                      + describe(halving.eta, halving.minIterations, metric.rawValue, halving.asynchronous)
                                      + ": its pruned runs and rungs would mix with the new schedule's. Use another --out, "
                                      + "or --force to train every run again")
        }
        // No readable schedule.json (deleted, damaged, or a killed first rung): the rung folders
        // and the pruned records' rungs still say which schedule the folder holds.
        guard let full = try? Self.fullBudget(plan.runs, plan: plan) else { return }
        let budgets = Set(halving.budgets(total: full))
        var found = Set(plan.layout.rungBudgets)
        for run in plan.runs {
            if let record = try? plan.layout.readRecord(run.id), record.status == .pruned, let rung = record.prunedAt { found.insert(rung) }
        }
        guard found.contains(where: { !budgets.contains($0) }) else { return }
        throw SweepError.schedule("\(plan.layout.directory.path) holds successive-halving rungs at "
                                  + found.sorted().map(String.init).joined(separator: ", ") + " iterations (rungs/ and pruned runs), "
                                  + "but this file's schedule has rungs at " + budgets.sorted().map(String.init).joined(separator: ", ")
                                  + " (schedule.json is missing or unreadable): its pruned runs would mix with the new schedule's. "
                                  + "Use another --out, or --force to train every run again")
    }

    /// Writes `plan.json`, unless another live process runs a different plan in the folder (two
    /// experiments sharing one name and folder would mix their reports).
    ///
    /// Each process holds a shared lock on `.plan-<hash of its run ids>.lock` for the whole sweep;
    /// admission (looking for other plans' held locks, taking ours, writing `plan.json`) happens
    /// under an exclusive `.admission.lock`, so two processes cannot both pass the check.
    /// - Returns: the plan lock, to be kept until the sweep ends.
    func claimFolder(_ plan: SweepPlan, shard: Shard? = nil, adopting options: SweepOptions? = nil) throws -> FileLock? {
        let ours = planFile(plan)
        if shard != nil, FileSystem.exists(plan.layout.plan) {
            // A shard task runs the plan it was submitted with, or nothing.
            let theirs = try Reporter(layout: plan.layout).readPlan()
            let differing = zip(theirs.runs, ours.runs).filter { $0.id != $1.id }.count + abs(theirs.runs.count - ours.runs.count)
            if differing > 0 || theirs.experiment != ours.experiment {
                throw SweepError.planChanged(folder: plan.layout.directory.path, differing: differing,
                                             theirs: theirs.runs.count, ours: ours.runs.count)
            }
        }
        var hasher = ContentHasher()
        for entry in ours.runs { hasher.combine(string: entry.id) }
        // Another schedule over the same runs is another plan: its processes would mix rungs.
        if let halving = plan.experiment.schedule.successiveHalving {
            hasher.combine(string: "successive halving \(halving.eta) \(halving.minIterations) "
                           + "\(Self.metric(halving, plan: plan).rawValue) \(halving.asynchronous)")
        }
        let directory = plan.layout.directory
        let admission = try FileLock.acquire(directory.appendingPathComponent(".admission.lock"), exclusive: true)
        defer { withExtendedLifetime(admission) {} }
        FileSystem.removeStaleTemporaries(in: directory)
        let mine = ".plan-\(hasher.hexDigest).lock"
        let others = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasPrefix(".plan-") && $0.hasSuffix(".lock") && $0 != mine }
        for name in others {
            let url = directory.appendingPathComponent(name)
            // Free: its process has ended; remove it so the folder does not collect them.
            if let probe = try FileLock.acquire(url, exclusive: true, wait: false) {
                unlink(url.path)
                withExtendedLifetime(probe) {}
                continue
            }
            let claims = (try? FileManager.default.contentsOfDirectory(atPath: plan.layout.runsDirectory.path)) ?? []
            let owner = claims.lazy.compactMap { RunClaim.holder(plan.layout.claim($0)) }.first
            throw SweepError.folderInUse(folder: directory.path, owner: owner?.description ?? "another process")
        }
        let lock = try FileLock.acquire(directory.appendingPathComponent(mine), exclusive: false)
        // Under the admission lock, before plan.json names the new ids: one process renames.
        if let options { try adoptLegacyFolders(plan, options: options) }
        if shard == nil || !FileSystem.exists(plan.layout.plan) { try AtomicFile.writeJSON(ours, to: plan.layout.plan) }
        return lock
    }

    /// Renames the run folders of builds before 0.3 (bare 12-hex-digit ids) to this build's ids
    /// (the same hash with a letter in front) and updates their records, so that a results folder
    /// of 0.2 resumes instead of training every run again. Called holding the folder's plan lock.
    ///
    /// Only records this build may resume are taken (the same build, or any with --allow-mixed;
    /// none with --force, which trains every run again): a 0.2 folder of another build stays as
    /// it is for the runner that made it, and its runs are trained beside it. Each record is
    /// rewritten with its new id first, then its folder renamed, so an interruption leaves either
    /// the old folder (taken next time) or the new one. Rungs of successive halving are renamed too.
    func adoptLegacyFolders(_ plan: SweepPlan, options: SweepOptions) throws {
        guard !options.force else { return }
        let layouts = [plan.layout] + plan.layout.rungBudgets.map { plan.layout.rung($0) }
        for layout in layouts {
            for run in plan.runs {
                guard let legacy = RunID.legacy(run.id), !FileSystem.exists(layout.runDirectory(run.id)),
                      FileSystem.exists(layout.record(legacy)),
                      let data = try? FileSystem.read(layout.record(legacy), limit: 16 << 20),
                      var record = try? JSONDecoder().decode(RunRecord.self, from: data),
                      record.id == legacy || record.id == run.id else { continue }
                if !options.allowMixed, record.status != .failed, !(record.build?.isSame(as: options.build) ?? false) { continue }
                if record.id == legacy {
                    record.id = run.id
                    try AtomicFile.writeJSON(record, to: layout.record(legacy))
                }
                guard rename(layout.runDirectory(legacy).path, layout.runDirectory(run.id).path) == 0 else {
                    let code = errno
                    throw FileSystemError(operation: "rename the run folder \(legacy) of an earlier build to",
                                          path: layout.runDirectory(run.id).path, code: code)
                }
            }
        }
    }

    /// Refuses to resume on records made by another engine build (their numbers could differ
    /// in the last bits from what this build computes).
    func checkBuilds(_ plan: SweepPlan, build: EngineBuild) throws {
        var others: [String: Int] = [:]
        for run in plan.runs {
            guard let record = try? plan.layout.readRecord(run.id), record.status != .failed else { continue }
            guard let theirs = record.build else {
                others["an unrecorded build", default: 0] += 1
                continue
            }
            if !theirs.isSame(as: build) { others[theirs.description, default: 0] += 1 }
        }
        guard !others.isEmpty else { return }
        throw SweepError.otherBuild(folder: plan.layout.directory.path, counts: others.sorted { $0.key < $1.key },
                                    this: build.description)
    }

    func planFile(_ plan: SweepPlan) -> PlanFile {
        PlanFile(experiment: plan.experiment.name, columns: plan.experiment.columns,
                 columnAxes: plan.experiment.columnAxes,
                 sampledKeys: plan.experiment.sampledKeys.isEmpty ? nil : plan.experiment.sampledKeys,
                 hasValidation: plan.runs.contains { plan.data[$0.dataKey]?.splits.validation != nil } ? true : nil,
                 schedule: plan.experiment.schedule.successiveHalving == nil ? nil : plan.experiment.schedule,
                 hasRepeats: plan.experiment.hasRepeats, report: plan.experiment.report,
                 expectations: plan.experiment.expectations, runs: plan.runs.map {
                     PlanFile.Entry(index: $0.planned.index, id: $0.id, configurationIndex: $0.planned.configurationIndex,
                                    sweptValues: $0.planned.sweptValues, cost: plan.cost($0),
                                    layerSizes: $0.architecture.layerSizes)
                 })
    }

    /// `experiment.yaml`: the document as run, then a `provenance` section.
    func writeExperimentFile(_ plan: SweepPlan, options: SweepOptions) throws {
        var text = plan.experiment.resolvedYAML
        if !text.hasSuffix("\n") { text += "\n" }
        text += """
            provenance:
              runner_version: \(options.build.version)
              git_commit: \(options.build.gitCommit ?? "null")
              executable: \(options.build.executable ?? "null")
              blas: "\(BLAS.configuration)"
              started_at: \(FileSystem.timestamp())
              cores: \(ProcessInfo.processInfo.activeProcessorCount)
              jobs: \(options.jobs)
              source_file: "\(plan.experiment.file)"

            """
        // The class of each label number, per dataset: what a CSV's text labels were mapped to
        // (one mapping for the training and test files), for reading params.npz's outputs; and
        // the data's content fingerprint (folded into the run ids).
        text += "  classes:\n"
        var seen: Set<DatasetConfig> = []
        for run in plan.runs where seen.insert(run.dataKey).inserted {
            guard let prepared = plan.data[run.dataKey] else { continue }
            // JSON strings are YAML flow scalars: any label text (quotes, line breaks) stays exact.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            let json = { (value: Encodable) in (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null" }
            text += "    - {data: \(json(prepared.summary)), fingerprint: \(json(prepared.fingerprint)), "
                + "names: \(json(prepared.splits.train.classNames))}\n"
        }
        try AtomicFile.write(Data(text.utf8), to: plan.layout.experimentFile)
    }
}

/// A sweep whose estimated memory exceeds the limit.
public struct MemoryLimitError: Error, Sendable, CustomStringConvertible {
    var run: ResolvedRun
    var runBytes: Double
    var dataBytes: Double
    var jobs: Int
    var totalBytes: Double
    var limit: Double
    var limitSource: String

    public var description: String {
        let values = run.planned.sweptValues.isEmpty ? "" : " (" + run.planned.sweptValues.joined(separator: ", ") + ")"
        let what = jobs > 1
            ? "\(jobs) concurrent runs need about \(Self.format(totalBytes)) with the data (the largest, run \(run.planned.index)\(values), \(Self.format(runBytes)))"
            : "run \(run.planned.index)\(values) needs about \(Self.format(runBytes)) besides \(Self.format(dataBytes)) of data"
        return what + ", more than \(limitSource) (\(Self.format(limit)))"
            + (jobs > 1 ? "; lower --jobs" : run.firstLayer == .dual
                ? "; the dual first layer holds an m × m matrix: use engine.first_layer: auto or primal"
                : "; use a smaller network or batch_size") + ", or raise --max-memory"
    }

    /// "1.5 GiB", "320 MiB".
    public static func format(_ bytes: Double) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = bytes
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(Int(value)) byte\(Int(value) == 1 ? "" : "s")" : String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }
}

/// The datasets of a sweep do not fit in memory (found while loading them, one at a time).
public struct DataMemoryError: Error, Sendable, CustomStringConvertible {
    var loaded: Int
    var distinct: Int
    var bytes: Double
    var limit: Double
    var limitSource: String

    public var description: String {
        let which = distinct == 1 ? "the data" : loaded == 1 ? "the first of the \(distinct) datasets this sweep uses"
            : "\(loaded) of the \(distinct) datasets this sweep uses"
        return "\(which) \(loaded == 1 ? "needs" : "need") about \(MemoryLimitError.format(bytes)), more than \(limitSource) "
            + "(\(MemoryLimitError.format(limit))); use smaller or fewer datasets, or raise --max-memory"
    }
}

/// A sweep that cannot run in its results folder.
public enum SweepError: Error, Sendable, CustomStringConvertible {
    /// Another live process runs a different plan in the same folder.
    case folderInUse(folder: String, owner: String)
    /// The folder holds records made by other engine builds.
    case otherBuild(folder: String, counts: [(String, Int)], this: String)
    /// A shard task splits the plan into another number of shards than the submission.
    case shardCountChanged(folder: String, submitted: Int, this: Int)
    /// A shard task's runner is not the build the sweep was submitted with.
    case buildChanged(folder: String, submitted: String, this: String)
    /// A shard task's plan is not the one the folder was submitted with.
    case planChanged(folder: String, differing: Int, theirs: Int, ours: Int)
    /// `schedule:` cannot be honoured (unequal budgets, a shard of a halving sweep).
    case schedule(String)

    public var description: String {
        switch self {
        case .schedule(let message):
            return message
        case let .folderInUse(folder, owner):
            return "\(folder) is in use by another runner (\(owner)) with a different plan (the same experiment name, "
                + "other runs): wait for it, or give this one another --out or name"
        case let .shardCountChanged(folder, submitted, this):
            return "\(folder) was submitted as \(submitted) shards; --shard …/\(this) would split it differently "
                + "(use --shard I/\(submitted), or submit again with --tasks \(this))"
        case let .buildChanged(folder, submitted, this):
            return "\(folder) was submitted with \(submitted); this task runs \(this): its records could differ in the "
                + "last bits; run the submitted build, or submit again (--allow-mixed accepts it)"
        case let .planChanged(folder, differing, theirs, ours):
            return "\(folder)/plan.json was written for another plan (\(theirs) runs there, \(ours) here, \(differing) differing): "
                + "the experiment file, its data, --set or the build changed since the sweep was submitted; "
                + "submit it again (its own folder: --out or name), or remove plan.json to start over"
        case let .otherBuild(folder, counts, this):
            return "\(folder) holds records made by another engine build ("
                + counts.map { "\($0.1) by \($0.0)" }.joined(separator: ", ")
                + "); this is \(this). Re-run them with --force, keep them with --allow-mixed, or use another --out"
        }
    }
}

/// A thread-safe counter for progress reports.
final class Counter: Sendable {
    private let value = Synchronization.Atomic<Int>(0)
    func increment() -> Int { value.add(1, ordering: .relaxed).newValue }
}
