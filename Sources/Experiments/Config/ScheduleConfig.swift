/// `schedule:` — how the runs of a sweep share the budget. Not part of any run's configuration,
/// so it never changes run ids.
///
///     schedule: {successive_halving: {eta: 3, min_iterations: 100, metric: validation_cost}}
public struct ScheduleConfig: Codable, Sendable, Hashable {
    public var successiveHalving: SuccessiveHalving?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case successiveHalving = "successive_halving"
    }
}

/// Every run trains `minIterations`; the best 1/eta (by `metric`, at least one) train eta times
/// as long, and so on; the last rung trains to the runs' full budget.
public struct SuccessiveHalving: Codable, Sendable, Hashable {
    public enum Metric: String, Codable, Sendable, Hashable, CaseIterable {
        case validationCost = "validation_cost", validationAccuracy = "validation_accuracy"
        case finalCost = "final_cost", trainAccuracy = "train_accuracy"

        /// Whether a smaller value is better.
        public var lowerIsBetter: Bool { self == .validationCost || self == .finalCost }
    }

    public var eta: Int
    public var minIterations: Int
    /// nil: validation_cost when the data have a validation split, else final_cost.
    public var metric: Metric?
    /// ASHA: promote a run as soon as it ranks in the best 1/eta of its rung so far (in sweep
    /// order), instead of waiting for the whole rung.
    public var asynchronous: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case eta, minIterations = "min_iterations", metric, asynchronous
    }

    public init(eta: Int, minIterations: Int, metric: Metric?, asynchronous: Bool = false) {
        self.eta = eta
        self.minIterations = minIterations
        self.metric = metric
        self.asynchronous = asynchronous
    }

    /// `asynchronous` only when true: the files of synchronous sweeps stay as they were.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eta, forKey: .eta)
        try container.encode(minIterations, forKey: .minIterations)
        try container.encodeIfPresent(metric, forKey: .metric)
        if asynchronous { try container.encode(true, forKey: .asynchronous) }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        eta = try container.decodeNumberIfPresent(Int.self, forKey: .eta, expected: "an integer ≥ 2") { $0 >= 2 } ?? 3
        minIterations = try container.decodeNumber(Int.self, forKey: .minIterations, expected: "an integer ≥ 1") { $0 >= 1 }
        metric = try container.decodeChoiceIfPresent(
            ["validation_cost": Metric.validationCost, "validation_accuracy": .validationAccuracy,
             "final_cost": .finalCost, "train_accuracy": .trainAccuracy], forKey: .metric)
        asynchronous = try container.decodeIfPresent(Bool.self, forKey: .asynchronous) ?? false
    }

    /// The rungs' budgets below `total`: min_iterations, ×eta, … (the last rung trains to `total`).
    public func budgets(total: Int) -> [Int] {
        var budgets: [Int] = []
        var budget = minIterations
        while budget < total {
            budgets.append(budget)
            let (next, overflow) = budget.multipliedReportingOverflow(by: eta)
            if overflow { break }
            budget = next
        }
        return budgets
    }

    /// The runs kept out of `count`: the best ⌊count/eta⌋, at least one.
    public func kept(of count: Int) -> Int { max(1, count / eta) }
}
