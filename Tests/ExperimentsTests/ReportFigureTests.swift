import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Experiments
import NeuralNet

@Suite("HTML report and figures")
struct ReportFigureTests {
    /// Whether `text` is well-formed XML.
    static func parses(_ text: String) -> Bool {
        XMLParser(data: Data(text.utf8)).parse()
    }

    @Test("a class named after a colour is drawn in it (the planar flower's 0: red, 1: blue); others take the palette in order")
    func classColors() {
        #expect(BoundaryFigure.colors(for: ["red", "blue"], count: 2) == ["#D55E00", "#0072B2"])
        #expect(BoundaryFigure.colors(for: ["0", "1", "2"], count: 3) == Array(Palette.colors.prefix(3)))
        // A colour used once only; unnamed labels take the first colours left.
        #expect(BoundaryFigure.colors(for: ["cat", "Blue", "blue"], count: 4) == ["#E69F00", "#0072B2", "#009E73", "#D55E00"])
    }

    @Test("linear ticks are round multiples of 1, 2 or 5 × 10^k covering the data; decades on a log scale")
    func ticks() {
        #expect(PlotScale.niceStep(0.146) == 0.2)
        #expect(PlotScale.niceStep(3) == 5)
        #expect(PlotScale.niceStep(700) == 1000)
        let accuracy = PlotScale.linear(0, 0.73)
        #expect(accuracy.ticks == [0, 0.2, 0.4, 0.6, 0.8])
        #expect(accuracy.ticks.map(accuracy.label) == ["0.0", "0.2", "0.4", "0.6", "0.8"])
        let iterations = PlotScale.linear(0, 2900)
        #expect(iterations.ticks == [0, 1000, 2000, 3000])
        #expect(iterations.label(2000) == "2000")
        let cost = PlotScale.logarithmic(0.0031, 0.69)
        #expect(cost.ticks == [0.001, 0.01, 0.1, 1])
        #expect(cost.ticks.map(cost.label) == ["0.001", "0.01", "0.1", "1"])
        #expect(PlotScale.logarithmic(2e-7, 3).ticks.first.map(cost.label) == "1e-7")
        // A subnormal value (a learning rate of 5e-324 is a valid sweep value): every tick is a
        // positive number with a label (10^-324 is 0, whose label trapped).
        let tiny = PlotScale.logarithmic(5e-324, 1)
        #expect(tiny.ticks.allSatisfy { $0 > 0 } && tiny.lower > 0 && tiny.ticks.map(tiny.label).allSatisfy { !$0.isEmpty })
        #expect(tiny.label(0) == "0" && tiny.label(5e-324).hasPrefix("1e-32"))
        // One value: a range around it, not a zero-width axis.
        let flat = PlotScale.linear(0.5, 0.5)
        #expect(flat.lower < 0.5 && flat.upper > 0.5)
        // Integer keys are ticked at whole numbers; 600 decades get about eight labels.
        #expect(PlotScale.linear(1, 3, integer: true).ticks == [1, 2, 3])
        #expect(PlotScale.logarithmic(1e-300, 1e300).ticks.count <= 9)
        #expect(accuracy.position(0.4, from: 0, to: 100) == 50)
        #expect(cost.position(0.01, from: 0, to: 300) == 100)
    }

    @Test("text is escaped for XML and HTML, control characters replaced")
    func escaping() {
        #expect(Markup.escape("<b a='1'>&\"") == "&lt;b a=&#39;1&#39;&gt;&amp;&quot;")
        #expect(Markup.escape("a\u{1}b") == "a\u{FFFD}b")
        var canvas = SVGCanvas(width: 100, height: 50)
        canvas.text(1, 2, "</text><script>alert(1)</script>")
        let document = canvas.document(title: "t & <u>")
        #expect(Self.parses(document))
        #expect(!document.contains("<script>"))
    }

    @Test("a small line plot's structure: panels, one polyline per run, ticks, labels and a legend below")
    func linePlotStructure() {
        let figure = LinePlotFigure(
            title: "Cost curves", xLabel: "iteration", yLabel: "cost",
            panels: [("activation = tanh", [PlotSeries(label: "hidden=[4]", style: 0, points: [(0, 0.7), (100, 0.5), (200, 0.3)], diverged: false)]),
                     ("activation = relu", [PlotSeries(label: "hidden=[4]", style: 0, points: [(0, 0.7), (100, 0.6)], diverged: true)])],
            note: nil)
        let svg = figure.svg()
        #expect(Self.parses(svg))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(svg.contains(">activation = tanh</text>") && svg.contains(">activation = relu</text>"))
        #expect(svg.contains(">iteration</text>") && svg.contains(">cost</text>"))
        #expect(svg.contains(">200</text>") && svg.contains(">0.8</text>"))
        // The legend names the configuration once; the diverged run is marked (two lines of an ×).
        #expect(svg.components(separatedBy: ">hidden=[4]</text>").count - 1 == 1)
        #expect(svg.components(separatedBy: "stroke=\"#000000\" stroke-width=\"2\"").count - 1 == 2)
    }

