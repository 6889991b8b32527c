import Datasets
import Foundation
import NeuralNet

/// `report.html`: one self-contained page (inline SVG and CSS, no script, no network, no
/// fonts to fetch) with the sweep's pictures, and each figure as `figures/<name>.svg`.
///
/// Built from what the reporter already read (the plan, the records, the curves), so it adds
/// no pass over the results. Deterministic: the same results give the same bytes.
struct HTMLReport: Sendable {
    var plan: PlanFile
    var records: [RunRecord?]
    /// Each run's (iteration, cost) points, by plan position (empty where there is no record).
    var curves: [[(Double, Double)]]
    var table: AccuracyTable
    var expectations: [ExpectationResult]
    /// `experiment.yaml` as written by the sweep (nil when missing).
    var experimentText: String?
    /// Where the runs' parameters are (for the decision boundaries).
    var layout: ResultsLayout?
    /// Where a CSV dataset is looked for again (for the decision boundaries).
    var dataLocator = DataLocator(directories: [])
    /// Threads that draw the figures (each figure is drawn by one thread).
    var jobs = 1

    /// At most this many lines per cost-curve panel, and points per line: a 10 000-run sweep
    /// still gives a page of a few megabytes (the page says what was left out).
    static let linesPerPanel = 60
    static let pointsPerLine = 200

    /// The figures, by file name.
    func figures() -> [(name: String, title: String, svg: String)] { render().figures }

    /// The figures, and a note for each figure that applies but was left out (and why).
    func render() -> (figures: [(name: String, title: String, svg: String)], notes: [String]) {
        // The kinds of figure are independent: drawn on `jobs` threads, put together in this order.
        enum Part: Sendable {
            case figures([(String, String, String)])
            case boundaries(BoundaryOutcome)
        }
        let report = self
        let parts = Scheduler(jobs: jobs).run(count: 6, stop: StopFlag()) { kind -> Part in
            switch kind {
            case 0: return .figures(report.costCurves().map { [("cost_curves", "Cost curves", $0)] } ?? [])
            case 1:
                return .figures(report.heatmap().map { [("accuracy_heatmap", "\(report.table.metric.rawValue) by configuration", $0)] } ?? [])
            case 2:
                return .figures(report.metricAgainstKeys().map { key, svg in
                    ("\(report.table.metric.rawValue)_vs_\(Self.fileName(key))", "\(report.table.metric.rawValue) against \(key)", svg)
                })
            case 3: return .boundaries(report.decisionBoundaries())
            case 4: return .figures(report.activations().map { [("activations", "Activation functions", $0)] } ?? [])
            default:
                return .figures(report.networkGraphs().enumerated().map { index, graph in
                    ("network_\(index + 1)", index == 0 ? "Network graph" : "Network graph \(index + 1)", graph)
                })
            }
        }
        var figures: [(String, String, String)] = []
        var notes: [String] = []
        for part in parts {
            switch part {
            case .figures(let drawn)?: figures += drawn
            case .boundaries(.figure(let boundaries))?: figures.append(("decision_boundaries", "Decision boundaries", boundaries))
            case .boundaries(.leftOut(let reason))?: notes.append("decision boundaries left out: " + reason)
            case .boundaries(.notApplicable)?, nil: break
            }
        }
        return (figures, notes)
    }

