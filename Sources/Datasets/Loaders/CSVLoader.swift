import Foundation
import NeuralNet

/// Reads a CSV file with a header row (RFC 4180: quoted fields, doubled quotes, CRLF or LF).
///
/// One column holds the label (named, or the last column by default); every other column is a
/// numeric feature. Labels that are all whole numbers ≥ 0 (`1`, `1.0` and `1e0` alike) are
/// class indices; otherwise each distinct label text is a class, numbered in sorted order.
/// A second split (the test file) is read with the first split's classes (`classes`), so a
/// name means the same class in both; a label the first split never had is an error.
public enum CSVLoader {
    /// How labels become classes.
    public enum Classes: Sendable, Equatable {
        /// Whole numbers ≥ 0 are class indices; `count` classes (at least 2).
        case numeric(count: Int)
        /// Each name is a class, indexed by its position.
        case named([String])

        public var names: [String] {
            switch self {
            case .numeric(let count): return (0..<count).map(String.init)
            case .named(let names): return names
            }
        }
    }

    /// - Parameter classes: the classes of a split read before (nil: found from this file).
    /// - Parameter unlabelled: every column is a feature (new data for `runner predict`); the
    ///   labels are all 0 and mean nothing, the class names are `classes`'.
    /// - Throws: `DatasetError.corrupt` naming the file and the row and column of the first
    ///   bad cell: a ragged row, a non-numeric or non-finite feature, an unknown label column,
    ///   a label not among `classes`.
    public static func load(path: String, labelColumn: String? = nil, classes: Classes? = nil, unlabelled: Bool = false) throws -> Dataset {
        guard var text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DatasetError.corrupt(file: path, problem: "cannot read the file as UTF-8 text")
        }
        // Excel's "CSV UTF-8" starts with a byte-order mark: not part of the first column's name.
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var blankLines: [Int] = []
        let rows = try parse(text, path: path, blankLines: &blankLines)
        if rows.first?.fields.count == 1, let last = rows.last, let blank = blankLines.first(where: { $0 < last.line }) {
            // One column: an empty line is an empty value, and skipping it would renumber the examples.
            throw DatasetError.corrupt(file: path, problem: "line \(blank) is empty; in a one-column file every line is an example "
                                       + "(write its number, or remove the line)")
        }
        guard let header = rows.first, header.fields.count >= (unlabelled ? 1 : 2) else {
            throw DatasetError.corrupt(file: path, problem: unlabelled ? "expected a header row" : "expected a header row with at least two columns")
        }
        let labelIndex: Int
        if unlabelled {
            labelIndex = -1
        } else if let labelColumn {
            guard header.fields.filter({ $0 == labelColumn }).count <= 1 else {
                throw DatasetError.corrupt(file: path, problem: "the header names '\(labelColumn)' twice; the label column must be unique")
            }
            guard let index = header.fields.firstIndex(of: labelColumn) else {
                throw DatasetError.corrupt(file: path, problem:
                    "no column named '\(labelColumn)'; the header has " + header.fields.map { "'\($0)'" }.joined(separator: ", "))
            }
            labelIndex = index
        } else {
            labelIndex = header.fields.count - 1
        }
        let body = rows.dropFirst()
        guard !body.isEmpty else { throw DatasetError.corrupt(file: path, problem: "has a header but no data rows") }
        let featureCount = header.fields.count - (unlabelled ? 0 : 1)
        var values = [Double](repeating: 0, count: featureCount * body.count)
        var labelTexts: [String] = []
        var labelLines: [Int] = []
        labelTexts.reserveCapacity(body.count)
        for (position, row) in body.enumerated() {
            guard row.fields.count == header.fields.count else {
                throw DatasetError.corrupt(file: path, problem:
                    "line \(row.line) has \(row.fields.count) fields; expected \(header.fields.count) as in the header")
            }
            var feature = 0
            for (column, cell) in row.fields.enumerated() {
                if column == labelIndex {
                    guard !cell.trimmingCharacters(in: .whitespaces).isEmpty else {
                        throw DatasetError.corrupt(file: path, problem:
                            "line \(row.line), column \(column + 1) ('\(Self.shown(header.fields[column]))'): the label is empty")
                    }
                    // A line break or other control character in a label (a quoted "1\r0") is
                    // a damaged cell, not a class of its own.
                    guard !cell.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                        throw DatasetError.corrupt(file: path, problem:
                            "line \(row.line), column \(column + 1) ('\(Self.shown(header.fields[column]))'): label '\(Self.shown(cell))' "
                            + "contains a control character (a line break inside quotes?)")
                    }
                    labelTexts.append(cell.trimmingCharacters(in: .whitespaces))
                    labelLines.append(row.line)
                    continue
                }
                guard let value = Self.decimal(cell.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                    throw DatasetError.corrupt(file: path, problem:
                        "line \(row.line), column \(column + 1) ('\(Self.shown(header.fields[column]))'): expected a finite number; found '\(Self.shown(cell))'")
                }
                values[position * featureCount + feature] = value
                feature += 1
            }
        }
        if unlabelled {
            let names = classes?.names ?? ["0", "1"]
            return try Dataset(features: Matrix(rows: featureCount, columns: body.count, columnMajor: values),
                               labels: [Int32](repeating: 0, count: body.count), classNames: names)
        }
        if classes == nil {
            // Labels that are all numbers must be class numbers: 0.5 or 2e9 is a data error,
            // not a reason to fall back to text classes.
            let numbers = labelTexts.map { Self.decimal($0) }
            if numbers.allSatisfy({ $0 != nil }),
               let bad = numbers.firstIndex(where: { value in value.map { !$0.isFinite || $0 < 0 || $0 != $0.rounded() || $0 > Double(maximumClassNumber) } ?? true }) {
                throw DatasetError.corrupt(file: path, problem:
                    "line \(labelLines[bad]), column \(labelIndex + 1) ('\(Self.shown(header.fields[labelIndex]))'): label '\(labelTexts[bad])' "
                    + "is not a class number (a whole number in 0...\(maximumClassNumber)); use whole numbers or names")
            }
        }
        let found = classes ?? Self.classes(of: labelTexts)
        var labels: [Int32] = []
        labels.reserveCapacity(labelTexts.count)
        for (text, line) in zip(labelTexts, labelLines) {
            guard let label = Self.label(text, in: found) else {
                let column = "column \(labelIndex + 1) ('\(Self.shown(header.fields[labelIndex]))')"
                if classes != nil {
                    throw DatasetError.corrupt(file: path, problem:
                        "line \(line), \(column): label '\(text)' is not a class of the training split ("
                        + found.names.prefix(20).joined(separator: ", ") + (found.names.count > 20 ? ", …" : "") + ")")
                }
                throw DatasetError.corrupt(file: path, problem: "line \(line), \(column): cannot read label '\(text)'")
            }
            labels.append(label)
        }
        return try Dataset(features: Matrix(rows: featureCount, columns: body.count, columnMajor: values),
                           labels: labels, classNames: found.names)
    }

    /// A cell or header as an error message shows it: control characters (a CR or LF inside
    /// quotes, a tab) escaped as \r, \n, \t or \u{…}, so that a message stays on one line and a
    /// CR does not send the terminal back over the file's name.
    static func shown(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r": result += "\\r"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case _ where scalar.properties.generalCategory == .control:
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A number written in decimal ("3", "-0.5", "1e-3"), as NumPy's `float()` reads a cell;
    /// Swift's hexadecimal floats ("0x1p3") are text, not numbers.
    static func decimal<S: StringProtocol>(_ text: S) -> Double? {
        guard !text.contains(where: { $0 == "x" || $0 == "X" }) else { return nil }
        return Double(String(text))
    }

    /// A label text as a whole number ≥ 0 (below 2^31), if it is one: "3", "3.0", "3e0".
    static func classNumber(_ text: String) -> Int32? {
        guard let value = decimal(text), value.isFinite, value >= 0, value == value.rounded() else { return nil }
        guard value <= Double(maximumClassNumber) else { return nil }
        return Int32(value)
    }

    /// The class of a label text, or nil when it is not one of `classes`.
    static func label(_ text: String, in classes: Classes) -> Int32? {
        switch classes {
        case .numeric(let count):
            guard let number = classNumber(text), Int(number) < count else { return nil }
            return number
        case .named(let names):
            return names.firstIndex(of: text).map { Int32($0) }
        }
    }

    /// The classes label texts define: numeric when every label is a whole number ≥ 0, else
    /// one class per distinct text, in sorted order.
    static func classes(of texts: [String]) -> Classes {
        let numbers = texts.compactMap(classNumber)
        if numbers.count == texts.count {
            return .numeric(count: max(Int(numbers.max() ?? 0) + 1, 2))
        }
        let names = Array(Set(texts)).sorted()
        return .named(names.count >= 2 ? names : names + ["(none)"])
    }

    struct Row {
        var line: Int
        var fields: [String]
    }

    /// Splits RFC 4180 text into rows of fields, remembering each row's first line number.
    /// The fields of a header line (quoted fields unquoted; nil-free: a bad line gives its raw text).
    public static func headerFields(_ line: String) -> [String] {
        (try? parse(line, path: ""))?.first?.fields ?? [line]
    }

    static func parse(_ text: String, path: String) throws -> [Row] {
        var blankLines: [Int] = []
        return try parse(text, path: path, blankLines: &blankLines)
    }

    /// The rows of `text`; `blankLines` gets the lines skipped as empty (a quoted "" is a field, not a blank line).
    static func parse(_ text: String, path: String, blankLines: inout [Int]) throws -> [Row] {
        var rows: [Row] = []
        var quotedInRow = false
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var rowLine = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let scalar = pending { pending = nil; return scalar }
            return iterator.next()
        }
        while let scalar = next() {
            if inQuotes {
                if scalar == "\"" {
                    if let following = next() {
                        if following == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = following }
                    } else {
                        inQuotes = false
                    }
                } else {
                    // A line break inside a quoted field is part of it; CRLF counts as one line.
                    if scalar == "\n" { line += 1 }
                    if scalar == "\r" {
                        if let following = next() {
                            if following != "\n" { line += 1 }
                            pending = following
                        } else {
                            line += 1
                        }
                    }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty: inQuotes = true; quotedInRow = true
            case ",": fields.append(field); field = ""
            case "\r", "\n":
                // CRLF (RFC 4180), LF, and a lone CR (old Mac files, some spreadsheet exports)
                // each end a row; a CR is never dropped into a field.
                if scalar == "\r", let following = next(), following != "\n" { pending = following }
                fields.append(field)
                field = ""
                if fields.count == 1 && fields[0].isEmpty && !quotedInRow {
                    blankLines.append(rowLine)
                } else {
                    rows.append(Row(line: rowLine, fields: fields))
                }
                fields = []
                quotedInRow = false
                line += 1
                rowLine = line
            default: field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes { throw DatasetError.corrupt(file: path, problem: "line \(rowLine): a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty || quotedInRow {
            fields.append(field)
            rows.append(Row(line: rowLine, fields: fields))
        }
        return rows
    }
}
