import Foundation

/// `text` cut to `limit` characters with an ellipsis (labels must fit their place).
func shortened(_ text: String, _ limit: Int) -> String {
    text.count > limit ? String(text.prefix(max(limit - 1, 1))) + "…" : text
}

/// Text for XML and HTML: `& < > " '` escaped, and control characters (which XML 1.0 does not
/// allow) replaced; swept values are arbitrary YAML text.
enum Markup {
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) {
                    escaped += "\u{FFFD}"
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped
    }
}

/// A coordinate or length for SVG: two decimals at most, no exponent, no "-0".
///
/// Written from the value in hundredths, not through `String(format:)`: a report's figures hold
/// hundreds of thousands of coordinates, and Foundation's formatting took half of a 16-run
/// sweep's fixed time (callgrind: 318 M of 668 M instructions for W7 at one iteration).
func svgNumber(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let scaled = (value * 100).rounded(.toNearestOrEven)
    guard abs(scaled) < 1e15 else {
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
    let hundredths = Int(scaled)
    if hundredths == 0 { return "0" }
    let magnitude = hundredths.magnitude
    var text = hundredths < 0 ? "-" : ""
    text += String(magnitude / 100)
    let fraction = magnitude % 100
    if fraction != 0 {
        text += fraction % 10 == 0 ? "." + String(fraction / 10) : (fraction < 10 ? ".0" : ".") + String(fraction)
    }
    return text
}

/// A small SVG writer: lines, polylines, rectangles, circles and text, in document order.
struct SVGCanvas {
    let width: Double
    let height: Double
    private(set) var elements: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String,
                       width: Double = 1, dash: String? = nil) {
        elements.append("<line x1=\"\(svgNumber(x1))\" y1=\"\(svgNumber(y1))\" x2=\"\(svgNumber(x2))\" y2=\"\(svgNumber(y2))\" "
                        + "stroke=\"\(stroke)\" stroke-width=\"\(svgNumber(width))\"" + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>")
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, dash: String? = nil,
                           opacity: Double = 1) {
        guard points.count > 1 else { return }
        let list = points.map { "\(svgNumber($0.0)),\(svgNumber($0.1))" }.joined(separator: " ")
        elements.append("<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(svgNumber(width))\""
                        + " stroke-linejoin=\"round\"" + (opacity < 1 ? " stroke-opacity=\"\(svgNumber(opacity))\"" : "")
                        + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>")
    }

    mutating func rect(_ x: Double, _ y: Double, _ width: Double, _ height: Double, fill: String,
                       stroke: String? = nil, strokeWidth: Double = 1) {
        elements.append("<rect x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" "
                        + "fill=\"\(fill)\"" + (stroke.map { " stroke=\"\($0)\" stroke-width=\"\(svgNumber(strokeWidth))\"" } ?? "") + "/>")
    }

    mutating func circle(_ x: Double, _ y: Double, radius: Double, fill: String) {
        elements.append("<circle cx=\"\(svgNumber(x))\" cy=\"\(svgNumber(y))\" r=\"\(svgNumber(radius))\" fill=\"\(fill)\"/>")
    }

    /// An × of half-size `size` (a diverged run's last point).
    mutating func cross(_ x: Double, _ y: Double, size: Double, stroke: String) {
        line(x - size, y - size, x + size, y + size, stroke: stroke, width: 2)
        line(x - size, y + size, x + size, y - size, stroke: stroke, width: 2)
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ x: Double, _ y: Double, _ string: String, size: Double = 12, anchor: Anchor = .start,
                       bold: Bool = false, fill: String = "#222", rotate: Double? = nil) {
        let rotation = rotate.map { " transform=\"rotate(\(svgNumber($0)) \(svgNumber(x)) \(svgNumber(y)))\"" } ?? ""
        elements.append("<text x=\"\(svgNumber(x))\" y=\"\(svgNumber(y))\" font-size=\"\(svgNumber(size))\" text-anchor=\"\(anchor.rawValue)\""
                        + (bold ? " font-weight=\"bold\"" : "") + " fill=\"\(fill)\"\(rotation)>\(Markup.escape(string))</text>")
    }

    /// The standalone document: `title` is its accessible name (and a tooltip).
    func document(title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(svgNumber(width))\" height=\"\(svgNumber(height))\" "
            + "viewBox=\"0 0 \(svgNumber(width)) \(svgNumber(height))\" role=\"img\" "
            + "font-family=\"DejaVu Sans, Verdana, Arial, sans-serif\">\n"
            + "<title>\(Markup.escape(title))</title>\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
            + elements.joined(separator: "\n") + "\n</svg>\n"
    }
}

/// An axis's range and ticks: linear with round steps (1, 2 or 5 × 10^k), or logarithmic by
/// decades.
struct PlotScale: Equatable {
    var lower: Double
    var upper: Double
    var logarithmic: Bool
    var ticks: [Double]

    /// A linear scale covering `minimum...maximum`, widened to round ticks (about 5 of them).
    /// - Parameter integer: ticks at whole numbers only (a depth or a width).
    static func linear(_ minimum: Double, _ maximum: Double, tickCount: Int = 5, integer: Bool = false) -> PlotScale {
        var low = minimum, high = maximum
        if !(low.isFinite && high.isFinite) { low = 0; high = 1 }
        if high - low <= abs(high) * 1e-12 {
            // One value: a range around it.
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        let step = integer ? max(niceStep((high - low) / Double(max(tickCount, 1))), 1) : niceStep((high - low) / Double(max(tickCount, 1)))
        // Ticks are whole multiples k of the step, computed as the decimal k·m·10^e (an integer
        // scaled by a power of ten) so that 3 × 0.2 is 0.6, not 0.6000000000000001.
        let exponent = Int(log10(step).rounded(.down))
        let mantissa = (step / pow(10, Double(exponent))).rounded()
        func decimal(_ multiple: Double) -> Double {
            let integer = multiple * mantissa
            let value = exponent < 0 ? integer / pow(10, Double(-exponent)) : integer * pow(10, Double(exponent))
            return value == 0 ? 0 : value
        }
        let firstMultiple = (low / step).rounded(.down), lastMultiple = (high / step).rounded(.up)
        let ticks = stride(from: firstMultiple, through: lastMultiple, by: 1).map(decimal)
        return PlotScale(lower: decimal(firstMultiple), upper: decimal(lastMultiple), logarithmic: false, ticks: ticks)
    }

    /// A logarithmic scale over whole decades covering `minimum...maximum` (both > 0).
    static func logarithmic(_ minimum: Double, _ maximum: Double) -> PlotScale {
        // Within the normal doubles: 10^-324 is 0, whose logarithm no axis has (a subnormal
        // learning rate such as 5e-324 is a valid sweep value).
        let low = min(max(log10(minimum).rounded(.down), -307), 307)
        let high = min(max(log10(maximum).rounded(.up), low + 1), 308)
        // About eight labelled decades at most: 1e-300 … 1e300 is ticked every 100 decades.
        let every = max(1, ((high - low) / 8).rounded(.up))
        let ticks = stride(from: low, through: high, by: every).map { pow(10, $0) }
        return PlotScale(lower: pow(10, low), upper: pow(10, high), logarithmic: true, ticks: ticks)
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, log10(raw).rounded(.down))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * magnitude
    }

    /// Where `value` falls between `start` (at `lower`) and `end` (at `upper`).
    func position(_ value: Double, from start: Double, to end: Double) -> Double {
        let fraction: Double
        if logarithmic {
            let clamped = max(value, lower)
            fraction = (log10(clamped) - log10(lower)) / (log10(upper) - log10(lower))
        } else {
            fraction = (value - lower) / (upper - lower)
        }
        return start + (end - start) * fraction
    }

    /// A tick's label: as few digits as the step needs; decades as 10^k beyond 1000 or below 0.001.
    func label(_ value: Double) -> String {
        if logarithmic {
            guard value > 0, value.isFinite else { return value == 0 ? "0" : "\(value)" }
            let exponent = Int(log10(value).rounded())
            return (-3...3).contains(exponent) ? Self.plain(value, decimals: max(0, -exponent)) : "1e\(exponent)"
        }
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        let decimals = max(0, Int((-log10(step)).rounded(.up)))
        return Self.plain(value, decimals: min(decimals, 10))
    }

    private static func plain(_ value: Double, decimals: Int) -> String {
        let text = String(format: "%.\(decimals)f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}

/// The Okabe–Ito palette (distinguishable with the common colour-vision deficiencies), black last.
enum Palette {
    /// Yellow last: it is the hardest to see as a thin line on white.
    static let colors = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"]
    /// Beyond eight series the colours repeat with a dash pattern.
    static let dashes: [String?] = [nil, "6 3", "2 2", "8 3 2 3"]

    static func style(_ index: Int) -> (color: String, dash: String?) {
        (colors[index % colors.count], dashes[(index / colors.count) % dashes.count])
    }

    /// Viridis (perceptually uniform, colour-blind safe), sampled at nine points, for heatmaps.
    static let viridis: [(Double, Double, Double)] = [
        (68, 1, 84), (72, 40, 120), (62, 73, 137), (49, 104, 142), (38, 130, 142),
        (31, 158, 137), (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37),
    ]

    /// The viridis colour at `fraction` (0…1) and whether text on it should be dark.
    static func sequential(_ fraction: Double) -> (color: String, darkText: Bool) {
        let t = min(max(fraction.isFinite ? fraction : 0, 0), 1) * Double(viridis.count - 1)
        let index = min(Int(t), viridis.count - 2)
        let local = t - Double(index)
        let (a, b) = (viridis[index], viridis[index + 1])
        let rgb = (a.0 + (b.0 - a.0) * local, a.1 + (b.1 - a.1) * local, a.2 + (b.2 - a.2) * local)
        let luminance = 0.2126 * rgb.0 + 0.7152 * rgb.1 + 0.0722 * rgb.2
        return (String(format: "#%02X%02X%02X", Int(rgb.0.rounded()), Int(rgb.1.rounded()), Int(rgb.2.rounded())), luminance > 140)
    }
}