    /// Cost against iteration: one panel per value of the table's column key, one line per run,
    /// coloured by its row (a configuration's repeats share a colour).
    func costCurves() -> String? {
        guard curves.contains(where: { !$0.isEmpty }) else { return nil }
        let columnIndex = table.columnKey.flatMap { plan.columns.firstIndex(of: $0) }
        let rowIndices = table.rowKeys.compactMap { plan.columns.firstIndex(of: $0) }
        var panelOrder: [String] = []
        var rowOrder: [String] = []
        var panels: [String: [PlotSeries]] = [:]
        var shown = 0, total = 0
        for (position, entry) in plan.runs.enumerated() where !curves[position].isEmpty {
            let panel = columnIndex.map { "\(plan.columns[$0]) = \(entry.sweptValues[$0])" } ?? "every run"
            let row = rowIndices.isEmpty ? "run" : rowIndices.map { "\(plan.columns[$0])=\(entry.sweptValues[$0])" }.joined(separator: ", ")
            if !panelOrder.contains(panel) { panelOrder.append(panel) }
            if !rowOrder.contains(row) { rowOrder.append(row) }
            total += 1
            guard panels[panel, default: []].count < Self.linesPerPanel else { continue }
            shown += 1
            panels[panel, default: []].append(PlotSeries(
                label: row, style: rowOrder.firstIndex(of: row) ?? 0, points: Self.thin(curves[position]),
                diverged: records[position]?.status == .diverged, divergedAt: records[position]?.divergedAt.map(Double.init)))
        }
        let note = shown < total ? "showing \(shown) of \(total) runs (at most \(Self.linesPerPanel) per panel)" : nil
        return LinePlotFigure(title: "Cost curves", xLabel: "iteration", yLabel: "cost",
                              panels: panelOrder.map { ($0, panels[$0] ?? []) }, note: note).svg()
    }

    /// At most this many runs get a decision-boundary panel.
    static let boundaryPanels = 12
    /// At most this many training points are drawn over each panel (every k-th point beyond).
    static let boundaryPoints = 1500
    /// A CSV larger than this is not read again for the figure.
    static let boundaryFileLimit: UInt64 = 64 << 20

    enum BoundaryOutcome: Sendable {
        case figure(String)
        /// The figure applies (a 2-D dataset) but could not be drawn, for this reason.
        case leftOut(String)
        case notApplicable
    }

