import NeuralNet

/// Examples in memory: X (features, m) as `Double`, one integer label per example.
///
/// Every source (generator or file loader) produces this; the runner folds `fingerprint`
/// into run ids so that different data never share a result.
public struct Dataset: Sendable {
    /// (features, m), one column per example.
    public var features: Matrix<Double>
    /// m labels in 0..<classNames.count.
    public var labels: [Int32]
    /// The name of each class, indexed by label.
    public var classNames: [String]

    /// - Throws: `DatasetError.invalid` when the label count or a label is out of line.
    public init(features: Matrix<Double>, labels: [Int32], classNames: [String]) throws {
        guard features.columns >= 1 else { throw DatasetError.invalid("the data have no examples") }
        guard features.rows >= 1 else { throw DatasetError.invalid("the data have no features (each example is empty)") }
        guard labels.count == features.columns else {
            throw DatasetError.invalid(
                "expected one label per example (\(features.columns)); found \(labels.count) labels")
        }
        if let bad = labels.firstIndex(where: { $0 < 0 || Int($0) >= classNames.count }) {
            throw DatasetError.invalid(
                "label of example \(bad) must be in 0..<\(classNames.count); found \(labels[bad])")
        }
        self.features = features
        self.labels = labels
        self.classNames = classNames
    }

    /// Number of examples, m.
    public var exampleCount: Int { features.columns }
    /// Number of features, n_0.
    public var featureCount: Int { features.rows }

    /// "(12288, 209), 2 classes".
    public var shapeDescription: String {
        "(\(featureCount), \(exampleCount)), \(classNames.count) classes"
    }

    /// A 64-bit content hash of the features, labels and class names, as 16 hex digits.
    public var fingerprint: String {
        var hasher = ContentHasher()
        hasher.combine(featureCount)
        hasher.combine(exampleCount)
        features.storage.withUnsafeBytes { hasher.combine(bytes: $0) }
        labels.withUnsafeBytes { hasher.combine(bytes: $0) }
        for name in classNames { hasher.combine(string: name) }
        return hasher.hexDigest
    }

    /// The examples at `indices`, in that order.
    public func selecting(_ indices: [Int]) -> Dataset {
        let rows = featureCount
        var storage = [Double](repeating: 0, count: rows * indices.count)
        features.storage.withUnsafeBufferPointer { source in
            storage.withUnsafeMutableBufferPointer { target in
                for (position, index) in indices.enumerated() {
                    for i in 0..<rows { target[position * rows + i] = source[index * rows + i] }
                }
            }
        }
        // Shapes and labels are consistent by construction.
        return Dataset(unchecked: storage, rows: rows, labels: indices.map { labels[$0] }, classNames: classNames)
    }

    init(unchecked storage: [Double], rows: Int, labels: [Int32], classNames: [String]) {
        // `columnMajor` only throws on a count mismatch, which the callers rule out.
        self.features = (try? Matrix(rows: rows, columns: labels.count, columnMajor: storage))
            ?? Matrix(rows: rows, columns: 0)
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
