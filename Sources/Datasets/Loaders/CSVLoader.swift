import Foundation
import NeuralNet

/// Reads a CSV file with a header row (RFC 4180: quoted fields, doubled quotes, CRLF or LF).
///
/// One column holds the label (named, or the last column by default); every other column is a
/// numeric feature. Labels that are all whole numbers ≥ 0 are class indices; otherwise each
/// distinct label text is a class, numbered in sorted order.
public enum CSVLoader {
    /// - Throws: `DatasetError.corrupt` naming the file and the row and column of the first
    ///   bad cell: a ragged row, a non-numeric or non-finite feature, an unknown label column.
    public static func load(path: String, labelColumn: String? = nil) throws -> Dataset {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DatasetError.corrupt(file: path, problem: "cannot read the file as UTF-8 text")
        }
        let rows = try parse(text, path: path)
        guard let header = rows.first, header.fields.count >= 2 else {
            throw DatasetError.corrupt(file: path, problem: "expected a header row with at least two columns")
        }
        let labelIndex: Int
        if let labelColumn {
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
        let featureCount = header.fields.count - 1
        var values = [Double](repeating: 0, count: featureCount * body.count)
        var labelTexts: [String] = []
        labelTexts.reserveCapacity(body.count)
        for (position, row) in body.enumerated() {
            guard row.fields.count == header.fields.count else {
                throw DatasetError.corrupt(file: path, problem:
                    "line \(row.line) has \(row.fields.count) fields; expected \(header.fields.count) as in the header")
            }
            var feature = 0
            for (column, cell) in row.fields.enumerated() {
                if column == labelIndex {
                    labelTexts.append(cell.trimmingCharacters(in: .whitespaces))
                    continue
                }
                guard let value = Double(cell.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                    throw DatasetError.corrupt(file: path, problem:
                        "line \(row.line), column \(column + 1) ('\(header.fields[column])'): expected a finite number; found '\(cell)'")
                }
                values[position * featureCount + feature] = value
                feature += 1
            }
        }
        let (labels, names) = classes(of: labelTexts)
        return try Dataset(features: Matrix(rows: featureCount, columns: body.count, columnMajor: values),
                           labels: labels, classNames: names)
    }

    /// Class indices and names for label texts.
    static func classes(of texts: [String]) -> ([Int32], [String]) {
        let numbers = texts.compactMap { Int32($0) }
        if numbers.count == texts.count, numbers.allSatisfy({ $0 >= 0 }) {
            let count = Int(numbers.max() ?? 0) + 1
            return (numbers, (0..<max(count, 2)).map(String.init))
        }
        let names = Array(Set(texts)).sorted()
        let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, Int32($0)) })
        return (texts.map { index[$0] ?? 0 }, names.count >= 2 ? names : names + ["(none)"])
    }

    struct Row {
        var line: Int
        var fields: [String]
    }

    /// Splits RFC 4180 text into rows of fields, remembering each row's first line number.
    static func parse(_ text: String, path: String) throws -> [Row] {
        var rows: [Row] = []
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
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty: inQuotes = true
            case ",": fields.append(field); field = ""
            case "\r": break
            case "\n":
                fields.append(field)
                field = ""
                if !(fields.count == 1 && fields[0].isEmpty) { rows.append(Row(line: rowLine, fields: fields)) }
                fields = []
                line += 1
                rowLine = line
            default: field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes { throw DatasetError.corrupt(file: path, problem: "line \(rowLine): a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            rows.append(Row(line: rowLine, fields: fields))
        }
        return rows
    }
}
