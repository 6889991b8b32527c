import Foundation

/// Two results folders of one experiment (two builds, two machines), run by run: what moved,
/// and by how much. `runner compare` prints it and exits 1 when anything moved beyond the
/// tolerances, so CI can pin a build's numbers against another's.
public struct ResultsComparison: Sendable {
    /// One difference beyond the tolerance.
    public struct Difference: Sendable, Equatable {
        /// "run 3 (activation=relu)".
        public var run: String
        public var quantity: String
        public var first: String
        public var second: String
        /// |a − b| / max(|a|, |b|) for costs, |a − b| for accuracies (nil for a status or a missing value).
        public var amount: Double?
    }

    public var differences: [Difference] = []
    /// Runs compared (present in both folders' plans).
    public var compared = 0
    /// Runs of one plan that the other lacks (their ids), by folder.
    public var onlyInFirst: [String] = []
    public var onlyInSecond: [String] = []
    /// The largest relative difference of any recorded cost, and of any accuracy (absolute).
    public var largestCostDifference = 0.0
    public var largestAccuracyDifference = 0.0
    /// The experiments' names, and the engine builds of each folder's records.
    public var experiments: (first: String, second: String) = ("", "")
    public var builds: (first: [String], second: [String]) = ([], [])

    public var isSame: Bool { differences.isEmpty && onlyInFirst.isEmpty && onlyInSecond.isEmpty }

    /// Compares every run the two plans share (matched by run id: the same config and data).
    /// - Parameters:
    ///   - costTolerance: relative difference allowed in final costs and every curve point.
    ///   - accuracyTolerance: absolute difference allowed in train and test accuracy.
    /// - Throws: `ReportError` for a folder that is not a results folder; `ResultsError` for a
    ///   damaged record or curve.
    public init(_ first: ResultsLayout, _ second: ResultsLayout, costTolerance: Double, accuracyTolerance: Double) throws {
        let firstPlan = try Reporter(layout: first).readPlan(), secondPlan = try Reporter(layout: second).readPlan()
        experiments = (firstPlan.experiment, secondPlan.experiment)
        // Matched by the hash: a folder of runner 0.2 (bare ids) against one of 0.3 (r…) too.
        var secondIDs: [String: String] = [:]
        for entry in secondPlan.runs { secondIDs[RunID.canonical(entry.id)] = entry.id }
        let firstIDs = Set(firstPlan.runs.map { RunID.canonical($0.id) })
        onlyInFirst = firstPlan.runs.map(\.id).filter { secondIDs[RunID.canonical($0)] == nil }
        onlyInSecond = secondPlan.runs.map(\.id).filter { !firstIDs.contains(RunID.canonical($0)) }
        var firstBuilds: [String] = [], secondBuilds: [String] = []
        for entry in firstPlan.runs {
            guard let secondID = secondIDs[RunID.canonical(entry.id)] else { continue }
            compared += 1
            let name = "run \(entry.index)" + (firstPlan.columns.isEmpty ? "" : " ("
                + zip(firstPlan.columns, entry.sweptValues).map { "\($0)=\($1)" }.joined(separator: ", ") + ")")
            func note(_ quantity: String, _ a: String, _ b: String, _ amount: Double?) {
                differences.append(Difference(run: name, quantity: quantity, first: a, second: b, amount: amount))
            }
            let a = try first.readRecord(entry.id), b = try second.readRecord(secondID)
            for (record, list) in [(a, 0), (b, 1)] {
                let build = record?.build?.description ?? "an unrecorded build"
                if list == 0, record != nil, !firstBuilds.contains(build) { firstBuilds.append(build) }
                if list == 1, record != nil, !secondBuilds.contains(build) { secondBuilds.append(build) }
            }
            guard let a, let b else {
                note("record", a == nil ? "none" : "present", b == nil ? "none" : "present", nil)
                continue
            }
            if a.status != b.status { note("status", a.status.rawValue, b.status.rawValue, nil) }
            if a.divergedAt != b.divergedAt {
                note("diverged_at", a.divergedAt.map(String.init) ?? "", b.divergedAt.map(String.init) ?? "", nil)
            }
            func cost(_ quantity: String, _ x: Double?, _ y: Double?) {
                switch (x, y) {
                case (nil, nil): return
                case let (x?, y?):
                    if x == y || (x.isNaN && y.isNaN) { return }
                    let amount = abs(x - y) / max(abs(x), abs(y))
                    largestCostDifference = max(largestCostDifference, amount.isNaN ? .infinity : amount)
                    if !(amount <= costTolerance) { note(quantity, CSVWriter.number(x), CSVWriter.number(y), amount) }
                default: note(quantity, x.map { CSVWriter.number($0) } ?? "", y.map { CSVWriter.number($0) } ?? "", nil)
                }
            }
            func accuracy(_ quantity: String, _ x: Double?, _ y: Double?) {
                switch (x, y) {
                case (nil, nil): return
                case let (x?, y?):
                    let amount = abs(x - y)
                    largestAccuracyDifference = max(largestAccuracyDifference, amount)
                    if !(amount <= accuracyTolerance) { note(quantity, CSVWriter.number(x), CSVWriter.number(y), amount) }
                default: note(quantity, x.map { CSVWriter.number($0) } ?? "", y.map { CSVWriter.number($0) } ?? "", nil)
                }
            }
            cost("final_cost", a.finalCost, b.finalCost)
            accuracy("train_accuracy", a.trainAccuracy, b.trainAccuracy)
            accuracy("test_accuracy", a.testAccuracy, b.testAccuracy)
            // The curve: the point that moved most (points at the same iterations).
            let curveA = try first.readCurve(for: a), curveB = try second.readCurve(for: b)
            let costsB = Dictionary(curveB.map { ($0.iteration, $0.cost) }, uniquingKeysWith: { first, _ in first })
            var worst: (iteration: Int, a: Double, b: Double, amount: Double)?
            for point in curveA {
                guard let other = costsB[point.iteration], point.cost != other else { continue }
                let amount = abs(point.cost - other) / max(abs(point.cost), abs(other))
                largestCostDifference = max(largestCostDifference, amount.isNaN ? .infinity : amount)
                if !(amount <= costTolerance), amount > worst?.amount ?? -1 { worst = (point.iteration, point.cost, other, amount) }
            }
            if let worst { note("cost@\(worst.iteration)", CSVWriter.number(worst.a), CSVWriter.number(worst.b), worst.amount) }
            if curveA.map(\.iteration) != curveB.map(\.iteration) {
                note("curve iterations", "\(curveA.count) points", "\(curveB.count) points", nil)
            }
        }
        builds = (firstBuilds, secondBuilds)
    }

    /// The differences as an aligned table.
    public func table() -> String {
        let rows = [["run", "quantity", "first", "second", "difference"]] + differences.map {
            [$0.run, $0.quantity, $0.first, $0.second, $0.amount.map { String(format: "%.3g", $0) } ?? ""]
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
    }
}
