import NeuralNet

/// Examples in memory: X (features, m), one integer label per example.
///
/// Every source (generator or file loader) produces this; the runner folds `fingerprint`
/// into run ids so that different data never share a result. Features are float64 numbers, or
/// a compact source (image bytes, uniform draws) with the scaling and standardisation pending (`FeatureValues`), made
/// in the precision a run needs by `features(as:)`.
public struct Dataset: Sendable {
    /// The features as held (see `FeatureValues`).
    public internal(set) var values: FeatureValues
    /// m labels in 0..<classNames.count.
    public var labels: [Int32]
    /// The name of each class, indexed by label.
    public var classNames: [String]

    /// - Throws: `DatasetError.invalid` when the label count or a label is out of line.
    public init(features: Matrix<Double>, labels: [Int32], classNames: [String]) throws {
        try Self.check(rows: features.rows, columns: features.columns, labels: labels, classNames: classNames)
        self.values = .numbers(features)
        self.labels = labels
        self.classNames = classNames
    }

    /// Images as unsigned bytes, `rows` per example, one example after another.
    /// - Throws: `DatasetError.invalid` when the shapes or a label are out of line.
    public init(pixels: [UInt8], rows: Int, labels: [Int32], classNames: [String]) throws {
        try Self.check(rows: rows, columns: labels.count, labels: labels, classNames: classNames)
        guard pixels.count == rows * labels.count else {
            throw DatasetError.invalid("expected \(rows) × \(labels.count) pixel values; found \(pixels.count)")
        }
        self.values = .deferred(DeferredFeatures(bytes: pixels, rows: rows))
        self.labels = labels
        self.classNames = classNames
    }

    private static func check(rows: Int, columns: Int, labels: [Int32], classNames: [String]) throws {
        guard columns >= 1 else { throw DatasetError.invalid("the data have no examples") }
        guard rows >= 1 else { throw DatasetError.invalid("the data have no features (each example is empty)") }
        guard labels.count == columns else {
            throw DatasetError.invalid(
                "expected one label per example (\(columns)); found \(labels.count) labels")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= classNames.count }) {
            throw DatasetError.invalid(
                "label of example \(bad) must be in 0..<\(classNames.count); found \(labels[bad])")
        }
    }

    /// X in float64 (made from the source each time when they are deferred: hold on to it).
    public var features: Matrix<Double> {
        get { features(as: Double.self) }
        set { values = .numbers(newValue) }
    }

    /// X in `Scalar`: each value computed in float64 as the preprocessing declares, then rounded
    /// once, so float32 features are the float64 ones rounded whatever they were stored as.
    public func features<Scalar: NetScalar>(as _: Scalar.Type) -> Matrix<Scalar> {
        switch values {
        case .numbers(let matrix): return matrix as? Matrix<Scalar> ?? matrix.converted(to: Scalar.self)
        case .deferred(let deferred): return deferred.materialized(as: Scalar.self)
        }
    }

    /// Holds the features as float64 numbers from now on (deferred features are made once and their source dropped).
    public mutating func materialize() {
        if case .deferred(let deferred) = values { values = .numbers(deferred.materialized(as: Double.self)) }
    }

    /// Drops the features (labels and class names stay): when every run reads a copy in another precision.
    public mutating func releaseFeatures() {
        values = .numbers(Matrix(rows: 0, columns: 0))
    }

    /// Number of examples, m.
    public var exampleCount: Int {
        switch values {
        case .numbers(let matrix): return matrix.columns
        case .deferred(let deferred): return deferred.columns
        }
    }

    /// Number of features, n_0.
    public var featureCount: Int {
        switch values {
        case .numbers(let matrix): return matrix.rows
        case .deferred(let deferred): return deferred.rows
        }
    }

    /// "(12288, 209), 2 classes".
    public var shapeDescription: String {
        "(\(featureCount), \(exampleCount)), \(classNames.count) classes"
    }

    /// A 64-bit content hash of the float64 features, labels and class names, as 16 hex digits
    /// (the same for deferred features as for the numbers they stand for).
    public var fingerprint: String {
        var hasher = ContentHasher()
        hasher.combine(featureCount)
        hasher.combine(exampleCount)
        switch values {
        case .numbers(let matrix):
            matrix.storage.withUnsafeBytes { hasher.combine(bytes: $0) }
        case .deferred(let deferred):
            deferred.forEachColumn { _, column in hasher.combine(words: column) }
            hasher.finishWords(valueCount: deferred.rows * deferred.columns)
        }
        labels.withUnsafeBytes { hasher.combine(bytes: $0) }
        for name in classNames { hasher.combine(string: name) }
        return hasher.hexDigest
    }

    /// Calls `body` with each example's float64 features in turn (made from the source when deferred).
    public func forEachColumn(_ body: (Int, UnsafeBufferPointer<Double>) -> Void) {
        switch values {
        case .numbers(let matrix):
            let rows = matrix.rows
            matrix.storage.withUnsafeBufferPointer { storage in
                for j in 0..<matrix.columns { body(j, UnsafeBufferPointer(rebasing: storage[(j * rows)..<((j + 1) * rows)])) }
            }
        case .deferred(let deferred):
            deferred.forEachColumn(body)
        }
    }

    /// The examples at `indices`, in that order.
    public func selecting(_ indices: [Int]) -> Dataset {
        var result = self
        switch values {
        case .deferred(let deferred):
            if let selected = deferred.selecting(indices) {
                result.values = .deferred(selected)
            } else {
                result.values = .numbers(Self.selecting(indices, of: deferred.materialized(as: Double.self)))
            }
        case .numbers(let matrix):
            result.values = .numbers(Self.selecting(indices, of: matrix))
        }
        result.labels = indices.map { labels[$0] }
        return result
    }

    private static func selecting(_ indices: [Int], of matrix: Matrix<Double>) -> Matrix<Double> {
        let rows = matrix.rows
        var storage: [Double] = []
        storage.reserveCapacity(rows * indices.count)
        for index in indices { storage.append(contentsOf: matrix.storage[(index * rows)..<((index + 1) * rows)]) }
        // Shapes are consistent by construction.
        return (try? Matrix(rows: rows, columns: indices.count, columnMajor: storage)) ?? Matrix(rows: rows, columns: 0)
    }

    init(unchecked deferred: DeferredFeatures, labels: [Int32], classNames: [String]) {
        values = .deferred(deferred)
        self.labels = labels
        self.classNames = classNames
    }

    init(unchecked storage: [Double], rows: Int, labels: [Int32], classNames: [String]) {
        // `columnMajor` only throws on a count mismatch, which the callers rule out.
        self.values = .numbers((try? Matrix(rows: rows, columns: labels.count, columnMajor: storage))
            ?? Matrix(rows: rows, columns: 0))
        self.labels = labels
        self.classNames = classNames
    }
}

