import Foundation

/// Builds every CSV and the accuracy table of an experiment from `plan.json` and the runs'
/// records alone (no data, no training): what `runner report` does, and what a sweep does
/// at its end.
public struct Reporter: Sendable {
    public var layout: ResultsLayout

    public init(layout: ResultsLayout) {
        self.layout = layout
    }

    /// What a report found.
    public struct Report: Sendable {
        public var plan: PlanFile
        /// Records by plan position; nil where the run has not finished.
        public var records: [RunRecord?]
        /// The accuracy table as aligned text for stdout.
        public var table: String
        /// Every expectation check (empty when the experiment states none).
        public var expectations: [ExpectationResult]

        /// Whether any expectation failed.
        public var hasFailedExpectation: Bool { expectations.contains { !$0.passed } }
    }

    /// Reads the plan and records, writes `summary.csv`, `curves.csv` and `accuracy_table.csv`.
    /// - Parameter rows, columns: override the plan's table layout.
    /// - Throws: when `plan.json` is missing or unreadable, or a file cannot be written.
    @discardableResult
    public func write(rows: String? = nil, columns: String? = nil) throws -> Report {
        let plan = try readPlan()
        let records = plan.runs.map { layout.existingRecord($0.id) }
        try AtomicFile.write(Data(summary(plan, records).utf8), to: layout.summary)
        try writeCurves(plan, records)
        var report = plan.report
        if let rows { report.rows = rows }
        if let columns { report.columns = columns }
        let table = AccuracyTable(plan: plan, records: records, report: report)
        try AtomicFile.write(Data(table.csv().utf8), to: layout.accuracyTable)
        let expectations = ExpectationChecker(layout: layout).check(plan: plan, records: records)
        if !plan.expectations.isEmpty {
            try AtomicFile.write(Data(ExpectationChecker.csv(expectations).utf8), to: layout.expectations)
        }
        return Report(plan: plan, records: records, table: table.text(), expectations: expectations)
    }

    /// Reads `plan.json`.
    public func readPlan() throws -> PlanFile {
        let data: Data
        do {
            data = try Data(contentsOf: layout.plan)
        } catch {
            throw ReportError("no results at \(layout.directory.path): \(layout.plan.lastPathComponent) is missing (run the experiment first)")
        }
        do {
            return try JSONDecoder().decode(PlanFile.self, from: data)
        } catch {
            throw ReportError("\(layout.plan.path) is not a NetSweep plan: \(error)")
        }
    }

    /// One row per run, in plan order.
    func summary(_ plan: PlanFile, _ records: [RunRecord?]) -> String {
        var csv = CSVWriter(header: ["run_id"] + plan.columns + [
            "status", "diverged_at", "final_cost", "train_accuracy", "test_accuracy", "iterations", "wall_seconds",
        ])
        for (entry, record) in zip(plan.runs, records) {
            guard let record else {
                csv.append([entry.id] + entry.sweptValues + ["not_run", "", "", "", "", "", ""])
                continue
            }
            csv.append([record.id] + entry.sweptValues + [
                record.status.rawValue, CSVWriter.integer(record.divergedAt), CSVWriter.number(record.finalCost),
                CSVWriter.number(record.trainAccuracy), CSVWriter.number(record.testAccuracy),
                String(record.iterations), CSVWriter.number(record.wallSeconds),
            ])
        }
        return csv.text
    }

    /// Long format: one row per (run, recorded iteration), streamed run by run from each
    /// run's own curve file.
    func writeCurves(_ plan: PlanFile, _ records: [RunRecord?]) throws {
        let temporary = layout.directory.appendingPathComponent(".curves.csv.partial")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw ReportError("cannot write \(temporary.path)")
        }
        let handle = try FileHandle(forWritingTo: temporary)
        handle.write(Data(CSVWriter(header: ["run_id"] + plan.columns + ["iteration", "epoch", "cost", "train_accuracy"]).text.utf8))
        for (entry, record) in zip(plan.runs, records) where record != nil {
            guard let text = try? String(contentsOf: layout.curve(entry.id), encoding: .utf8) else { continue }
            let prefix = ([entry.id] + entry.sweptValues).map(CSVWriter.escape).joined(separator: ",") + ","
            var chunk = ""
            for line in text.split(separator: "\r\n", omittingEmptySubsequences: true).dropFirst() {
                chunk += prefix + line + "\r\n"
            }
            handle.write(Data(chunk.utf8))
        }
        try handle.close()
        try AtomicFile.moveIntoPlace(temporary, layout.curves)
    }
}

/// A reporting problem (missing or unreadable results).
public struct ReportError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
