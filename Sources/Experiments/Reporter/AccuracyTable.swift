import Foundation

/// A metric pivoted over two swept keys: one key's values as columns, every combination of
/// the other keys as rows; with repeats, each cell is the mean and (population) standard
/// deviation over the repeat seeds.
///
/// Defaults: the metric is test accuracy when any run has a test split, else train accuracy;
/// the columns are the last swept key (the repeat `seed` excluded), the rows the rest. Keys
/// zipped with the column (or row) key vary with it, so they are not repeated as rows.
struct AccuracyTable: Sendable {
    var rowKeys: [String]
    var columnKey: String?
    var columnValues: [String]
    var rowLabels: [[String]]
    /// cells[row][column]: the metric values of the runs in that cell.
    var cells: [[[Double]]]
    /// planned[row][column]: how many runs the plan puts in that cell (a partial sweep's cell
    /// holds fewer values, and says so in the text table).
    var planned: [[Int]] = []
    /// pruning[row][column]: the cell's runs that successive halving stopped early (nil: none).
    /// Their values are from those budgets, and the text table says so.
    var pruning: [[Pruning?]] = []
    var metric: ReportConfig.Metric
    var hasRepeats: Bool

    /// The pruned runs of one cell: how many, and the shortest and longest of their budgets.
    struct Pruning: Sendable, Equatable {
        var count: Int
        var shortest: Int
        var longest: Int

        mutating func add(_ budget: Int) {
            count += 1
            shortest = min(shortest, budget)
            longest = max(longest, budget)
        }
    }

    init(plan: PlanFile, records: [RunRecord?], report: ReportConfig) {
        let keys = plan.hasRepeats ? Array(plan.columns.dropLast()) : plan.columns
        metric = report.metric ?? (records.contains { $0?.testAccuracy != nil } ? .testAccuracy : .trainAccuracy)
        hasRepeats = plan.hasRepeats
        // Sampled keys (search:) take continuous values: never columns by default; their runs
        // are rows, ranked by the metric below.
        let sampled = Set(plan.sampledKeys ?? [])
        let chosenColumn = report.columns
            ?? (report.rows.map { row in keys.last { $0 != row && !sampled.contains($0) } } ?? keys.last { !sampled.contains($0) })
        columnKey = chosenColumn
        let axisOf = Dictionary(zip(plan.columns, plan.columnAxes), uniquingKeysWith: { first, _ in first })
        let columnAxis = chosenColumn.flatMap { axisOf[$0] }
        let rowAxis = report.rows.flatMap { axisOf[$0] }
        var others = keys.filter { key in
            key != chosenColumn && axisOf[key] != columnAxis && (key == report.rows || rowAxis == nil || axisOf[key] != rowAxis)
        }
        if let rows = report.rows, let position = others.firstIndex(of: rows) {
            others.remove(at: position)
            others.insert(rows, at: 0)
        }
        rowKeys = others
        let columnIndex = chosenColumn.flatMap { keys.firstIndex(of: $0) }
        let rowIndices = others.compactMap { keys.firstIndex(of: $0) }
        columnValues = []
        rowLabels = []
        cells = []
        for (entry, record) in zip(plan.runs, records) {
            let columnValue = columnIndex.map { entry.sweptValues[$0] } ?? metric.rawValue
            let rowLabel = rowIndices.map { entry.sweptValues[$0] }
            if !columnValues.contains(columnValue) { columnValues.append(columnValue) }
            if !rowLabels.contains(rowLabel) { rowLabels.append(rowLabel) }
            let row = rowLabels.firstIndex(of: rowLabel) ?? 0
            let column = columnValues.firstIndex(of: columnValue) ?? 0
            while cells.count <= row { cells.append([]); planned.append([]); pruning.append([]) }
            while cells[row].count <= column { cells[row].append([]); planned[row].append(0); pruning[row].append(nil) }
            planned[row][column] += 1
            if let record, let value = Self.value(of: record, metric: metric) {
                cells[row][column].append(value)
                if record.status == .pruned {
                    let budget = record.rungBudget
                    var cell = pruning[row][column] ?? Pruning(count: 0, shortest: budget, longest: budget)
                    cell.add(budget)
                    pruning[row][column] = cell
                }
            }
        }
        for row in cells.indices {
            while cells[row].count < columnValues.count { cells[row].append([]); planned[row].append(0); pruning[row].append(nil) }
        }
        if !sampled.isEmpty, report.rows == nil {
            // Best first: each row by its best cell's mean (accuracy high, cost low); rows
            // without a value last, in plan order.
            let better: (Double, Double) -> Bool = metric == .finalCost ? { $0 < $1 } : { $0 > $1 }
            let best = cells.map { row in
                row.compactMap { Self.meanAndDeviation($0)?.0 }.filter(\.isFinite).max(by: { better($1, $0) })
            }
            // A successive-halving search: rows trained in full first, then the runs pruned at
            // later rungs before those pruned earlier (a value from a shorter budget does not
            // compete with a final one), each group by its best value. A row is as deep as its
            // deepest cell: a cell holding a run trained in full is the full budget.
            var depth: [Int] = []
            for row in cells.indices {
                var deepest = Int.min
                for column in cells[row].indices where !cells[row][column].isEmpty {
                    deepest = max(deepest, Self.depth(values: cells[row][column].count, pruning: pruning[row][column]))
                }
                depth.append(deepest)
            }
            let order = cells.indices.sorted { a, b in
                switch (best[a], best[b]) {
                case let (x?, y?): return depth[a] != depth[b] ? depth[a] > depth[b] : better(x, y) || (x == y && a < b)
                case (_?, nil): return true
                case (nil, _?): return false
                case (nil, nil): return a < b
                }
            }
            rowLabels = order.map { rowLabels[$0] }
            cells = order.map { cells[$0] }
            planned = order.map { planned[$0] }
            pruning = order.map { pruning[$0] }
        }
    }

