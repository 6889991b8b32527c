import Foundation

/// The outcome of one check of one expectation.
public struct ExpectationResult: Sendable, Equatable {
    /// 1-based position in the `expect:` list, and its line in the file.
    public var expectation: Int
    public var line: Int
    /// What was checked: a run ("run 3 (activation=relu)") or "best by test_accuracy".
    public var subject: String
    public var quantity: String
    public var expected: String
    public var got: String
    public var tolerance: Double
    public var passed: Bool
}

/// Checks an experiment's expectations against its records and curves: after a sweep, and for
/// `runner check` on saved results.
public struct ExpectationChecker: Sendable {
    public var layout: ResultsLayout
    /// The runs' curves as the reporter already read them, by run id: (iteration, cost). A run
    /// not in it has its curve read from its folder.
    var curves: [String: [(Double, Double)]]

    public init(layout: ResultsLayout) {
        self.layout = layout
        curves = [:]
    }

    init(layout: ResultsLayout, curves: [String: [(Double, Double)]]) {
        self.layout = layout
        self.curves = curves
    }

    /// Every check's result, in `expect:` order.
    public func check(plan: PlanFile, records: [RunRecord?]) throws -> [ExpectationResult] {
        var results: [ExpectationResult] = []
        for (position, expectation) in plan.expectations.enumerated() {
            func result(_ subject: String, _ quantity: String, _ expected: String, _ got: String, _ passed: Bool) {
                results.append(ExpectationResult(expectation: position + 1, line: expectation.line, subject: subject,
                                                 quantity: quantity, expected: expected, got: got,
                                                 tolerance: expectation.tolerance, passed: passed))
            }
            let selected = plan.runs.indices.filter { index in
                expectation.selector.allSatisfy { key, wanted in
                    guard let column = plan.columns.firstIndex(of: key) else { return false }
                    return Self.same(plan.runs[index].sweptValues[column], wanted)
                }
            }
            if selected.isEmpty {
                result(Self.describe(expectation.selector), "runs", "at least one", "none match", false)
                continue
            }
            if let metric = expectation.best {
                try checkBest(metric, expectation, plan: plan, records: records, selected: selected, result: result)
                continue
            }
            for index in selected {
                let entry = plan.runs[index]
                let subject = "run \(entry.index)" + (plan.columns.isEmpty ? "" : " ("
                    + zip(plan.columns, entry.sweptValues).map { "\($0)=\($1)" }.joined(separator: ", ") + ")")
                guard let record = records[index] else {
                    for check in expectation.checks { result(subject, check.quantity.description, check.bound.text, "not run", false) }
                    continue
                }
                for check in expectation.checks {
                    let value = try self.value(check.quantity, record: record)
                    let got = value.map { CSVWriter.number($0) } ?? (record.status == .finished ? "not recorded" : record.status.rawValue)
                    result(subject, check.quantity.description, check.bound.text, got,
                           value.map { check.bound.accepts($0, tolerance: expectation.tolerance) } ?? false)
                }
            }
        }
        return results
    }

