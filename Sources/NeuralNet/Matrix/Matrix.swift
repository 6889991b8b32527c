/// A dense matrix of `Scalar`s in contiguous **column-major** storage.
///
/// Column-major is the BLAS/Fortran order and suits the tutorials' layout: with X of shape
/// (features, m), one example is one contiguous column, so a mini-batch is a run of whole
/// columns and an image read from disk lands in place. Element (i, j) lives at
/// `storage[i + j·rows]`. Shapes are never implicit: every operation checks them.
public struct Matrix<Scalar: NetScalar>: Sendable, Equatable {
    /// Number of rows (n_l for a weight matrix, features for X).
    public let rows: Int
    /// Number of columns (n_{l-1} for a weight matrix, examples for X).
    public let columns: Int
    /// The elements, column by column; `storage.count == rows * columns`.
    public internal(set) var storage: [Scalar]

    /// A `rows × columns` matrix filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        self.storage = [Scalar](repeating: value, count: rows * columns)
    }

    /// Wraps column-major `storage` of exactly `rows · columns` elements.
    /// - Throws: `NeuralNetError.shapeMismatch` when the count is wrong.
    public init(rows: Int, columns: Int, columnMajor storage: [Scalar]) throws {
        guard rows >= 0, columns >= 0, storage.count == rows * columns else {
            throw NeuralNetError.shapeMismatch(
                what: "matrix storage",
                expected: "\(rows) × \(columns) = \(max(0, rows * columns)) elements",
                found: "\(storage.count) elements")
        }
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// Builds a matrix from row-major nested arrays, as NumPy prints them (`[[1, 2], [3, 4]]`).
    /// - Throws: `NeuralNetError.shapeMismatch` for ragged rows.
    public init(_ rowsOfValues: [[Scalar]]) throws {
        let rowCount = rowsOfValues.count
        let columnCount = rowsOfValues.first?.count ?? 0
        for (index, row) in rowsOfValues.enumerated() where row.count != columnCount {
            throw NeuralNetError.shapeMismatch(
                what: "row \(index)", expected: "\(columnCount) values", found: "\(row.count)")
        }
        var storage = [Scalar](repeating: 0, count: rowCount * columnCount)
        for i in 0..<rowCount {
            for j in 0..<columnCount { storage[i + j * rowCount] = rowsOfValues[i][j] }
        }
        self.rows = rowCount
        self.columns = columnCount
        self.storage = storage
    }

    /// Builds a matrix from values listed in row-major (C, NumPy) order.
    public init(rows: Int, columns: Int, rowMajor values: [Scalar]) throws {
        guard values.count == rows * columns else {
            throw NeuralNetError.shapeMismatch(
                what: "matrix values", expected: "\(rows * columns) values", found: "\(values.count)")
        }
        var storage = [Scalar](repeating: 0, count: values.count)
        for i in 0..<rows {
            for j in 0..<columns { storage[i + j * rows] = values[i * columns + j] }
        }
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// `(rows, columns)`, as NumPy's `.shape`.
    public var shape: (rows: Int, columns: Int) { (rows, columns) }

    /// Number of elements.
    public var count: Int { storage.count }

    /// Element (row, column).
    public subscript(row: Int, column: Int) -> Scalar {
        get { storage[row + column * rows] }
        set { storage[row + column * rows] = newValue }
    }

    /// The elements in row-major (NumPy's C) order: what `A.ravel()` gives in NumPy.
    public var rowMajorValues: [Scalar] {
        var values = [Scalar](repeating: 0, count: storage.count)
        for i in 0..<rows {
            for j in 0..<columns { values[i * columns + j] = storage[i + j * rows] }
        }
        return values
    }

    /// A copy converted to another precision.
    public func converted<Other: NetScalar>(to _: Other.Type = Other.self) -> Matrix<Other> {
        // Storage count is already rows·columns, so this cannot fail.
        Matrix<Other>(uncheckedRows: rows, columns: columns, storage: storage.map { Other($0) })
    }

    /// Internal initialiser for storage whose count is known to be right.
    init(uncheckedRows rows: Int, columns: Int, storage: [Scalar]) {
        assert(storage.count == rows * columns)
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// The columns `range` as a new matrix (a contiguous copy: columns are contiguous).
    public func columns(_ range: Range<Int>) -> Matrix<Scalar> {
        precondition(range.lowerBound >= 0 && range.upperBound <= columns)
        return Matrix(uncheckedRows: rows, columns: range.count,
                      storage: Array(storage[(range.lowerBound * rows)..<(range.upperBound * rows)]))
    }

    /// The transpose, as a new matrix (the hot path uses BLAS transpose flags instead).
    public func transposed() -> Matrix<Scalar> {
        var result = Matrix(rows: columns, columns: rows)
        for j in 0..<columns {
            for i in 0..<rows { result.storage[j + i * columns] = storage[i + j * rows] }
        }
        return result
    }
}

extension Matrix: CustomStringConvertible {
    /// Rows on separate lines, like NumPy's repr.
    public var description: String {
        let lines = (0..<rows).map { i in
            "[" + (0..<columns).map { j in "\(self[i, j])" }.joined(separator: ", ") + "]"
        }
        return "[" + lines.joined(separator: ",\n ") + "]"
    }
}

extension Matrix {
    /// A matrix of the same shape with `transform` applied to every element, in storage order.
    public init(mapping source: Matrix<Scalar>, _ transform: (Scalar) -> Scalar) {
        self.init(uncheckedRows: source.rows, columns: source.columns, storage: source.storage.map(transform))
    }
}