    /// How far a cell's runs trained: Int.max when one of its values is from a run not pruned,
    /// else the longest budget its pruned runs reached.
    static func depth(values: Int, pruning: Pruning?) -> Int {
        guard let pruning, pruning.count >= values else { return Int.max }
        return pruning.longest
    }

    private static func value(of record: RunRecord, metric: ReportConfig.Metric) -> Double? {
        switch metric {
        case .testAccuracy: return record.testAccuracy
        case .trainAccuracy: return record.trainAccuracy
        case .finalCost: return record.finalCost
        }
    }

    /// Mean and population standard deviation, computed on values shifted by the first one
    /// (mean = v₀ + Σ(vᵢ − v₀)/n), so that equal values give exactly their value and a
    /// deviation of exactly 0 (a plain Σvᵢ/n of three 0.8625 is 0.8625000000000002).
    static func meanAndDeviation(_ values: [Double]) -> (Double, Double)? {
        guard let first = values.first else { return nil }
        let count = Double(values.count)
        let shift = values.reduce(0) { $0 + ($1 - first) } / count
        let mean = first + shift
        let variance = values.reduce(0) { $0 + ($1 - first - shift) * ($1 - first - shift) } / count
        return (mean, variance.squareRoot())
    }

    private var rowHeader: String { rowKeys.isEmpty ? "run" : rowKeys.joined(separator: " / ") }

    private func columnTitle(_ value: String) -> String {
        columnKey.map { "\($0)=\(value)" } ?? value
    }

    /// The table as CSV: the row keys, then per column value its mean (and std with repeats).
    func csv() -> String {
        var header = rowKeys.isEmpty ? ["run"] : rowKeys
        for value in columnValues {
            header += hasRepeats ? [columnTitle(value) + " mean", columnTitle(value) + " std"] : [columnTitle(value)]
        }
        var writer = CSVWriter(header: header)
        for (label, row) in zip(rowLabels, cells) {
            var fields = rowKeys.isEmpty ? [metric.rawValue] : label
            for values in row {
                let statistics = Self.meanAndDeviation(values)
                fields.append(CSVWriter.number(statistics?.0))
                if hasRepeats { fields.append(CSVWriter.number(statistics?.1)) }
            }
            writer.append(fields)
        }
        return writer.text
    }

    /// The table as aligned text for the terminal.
    func text() -> String {
        let isAccuracy = metric != .finalCost
        let title = "\(metric.rawValue)" + (hasRepeats ? " (mean ± std over repeats)" : "")
        var lines: [[String]] = [[rowHeader] + columnValues.map(columnTitle)]
        var partial = false, anyPruned = false, mixed = false
        for (rowIndex, (label, row)) in zip(rowLabels, cells).enumerated() {
            var fields = [rowKeys.isEmpty ? "all runs" : label.joined(separator: " / ")]
            for (columnIndex, values) in row.enumerated() {
                guard let (mean, deviation) = Self.meanAndDeviation(values) else { fields.append("—"); continue }
                let shown = isAccuracy ? String(format: "%.4f", mean) : String(format: "%.6g", mean)
                var field = hasRepeats ? shown + " ± " + String(format: isAccuracy ? "%.4f" : "%.3g", deviation) : shown
                // Fewer runs than planned (a sweep still running, or stopped): say how many.
                let expected = planned[rowIndex][columnIndex]
                if hasRepeats, values.count < expected {
                    field += " (\(values.count) of \(expected))"
                    partial = true
                }
                if let pruning = pruning[rowIndex][columnIndex] {
                    field += Self.note(pruning, values: values.count)
                    anyPruned = true
                    if pruning.count < values.count || pruning.shortest != pruning.longest { mixed = true }
                }
                fields.append(field)
            }
            lines.append(fields)
        }
        let widths = (0..<lines[0].count).map { column in lines.map { $0[column].count }.max() ?? 0 }
        let rendered = lines.map { fields in
            zip(fields, widths).enumerated().map { index, pair in
                let (field, width) = pair
                let padding = String(repeating: " ", count: width - field.count)
                return index == 0 ? field + padding : padding + field
            }.joined(separator: "  ")
        }
        let rule = String(repeating: "-", count: rendered.map(\.count).max() ?? 0)
        var text = ([title, rendered[0], rule] + rendered.dropFirst()).joined(separator: "\n")
        if partial { text += "\n(k of n): only k of the cell's n runs have a value so far" }
        if anyPruned {
            text += "\n(pruned at N): successive halving stopped the run at N iterations; its value is from then"
            if mixed { text += "\n(k of n pruned at N–M): k of the cell's n values are from runs stopped at N to M iterations" }
        }
        return text
    }

    /// " (pruned at 300)"; with repeats " (pruned at 100–300)" when the budgets differ, and
    /// " (2 of 3 pruned at 300)" when some of the cell's runs were not pruned.
    static func note(_ pruning: Pruning, values: Int) -> String {
        var budgets = String(pruning.longest)
        if pruning.shortest != pruning.longest { budgets = String(pruning.shortest) + "–" + budgets }
        if pruning.count < values { return " (\(pruning.count) of \(values) pruned at \(budgets))" }
        return " (pruned at \(budgets))"
    }
}
