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

    enum CodingKeys: String, CodingKey {
        case id, index, configurationIndex = "configuration_index", sweptValues = "swept_values", status
        case divergedAt = "diverged_at", error, iterations, finalCost = "final_cost"
        case trainAccuracy = "train_accuracy", testAccuracy = "test_accuracy", wallSeconds = "wall_seconds"
        case flops, config
    }
}

/// The sweep as planned: written once per invocation as `plan.json`, so that `runner report`
/// knows the run order and columns without the experiment's data.
public struct PlanFile: Codable, Sendable {
    public var experiment: String
    public var columns: [String]
    /// The sweep axis of each column: zipped keys share an axis.
    public var columnAxes: [Int]
    public var hasRepeats: Bool
    public var report: ReportConfig
    public var expectations: [Expectation]
    public var runs: [Entry]

    public struct Entry: Codable, Sendable {
        public var index: Int
        public var id: String
        public var configurationIndex: Int
        public var sweptValues: [String]

        enum CodingKeys: String, CodingKey {
            case index, id, configurationIndex = "configuration_index", sweptValues = "swept_values"
        }
    }

    enum CodingKeys: String, CodingKey {
        case experiment, columns, columnAxes = "column_axes", hasRepeats = "has_repeats", report, expectations, runs
    }
}