    private func checkBest(_ metric: ReportConfig.Metric, _ expectation: Expectation, plan: PlanFile, records: [RunRecord?],
                           selected: [Int], result: (String, String, String, String, Bool) -> Void) throws {
        let subject = "best by \(metric.rawValue)" + (expectation.selector.isEmpty ? "" : " where " + Self.describe(expectation.selector))
        // A best-of is only meaningful over the whole set: runs that never ran could be better.
        let missing = selected.filter { records[$0] == nil }.count
        if missing > 0 {
            result(subject, "runs", "all \(selected.count) run", "\(missing) not run", false)
            return
        }
        // Mean of the metric per configuration (over repeats); lower is better for cost.
        var groups: [Int: [Double]] = [:]
        var firstIndex: [Int: Int] = [:]
        for index in selected {
            guard let record = records[index], let value = Self.metric(metric, record) else { continue }
            let configuration = plan.runs[index].configurationIndex
            groups[configuration, default: []].append(value)
            if firstIndex[configuration] == nil { firstIndex[configuration] = index }
        }
        let means = groups.mapValues { AccuracyTable.meanAndDeviation($0)?.0 ?? .nan }
        let ordered = means.sorted { metric == .finalCost ? ($0.value, $0.key) < ($1.value, $1.key) : ($0.value, -$0.key) > ($1.value, -$1.key) }
        guard let (configuration, mean) = ordered.first, let index = firstIndex[configuration] else {
            result(subject, "configuration", "a finished run", "none", false)
            return
        }
        let values = plan.runs[index].sweptValues
        if let ties = expectation.bestTies {
            // Every configuration within the tolerance of the best mean is tied for best.
            let tied = ordered.filter { Expectation.Bound.equal(mean).accepts($0.value, tolerance: expectation.tolerance) }
                .compactMap { firstIndex[$0.key].map { plan.runs[$0].sweptValues } }
            func matches(_ values: [String], _ entry: [String: String]) -> Bool {
                entry.allSatisfy { key, wanted in
                    plan.columns.firstIndex(of: key).map { Self.same(values[$0], wanted) } ?? false
                }
            }
            // In the plan's column order, only the keys the entries name.
            let keys = plan.columns.filter { key in ties.contains { $0[key] != nil } }
            func describe(_ values: [String]) -> String {
                "{" + keys.compactMap { key in plan.columns.firstIndex(of: key).map { "\(key)=\(values[$0])" } }
                    .joined(separator: ", ") + "}"
            }
            func describe(_ entry: [String: String]) -> String {
                "{" + keys.compactMap { key in entry[key].map { "\(key)=\($0)" } }.joined(separator: ", ") + "}"
            }
            let unlisted = tied.filter { values in !ties.contains { matches(values, $0) } }
            let untied = ties.filter { entry in !tied.contains { matches($0, entry) } }
            let problems = (untied.isEmpty ? [] : ["not tied: " + untied.map(describe).joined(separator: " ")])
                + (unlisted.isEmpty ? [] : ["also tied: " + unlisted.map(describe).joined(separator: " ")])
            result(subject, "tied configurations", "the \(ties.count) listed",
                   problems.isEmpty ? "the \(ties.count) listed" : problems.joined(separator: "; "), problems.isEmpty)
        }
        for (key, wanted) in expectation.bestValues.sorted(by: { $0.key < $1.key }) {
            let got = plan.columns.firstIndex(of: key).map { values[$0] } ?? "?"
            result(subject, key, wanted, got, Self.same(got, wanted))
        }
        for check in expectation.checks {
            let value: Double? = check.quantity.description == metric.rawValue ? mean
                : try records[index].flatMap { try self.value(check.quantity, record: $0) }
            result(subject, check.quantity.description, check.bound.text, value.map { CSVWriter.number($0) } ?? "not recorded",
                   value.map { check.bound.accepts($0, tolerance: expectation.tolerance) } ?? false)
        }
    }

    private func value(_ quantity: Expectation.Quantity, record: RunRecord) throws -> Double? {
        switch quantity {
        case .finalCost: return record.finalCost
        case .trainAccuracy: return record.trainAccuracy
        case .testAccuracy: return record.testAccuracy
        case .cost(let iteration):
            if let curve = curves[record.id] { return curve.first { $0.0 == Double(iteration) }?.1 }
            return try layout.readCurve(for: record).first { $0.iteration == iteration }?.cost
        }
    }

    private static func metric(_ metric: ReportConfig.Metric, _ record: RunRecord) -> Double? {
        switch metric {
        case .testAccuracy: return record.testAccuracy
        case .trainAccuracy: return record.trainAccuracy
        case .finalCost: return record.finalCost
        }
    }

    /// Swept values are equal as text, or as numbers ("0.001" and "1e-3").
    static func same(_ a: String, _ b: String) -> Bool {
        // 0.01 and 1e-2 are one learning rate; [5] and [5.0] one hidden list.
        a == b || SweptValue(a) == SweptValue(b)
    }

    private static func describe(_ selector: [String: String]) -> String {
        selector.isEmpty ? "every run" : selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }

    /// `expectations.csv`.
    public static func csv(_ results: [ExpectationResult]) -> String {
        var writer = CSVWriter(header: ["expectation", "line", "subject", "quantity", "expected", "got", "tolerance", "result"])
        for result in results {
            writer.append([String(result.expectation), String(result.line), result.subject, result.quantity, result.expected,
                           result.got, CSVWriter.number(result.tolerance), result.passed ? "pass" : "FAIL"])
        }
        return writer.text
    }

    /// The results as an aligned table for the terminal.
    public static func table(_ results: [ExpectationResult]) -> String {
        let rows = [["#", "subject", "quantity", "expected", "got", "tolerance", "result"]] + results.map {
            [String($0.expectation), $0.subject, $0.quantity, $0.expected, $0.got, CSVWriter.number($0.tolerance), $0.passed ? "pass" : "FAIL"]
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        let failed = results.filter { !$0.passed }.count
        let lines = rows.map { row in zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ") }
        return (["expectations: \(results.count - failed) passed, \(failed) failed"] + lines).joined(separator: "\n")
    }
}