    /// For a 2-D dataset (planar, moons, circles, xor, spirals, 2-feature blobs, a CSV with two
    /// feature columns): each run's predicted class over a 60 × 60 grid of the training data's
    /// range, its training points on top. Generated data are drawn again from their recipe, a
    /// CSV is read again through `dataLocator`, and the parameters come from params.npz; runs
    /// without them are left out. The data must be the ones trained on: the run id folds in
    /// their fingerprint, so a CSV edited since gives no figure rather than a wrong one.
    func decisionBoundaries() -> BoundaryOutcome {
        guard let layout else { return .notApplicable }
        // One run per configuration (its first repeat), spread evenly over the sweep when there
        // are more configurations than panels.
        var seenConfigurations: Set<Int> = []
        let all = zip(plan.runs, records).compactMap { entry, record -> (PlanFile.Entry, RunRecord)? in
            // Diverged runs' parameters describe no trained network.
            guard let record, record.status.isTrained, entry.layerSizes?.first == 2, Self.isPlanar(record.config.dataset),
                  seenConfigurations.insert(entry.configurationIndex).inserted else { return nil }
            return (entry, record)
        }
        let candidates = all.count <= Self.boundaryPanels ? all
            : (0..<Self.boundaryPanels).map { all[$0 * (all.count - 1) / (Self.boundaryPanels - 1)] }
        guard let first = candidates.first,
              candidates.allSatisfy({ $0.1.config.dataset == first.1.config.dataset }) else { return .notApplicable }
        let dataset = first.1.config.dataset
        let data: PreparedData
        do {
            for name in [dataset.train, dataset.test].compactMap({ $0 }) {
                let path = try dataLocator.locate(name, what: "data file")
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
                guard size <= Self.boundaryFileLimit else {
                    return .leftOut("\(name) is \(MemoryLimitError.format(Double(size))), more than the "
                                    + "\(MemoryLimitError.format(Double(Self.boundaryFileLimit))) read again for a figure")
                }
            }
            data = try DataSource(locator: dataLocator).load(dataset)
        } catch DatasetError.missing(let file, _, _) {
            return .leftOut("\(file) was not found again (runner report, merge and check take --data-dir like runner run)")
        } catch {
            return .leftOut("the data could not be read again: \(error)")
        }
        guard data.featureCount == 2, data.splits.train.classNames.count <= Palette.colors.count else { return .notApplicable }
        guard RunID.matches(first.0.id, config: first.1.config, fingerprint: data.fingerprint) else {
            return .leftOut("the data found (\(dataset.train ?? "generated")) are not the ones the runs were trained on "
                            + "(changed since the sweep)")
        }
        let features = data.splits.train.features, labels = data.splits.train.labels
        let allPoints = (0..<features.columns).map { (features[0, $0], features[1, $0], labels[$0]) }
        let xs = allPoints.map(\.0), ys = allPoints.map(\.1)
        guard let xLow = xs.min(), let xHigh = xs.max(), let yLow = ys.min(), let yHigh = ys.max() else { return .notApplicable }
        let xPad = max((xHigh - xLow) * 0.08, 1e-6), yPad = max((yHigh - yLow) * 0.08, 1e-6)
        let xRange = (xLow - xPad)...(xHigh + xPad), yRange = (yLow - yPad)...(yHigh + yPad)
        // Values near the largest double overflow the padded range (and the grid) to infinity.
        guard [xRange.lowerBound, xRange.upperBound, yRange.lowerBound, yRange.upperBound,
               xRange.upperBound - xRange.lowerBound, yRange.upperBound - yRange.lowerBound].allSatisfy(\.isFinite) else {
            return .leftOut("the training data's range is too wide to draw (values near the largest number a double holds)")
        }
        // Every k-th point: the page stays small for a large training set.
        let step = max(1, (allPoints.count + Self.boundaryPoints - 1) / Self.boundaryPoints)
        let points = stride(from: 0, to: allPoints.count, by: step).map { allPoints[$0] }
        let resolution = 60
        var grid = [Double]()
        grid.reserveCapacity(2 * resolution * resolution)
        for row in 0..<resolution {
            let y = yRange.upperBound - (Double(row) + 0.5) / Double(resolution) * (yRange.upperBound - yRange.lowerBound)
            for column in 0..<resolution {
                grid.append(xRange.lowerBound + (Double(column) + 0.5) / Double(resolution) * (xRange.upperBound - xRange.lowerBound))
                grid.append(y)
            }
        }
        guard let gridMatrix = try? Matrix<Double>(rows: 2, columns: resolution * resolution, columnMajor: grid) else { return .notApplicable }
        var panels: [BoundaryFigure.Panel] = []
        var unreadable: [String] = []
        let repeatColumn = plan.hasRepeats ? plan.columns.count - 1 : nil
        for (entry, record) in candidates where panels.count < Self.boundaryPanels {
            guard let sizes = entry.layerSizes, sizes.count >= 2,
                  let arrays = try? layout.readParameters(entry.id, layerSizes: sizes, checksum: record.parametersChecksum) else {
                unreadable.append("run \(entry.index)")
                continue
            }
            let output: OutputLayer = record.config.model.output == .sigmoid ? .sigmoid : .softmax(classes: sizes[sizes.count - 1])
            guard let architecture = try? Architecture(inputCount: sizes[0], hiddenSizes: Array(sizes.dropFirst().dropLast()),
                                                       hiddenActivation: record.config.model.activation, output: output),
                  let layers = try? stride(from: 0, to: arrays.count, by: 2).map({ try Dense(weights: arrays[$0].matrix, bias: arrays[$0 + 1].matrix) }),
                  let network = try? Network<Double>(architecture: architecture, layers: layers),
                  let predicted = Self.predict(network, gridMatrix) else {
                unreadable.append("run \(entry.index)")
                continue
            }
            let classes = (0..<resolution).map { row in Array(predicted[(row * resolution)..<((row + 1) * resolution)]) }
            let title = plan.columns.indices.filter { $0 != repeatColumn }
                .map { "\(plan.columns[$0])=\(entry.sweptValues[$0])" }.joined(separator: ", ")
            panels.append(.init(title: title.isEmpty ? "run \(entry.index)" : title, classes: classes))
        }
        guard !panels.isEmpty else { return .leftOut("no run's parameters (params.npz) could be read") }
        var shownParts: [String] = []
        if all.count > panels.count { shownParts.append("showing \(panels.count) of \(all.count) configurations, spread over the sweep") }
        if !unreadable.isEmpty {
            shownParts.append("left out: " + unreadable.joined(separator: ", ") + " (params.npz unreadable or not the recorded network)")
        }
        if points.count < allPoints.count { shownParts.append("\(points.count) of \(allPoints.count) training points drawn (one in every \(step))") }
        let note = shownParts.isEmpty ? nil : shownParts.joined(separator: "; ")
        return .figure(BoundaryFigure(title: "Decision boundaries (training points on top" + (plan.hasRepeats ? "; first repeat" : "") + ")",
                              xRange: xRange, yRange: yRange, points: points, panels: panels, note: note,
                              classNames: data.splits.train.classNames).svg())
    }

