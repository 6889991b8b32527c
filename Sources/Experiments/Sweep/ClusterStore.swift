import Foundation

/// What `runner slurm` wrote at submission (`results/<name>/slurm/submission.json`): enough for
/// `merge` and `status` to name each run's shard and ask Slurm about the jobs.
public struct Submission: Codable, Sendable, Equatable {
    /// Array tasks, one per shard.
    public var shards: Int
    /// Slurm job ids (nil for a dry run).
    public var arrayJob: String?
    public var mergeJob: String?
    public var submittedAt: String
    /// The engine build that wrote the plan; every task must be the same.
    public var build: EngineBuild

    public init(shards: Int, arrayJob: String?, mergeJob: String?, submittedAt: String, build: EngineBuild) {
        self.shards = shards
        self.arrayJob = arrayJob
        self.mergeJob = mergeJob
        self.submittedAt = submittedAt
        self.build = build
    }

    enum CodingKeys: String, CodingKey {
        case shards, arrayJob = "array_job", mergeJob = "merge_job", submittedAt = "submitted_at", build
    }
}

extension ResultsLayout {
    /// Whether a trained run's `params.npz` is in place (a failed run has none).
    public func hasParameters(_ record: RunRecord) -> Bool {
        record.status == .failed || FileSystem.exists(parameters(record.id))
    }

    /// Whether a trained run's `params.npz` reads back whole: the network of `layerSizes`, with
    /// the CRC-32 its record names (what a re-run checks before it counts the run as done).
    public func hasIntactParameters(_ record: RunRecord, layerSizes: [Int]) -> Bool {
        record.status == .failed
            || (try? readParameters(record.id, layerSizes: layerSizes, checksum: record.parametersChecksum)) != nil
    }

    public var slurmDirectory: URL { directory.appendingPathComponent("slurm") }
    public var submission: URL { slurmDirectory.appendingPathComponent("submission.json") }

    /// The submission, when the folder was submitted to Slurm (nil otherwise).
    public func readSubmission() throws -> Submission? {
        guard FileSystem.exists(submission) else { return nil }
        let data = try FileSystem.read(submission, limit: 1 << 20)
        do {
            return try JSONDecoder().decode(Submission.self, from: data)
        } catch {
            throw ResultsError.corruptRecord(path: submission.path, problem: Self.describe(error))
        }
    }
}

/// The state of every run of a results folder, by shard: what `runner status` prints and what
/// `runner merge` checks before it calls a sweep complete.
public struct StoreStatus: Sendable {
    public enum State: String, Sendable, CaseIterable {
        /// Trained to its budget (or stopped early by its own criterion).
        case finished
        /// Successive halving stopped it at a rung: it has results, from a shorter budget.
        case pruned
        case diverged, failed, claimed, pending

        /// Whether the run has a record (it will not be trained again).
        public var hasRecord: Bool { self != .claimed && self != .pending }
    }

    public struct Run: Sendable {
        public var entry: PlanFile.Entry
        public var shard: Int?
        public var state: State
        /// For a claimed run: who holds it.
        public var owner: String?
        /// For a pending run that has a record: what is missing (a sweep redoes the run).
        public var problem: String? = nil
    }

    public var plan: PlanFile
    public var shards: Int?
    public var runs: [Run]

    /// Reads the plan, every record and every claim. `shards` defaults to the submission's.
    public init(layout: ResultsLayout, shards: Int? = nil) throws {
        let plan = try Reporter(layout: layout).readPlan()
        let shards = try shards ?? layout.readSubmission()?.shards
        let assignment = shards.map { plan.shardAssignment(count: $0) }
        var runs: [Run] = []
        runs.reserveCapacity(plan.runs.count)
        let rungs = layout.rungBudgets
        for (position, entry) in plan.runs.enumerated() {
            let shard = assignment?[position]
            let record = try layout.readRecord(entry.id)
            if let record, !layout.hasParameters(record) {
                runs.append(Run(entry: entry, shard: shard, state: .pending, owner: nil,
                                problem: "its record is there but params.npz is missing (a re-run redoes it)"))
            } else if let record {
                let state: State = switch record.status {
                case .finished, .stoppedEarly: .finished
                case .pruned: .pruned
                case .diverged: .diverged
                case .failed: .failed
                }
                runs.append(Run(entry: entry, shard: shard, state: state, owner: nil))
            } else if let (owner, rung) = RunClaim.holder(of: entry.id, in: layout, rungs: rungs) {
                let place = rung.map { " (in the rung of \($0) iterations)" } ?? ""
                runs.append(Run(entry: entry, shard: shard, state: .claimed, owner: owner.description + place))
            } else {
                runs.append(Run(entry: entry, shard: shard, state: .pending, owner: nil))
            }
        }
        self.plan = plan
        self.shards = shards
        self.runs = runs
    }