    @Test("the network graph names each layer's W and b shapes and activation; a deep one is elided in the middle")
    func networkGraph() throws {
        let cat = try Architecture(inputCount: 12288, hiddenSizes: [5, 5], hiddenActivation: .relu, output: .sigmoid)
        let svg = NetworkGraph(cat).svg()
        #expect(Self.parses(svg))
        for text in ["12288 × m", "W1 5×12288", "b1 5×1", "W2 5×5", "W3 1×5", "b3 1×1", "binary cross-entropy",
                     "Network 12288-5-5-1 (61481 parameters)"] {
            #expect(svg.contains(">\(text)</text>"), "\(text)")
        }
        #expect(svg.components(separatedBy: ">relu</text>").count - 1 == 2)
        let dot = NetworkGraph(cat).dot()
        #expect(dot.hasPrefix("digraph network {") && dot.contains("n1 [label=\"layer 1\\nW1 5×12288\\nb1 5×1\\nrelu\"];"))
        let deep = try Architecture(inputCount: 2, hiddenSizes: Array(repeating: 3, count: 30), hiddenActivation: .tanh,
                                    output: .softmax(classes: 4))
        let nodes = NetworkGraph(deep).nodes
        #expect(nodes.count == NetworkGraph.maximumDrawn + 3)
        #expect(nodes.contains { $0.lines == ["21 more layers"] })
        #expect(nodes.last?.lines == ["cross-entropy"] && nodes[nodes.count - 2].lines == ["W31 4×3", "b31 4×1", "softmax"])
    }

    @Test("the decision boundaries of a layer too wide for one block are computed in blocks, the same classes")
    func boundaryBlocks() throws {
        var random = NumpyRandom(seed: 3)
        let architecture = try Architecture(inputCount: 2, hiddenSizes: [3000], hiddenActivation: .tanh, output: .sigmoid)
        let network = Network<Double>(architecture: architecture, initializer: .normal(scale: 1), random: &random)
        let grid = try Matrix<Double>(rows: 2, columns: 3600, columnMajor: (0..<7200).map { Double($0 % 97) / 48 - 1 })
        // 3000 units: a block of about 930 columns, so four blocks.
        #expect(HTMLReport.predict(network, grid) == (try network.predict(grid)))
    }

