/// CSV text by RFC 4180: CRLF line ends, fields with a comma, quote or line break quoted
/// (quotes doubled), numbers in shortest round-trip form with a `.` decimal point.
public struct CSVWriter: Sendable {
    public private(set) var text = ""

    public init(header: [String]) {
        append(header)
    }

    /// Appends one row.
    public mutating func append(_ fields: [String]) {
        text += fields.map(Self.escape).joined(separator: ",") + "\r\n"
    }

    /// A field, quoted when it must be.
    public static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A number as the shortest text that reads back as the same Double; empty for nil.
    /// Never a thousands separator or a locale's decimal comma.
    public static func number(_ value: Double?) -> String {
        guard let value else { return "" }
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        return "\(value)"
    }

    /// An integer, or empty for nil.
    public static func integer(_ value: Int?) -> String {
        value.map(String.init) ?? ""
    }
}

extension String {
    /// `replacingOccurrences` without Foundation.
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
