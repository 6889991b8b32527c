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
        case finished, diverged, failed, claimed, pending
    }

    public struct Run: Sendable {
        public var entry: PlanFile.Entry
        public var shard: Int?
        public var state: State
        /// For a claimed run: who holds it.
        public var owner: String?
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
        for (position, entry) in plan.runs.enumerated() {
            let shard = assignment?[position]
            if let record = try layout.readRecord(entry.id) {
                let state: State = switch record.status {
                case .finished: .finished
                case .diverged: .diverged
                case .failed: .failed
                }
                runs.append(Run(entry: entry, shard: shard, state: state, owner: nil))
            } else if let owner = RunClaim.holder(layout.claim(entry.id)) {
                runs.append(Run(entry: entry, shard: shard, state: .claimed, owner: owner.description))
            } else {
                runs.append(Run(entry: entry, shard: shard, state: .pending, owner: nil))
            }
        }
        self.plan = plan
        self.shards = shards
        self.runs = runs
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

    /// Copies every run with a readable record in `source` that `target` lacks.
    /// - Throws: `ReportError` when `source` holds another plan (other run ids) or its records
    ///   were made by another engine build than the target's; `ResultsError` for a damaged
    ///   record; `FileSystemError` when a file cannot be copied.
    public func merge(_ source: ResultsLayout, allowMixed: Bool) throws -> Outcome {
        let ours = try Reporter(layout: target).readPlan()
        let theirs = try Reporter(layout: source).readPlan()
        guard theirs.experiment == ours.experiment, theirs.runs.map(\.id) == ours.runs.map(\.id) else {
            throw ReportError("\(source.directory.path) holds another plan than \(target.directory.path) "
                              + "(\(theirs.experiment), \(theirs.runs.count) runs; here \(ours.experiment), \(ours.runs.count) runs): "
                              + "only folders of one submitted sweep merge")
        }
        let targetBuild = try ours.runs.lazy.compactMap { try target.readRecord($0.id)?.build }.first
        var outcome = Outcome()
        for entry in theirs.runs {
            guard let record = try source.readRecord(entry.id) else { continue }
            if try target.readRecord(entry.id) != nil {
                outcome.alreadyPresent += 1
                continue
            }
            if !allowMixed, let targetBuild, let build = record.build, !build.isSame(as: targetBuild) {
                throw ReportError("run \(entry.id) in \(source.directory.path) was made by \(build), the others by \(targetBuild); "
                                  + "pass --allow-mixed to merge them anyway")
            }
            // Validated before it is copied: a truncated curve is not merged.
            _ = try source.readCurve(for: record)
            for file in ["curve.csv", "params.npz"] {
                let from = source.runDirectory(entry.id).appendingPathComponent(file)
                guard FileSystem.exists(from) else { continue }
                try AtomicFile.write(try FileSystem.read(from), to: target.runDirectory(entry.id).appendingPathComponent(file))
            }
            // The record last: a run counts as done only once its files are in place.
            try AtomicFile.write(try FileSystem.read(source.record(entry.id), limit: 16 << 20), to: target.record(entry.id))
            outcome.copied += 1
        }
        return outcome
    }
}
