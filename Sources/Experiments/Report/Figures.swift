import Foundation

/// One line of a line plot.
struct PlotSeries {
    var label: String
    var style: Int
    var points: [(Double, Double)]
    /// A run that diverged: its last point is marked with an ×.
    var diverged: Bool
    /// Error bars (± this, per point), drawn with a marker at each point.
    var errors: [Double]? = nil
    /// Where a diverged run stopped (its × is drawn there, at the last finite cost).
    var divergedAt: Double? = nil
    /// Points without a line (a scatter of sampled configurations).
    var markersOnly = false
}

/// Small multiples of line plots on shared axes, with one legend below them (never over data).
struct LinePlotFigure {
    var title: String
    var xLabel: String
    var yLabel: String
    var panels: [(title: String, series: [PlotSeries])]
    /// A note printed under the figure ("showing 60 of 200 runs").
    var note: String?
    /// Whether the y axis may turn logarithmic (values over more than two decades).
    var allowLogarithmic = true
    /// Whether the x axis may (positive values over two decades or more: learning rates).
    var allowLogarithmicX = false
    /// Whether a linear y axis starts at zero (costs) or spans the data (accuracies that differ
    /// in the second decimal).
    var includeZero = true

    static let panelWidth = 340.0, panelHeight = 240.0
    static let left = 64.0, right = 14.0, top = 34.0, bottom = 48.0

