import Foundation

/// Everything known about one finished run, written as `runs/<id>/record.json` the moment the
/// run ends. The reports are rebuilt from these records alone.
public struct RunRecord: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Trained for every iteration.
        case finished
        /// The cost became NaN or infinite (see `divergedAt`).
        case diverged
        /// Could not run (see `error`).
        case failed
        /// Early stopping ended it (`training.early_stopping`): the validation metric stopped
        /// improving; the parameters kept are those of `bestIteration`.
        case stoppedEarly = "stopped_early"
        /// Successive halving did not promote it past a rung: its results are the rung's
        /// (`iterations` is where it stopped).
        case pruned

        /// Whether the run has trained parameters (finished, stopped early or pruned).
        public var isTrained: Bool { self == .finished || self == .stoppedEarly || self == .pruned }
    }

    public var id: String
    public var index: Int
    public var configurationIndex: Int
    /// The swept values, in the order of the plan's columns.
    public var sweptValues: [String]
    public var status: Status
    public var divergedAt: Int?
    public var error: String?
    /// Parameter updates made.
    public var iterations: Int
    public var finalCost: Double?
    public var trainAccuracy: Double?
    public var testAccuracy: Double?
    public var wallSeconds: Double
    /// Matrix-product FLOPs of the training iterations (the reference README's rule).
    public var flops: Double
    /// The resolved configuration the run used.
    public var config: RunConfig
    /// The engine build that made the record (absent in records of builds before 0.2).
    public var build: EngineBuild?
    /// How the engine trained it: "primal", "dual" (the first layer's form, as `auto` chose
    /// or the file asked) or "reference" (absent in older records).
    public var engine: String?
    /// On the validation split, of the parameters kept: the cross-entropy (without the L2 term)
    /// and the accuracy (nil without a validation split).
    public var validationCost: Double?
    public var validationAccuracy: Double?
    /// With early stopping: the iteration the kept parameters come from (the best evaluation).
    public var bestIteration: Int?
    /// Successive halving: the iteration a promoted run went on from (its rung's saved state),
    /// instead of training again from the start; the record, curve and parameters are those of
    /// the whole run either way.
    public var continuedFrom: Int? = nil
    /// Successive halving: the budget of the rung that pruned the run (nil in records written
    /// before 0.3.1, and for runs not pruned). With early stopping a run can stop before it.
    public var prunedAt: Int? = nil
    /// The CRC-32 of the run's params.npz as written (nil in records before 0.3.1, and without
    /// parameters): another run's parameters copied in are refused, not used.
    public var parametersChecksum: UInt32? = nil

    /// Where a pruned run's values are from: its rung's budget, or (older records) its iterations.
    public var rungBudget: Int { prunedAt ?? iterations }

    /// What no run writes (nil: nothing): the record is read from a file a user can edit.
    public var problem: String? {
        for (name, value) in [("train_accuracy", trainAccuracy), ("test_accuracy", testAccuracy),
                              ("validation_accuracy", validationAccuracy)] {
            if let value, !(value >= 0 && value <= 1) { return "\(name) \(value) is not in [0, 1]" }
        }
        if iterations < 0 { return "iterations \(iterations) is negative" }
        if let prunedAt, status != .pruned || prunedAt < 1 || prunedAt < iterations {
            return "pruned_at \(prunedAt) does not fit a \(status.rawValue) run of \(iterations) iterations"
        }
        if let continuedFrom, continuedFrom < 0 || continuedFrom > iterations {
            return "continued_from \(continuedFrom) is not between 0 and its \(iterations) iterations"
        }
        if let bestIteration, bestIteration < 0 || bestIteration > iterations {
            return "best_iteration \(bestIteration) is not between 0 and its \(iterations) iterations"
        }
        return nil
    }

    /// The parameter updates this record's training made (a continued run's own, not its rung's).
    public var updatesMade: Int { iterations - (continuedFrom ?? 0) }

    enum CodingKeys: String, CodingKey {
        case id, index, configurationIndex = "configuration_index", sweptValues = "swept_values", status
        case divergedAt = "diverged_at", error, iterations, finalCost = "final_cost"
        case trainAccuracy = "train_accuracy", testAccuracy = "test_accuracy", wallSeconds = "wall_seconds"
        case flops, config, build, engine
        case validationCost = "validation_cost", validationAccuracy = "validation_accuracy", bestIteration = "best_iteration"
        case continuedFrom = "continued_from", prunedAt = "pruned_at", parametersChecksum = "params_crc32"
    }
}