    /// Whether a dataset can be 2-D without reading anything large: a generator, or a CSV
    /// (HDF5, IDX and CIFAR files hold images).
    static func isPlanar(_ dataset: DatasetConfig) -> Bool {
        if dataset.generator != nil { return true }
        guard let train = dataset.train else { return false }
        return (dataset.format ?? (try? DataSource.format(of: train))) == .csv
    }

    /// Predictions over `grid` in column blocks whose activations stay within 64 MiB (a layer
    /// of a million units would otherwise need gigabytes for 3 600 points); nil when even one
    /// column would not fit.
    static func predict(_ network: Network<Double>, _ grid: Matrix<Double>) -> [Int32]? {
        let units = Double(network.architecture.layerSizes.reduce(0, +))
        let block = Int((64 * 1_048_576 / (units * 8 * 3)).rounded(.down))
        guard block >= 1 else { return nil }
        if block >= grid.columns { return try? network.predict(grid) }
        var predicted: [Int32] = []
        predicted.reserveCapacity(grid.columns)
        var start = 0
        while start < grid.columns {
            let end = min(start + block, grid.columns)
            let values = (start..<end).flatMap { [grid[0, $0], grid[1, $0]] }
            guard let part = try? Matrix<Double>(rows: 2, columns: end - start, columnMajor: values),
                  let classes = try? network.predict(part) else { return nil }
            predicted += classes
            start = end
        }
        return predicted
    }

    /// The graph of each distinct architecture the runs with records used (at most 6).
    /// One graph per distinct shape (layer sizes and output; the activations a shape was trained
    /// with are named in its title), at most six, the first saying how many there are.
    func networkGraphs() -> [String] {
        var shapes: [(architecture: Architecture, activations: [String])] = []
        for (entry, record) in zip(plan.runs, records) {
            guard let record, let sizes = entry.layerSizes, sizes.count >= 2 else { continue }
            let output: OutputLayer = record.config.model.output == .sigmoid ? .sigmoid : .softmax(classes: sizes[sizes.count - 1])
            guard let architecture = try? Architecture(inputCount: sizes[0], hiddenSizes: Array(sizes.dropFirst().dropLast()),
                                                       hiddenActivation: record.config.model.activation, output: output) else { continue }
            let activation = record.config.model.activation.description
            if let index = shapes.firstIndex(where: { $0.architecture.layerSizes == sizes && $0.architecture.output == output }) {
                if !shapes[index].activations.contains(activation) { shapes[index].activations.append(activation) }
            } else {
                shapes.append((architecture, [activation]))
            }
        }
        return shapes.prefix(6).enumerated().map { index, shape in
            let architecture = shape.architecture
            let title = "Network \(architecture.layerSizes.map(String.init).joined(separator: "-")) (\(architecture.parameterCount) parameters; "
                + "hidden activation: \(shape.activations.joined(separator: ", ")))"
                + (index == 0 && shapes.count > 6 ? " — 6 of the sweep's \(shapes.count) shapes" : "")
            return NetworkGraph(architecture, activationLabel: shape.activations.joined(separator: " | ")).svg(title: title)
        }
    }

