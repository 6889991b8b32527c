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
    /// Then hold out this fraction of the remaining training examples as the validation split:
    /// the last ⌈fraction·m⌉ of the same generator's next permutation.
    public var validationFraction: Double?
    public var splitSeed: UInt32
    /// Divide every feature by this (255 for pixels).
    public var scale: Double?
    /// Subtract each feature's training mean and divide by its training standard deviation
    /// (features with zero deviation are only centred). Statistics come from the training split only.
    public var standardize: Bool
    /// Subtract each feature's training mean only (cs231n's mean image), no division.
    public var center: Bool = false

    public init(keepClasses: [String]? = nil, takeTrain: Int? = nil, takeTest: Int? = nil,
                testFraction: Double? = nil, validationFraction: Double? = nil, splitSeed: UInt32 = 0,
                scale: Double? = nil, standardize: Bool = false) {
        self.validationFraction = validationFraction
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
        let result = try apply(Prepared(train: train, test: test))
        return (result.train, result.test)
    }

    /// The splits preprocessing applies to.
    public struct Prepared: Sendable {
        public var train: Dataset
        public var test: Dataset?
        /// A validation file's examples, or (after `apply`) those held out by `validationFraction`.
        public var validation: Dataset?
        /// New data for a trained network (`runner predict`), treated as a test file.
        public var other: Dataset?
        /// Whether `other` has labels: unlabelled data keep every example (`keep_classes` cannot
        /// choose among examples whose class is not known).
        public var otherIsLabelled = true

        public init(train: Dataset, test: Dataset?, validation: Dataset? = nil, other: Dataset? = nil) {
            self.train = train
            self.test = test
            self.validation = validation
            self.other = other
        }
    }

    /// Applies every step to every split: `validation` and `other` are treated as a test file
    /// (the same classes kept, the same scale, the training split's statistics; `take_test` and
    /// the splits do not apply to them).
    /// - Throws: `DatasetError.badOption` for an unknown class or a split that leaves a side empty.
    public func apply(_ splits: Prepared) throws -> Prepared {
        var result = splits
        func each(_ transform: (Dataset) throws -> Dataset) rethrows {
            result.train = try transform(result.train)
            result.test = try result.test.map(transform)
            result.validation = try result.validation.map(transform)
            result.other = try result.other.map(transform)
        }
        if let keepClasses {
            let unlabelled = result.otherIsLabelled ? nil : result.other
            try each { try Self.keep(keepClasses, in: $0) }
            if var unlabelled {
                unlabelled.classNames = result.train.classNames
                result.other = unlabelled
            }
        }
        if let takeTrain { result.train = result.train.selecting(Array(0..<min(takeTrain, result.train.exampleCount))) }
        if let takeTest, let current = result.test { result.test = current.selecting(Array(0..<min(takeTest, current.exampleCount))) }
        var random = NumpyRandom(seed: splitSeed)
        if let testFraction {
            (result.train, result.test) = try Self.hold(testFraction, of: result.train, name: "test_fraction", random: &random)
        }
        if let validationFraction {
            (result.train, result.validation) = try Self.hold(validationFraction, of: result.train, name: "validation_fraction",
                                                              random: &random)
        }
        if let scale { each { Self.scaled($0, by: scale) } }
        if standardize {
            let (mean, deviation) = Self.statistics(of: result.train)
            each { Self.standardized($0, mean: mean, deviation: deviation) }
        } else if center {
            // cs231n: X -= np.mean(X_train, axis=0); a zero deviation only centres.
            let mean = Self.statistics(of: result.train).mean
            let zero = [Double](repeating: 0, count: mean.count)
            each { Self.standardized($0, mean: mean, deviation: zero) }
        }
        return result
    }

    /// The last ⌈fraction·m⌉ examples of `random.permutation(m)` held out, the rest kept in order of the permutation.
    static func hold(_ fraction: Double, of dataset: Dataset, name: String,
                     random: inout NumpyRandom) throws -> (kept: Dataset, held: Dataset) {
        let held = Int((fraction * Double(dataset.exampleCount)).rounded(.up))
        guard held >= 1, held < dataset.exampleCount else {
            throw DatasetError.badOption(name: name, expected: "a fraction leaving both splits non-empty",
                                         found: "\(fraction) of \(dataset.exampleCount) examples")
        }
        let order = random.permutation(dataset.exampleCount)
        return (dataset.selecting(Array(order[..<(dataset.exampleCount - held)])),
                dataset.selecting(Array(order[(dataset.exampleCount - held)...])))
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
        if case .deferred(let deferred) = dataset.values, deferred.canScale {
            result.values = .deferred(deferred.scaled(by: scale))
        } else {
            result.features = Matrix(mapping: dataset.features) { $0 / scale }
        }
        return result
    }

    /// Each feature's mean and (population) standard deviation over the examples, summed
    /// example by example in float64.
    static func statistics(of dataset: Dataset) -> (mean: [Double], deviation: [Double]) {
        let rows = dataset.featureCount, columns = dataset.exampleCount
        var mean = [Double](repeating: 0, count: rows)
        var squares = [Double](repeating: 0, count: rows)
        dataset.forEachColumn { _, column in
            for i in 0..<rows { mean[i] += column[i] }
        }
        for i in 0..<rows { mean[i] /= Double(columns) }
        dataset.forEachColumn { _, column in
            for i in 0..<rows {
                let centred = column[i] - mean[i]
                squares[i] += centred * centred
            }
        }
        return (mean, squares.map { ($0 / Double(columns)).squareRoot() })
    }

    static func standardized(_ dataset: Dataset, mean: [Double], deviation: [Double]) -> Dataset {
        var result = dataset
        if case .deferred(let deferred) = dataset.values, deferred.canStandardize {
            result.values = .deferred(deferred.standardized(mean: mean, deviation: deviation))
            return result
        }
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
