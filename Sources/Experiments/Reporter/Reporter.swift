import Foundation

/// Builds every CSV and the accuracy table of an experiment from `plan.json` and the runs'
/// records alone (no data, no training): what `runner report` does, and what a sweep does
/// at its end.
public struct Reporter: Sendable {
    public var layout: ResultsLayout
    /// Where a 2-column CSV dataset is found again for the report's decision boundaries
    /// (generated data are drawn again from their recipe and need none).
    public var dataLocator: DataLocator
    /// Threads that read the records and curves and draw the figures (a sweep passes its
    /// `--jobs`; `runner report`, `merge` and `check` use every core).
    public var jobs: Int

    public init(layout: ResultsLayout, dataLocator: DataLocator = DataLocator(directories: []),
                jobs: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.layout = layout
        self.dataLocator = dataLocator
        self.jobs = max(1, jobs)
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
        /// Figures of report.html that apply but were left out, and why.
        public var notes: [String] = []

        /// Whether any expectation failed.
        public var hasFailedExpectation: Bool { expectations.contains { !$0.passed } }
    }

    /// Reads the plan and records, writes `summary.csv`, `curves.csv` and `accuracy_table.csv`.
    /// - Parameters:
    ///   - rows, columns: override the plan's table layout (each must be a swept key).
    ///   - allowMixed: accept records made by different engine builds in one report.
    /// - Throws: `ReportError` when `plan.json` is missing or unreadable, a table key is not
    ///   swept or records of different builds meet; `ResultsError` for a damaged record or
    ///   curve; `FileSystemError` when a file cannot be written.
    @discardableResult
    ///   - html: also write `report.html` and `figures/*.svg`.
    public func write(rows: String? = nil, columns: String? = nil, allowMixed: Bool = false, html: Bool = true) throws -> Report {
        let plan = try readPlan()
        // Reading the records and writing the reports is one critical section across
        // processes: the last report written is then the one that read last.
        let lock = try FileLock.acquire(layout.directory.appendingPathComponent(".report.lock"), exclusive: true)
        defer { withExtendedLifetime(lock) {} }
        FileSystem.removeStaleTemporaries(in: layout.directory)
        var report = plan.report
        for (option, key) in [("--rows", rows), ("--columns", columns)] {
            guard let key else { continue }
            guard plan.columns.contains(key) else {
                throw ReportError("\(option) '\(key)' is not a swept key of \(plan.experiment)"
                                  + (plan.columns.isEmpty ? " (it sweeps nothing)" : "; swept: " + plan.columns.joined(separator: ", "))
                                  + Suggestion.phrase(for: key, among: plan.columns))
            }
        }
        if let rows { report.rows = rows }
        if let columns { report.columns = columns }
        if let rows = report.rows, rows == report.columns {
            throw ReportError("the table's rows and columns are both '\(rows)'; give two different swept keys")
        }
        let layout = layout, runs = plan.runs
        let records = try Scheduler(jobs: jobs).map(count: runs.count) { position in
            // Temporary files of killed processes, also in runs that have a record (a --force re-run).
            FileSystem.removeStaleTemporaries(in: layout.runDirectory(runs[position].id))
            return try layout.readRecord(runs[position].id)
        }
        if !allowMixed { try Self.checkOneBuild(records) }
        try AtomicFile.write(Data(summary(plan, records).utf8), to: layout.summary)
        let curves = try writeCurves(plan, records)
        let table = AccuracyTable(plan: plan, records: records, report: report)
        try AtomicFile.write(Data(table.csv().utf8), to: layout.accuracyTable)
        // The curves are read once, here, for the CSV, the expectations and the figures.
        var curvesByID: [String: [(Double, Double)]] = [:]
        for (entry, curve) in zip(plan.runs, curves) where !curve.isEmpty { curvesByID[entry.id] = curve }
        let expectations = try ExpectationChecker(layout: layout, curves: curvesByID).check(plan: plan, records: records)
        if !plan.expectations.isEmpty {
            try AtomicFile.write(Data(ExpectationChecker.csv(expectations).utf8), to: layout.expectations)
        }
        if !html {
            // A report left from an earlier run would no longer match the CSVs.
            unlink(layout.report.path)
            HTMLReport.removeFigures(in: layout, except: [])
        }
        var notes: [String] = []
        if html {
            let experimentText = (try? FileSystem.read(layout.experimentFile, limit: 4 << 20)).map { String(decoding: $0, as: UTF8.self) }
            notes = try HTMLReport(plan: plan, records: records, curves: curves, table: table, expectations: expectations,
                                   experimentText: experimentText, layout: layout, dataLocator: dataLocator, jobs: jobs)
                .write(to: layout)
        }
        if plan.runs.contains(where: { !$0.id.hasPrefix(RunID.prefix) }) {
            notes.append("this folder has the run ids of runner 0.2 (12 bare hex digits), some of which a spreadsheet reads as "
                         + "numbers; re-run the experiment with this runner to rename them (nothing is trained again)")
        }
        return Report(plan: plan, records: records, table: table.text(), expectations: expectations, notes: notes)
    }