    /// Successive halving's rungs so far: each rung's budget and how many of the plan's runs have
    /// a record there (a search in progress shows its progress here before any run ends).
    public func rungProgress(in layout: ResultsLayout) -> [(iterations: Int, recorded: Int)] {
        layout.rungBudgets.map { budget in
            let rung = layout.rung(budget)
            return (budget, plan.runs.filter { FileSystem.exists(rung.record($0.id)) }.count)
        }
    }

    /// Runs without a record (pending or in flight).
    public var missing: [Run] { runs.filter { $0.state == .pending || $0.state == .claimed } }

    /// Counts per state, for the runs of `shard` (nil: all).
    public func counts(shard: Int? = nil) -> [State: Int] {
        var counts: [State: Int] = [:]
        for run in runs where shard == nil || run.shard == shard { counts[run.state, default: 0] += 1 }
        return counts
    }
}

/// Brings run folders of results folders copied back from nodes without a shared file system
/// into one folder.
public struct ResultsMerger: Sendable {
    public var target: ResultsLayout

    public init(target: ResultsLayout) {
        self.target = target
    }

    /// What a merge did.
    public struct Outcome: Sendable {
        public var copied = 0
        public var alreadyPresent = 0
    }

    /// Copies every run with a complete record in `source` that `target` lacks. Every source
    /// is checked before anything is copied, so a refused merge changes nothing.
    /// - Throws: `ReportError` when a source holds another plan (other run ids) or records made
    ///   by another engine build than the submission's (or, without one, the target's);
    ///   `ResultsError` for a damaged record or curve; `FileSystemError` when a file cannot be copied.
    public func merge(_ sources: [ResultsLayout], allowMixed: Bool) throws -> [Outcome] {
        let ours = try Reporter(layout: target).readPlan()
        var reference = try target.readSubmission()?.build
            ?? ours.runs.lazy.compactMap { try? self.target.readRecord($0.id)?.build }.first
        var copies: [[(PlanFile.Entry, RunRecord)]] = []
        var outcomes: [Outcome] = []
        var claimed: Set<String> = []
        for source in sources {
            let theirs = try Reporter(layout: source).readPlan()
            guard theirs.experiment == ours.experiment, theirs.runs.map(\.id) == ours.runs.map(\.id) else {
                throw ReportError("\(source.directory.path) holds another plan than \(target.directory.path) "
                                  + "(\(theirs.experiment), \(theirs.runs.count) runs; here \(ours.experiment), \(ours.runs.count) runs): "
                                  + "only folders of one submitted sweep merge; nothing was merged")
            }
            var outcome = Outcome()
            var copy: [(PlanFile.Entry, RunRecord)] = []
            for entry in theirs.runs {
                guard let record = try source.readRecord(entry.id) else { continue }
                if let existing = try target.readRecord(entry.id), target.hasParameters(existing) {
                    outcome.alreadyPresent += 1
                    continue
                }
                guard !claimed.contains(entry.id) else { continue }
                if !allowMixed, let build = record.build {
                    if let reference, !build.isSame(as: reference) {
                        throw ReportError("run \(entry.id) in \(source.directory.path) was made by \(build), the sweep by \(reference); "
                                          + "pass --allow-mixed to merge them anyway; nothing was merged")
                    }
                    reference = reference ?? build
                }
                // Complete before it is copied: a truncated curve or missing parameters are not merged.
                _ = try source.readCurve(for: record)
                guard source.hasParameters(record) else {
                    throw ReportError("\(source.parameters(entry.id).path) is missing (the run's record is there); "
                                      + "nothing was merged")
                }
                if record.status != .failed {
                    _ = try source.readParameters(entry.id, layerSizes: entry.layerSizes, checksum: record.parametersChecksum)
                }
                copy.append((entry, record))
                claimed.insert(entry.id)
                outcome.copied += 1
            }
            copies.append(copy)
            outcomes.append(outcome)
        }
        for (source, copy) in zip(sources, copies) {
            for (entry, _) in copy {
                // Both were checked above, so their size is bounded (curve by record_every, parameters
                // by the layer sizes).
                for file in ["curve.csv", "params.npz"] {
                    let from = source.runDirectory(entry.id).appendingPathComponent(file)
                    guard FileSystem.exists(from) else { continue }
                    try AtomicFile.write(try FileSystem.read(from, limit: 16 << 30), to: target.runDirectory(entry.id).appendingPathComponent(file))
                }
                // The record last: a run counts as done only once its files are in place.
                try AtomicFile.write(try FileSystem.read(source.record(entry.id), limit: 16 << 20), to: target.record(entry.id))
            }
        }
        return outcomes
    }
}