/// Which build of the engine made a record: results of different builds are not mixed in one
/// report unless asked (`--allow-mixed`), because a kernel change can move the last bits.
public struct EngineBuild: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The runner's version ("0.2.0").
    public var version: String
    /// The git commit the runner was built from, when known.
    public var gitCommit: String?
    /// A content hash of the runner executable itself: what actually computed the numbers.
    public var executable: String?
    /// The kernel path the numbers came from ("avx2", "baseline"; `KernelPath`), when recorded.
    public var kernels: String?

    public init(version: String, gitCommit: String?, executable: String?, kernels: String? = nil) {
        self.version = version
        self.gitCommit = gitCommit
        self.executable = executable
        self.kernels = kernels
    }

    enum CodingKeys: String, CodingKey {
        case version, gitCommit = "git_commit", executable, kernels
    }

    /// "runner 0.2.0 (commit 90d5c8e1a2b3, executable 1f2e3d4c5b6a7980, avx2 kernels)".
    public var description: String {
        "runner \(version) (" + [gitCommit.map { "commit \($0)" }, executable.map { "executable \($0)" },
                                 kernels.map { "\($0) kernels" }]
            .compactMap { $0 }.joined(separator: ", ") + ")"
    }

    /// Whether two builds computed alike: the same executable when both are known, else the
    /// same version and commit; and the same kernel path when both name theirs (the same
    /// executable rounds differently on a CPU without AVX2).
    public func isSame(as other: EngineBuild) -> Bool {
        if let kernels, let otherKernels = other.kernels, kernels != otherKernels { return false }
        if let executable, let otherExecutable = other.executable { return executable == otherExecutable }
        return version == other.version && gitCommit == other.gitCommit
    }
}

/// The sweep as planned: written once per invocation as `plan.json`, so that `runner report`
/// knows the run order and columns without the experiment's data.
public struct PlanFile: Codable, Sendable {
    public var experiment: String
    public var columns: [String]
    /// The sweep axis of each column: zipped keys share an axis.
    public var columnAxes: [Int]
    /// The columns `search:` sampled (continuous values: the table ranks runs instead of
    /// pivoting them); nil in plans written before searches existed.
    public var sampledKeys: [String]?
    /// Whether the runs hold out a validation split (summary and curves gain its columns); nil
    /// in plans written before validation splits existed.
    public var hasValidation: Bool?
    /// `schedule:` when the sweep has one (summary gains `stopped_at`).
    public var schedule: ScheduleConfig?
    public var hasRepeats: Bool
    public var report: ReportConfig
    public var expectations: [Expectation]
    public var runs: [Entry]

    public struct Entry: Codable, Sendable {
        public var index: Int
        public var id: String
        public var configurationIndex: Int
        public var sweptValues: [String]
        /// The run's estimated cost (`runner plan`'s GFLOP figure, in FLOPs): what shards are
        /// balanced by, so that `merge` and `status` know each run's shard without the data.
        public var cost: Double?
        /// n_0 … n_L: the network's layer sizes (with the data's input width), for the report's
        /// network graph.
        public var layerSizes: [Int]?

        enum CodingKeys: String, CodingKey {
            case index, id, configurationIndex = "configuration_index", sweptValues = "swept_values", cost = "estimated_cost"
            case layerSizes = "layer_sizes"
        }
    }

    /// What makes this plan unusable (nil: nothing): it is read from a file a user can edit.
    public var problem: String? {
        guard columnAxes.count == columns.count else {
            return "\(columns.count) columns but \(columnAxes.count) column axes"
        }
        var ids = Set<String>()
        for run in runs {
            guard run.sweptValues.count == columns.count else {
                return "run \(run.index) has \(run.sweptValues.count) swept values for \(columns.count) columns"
            }
            guard !run.id.isEmpty, run.id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                return "run \(run.index)'s id '\(run.id)' is not a run id (letters, digits, _ and - only)"
            }
            guard ids.insert(run.id).inserted else { return "run id \(run.id) appears twice" }
            if let sizes = run.layerSizes, sizes.count < 2 || sizes.contains(where: { $0 < 1 || $0 > 1 << 24 }) {
                return "run \(run.index)'s layer sizes \(sizes) are not a network's"
            }
            guard run.index >= 0, run.configurationIndex >= 0 else { return "run \(run.index) has a negative index" }
        }
        return nil
    }

    enum CodingKeys: String, CodingKey {
        case experiment, columns, columnAxes = "column_axes", sampledKeys = "sampled_keys", hasValidation = "has_validation", schedule
        case hasRepeats = "has_repeats"
        case report, expectations, runs
    }

    /// The shard of each run for `count` shards (see `Shard.assign`); runs of a plan written
    /// before costs were recorded count as equal.
    public func shardAssignment(count: Int) -> [Int] {
        Shard.assign(costs: runs.map { $0.cost ?? 1 }, count: count)
    }
}