    func svg() -> String {
        let columns = min(max(panels.count, 1), 3)
        let rows = (panels.count + columns - 1) / columns
        // A lone panel gets the width two would have.
        let panelWidth = panels.count == 1 ? 2 * Self.panelWidth : Self.panelWidth
        let cellWidth = Self.left + panelWidth + Self.right
        let cellHeight = Self.top + Self.panelHeight + Self.bottom
        // Legend: one entry per distinct label, in order.
        var legend: [(String, Int)] = []
        for panel in panels {
            for series in panel.series where !legend.contains(where: { $0.0 == series.label }) {
                legend.append((series.label, series.style))
            }
        }
        let shownLegend = Array(legend.prefix(24))
        let figureWidth = max(cellWidth * Double(columns), 420)
        // As many legend columns as the longest label allows (about 6.5 px a character at 11 px).
        let longest = Double(shownLegend.map(\.0.count).max() ?? 10)
        let legendColumns = max(1, min(3, Int((figureWidth - 24) / (longest * 6.5 + 40))))
        let legendRows = (shownLegend.count + legendColumns - 1) / legendColumns
        let legendHeight = Double(legendRows) * 18 + (legend.count > shownLegend.count ? 18 : 0) + (note == nil ? 0 : 18) + 12
        var canvas = SVGCanvas(width: figureWidth, height: 30 + cellHeight * Double(rows) + legendHeight)
        canvas.text(8, 20, title, size: 15, bold: true)

        var all: [(Double, Double)] = []
        for series in panels.flatMap(\.series) {
            all += series.points
            for (point, error) in zip(series.points, series.errors ?? []) {
                all.append((point.0, point.1 - error))
                all.append((point.0, point.1 + error))
            }
            if let x = series.divergedAt, let last = series.points.last { all.append((x, last.1)) }
        }
        let xs = all.map(\.0).filter(\.isFinite), ys = all.map(\.1).filter(\.isFinite)
        let xPositive = xs.filter { $0 > 0 }
        let xLog = allowLogarithmicX && xPositive.count == xs.count && !xs.isEmpty && (xs.max() ?? 1) / (xs.min() ?? 1) >= 100
        let integers = !xs.isEmpty && xs.allSatisfy { $0 == $0.rounded() }
        let xScale = xLog ? PlotScale.logarithmic(xs.min() ?? 1, xs.max() ?? 10)
            : PlotScale.linear(xs.min() ?? 0, xs.max() ?? 1, integer: integers)
        let positive = ys.filter { $0 > 0 }
        let useLog = allowLogarithmic && positive.count == ys.count && !positive.isEmpty && (positive.max() ?? 1) / (positive.min() ?? 1) > 100
        let yScale = useLog ? PlotScale.logarithmic(positive.min() ?? 1, positive.max() ?? 10)
            : includeZero ? PlotScale.linear(min(ys.min() ?? 0, 0), max(ys.max() ?? 1, 0)) : PlotScale.linear(ys.min() ?? 0, ys.max() ?? 1)

        for (index, panel) in panels.enumerated() {
            let originX = Double(index % columns) * cellWidth + Self.left
            let originY = 30 + Double(index / columns) * cellHeight + Self.top
            let (x0, x1, y0, y1) = (originX, originX + panelWidth, originY + Self.panelHeight, originY)
            canvas.text((x0 + x1) / 2, originY - 10, shortened(panel.title, Int(panelWidth / 7)), size: 12, anchor: .middle, bold: true)
            // Grid and ticks.
            for tick in yScale.ticks {
                let y = yScale.position(tick, from: y0, to: y1)
                canvas.line(x0, y, x1, y, stroke: "#e6e6e6")
                canvas.text(x0 - 6, y + 4, yScale.label(tick), size: 11, anchor: .end, fill: "#444")
            }
            for tick in xScale.ticks {
                let x = xScale.position(tick, from: x0, to: x1)
                canvas.line(x, y0, x, y1, stroke: "#f0f0f0")
                canvas.text(x, y0 + 16, xScale.label(tick), size: 11, anchor: .middle, fill: "#444")
            }
            canvas.rect(x0, y1, panelWidth, Self.panelHeight, fill: "none", stroke: "#888")
            canvas.text((x0 + x1) / 2, y0 + 36, xLabel + (xLog ? " (log scale)" : ""), size: 12, anchor: .middle)
            canvas.text(x0 - 48, (y0 + y1) / 2, yLabel + (useLog ? " (log scale)" : ""), size: 12, anchor: .middle, rotate: -90)
            for series in panel.series {
                let (color, dash) = Palette.style(series.style)
                let points = series.points.filter { $0.0.isFinite && $0.1.isFinite && (!useLog || $0.1 > 0) }
                    .map { (xScale.position($0.0, from: x0, to: x1), yScale.position($0.1, from: y0, to: y1)) }
                if series.markersOnly {
                    for point in points { canvas.circle(point.0, point.1, radius: 2.5, fill: color) }
                    continue
                }
                canvas.polyline(points, stroke: color, width: 1.5, dash: dash, opacity: 0.85)
                if let errors = series.errors, errors.count == series.points.count {
                    for ((x, y), error) in zip(series.points, errors) where x.isFinite && y.isFinite {
                        let px = xScale.position(x, from: x0, to: x1)
                        let top = yScale.position(y + error, from: y0, to: y1), bottom = yScale.position(y - error, from: y0, to: y1)
                        if error > 0 {
                            canvas.line(px, top, px, bottom, stroke: color, width: 1.2)
                            canvas.line(px - 3, top, px + 3, top, stroke: color, width: 1.2)
                            canvas.line(px - 3, bottom, px + 3, bottom, stroke: color, width: 1.2)
                        }
                        canvas.circle(px, yScale.position(y, from: y0, to: y1), radius: 2.5, fill: color)
                    }
                }
                if points.count == 1, let point = points.first { canvas.circle(point.0, point.1, radius: 2.5, fill: color) }
                if series.diverged, let last = points.last {
                    let x = series.divergedAt.map { xScale.position($0, from: x0, to: x1) } ?? last.0
                    canvas.cross(x, last.1, size: 5, stroke: "#000000")
                }
            }
        }
        // The legend, below the panels.
        var y = 30 + cellHeight * Double(rows) + 8
        for (position, entry) in shownLegend.enumerated() {
            let x = 12 + Double(position % legendColumns) * (canvas.width - 24) / Double(legendColumns)
            let rowY = y + Double(position / legendColumns) * 18
            let (color, dash) = Palette.style(entry.1)
            canvas.line(x, rowY, x + 24, rowY, stroke: color, width: 2.5, dash: dash)
            canvas.text(x + 30, rowY + 4, shortened(entry.0, Int(((canvas.width - 24) / Double(legendColumns) - 40) / 6.5)), size: 11)
        }
        y += Double(legendRows) * 18
        if legend.count > shownLegend.count {
            canvas.text(12, y + 4, "… and \(legend.count - shownLegend.count) more configurations", size: 11, fill: "#444")
            y += 18
        }
        if let note { canvas.text(12, y + 4, note, size: 11, fill: "#444") }
        return canvas.document(title: title)
    }
}

/// The accuracy table as a heatmap: one cell per (row, column), annotated with its value, the
/// best cell outlined, a colour scale with its legend.
struct HeatmapFigure {
    var title: String
    var rowTitle: String
    var columnTitle: String
    var rowLabels: [String]
    var columnLabels: [String]
    /// values[row][column]; nil where no run has a value.
    var values: [[Double?]]
    /// Lower is better (a cost) instead of higher (an accuracy).
    var lowerIsBetter: Bool
    var format: (Double) -> String

