import Yams

/// One entry of an experiment's `expect:` list: what a reproduction must show.
///
///     expect:
///       - where: {activation: relu}          # runs selected by swept values (omit: every run)
///         tolerance: 5e-5                    # absolute, for every number in this entry
///         cost: {99: 0.6556, 199: 0.6468}    # cost recorded at these iterations
///         final_cost: 0.3641
///         test_accuracy: 0.42
///       - best: test_accuracy                # the whole sweep: the configuration with the best
///         is: {hidden: [5]}                  # mean metric, and what it must be
///         test_accuracy: {at_least: 0.8833}  # a bound instead of a value
///       - best: test_accuracy                # a tie: the set of configurations within
///         is: [{width: 4}, {width: 16}]      # `tolerance` of the best, exactly
public struct Expectation: Codable, Sendable, Equatable {
    /// Line of the entry in the experiment file, to name it in reports.
    public var line: Int
    /// Swept key → value (compact text) a run must have to be checked; empty: every run.
    public var selector: [String: String]
    /// Sweep-level: check the best configuration by this metric (mean over repeats).
    public var best: ReportConfig.Metric?
    /// With `best`: the swept values the best configuration must have.
    public var bestValues: [String: String]
    /// With `best` and `is:` given as a list: the configurations tied for best (mean metric
    /// within `tolerance` of the best mean), each described by some of its swept values. The
    /// check passes when every tied configuration matches an entry and every entry matches a
    /// tied configuration. Nil for the single form (and in plans written before it existed).
    public var bestTies: [[String: String]]?
    public var tolerance: Double
    public var checks: [Check]

    /// One quantity and the value or bound it must meet.
    public struct Check: Codable, Sendable, Equatable {
        public var quantity: Quantity
        public var bound: Bound
    }

    public enum Quantity: Codable, Sendable, Equatable, CustomStringConvertible {
        case cost(iteration: Int)
        case finalCost
        case trainAccuracy
        case testAccuracy

        public var description: String {
            switch self {
            case .cost(let iteration): return "cost@\(iteration)"
            case .finalCost: return "final_cost"
            case .trainAccuracy: return "train_accuracy"
            case .testAccuracy: return "test_accuracy"
            }
        }
    }

    public enum Bound: Codable, Sendable, Equatable {
        case equal(Double)
        case atLeast(Double)
        case atMost(Double)

        /// Whether `value` meets the bound within `tolerance`.
        ///
        /// A tolerance written in decimal (0.005) is not exact in binary, nor is the difference
        /// of two decimal accuracies (0.9075 − 0.9025), so the bound is widened by a few ulps of
        /// the numbers compared (`slack`): exactly-at-the-tolerance values pass, as written.
        func accepts(_ value: Double, tolerance: Double) -> Bool {
            switch self {
            case .equal(let expected):
                return abs(value - expected) <= tolerance + Self.slack(value, expected, tolerance)
            case .atLeast(let bound): return value >= bound - tolerance - Self.slack(value, bound, tolerance)
            case .atMost(let bound): return value <= bound + tolerance + Self.slack(value, bound, tolerance)
            }
        }

        /// Four ulps of the largest magnitude involved.
        static func slack(_ a: Double, _ b: Double, _ tolerance: Double) -> Double {
            4 * max(abs(a), abs(b), tolerance).ulp
        }

        var text: String {
            switch self {
            case .equal(let value): return CSVWriter.number(value)
            case .atLeast(let value): return "≥ " + CSVWriter.number(value)
            case .atMost(let value): return "≤ " + CSVWriter.number(value)
            }
        }
    }
}

/// Reads `expect:` from the YAML tree, with located errors.
enum ExpectationParser {
    static let keys = ["where", "tolerance", "cost", "final_cost", "train_accuracy", "test_accuracy", "best", "is"]

