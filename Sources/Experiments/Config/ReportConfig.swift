/// `report:` — how the accuracy table is laid out.
///
///     report: {rows: hidden, columns: activation, metric: test_accuracy}
public struct ReportConfig: Codable, Sendable, Hashable {
    /// The swept key whose values label the rows (the other keys are combined into the rows too).
    public var rows: String?
    /// The swept key whose values label the columns.
    public var columns: String?
    /// Which accuracy fills the table.
    public var metric: Metric?

    public enum Metric: String, Codable, Sendable, Hashable, CaseIterable {
        case testAccuracy = "test_accuracy", trainAccuracy = "train_accuracy", finalCost = "final_cost"
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case rows, columns, metric }

    public init(rows: String? = nil, columns: String? = nil, metric: Metric? = nil) {
        self.rows = rows
        self.columns = columns
        self.metric = metric
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        rows = try container.decodeIfPresent(String.self, forKey: .rows)
        columns = try container.decodeIfPresent(String.self, forKey: .columns)
        metric = try container.decodeChoiceIfPresent(
            ["test_accuracy": .testAccuracy, "train_accuracy": .trainAccuracy, "final_cost": .finalCost],
            forKey: .metric)
        if let rows, rows == columns {
            throw try container.superDecoder(forKey: .columns).valueError(
                "'rows' and 'columns' are both '\(rows)'; give two different swept keys")
        }
    }
}