    func svg() -> String {
        let rowLabels = self.rowLabels.map { shortened($0, 40) }, columnLabels = self.columnLabels.map { shortened($0, 20) }
        let rowTitle = shortened(self.rowTitle, 40)
        let labelWidth = min(Double(max(rowLabels.map(\.count).max() ?? 4, rowTitle.count)) * 7 + 16, 300)
        let cellWidth = max(70.0, min(Double((columnLabels.map(\.count).max() ?? 4)) * 7 + 16, 160))
        let cellHeight = 28.0
        let originX = labelWidth + 10, originY = 64.0
        let width = originX + cellWidth * Double(columnLabels.count) + 190
        let height = originY + max(cellHeight * Double(rowLabels.count), 80) + 34
        var canvas = SVGCanvas(width: max(width, 360), height: max(height, 150))
        canvas.text(8, 20, title, size: 15, bold: true)
        canvas.text(originX + cellWidth * Double(columnLabels.count) / 2, 40, shortened(columnTitle, 40), size: 12, anchor: .middle, bold: true)
        canvas.text(8, 40, rowTitle, size: 12, bold: true)
        let present = values.flatMap { $0 }.compactMap { $0 }
        let low = present.min() ?? 0, high = present.max() ?? 1
        let best = lowerIsBetter ? low : high
        func fraction(_ value: Double) -> Double { high > low ? (value - low) / (high - low) : 0.5 }
        for (column, label) in columnLabels.enumerated() {
            canvas.text(originX + (Double(column) + 0.5) * cellWidth, originY - 8, label, size: 11, anchor: .middle)
        }
        var bestCells: [(Double, Double)] = []
        for (row, label) in rowLabels.enumerated() {
            let y = originY + Double(row) * cellHeight
            canvas.text(8, y + cellHeight / 2 + 4, label, size: 11)
            for column in columnLabels.indices {
                let x = originX + Double(column) * cellWidth
                guard column < values[row].count, let value = values[row][column] else {
                    canvas.rect(x, y, cellWidth, cellHeight, fill: "#f4f4f4", stroke: "#ffffff")
                    canvas.text(x + cellWidth / 2, y + cellHeight / 2 + 4, "—", size: 11, anchor: .middle, fill: "#888")
                    continue
                }
                let (color, darkText) = Palette.sequential(fraction(value))
                canvas.rect(x, y, cellWidth, cellHeight, fill: color, stroke: "#ffffff")
                canvas.text(x + cellWidth / 2, y + cellHeight / 2 + 4, format(value), size: 11, anchor: .middle,
                            fill: darkText ? "#111111" : "#ffffff")
                if value == best { bestCells.append((x, y)) }
            }
        }
        for (x, y) in bestCells { canvas.rect(x + 1.5, y + 1.5, cellWidth - 3, cellHeight - 3, fill: "none", stroke: "#D55E00", strokeWidth: 3) }
        // The colour scale.
        let barX = originX + cellWidth * Double(columnLabels.count) + 24
        let barHeight = max(cellHeight * Double(rowLabels.count), 80)
        for step in 0..<20 {
            let (color, _) = Palette.sequential(1 - Double(step) / 19)
            canvas.rect(barX, originY + barHeight * Double(step) / 20, 14, barHeight / 20 + 0.5, fill: color)
        }
        canvas.text(barX + 20, originY + 8, format(high), size: 11)
        canvas.text(barX + 20, originY + barHeight, format(low), size: 11)
        if high > low {
            // Round values in between.
            for tick in PlotScale.linear(low, high, tickCount: 4).ticks where tick > low && tick < high {
                let y = originY + barHeight * (high - tick) / (high - low)
                guard y - originY > 14, originY + barHeight - y > 14 else { continue }
                canvas.line(barX + 14, y, barX + 18, y, stroke: "#444")
                canvas.text(barX + 20, y + 4, PlotScale.linear(low, high, tickCount: 4).label(tick), size: 10, fill: "#444")
            }
        }
        canvas.text(barX, originY + barHeight + 18, lowerIsBetter ? "best: lowest (outlined)" : "best: highest (outlined)",
                    size: 10, fill: "#444")
        return canvas.document(title: title)
    }
}

/// Decision boundaries on a 2-D dataset, as small multiples: each run's predicted class over a
/// grid (light), the training points on top (dark), one panel per run.
struct BoundaryFigure {
    struct Panel {
        var title: String
        /// classes[row][column] over the grid, row 0 at the top.
        var classes: [[Int32]]
    }

    var title: String
    /// The data's range, shared by every panel.
    var xRange: ClosedRange<Double>
    var yRange: ClosedRange<Double>
    var points: [(Double, Double, Int32)]
    var panels: [Panel]
    var note: String?
    /// The classes' names, by label number, for the legend.
    var classNames: [String] = []

    static let size = 200.0, gap = 26.0, columns = 4