    /// - Parameters:
    ///   - values: each swept column's values (compact text), to refuse a value no run has.
    ///   - repeatColumn: the repeat axis's column, which `is:` cannot name (the best is a mean over it).
    static func parse(_ node: Node?, columns: [String], values: [String: [String]] = [:], repeatColumn: String? = nil,
                      file: String) -> Result<[Expectation], ConfigErrors> {
        let context = Context(columns: columns, values: values, repeatColumn: repeatColumn, file: file)
        guard let node else { return .success([]) }
        guard let entries = node.sequence else {
            return .failure(ConfigErrors([error(node, file, "'expect' must be a list of expectations; found '\(node.compactText)'")]))
        }
        var expectations: [Expectation] = []
        var errors: [ConfigError] = []
        for entry in entries {
            switch parseEntry(entry, context) {
            case .success(let expectation): expectations.append(expectation)
            case .failure(let failure): errors += failure.errors
            }
        }
        return errors.isEmpty ? .success(expectations) : .failure(ConfigErrors(errors))
    }

    struct Context {
        var columns: [String]
        var values: [String: [String]]
        var repeatColumn: String?
        var file: String
    }

    private static func parseEntry(_ node: Node, _ context: Context) -> Result<Expectation, ConfigErrors> {
        let file = context.file
        guard let mapping = node.mapping else {
            return .failure(ConfigErrors([error(node, file, "an expectation must be a mapping; found '\(node.compactText)'")]))
        }
        var errors: [ConfigError] = []
        var expectation = Expectation(line: node.mark?.line ?? 0, selector: [:], best: nil, bestValues: [:],
                                      tolerance: 0, checks: [])
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            switch key {
            case "is" where value.sequence != nil:
                var ties: [[String: String]] = []
                var tieNodes: [Node] = []
                for entry in value.sequence ?? [] {
                    switch selector(entry, key: "is", context) {
                    case .success(let values):
                        // The same configuration twice (1e-1 and 0.1 are one value).
                        if let first = ties.firstIndex(where: { tie in
                            tie.count == values.count && tie.allSatisfy { key, text in values[key].map { ExpectationChecker.same($0, text) } ?? false }
                        }) {
                            errors.append(error(entry, file, "'is' lists one configuration twice (also at line \((tieNodes[first].mark?.line ?? 0))); "
                                                + "list each tied configuration once"))
                        }
                        ties.append(values)
                        tieNodes.append(entry)
                    case .failure(let failure): errors += failure.errors
                    }
                }
                if value.sequence?.isEmpty ?? true {
                    errors.append(error(value, file, "'is' must list at least one configuration, e.g. [{width: 4}, {width: 16}]"))
                }
                expectation.bestTies = ties
            case "where", "is":
                switch selector(value, key: key, context) {
                case .success(let values):
                    if key == "where" { expectation.selector = values } else { expectation.bestValues = values }
                case .failure(let failure): errors += failure.errors
                }
            case "tolerance":
                guard let tolerance = value.float, tolerance.isFinite, tolerance >= 0 else {
                    errors.append(error(value, file, "'tolerance' must be a finite number ≥ 0; found '\(value.compactText)'"))
                    continue
                }
                expectation.tolerance = tolerance
            case "best":
                let metrics: [String: ReportConfig.Metric] = ["test_accuracy": .testAccuracy, "train_accuracy": .trainAccuracy,
                                                              "final_cost": .finalCost]
                guard let metric = value.string.flatMap({ metrics[$0] }) else {
                    errors.append(error(value, file, "'best' must be one of test_accuracy, train_accuracy, final_cost; found '\(value.compactText)'"))
                    continue
                }
                expectation.best = metric
            case "cost":
                guard let pairs = value.mapping else {
                    errors.append(error(value, file, "'cost' must map iterations to costs, e.g. {99: 0.6556}; found '\(value.compactText)'"))
                    continue
                }
                for (iterationNode, costNode) in pairs {
                    guard let iteration = iterationNode.int, iteration >= 0 else {
                        errors.append(error(iterationNode, file, "an iteration must be an integer ≥ 0; found '\(iterationNode.compactText)'"))
                        continue
                    }
                    switch bound(costNode, file: file) {
                    case .success(let bound): expectation.checks.append(.init(quantity: .cost(iteration: iteration), bound: bound))
                    case .failure(let failure): errors.append(failure)
                    }
                }
            case "final_cost", "train_accuracy", "test_accuracy":
                let quantity: Expectation.Quantity = key == "final_cost" ? .finalCost
                    : key == "train_accuracy" ? .trainAccuracy : .testAccuracy
                switch bound(value, file: file) {
                case .success(let bound): expectation.checks.append(.init(quantity: quantity, bound: bound))
                case .failure(let failure): errors.append(failure)
                }
            default:
                errors.append(error(keyNode, file, "unknown key '\(key)' in 'expect'" + Suggestion.phrase(for: key, among: keys)))
            }
        }
        // (When 'best' is there but invalid, its own error says so.)
        if expectation.best == nil, !expectation.bestValues.isEmpty || expectation.bestTies != nil, node.mapping?["best"] == nil {
            errors.append(error(node, file, "'is' needs 'best' (which metric picks the best configuration)"))
        }
        if errors.isEmpty, expectation.checks.isEmpty, expectation.best == nil {
            errors.append(error(node, file, "an expectation must check something: cost, final_cost, train_accuracy, test_accuracy or best"))
        }
        return errors.isEmpty ? .success(expectation) : .failure(ConfigErrors(errors))
    }

    /// `{swept key: value, …}` (a `where:` or an `is:`), keys checked against the swept ones.
    private static func selector(_ node: Node, key: String, _ context: Context) -> Result<[String: String], ConfigErrors> {
        let file = context.file, columns = context.columns
        guard let pairs = node.mapping, !pairs.isEmpty else {
            if node.mapping != nil {
                return .failure(ConfigErrors([error(node, file, "'\(key)' must name at least one swept key; found '{}'")]))
            }
            let form = key == "is" ? "swept keys to values (or be a list of such mappings, for a tie)" : "swept keys to values"
            return .failure(ConfigErrors([error(node, file, "'\(key)' must map \(form); found '\(node.compactText)'")]))
        }
        var errors: [ConfigError] = []
        var selector: [String: String] = [:]
        for (swept, wanted) in pairs {
            let name = swept.string ?? ""
            guard columns.contains(name) else {
                errors.append(error(swept, file, "'\(name)' in '\(key)' is not swept" + Suggestion.phrase(for: name, among: columns)))
                continue
            }
            if key == "is", name == context.repeatColumn {
                errors.append(error(swept, file, "'\(name)' in 'is' is the repeat axis: the best configuration is ranked by "
                                    + "its mean over the repeats; name the other swept keys"))
                continue
            }
            if let known = context.values[name], !known.contains(where: { ExpectationChecker.same($0, wanted.compactText) }) {
                errors.append(error(wanted, file, "'\(name): \(wanted.compactText)' in '\(key)' is not a swept value; the sweep has "
                                    + known.prefix(20).joined(separator: ", ") + (known.count > 20 ? ", …" : "")))
                continue
            }
            selector[name] = wanted.compactText
        }
        return errors.isEmpty ? .success(selector) : .failure(ConfigErrors(errors))
    }

    /// A number, or `{at_least: x}` / `{at_most: x}`.
    private static func bound(_ node: Node, file: String) -> Result<Expectation.Bound, ConfigError> {
        // NaN or an infinity would make a check that can never pass (or always does).
        if let value = node.float, value.isFinite { return .success(.equal(value)) }
        if let pairs = node.mapping, pairs.count == 1, let (key, value) = pairs.first.map({ ($0.key.string, $0.value.float) }),
           let value, value.isFinite {
            if key == "at_least" { return .success(.atLeast(value)) }
            if key == "at_most" { return .success(.atMost(value)) }
        }
        return .failure(error(node, file, "expected a finite number, {at_least: x} or {at_most: x}; found '\(node.compactText)'"))
    }

    private static func error(_ node: Node, _ file: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, message: message)
    }
}