    @Test("params.npz reads back as written (float64, float32, ZIP64); anything else is refused", arguments: [0, NpzWriter.zip64Threshold])
    func npzRoundTrip(threshold: UInt64) throws {
        let w = try Matrix<Double>(rows: 3, columns: 2, columnMajor: [1, -2, 3.5, 4, 5e-300, 6])
        let b = try Matrix<Double>(rows: 3, columns: 1, columnMajor: [0.25, 0, -1])
        let read = try #require(NpzReader.arrays(NpzWriter.archive([("W1", w), ("b1", b)], zip64Threshold: threshold)))
        #expect(read.map(\.name) == ["W1", "b1"])
        #expect(read[0].matrix == w && read[1].matrix == b)
        let single = try Matrix<Float>(rows: 1, columns: 2, columnMajor: [0.5, -0.25])
        let readSingle = try #require(NpzReader.arrays(NpzWriter.archive([("W1", single)], zip64Threshold: threshold)))
        #expect(readSingle[0].matrix.storage == [0.5, -0.25])
        var damaged = NpzWriter.archive([("W1", w)], zip64Threshold: threshold)
        damaged.removeLast(40)
        #expect(NpzReader.arrays(Data("not a zip".utf8)) == nil)
        #expect(NpzReader.arrays(damaged.prefix(100)) == nil)
        // A header whose shape's byte count overflows (2^60 × 8) or is negative: refused, not a trap.
        for shape in ["(1152921504606846976, 1)", "(-1, -8)", "(4611686018427387904, 4)"] {
            #expect(NpzReader.arrays(Self.storedEntry(name: "W1.npy", npy: Self.npy(shape: shape, body: [UInt8](repeating: 0, count: 8)))) == nil)
        }
        #expect(NpzReader.arrays(Self.storedEntry(name: "W1.npy", npy: Self.npy(shape: "(1, 1)", body: [UInt8](repeating: 0, count: 8))))?
            .first?.matrix.storage == [0])
    }

    /// NPY 1.0 bytes with a float64 header of `shape` (unchecked) and `body`.
    static func npy(shape: String, body: [UInt8]) -> [UInt8] {
        var header = "{'descr': '<f8', 'fortran_order': True, 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
            + Array(header.utf8) + body
    }

    /// One stored ZIP local entry (what NpzReader walks).
    static func storedEntry(name: String, npy: [UInt8]) -> Data {
        func little(_ value: Int, _ size: Int) -> [UInt8] { (0..<size).map { UInt8((value >> (8 * $0)) & 0xFF) } }
        let header: [UInt8] = [0x50, 0x4b, 0x03, 0x04] + little(20, 2) + little(0, 2) + little(0, 2) + little(0, 4) + little(0, 4)
            + little(npy.count, 4) + little(npy.count, 4) + little(name.utf8.count, 2) + little(0, 2)
        return Data(header + Array(name.utf8) + npy)
    }

    @Test("a sweep writes report.html and figures/*.svg: well-formed, escaped, the same for 1 and 2 workers")
    func reportOfASweep() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let text = """
            name: pictured
            description: "<script>alert('x')</script>"
            dataset: {generator: xor, n: 40, seed: 3, test_fraction: 0.25}
            model: {hidden: [4], activation: tanh}
            training: {learning_rate: 0.5, iterations: 40, record_every: 10}
            sweep:
              hidden: [[2], [4]]
              activation: [tanh, relu]
            expect:
              - where: {activation: tanh}
                final_cost: {at_most: 10}
            """
        var pages: [String] = []
        for jobs in [1, 2] {
            let (plan, _) = try runExperiment(text, root: root.appendingPathComponent("j\(jobs)"), jobs: jobs)
            let page = try String(contentsOf: plan.layout.report, encoding: .utf8)
            for name in ["cost_curves", "accuracy_heatmap", "decision_boundaries", "activations", "network_1", "network_2"] {
                let svg = try String(contentsOf: plan.layout.directory.appendingPathComponent("figures/\(name).svg"), encoding: .utf8)
                #expect(Self.parses(svg), "\(name).svg")
                #expect(page.contains(svg), "the page inlines \(name).svg")
            }
            #expect(page.contains("<h2>Expectations</h2>") && page.contains("class=\"pass\">pass"))
            #expect(!page.contains("<script>"), "a value from the file reached the page unescaped")
            #expect(!page.contains("http://") || page.components(separatedBy: "http://").count - 1
                    == page.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1, "nothing fetched")
            pages.append(page.split(separator: "\n").filter { !$0.contains("started_at:") && !$0.contains("jobs:") && !$0.contains("summed over the runs") }
                .joined(separator: "\n"))
        }
        #expect(pages[0] == pages[1])
    }

    @Test("a 2-column CSV dataset gets decision boundaries; edited since the sweep, none (not a wrong picture)")
    func boundariesOfACSV() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("points.csv")
        var rows = ["x1,x2,label"]
        for index in 0..<40 {
            let x = Double(index % 8) / 4 - 1, y = Double(index / 8) / 2 - 1
            rows.append("\(x),\(y),\(x * y > 0 ? "same" : "other")")
        }
        try rows.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let text = """
            name: csv_pictured
            dataset: {train: "\(file.path)", test_fraction: 0.25}
            model: {hidden: [4], activation: tanh}
            training: {learning_rate: 0.5, iterations: 40, record_every: 10}
            sweep:
              hidden: [[2], [4]]
            """
        // Found through the locator, as `runner run` finds a file named without a folder.
        let experiment = try ExperimentLoader().load(text: text.replacingOccurrences(of: file.path, with: "points.csv"), file: "test.yaml")
        let plan = try SweepRunner(dataSource: DataSource(locator: DataLocator(directories: [root.path])))
            .plan(experiment, outputRoot: root.path)
        // `runner run` runs the plan with a runner that has no locator of its own (the plan
        // carries the one it was made with).
        _ = try SweepRunner(dataSource: DataSource(locator: DataLocator(directories: [])))
            .run(plan, options: SweepOptions(jobs: 1, outputRoot: root.path), stop: StopFlag())
        let figure = plan.layout.directory.appendingPathComponent("figures/decision_boundaries.svg")
        let svg = try String(contentsOf: figure, encoding: .utf8)
        #expect(Self.parses(svg) && svg.contains("hidden=[2]") && svg.contains("hidden=[4]"))
        #expect(svg.contains("same") && svg.contains("other"), "the class legend names the CSV's labels")

        let lost = try Reporter(layout: plan.layout).write()
        #expect(!FileManager.default.fileExists(atPath: figure.path), "the CSV is not found without its folder")
        #expect(lost.notes.count == 1 && lost.notes[0].contains("points.csv was not found again"), "\(lost.notes)")
        #expect(try String(contentsOf: plan.layout.report, encoding: .utf8).contains("Note: decision boundaries left out"))
        try Reporter(layout: plan.layout, dataLocator: DataLocator(directories: [root.path])).write()
        #expect(FileManager.default.fileExists(atPath: figure.path), "found again through the locator")
        // A damaged params.npz leaves its panel out, and the figure says which run's.
        let parameters = plan.layout.parameters(plan.runs[1].id)
        let archive = try Data(contentsOf: parameters)
        try Data("not a zip".utf8).write(to: parameters)
        try Reporter(layout: plan.layout, dataLocator: DataLocator(directories: [root.path])).write()
        let partial = try String(contentsOf: figure, encoding: .utf8)
        #expect(partial.contains("left out: run \(plan.runs[1].planned.index) (params.npz unreadable"), "\(partial.suffix(600))")
        #expect(!partial.contains("hidden=[4]"))
        try archive.write(to: parameters)

        rows[1] = "-1,-1,other"
        try rows.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let changed = try Reporter(layout: plan.layout, dataLocator: DataLocator(directories: [root.path])).write()
        #expect(changed.notes.first?.contains("changed since the sweep") == true, "\(changed.notes)")
        #expect(!FileManager.default.fileExists(atPath: figure.path), "boundaries over data the runs were not trained on")
        #expect(!(try String(contentsOf: plan.layout.report, encoding: .utf8)).contains("<h2>Decision boundaries"))
    }

    @Test("decision boundaries draw at most 1500 training points a panel; values too wide to draw leave the figure out, saying so")
    func boundaryLimits() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        func sweep(_ name: String, rows: [String]) throws -> (SweepPlan, [String]) {
            let file = root.appendingPathComponent("\(name).csv")
            try (["x1,x2,label"] + rows).joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            let text = """
                name: \(name)
                dataset: {train: "\(file.path)", standardize: false}
                model: {hidden: [2], activation: tanh}
                training: {learning_rate: 0.1, iterations: 5, record_every: 5}
                """
            let (plan, outcome) = try runExperiment(text, root: root, jobs: 1)
            return (plan, outcome.report?.notes ?? ["no report"])
        }
        let many = (0..<4000).map { "\(Double($0 % 63) / 7),\(Double($0 / 63) / 5),\($0 % 2)" }
        let (plan, notes) = try sweep("many", rows: many)
        #expect(notes.isEmpty)
        let svg = try String(contentsOf: plan.layout.directory.appendingPathComponent("figures/decision_boundaries.svg"), encoding: .utf8)
        #expect(svg.components(separatedBy: "<circle").count - 1 == 1334)
        #expect(svg.contains("1334 of 4000 training points drawn (one in every 3)"))
        let (_, wide) = try sweep("wide", rows: ["1e308,0,0", "-1.5e308,1,1", "1e300,2,0", "0,3,1"])
        #expect(wide.first?.contains("too wide to draw") == true, "\(wide)")
    }

    @Test("swept values are typed once: numbers, lists of numbers, text; [5] is 5 on an axis")
    func sweptValues() {
        #expect(SweptValue("0.0075") == .number(0.0075))
        #expect(SweptValue("1e-4") == SweptValue("0.0001"))
        #expect(SweptValue("[20, 7, 5]") == .list([20, 7, 5]))
        #expect(SweptValue("[]") == .list([]))
        #expect(SweptValue("[5]").numeric == 5 && SweptValue("[5, 3]").numeric == nil)
        #expect(SweptValue("tanh") == .text("tanh") && SweptValue("tanh").numeric == nil)
        #expect(SweptValue("[a, 1]") == .text("[a, 1]"))
        #expect(SweptValue("nan") == .text("nan") && SweptValue("inf").numeric == nil)
        #expect(ExpectationChecker.same("[5]", "[5.0]") && ExpectationChecker.same("0.01", "1e-2"))
        #expect(!ExpectationChecker.same("5", "[5]") && !ExpectationChecker.same("relu", "tanh"))
    }

    @Test("SVG numbers: two decimals at most, no exponent, no -0; as printf's %.2f trimmed, away from exact ties")
    func svgNumbers() {
        #expect(svgNumber(0) == "0" && svgNumber(-0.001) == "0" && svgNumber(.nan) == "0")
        #expect(svgNumber(12.5) == "12.5" && svgNumber(-3.07) == "-3.07" && svgNumber(200) == "200" && svgNumber(0.1) == "0.1")
        #expect(svgNumber(1e20) == "100000000000000000000")
        var random = NumpyRandom(seed: 11)
        for _ in 0..<20_000 {
            let value = (random.uniform() - 0.5) * Foundation.pow(10, Double(Int(random.uniform() * 8)))
            let hundredths = value * 100
            guard abs(hundredths - hundredths.rounded(.down) - 0.5) > 1e-6 else { continue }
            var expected = String(format: "%.2f", value)
            while expected.hasSuffix("0") && expected.contains(".") { expected.removeLast() }
            if expected.hasSuffix(".") { expected.removeLast() }
            if expected == "-0" { expected = "0" }
            #expect(svgNumber(value) == expected, "\(value)")
        }
    }
}