    /// Each class's colour: the palette's in label order, except that a class named after a
    /// colour (the planar flower's "red" and "blue") is drawn in that colour, so that the legend
    /// never reads "0: red" beside a blue swatch.
    static func colors(for classNames: [String], count: Int) -> [String] {
        let named = ["blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "red": "#D55E00",
                     "pink": "#CC79A7", "purple": "#CC79A7", "black": "#000000", "yellow": "#F0E442"]
        var colors = [String?](repeating: nil, count: count)
        for (label, name) in classNames.prefix(count).enumerated() {
            if let color = named[name.lowercased()], !colors.contains(color) { colors[label] = color }
        }
        var unused = Palette.colors.filter { !colors.contains($0) }
        return colors.map { color in
            if let color { return color }
            return unused.isEmpty ? "#888888" : unused.removeFirst()
        }
    }

    func svg() -> String {
        let columns = min(Self.columns, max(panels.count, 1))
        let rows = (panels.count + columns - 1) / columns
        let width = max(16 + Double(columns) * (Self.size + Self.gap), 460)
        let labels = max(classNames.count, Int(points.map(\.2).max() ?? 0) + 1,
                         Int(panels.flatMap { $0.classes.flatMap { $0 } }.max() ?? 0) + 1)
        let colors = Self.colors(for: classNames, count: labels)
        func color(_ label: Int) -> String { label >= 0 && label < colors.count ? colors[label] : "#888888" }
        // The class legend in rows that fit the width (entries 110 px apart).
        let legendEntries = Array(classNames.prefix(8).enumerated())
        let perRow = max(1, Int((width - 24) / 110))
        let legendRows = max(1, (legendEntries.count + perRow - 1) / perRow)
        let top = 72 + Double(legendRows - 1) * 18
        var canvas = SVGCanvas(width: width,
                               height: top - 8 + Double(rows) * (Self.size + Self.gap + 18) + (note == nil ? 0 : 20))
        canvas.text(8, 20, shortened(title, 90), size: 15, bold: true)
        // The classes: dark points, light regions.
        for (label, name) in legendEntries {
            let x = 12 + Double(label % perRow) * 110, y = 30 + Double(label / perRow) * 18
            canvas.rect(x, y, 12, 12, fill: Self.light(color(label)), stroke: color(label))
            canvas.text(x + 18, y + 10, shortened("\(label): \(name)", 15), size: 11)
        }
        for (index, panel) in panels.enumerated() {
            let x0 = 12 + Double(index % columns) * (Self.size + Self.gap)
            let y0 = top + Double(index / columns) * (Self.size + Self.gap + 18)
            // At most what fits over the panel (about 34 characters at 10 px).
            let title = panel.title.count > 34 ? String(panel.title.prefix(33)) + "…" : panel.title
            canvas.text(x0 + Self.size / 2, y0 - 6, title, size: 10, anchor: .middle, bold: true)
            let gridRows = panel.classes.count, gridColumns = panel.classes.first?.count ?? 0
            guard gridRows > 0, gridColumns > 0 else { continue }
            let cellWidth = Self.size / Double(gridColumns), cellHeight = Self.size / Double(gridRows)
            for (row, classes) in panel.classes.enumerated() {
                // Runs of one class in a row are one rectangle (a small file).
                var start = 0
                for column in 1...classes.count where column == classes.count || classes[column] != classes[start] {
                    canvas.rect(x0 + Double(start) * cellWidth, y0 + Double(row) * cellHeight,
                                Double(column - start) * cellWidth + 0.3, cellHeight + 0.3,
                                fill: Self.light(color(Int(classes[start]))))
                    start = column
                }
            }
            for (x, y, label) in points {
                let px = x0 + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * Self.size
                let py = y0 + (yRange.upperBound - y) / (yRange.upperBound - yRange.lowerBound) * Self.size
                canvas.circle(px, py, radius: 1.8, fill: color(Int(label)))
            }
            canvas.rect(x0, y0, Self.size, Self.size, fill: "none", stroke: "#888")
        }
        if let note { canvas.text(12, canvas.height - 8, note, size: 11, fill: "#444") }
        return canvas.document(title: title)
    }

    /// A class's colour, lightened for the regions.
    static func light(_ color: String) -> String {
        let hex = color.dropFirst()
        let channels = stride(from: 0, to: 6, by: 2).map { offset -> Int in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return Int(hex[start..<hex.index(start, offsetBy: 2)], radix: 16) ?? 0
        }
        let mixed = channels.map { Int((Double($0) * 0.3 + 255 * 0.7).rounded()) }
        return String(format: "#%02X%02X%02X", mixed[0], mixed[1], mixed[2])
    }
}
