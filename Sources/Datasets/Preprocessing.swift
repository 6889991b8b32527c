import NeuralNet

/// Preprocessing declared in an experiment, applied in this order: keep classes, take the
/// first N of each split, split a single file, scale, standardise.
public struct Preprocessing: Sendable, Hashable {
    /// Keep only these classes (names or label numbers), relabelled 0, 1, … in this order.
    public var keepClasses: [String]?
    /// Keep the first N training / test examples (cs231n trains on 5 000, tests on 500).
    public var takeTrain: Int?
    public var takeTest: Int?
    /// Hold out this fraction of a single file as the test split, chosen by `permutation(m)`
    /// of a generator seeded with `splitSeed` (the last ⌈fraction·m⌉ of the permutation).
    public var testFraction: Double?
    public var splitSeed: UInt32
    /// Divide every feature by this (255 for pixels).
    public var scale: Double?
    /// Subtract each feature's training mean and divide by its training standard deviation
    /// (features with zero deviation are only centred). Statistics come from the training split only.
    public var standardize: Bool

    public init(keepClasses: [String]? = nil, takeTrain: Int? = nil, takeTest: Int? = nil,
                testFraction: Double? = nil, splitSeed: UInt32 = 0, scale: Double? = nil, standardize: Bool = false) {
        self.keepClasses = keepClasses
        self.takeTrain = takeTrain
        self.takeTest = takeTest
        self.testFraction = testFraction
        self.splitSeed = splitSeed
        self.scale = scale
        self.standardize = standardize
    }

    /// Applies every step to `train` (and `test`).
    /// - Throws: `DatasetError.badOption` for an unknown class or a split that leaves a side empty.
    public func apply(train: Dataset, test: Dataset?) throws -> (train: Dataset, test: Dataset?) {
        let result = try apply(train: train, test: test, other: nil)
        return (result.train, result.test)
    }

    /// Applies every step to `train` and `test`, and to `other` (new data for a trained network:
    /// `runner predict`) as to a test file: the same classes kept, the same scale, and the
    /// training split's statistics (`take_test` and the split do not apply to it).
    public func apply(train: Dataset, test: Dataset?, other: Dataset?)
        throws -> (train: Dataset, test: Dataset?, other: Dataset?) {
        var train = train
        var test = test
        var other = other
        if let keepClasses {
            train = try Self.keep(keepClasses, in: train)
            test = try test.map { try Self.keep(keepClasses, in: $0) }
            other = try other.map { try Self.keep(keepClasses, in: $0) }
        }
        if let takeTrain { train = train.selecting(Array(0..<min(takeTrain, train.exampleCount))) }
        if let takeTest, let current = test { test = current.selecting(Array(0..<min(takeTest, current.exampleCount))) }
        if let testFraction {
            let held = Int((testFraction * Double(train.exampleCount)).rounded(.up))
            guard held >= 1, held < train.exampleCount else {
                throw DatasetError.badOption(name: "test_fraction", expected: "a fraction leaving both splits non-empty",
                                             found: "\(testFraction) of \(train.exampleCount) examples")
            }
            var random = NumpyRandom(seed: splitSeed)
            let order = random.permutation(train.exampleCount)
            let all = train
            train = all.selecting(Array(order[..<(all.exampleCount - held)]))
            test = all.selecting(Array(order[(all.exampleCount - held)...]))
        }
        if let scale {
            train = Self.scaled(train, by: scale)
            test = test.map { Self.scaled($0, by: scale) }
            other = other.map { Self.scaled($0, by: scale) }
        }
        if standardize {
            let (mean, deviation) = Self.statistics(of: train)
            train = Self.standardized(train, mean: mean, deviation: deviation)
            test = test.map { Self.standardized($0, mean: mean, deviation: deviation) }
            other = other.map { Self.standardized($0, mean: mean, deviation: deviation) }
        }
        return (train, test, other)
    }

    static func keep(_ classes: [String], in dataset: Dataset) throws -> Dataset {
        let wanted = try classes.map { name -> Int32 in
            if let index = dataset.classNames.firstIndex(of: name) { return Int32(index) }
            if let number = Int32(name), number >= 0, Int(number) < dataset.classNames.count { return number }
            throw DatasetError.badOption(name: "keep_classes", expected: "class names or numbers from "
                                         + dataset.classNames.joined(separator: ", "), found: "'\(name)'")
        }
        if let repeated = wanted.indices.first(where: { wanted[..<$0].contains(wanted[$0]) }) {
            throw DatasetError.badOption(name: "keep_classes", expected: "each class once",
                                         found: "'\(classes[repeated])', the same class as an earlier entry")
        }
        let indices = dataset.labels.indices.filter { wanted.contains(dataset.labels[$0]) }
        var kept = dataset.selecting(indices)
        kept.labels = kept.labels.map { label in Int32(wanted.firstIndex(of: label) ?? 0) }
        kept.classNames = wanted.map { dataset.classNames[Int($0)] }
        return kept
    }

    static func scaled(_ dataset: Dataset, by scale: Double) -> Dataset {
        var result = dataset
        result.features = Matrix(mapping: dataset.features) { $0 / scale }
        return result
    }

    static func statistics(of dataset: Dataset) -> (mean: [Double], deviation: [Double]) {
        let rows = dataset.featureCount, columns = dataset.exampleCount
        var mean = [Double](repeating: 0, count: rows)
        var squares = [Double](repeating: 0, count: rows)
        for j in 0..<columns {
            for i in 0..<rows { mean[i] += dataset.features[i, j] }
        }
        for i in 0..<rows { mean[i] /= Double(columns) }
        for j in 0..<columns {
            for i in 0..<rows {
                let centred = dataset.features[i, j] - mean[i]
                squares[i] += centred * centred
            }
        }
        return (mean, squares.map { ($0 / Double(columns)).squareRoot() })
    }

    static func standardized(_ dataset: Dataset, mean: [Double], deviation: [Double]) -> Dataset {
        var result = dataset
        let rows = dataset.featureCount
        var index = 0
        result.features = Matrix(mapping: dataset.features) { value in
            let i = index % rows
            index += 1
            return deviation[i] > 0 ? (value - mean[i]) / deviation[i] : value - mean[i]
        }
        return result
    }
}