    /// Refuses records of more than one engine build (records from before builds were
    /// recorded count as one unknown build).
    static func checkOneBuild(_ records: [RunRecord?]) throws {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for record in records.compactMap({ $0 }) {
            let name = record.build?.description ?? "an unrecorded build"
            if counts[name] == nil { order.append(name) }
            counts[name, default: 0] += 1
        }
        guard order.count > 1 else { return }
        throw ReportError("the records come from \(order.count) engine builds: "
                          + order.map { "\(counts[$0] ?? 0) from \($0)" }.joined(separator: ", ")
                          + "; re-run with --force to redo them with this build, or pass --allow-mixed to report them together")
    }

    /// Reads `plan.json`.
    public func readPlan() throws -> PlanFile {
        guard FileSystem.isAbsent(layout.plan) else { return try layout.readPlanFile() }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: layout.directory.path, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw ReportError("\(layout.directory.path) is not a results folder (expected the folder a run wrote, e.g. results/quickstart)")
        }
        throw ReportError("no results at \(layout.directory.path): \(layout.plan.lastPathComponent) is missing (run the experiment first)")
    }

    /// One row per run, in plan order.
    func summary(_ plan: PlanFile, _ records: [RunRecord?]) -> String {
        let validation = plan.hasValidation == true
        let halving = plan.schedule?.successiveHalving != nil
        let shape = Self.shapeColumns(plan)
        var csv = CSVWriter(header: ["run_id"] + plan.columns + shape.map(\.rawValue) + [
            "status", "diverged_at", "final_cost", "train_accuracy", "test_accuracy", "iterations_done", "wall_seconds",
        ] + (validation ? ["validation_cost", "validation_accuracy", "best_iteration"] : []) + (halving ? ["stopped_at"] : []))
        for (entry, record) in zip(plan.runs, records) {
            guard let record else {
                csv.append([entry.id] + entry.sweptValues + Self.shapeValues(shape, entry) + ["not_run", "", "", "", "", "", ""]
                           + (validation ? ["", "", ""] : [])
                           + (halving ? [""] : []))
                continue
            }
            csv.append([record.id] + entry.sweptValues + Self.shapeValues(shape, entry) + [
                record.status.rawValue, CSVWriter.integer(record.divergedAt), CSVWriter.number(record.finalCost),
                CSVWriter.number(record.trainAccuracy), CSVWriter.number(record.testAccuracy),
                String(record.iterations), CSVWriter.number(record.wallSeconds),
            ] + (validation ? [CSVWriter.number(record.validationCost), CSVWriter.number(record.validationAccuracy),
                               CSVWriter.integer(record.bestIteration)] : [])
              + (halving ? [record.status == .pruned ? String(record.rungBudget) : ""] : []))
        }
        return csv.text
    }

    /// Numeric columns of the network's shape, for pivoting without parsing `[64, 64]`.
    enum ShapeColumn: String { case depth, width, parameters }

    /// When the sweep varies the hidden layers (`hidden`, `depth` or `width`, swept or sampled):
    /// `depth`, `width` and `parameters`, less those that are swept columns already.
    static func shapeColumns(_ plan: PlanFile) -> [ShapeColumn] {
        let paths = plan.columns.map { SweepAlias.path(for: $0).joined(separator: ".") }
        guard paths.contains(where: { ["model.hidden", "model.depth", "model.width"].contains($0) }) else { return [] }
        // A swept depth or width (alias or dotted path) is a column already.
        return [.depth, .width, .parameters].filter { !paths.contains("model." + $0.rawValue) && !plan.columns.contains($0.rawValue) }
    }

    /// A run's values of `columns`: hidden layers, their width when all are equal (else empty),
    /// and the weights and biases counted.
    static func shapeValues(_ columns: [ShapeColumn], _ entry: PlanFile.Entry) -> [String] {
        guard let sizes = entry.layerSizes, sizes.count >= 2 else { return columns.map { _ in "" } }
        let hidden = Array(sizes.dropFirst().dropLast())
        var parameters = 0
        for layer in 1..<sizes.count { parameters += sizes[layer] * (sizes[layer - 1] + 1) }
        let width: String
        if let first = hidden.first, hidden.allSatisfy({ $0 == first }) { width = String(first) } else { width = "" }
        return columns.map { column -> String in
            switch column {
            case .depth: String(hidden.count)
            case .width: width
            case .parameters: String(parameters)
            }
        }
    }

    /// Long format: one row per (run, recorded iteration), streamed run by run from each
    /// run's own curve file.
    /// - Returns: each run's (iteration, cost) points, for the figures.
    @discardableResult
    func writeCurves(_ plan: PlanFile, _ records: [RunRecord?]) throws -> [[(Double, Double)]] {
        var points: [[(Double, Double)]] = []
        points.reserveCapacity(plan.runs.count)
        let writer = try AtomicWriter(layout.curves)
        let validation = plan.hasValidation == true
        try writer.write(CSVWriter(header: ["run_id"] + plan.columns + ["iteration", "epoch", "cost", "train_accuracy"]
                                   + (validation ? ["validation_cost", "validation_accuracy"] : [])).text)
        // Each run's rows are read, checked and formatted on `jobs` threads, a batch of runs at
        // a time (the file's text is never held whole), and written in plan order.
        let layout = layout, runs = plan.runs
        let batch = 512
        for start in stride(from: 0, to: records.count, by: batch) {
            let count = min(batch, records.count - start)
            let parts = try Scheduler(jobs: jobs).map(count: count) { offset -> (text: String, points: [(Double, Double)])? in
                guard let record = records[start + offset] else { return nil }
                let curve = try layout.readCurve(for: record)
                let entry = runs[start + offset]
                let prefix = ([entry.id] + entry.sweptValues).map(CSVWriter.escape).joined(separator: ",") + ","
                // A run without a validation split in a sweep with one: empty cells.
                let padding = validation && point(curve.first, hasFields: 4) ? ",," : ""
                var text = ""
                for point in curve { text += prefix + point.text + padding + "\r\n" }
                return (text, curve.map { (Double($0.iteration), $0.cost) })
            }
            for part in parts {
                points.append(part?.points ?? [])
                if let part { try writer.write(part.text) }
            }
        }
        try writer.commit()
        return points
    }
}

/// Whether a curve row has exactly `count` fields.
private func point(_ point: CostPoint?, hasFields count: Int) -> Bool {
    guard let point else { return false }
    return point.text.split(separator: ",", omittingEmptySubsequences: false).count == count
}

/// A reporting problem (missing or unreadable results).
public struct ReportError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