/// A training split and an optional held-out test split.
public struct DataSplits: Sendable {
    public var train: Dataset
    public var test: Dataset?
    /// Held out of training for early stopping and model selection (`validation_fraction`).
    public var validation: Dataset?
    /// Where the data came from, for reports ("generator planar", "train_catvnoncat.h5").
    public var source: String

    public init(train: Dataset, test: Dataset?, validation: Dataset? = nil, source: String) {
        self.train = train
        self.test = test
        self.validation = validation
        self.source = source
    }

    /// A content hash of every split (the same as before validation splits existed when there is none).
    public var fingerprint: String {
        train.fingerprint + (test.map { "-" + $0.fingerprint } ?? "") + (validation.map { "-v" + $0.fingerprint } ?? "")
    }
}

/// Why data could not be made or read.
public enum DatasetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The data themselves are inconsistent.
    case invalid(String)
    /// A file is corrupt or not in the expected format: names the file and what was wrong.
    case corrupt(file: String, problem: String)
    /// A file was not found: names every place looked in.
    case missing(file: String, what: String, searched: [String])
    /// A generator or preprocessing option is out of range.
    case badOption(name: String, expected: String, found: String)

    public var description: String {
        switch self {
        case .invalid(let message): return message
        case let .corrupt(file, problem): return "\(file): \(problem)"
        case let .missing(file, what, searched):
            return "cannot find \(what) '\(file)'; looked in: " + searched.joined(separator: ", ")
        case let .badOption(name, expected, found): return "'\(name)' must be \(expected); found \(found)"
        }
    }
}

/// The most classes a label file may number: one class name is made per number up to the
/// largest label, so a stray huge label must be an error, not an allocation.
public let maximumClassNumber = 65_535

extension Array where Element == Int {
    /// The product of the elements, or nil when it overflows `Int`: a file header's
    /// dimensions are checked with this before any buffer is sized from them.
    public var checkedProduct: Int? {
        var product = 1
        for value in self {
            let (next, overflow) = product.multipliedReportingOverflow(by: value)
            if overflow { return nil }
            product = next
        }
        return product
    }
}