    /// A swept key as a file name: letters, digits, '-' and '_' only.
    static func fileName(_ key: String) -> String {
        String(key.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "_" })
    }

    /// For each numeric swept key with three or more values (learning rate, width, depth…):
    /// the final metric against it (a log axis for values over two decades), one line per
    /// combination of the other keys, mean ± standard deviation over the repeats.
    func metricAgainstKeys() -> [(String, String)] {
        let repeatColumn = plan.hasRepeats ? plan.columns.last : nil
        let keys = plan.columns.enumerated().filter { $0.element != repeatColumn }
        var figures: [(String, String)] = []
        let sampled = Set(plan.sampledKeys ?? [])
        for (column, key) in keys {
            let values = plan.runs.map { SweptValue($0.sweptValues[column]).numeric }
            guard values.allSatisfy({ $0?.isFinite ?? false }), Set(values.compactMap { $0 }).count >= 3 else { continue }
            if sampled.contains(key) {
                figures.append((key, sampledScatter(key: key, column: column, values: values, sampled: sampled)))
                continue
            }
            let others = keys.filter { $0.offset != column }.map(\.offset)
            var order: [String] = []
            var groups: [String: [Double: [Double]]] = [:]
            for (position, entry) in plan.runs.enumerated() {
                guard let record = records[position], let x = values[position],
                      let y = Self.metric(table.metric, record) else { continue }
                let label = others.isEmpty ? key : others.map { "\(plan.columns[$0])=\(entry.sweptValues[$0])" }.joined(separator: ", ")
                if groups[label] == nil { order.append(label) }
                groups[label, default: [:]][x, default: []].append(y)
            }
            guard !order.isEmpty else { continue }
            let series = order.prefix(24).enumerated().map { index, label in
                let points = (groups[label] ?? [:]).sorted { $0.key < $1.key }
                    .compactMap { x, ys in AccuracyTable.meanAndDeviation(ys).map { (x, $0.0, $0.1) } }
                return PlotSeries(label: label, style: index, points: points.map { ($0.0, $0.1) }, diverged: false,
                                  errors: plan.hasRepeats ? points.map { $0.2 } : nil)
            }
            let note = order.count > 24 ? "showing 24 of \(order.count) combinations of the other keys" : nil
            let figure = LinePlotFigure(
                title: "\(table.metric.rawValue) against \(key)" + (plan.hasRepeats ? " (mean ± std over repeats)" : ""),
                xLabel: key, yLabel: table.metric.rawValue, panels: [("", series)], note: note,
                allowLogarithmic: table.metric == .finalCost, allowLogarithmicX: true, includeZero: false)
            figures.append((key, figure.svg()))
        }
        return figures
    }

    /// A sampled key (search:): every run's final metric against its value, as points, one
    /// colour per combination of the grid's keys (the other sampled keys vary continuously).
    func sampledScatter(key: String, column: Int, values: [Double?], sampled: Set<String>) -> String {
        let repeatColumn = plan.hasRepeats ? plan.columns.count - 1 : nil
        let grid = plan.columns.indices.filter { $0 != repeatColumn && !sampled.contains(plan.columns[$0]) }
        var order: [String] = []
        var groups: [String: [(Double, Double)]] = [:]
        for (position, entry) in plan.runs.enumerated() {
            guard let record = records[position], let x = values[position], let y = Self.metric(table.metric, record) else { continue }
            let label = grid.isEmpty ? "run" : grid.map { "\(plan.columns[$0])=\(entry.sweptValues[$0])" }.joined(separator: ", ")
            if groups[label] == nil { order.append(label) }
            groups[label, default: []].append((x, y))
        }
        let series = order.prefix(24).enumerated().map { index, label in
            PlotSeries(label: label, style: index, points: groups[label] ?? [], diverged: false, markersOnly: true)
        }
        let shown = series.reduce(0) { $0 + $1.points.count }
        return LinePlotFigure(title: "\(table.metric.rawValue) against \(key) (\(shown) sampled runs)", xLabel: key,
                              yLabel: table.metric.rawValue, panels: [("", series)],
                              note: order.count > 24 ? "showing 24 of \(order.count) grid combinations" : nil,
                              allowLogarithmic: table.metric == .finalCost, allowLogarithmicX: true, includeZero: false).svg()
    }

    static func metric(_ metric: ReportConfig.Metric, _ record: RunRecord) -> Double? {
        switch metric {
        case .testAccuracy: return record.testAccuracy
        case .trainAccuracy: return record.trainAccuracy
        case .finalCost: return record.finalCost
        }
    }

    /// The hidden activations the sweep used, g(z) and g′(z) on [−4, 4] (the tanh-vs-relu
    /// tutorial's figure), from the textbook formulas the engine implements.
    func activations() -> String? {
        var used: [Activation] = []
        for record in records.compactMap({ $0 }) where !used.contains(record.config.model.activation) {
            used.append(record.config.model.activation)
        }
        guard !used.isEmpty else { return nil }
        let zs = (0...160).map { -4 + Double($0) * 0.05 }
        func value(_ activation: Activation, _ z: Double) -> (Double, Double) {
            switch activation {
            case .sigmoid:
                let s = 1 / (1 + exp(-z))
                return (s, s * (1 - s))
            case .tanh:
                let t = Foundation.tanh(z)
                return (t, 1 - t * t)
            case .relu: return (max(0, z), z > 0 ? 1 : 0)
            case .leakyRelu(let slope): return (z > 0 ? z : slope * z, z > 0 ? 1 : slope)
            case .identity: return (z, 1)
            }
        }
        func series(_ derivative: Bool) -> [PlotSeries] {
            used.enumerated().map { index, activation in
                PlotSeries(label: activation.description, style: index,
                           points: zs.map { z in (z, derivative ? value(activation, z).1 : value(activation, z).0) }, diverged: false)
            }
        }
        return LinePlotFigure(title: "Activation functions", xLabel: "z", yLabel: "value",
                              panels: [("g(z)", series(false)), ("g′(z)", series(true))], note: nil,
                              allowLogarithmic: false).svg()
    }

    /// At most `pointsPerLine` points, evenly spaced, the first and last kept.
    static func thin(_ points: [(Double, Double)]) -> [(Double, Double)] {
        guard points.count > pointsPerLine else { return points }
        let step = Double(points.count - 1) / Double(pointsPerLine - 1)
        return (0..<pointsPerLine).map { points[min(points.count - 1, Int((Double($0) * step).rounded()))] }
    }

    /// The accuracy table as a heatmap, when it has rows and columns (two or more keys swept).
    func heatmap() -> String? {
        guard table.columnKey != nil, !table.rowKeys.isEmpty, table.cells.count > 1 || table.columnValues.count > 1 else { return nil }
        let isAccuracy = table.metric != .finalCost
        let values = table.cells.map { row in row.map { AccuracyTable.meanAndDeviation($0)?.0 } }
        return HeatmapFigure(
            title: "\(table.metric.rawValue)" + (table.hasRepeats ? " (mean over repeats)" : ""),
            rowTitle: table.rowKeys.joined(separator: " / "), columnTitle: table.columnKey ?? "",
            rowLabels: table.rowLabels.map { $0.joined(separator: " / ") }, columnLabels: table.columnValues,
            values: values, lowerIsBetter: !isAccuracy,
            format: { isAccuracy ? String(format: "%.4f", $0) : String(format: "%.4g", $0) }).svg()
    }

    /// The whole page.
    func html() -> String {
        let (figures, notes) = render()
        return html(figures, notes: notes)
    }

    func html(_ figures: [(name: String, title: String, svg: String)], notes: [String] = []) -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(Markup.escape(plan.experiment)) — NetSweep report</title>
            <style>
            body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; margin: 24px auto; max-width: 1140px; color: #222; padding: 0 16px; }
            h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
            table { border-collapse: collapse; font-size: 13px; } th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; }
            th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
            .pass { color: #006D4F; font-weight: bold; } .fail { color: #B03A00; font-weight: bold; }
            pre { background: #f7f7f7; padding: 12px; overflow-x: auto; font-size: 12px; }
            figure { margin: 16px 0; } figure svg { max-width: 100%; height: auto; } figcaption { font-size: 13px; color: #444; }
            .counts span { margin-right: 18px; } .note { color: #8A4B00; }
            </style>
            </head>
            <body>
            <h1>\(Markup.escape(plan.experiment))</h1>

            """
        let present = records.compactMap { $0 }
        let stoppedEarly = present.filter { $0.status == .stoppedEarly }.count
        let pruned = present.filter { $0.status == .pruned }.count
        var counts: [(String, Int)] = [("finished", present.filter { $0.status == .finished }.count)]
        if stoppedEarly > 0 { counts.append(("stopped early", stoppedEarly)) }
        if pruned > 0 { counts.append(("pruned", pruned)) }
        counts.append(("diverged", present.filter { $0.status == .diverged }.count))
        counts.append(("failed", present.filter { $0.status == .failed }.count))
        counts.append(("not run", records.count - present.count))
        page += "<p class=\"counts\">" + counts.map { "<span><b>\($0.1)</b> \($0.0)</span>" }.joined() + "<span>of \(records.count) runs</span></p>\n"
        for note in notes { page += "<p class=\"note\">Note: \(Markup.escape(note)).</p>\n" }
        for figure in figures {
            page += "<h2>\(Markup.escape(figure.title))</h2>\n<figure>\n" + figure.svg
                + "<figcaption>Also as figures/\(figure.name).svg</figcaption>\n</figure>\n"
        }
        page += "<h2>Accuracy table</h2>\n<pre>\(Markup.escape(table.text()))</pre>\n"
        if !expectations.isEmpty {
            page += "<h2>Expectations</h2>\n<table>\n<tr><th>#</th><th>line</th><th>subject</th><th>quantity</th><th>expected</th>"
                + "<th>got</th><th>tolerance</th><th>result</th></tr>\n"
            for result in expectations {
                page += "<tr><td>\(result.expectation)</td><td>\(result.line)</td><td>\(Markup.escape(result.subject))</td>"
                    + "<td>\(Markup.escape(result.quantity))</td><td class=\"num\">\(Markup.escape(result.expected))</td>"
                    + "<td class=\"num\">\(Markup.escape(result.got))</td><td class=\"num\">\(CSVWriter.number(result.tolerance))</td>"
                    + (result.passed ? "<td class=\"pass\">pass</td>" : "<td class=\"fail\">FAIL</td>") + "</tr>\n"
            }
            page += "</table>\n"
        }
        page += "<h2>Provenance</h2>\n<table>\n"
        var builds: [String] = []
        for record in present { if let build = record.build?.description, !builds.contains(build) { builds.append(build) } }
        let wall = present.reduce(0) { $0 + $1.wallSeconds }
        let rows: [(String, String)] = [
            ("runs", counts.map { "\($0.1) \($0.0)" }.joined(separator: ", ")),
            ("engine build", builds.isEmpty ? "not recorded" : builds.joined(separator: "; ")),
            ("training time", String(format: "%.1f s summed over the runs (wall time of each run's training)", wall)),
        ]
        for (name, value) in rows { page += "<tr><th>\(Markup.escape(name))</th><td>\(Markup.escape(value))</td></tr>\n" }
        page += "</table>\n"
        if let experimentText {
            page += "<p>The experiment as run (<code>experiment.yaml</code>: the file after <code>--set</code>, "
                + "the runner version, git commit, data and machine):</p>\n<pre>\(Markup.escape(experimentText))</pre>\n"
        }
        page += "</body>\n</html>\n"
        return page
    }

    /// Writes `report.html` and `figures/*.svg` into the results folder.
    /// - Returns: notes on figures that apply but were left out.
    @discardableResult
    func write(to layout: ResultsLayout) throws(FileSystemError) -> [String] {
        let (figures, notes) = render()
        for figure in figures {
            try AtomicFile.write(Data(figure.svg.utf8), to: layout.directory.appendingPathComponent("figures/\(figure.name).svg"))
        }
        // Figures of an earlier report that no longer apply would be taken for this sweep's.
        Self.removeFigures(in: layout, except: Set(figures.map { $0.name + ".svg" }))
        try AtomicFile.write(Data(html(figures, notes: notes).utf8), to: layout.report)
        return notes
    }

    /// Removes the `.svg` files of `figures/` not named in `except`.
    static func removeFigures(in layout: ResultsLayout, except: Set<String>) {
        let folder = layout.directory.appendingPathComponent("figures")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        where name.hasSuffix(".svg") && !except.contains(name) {
            unlink(folder.appendingPathComponent(name).path)
        }
    }
}

extension ResultsLayout {
    public var report: URL { directory.appendingPathComponent("report.html") }
}
