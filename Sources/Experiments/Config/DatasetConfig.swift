import Datasets

/// `dataset:` — an embedded generator or files under the data directory, plus preprocessing.
///
///     dataset: {generator: planar, seed: 1}
///     dataset: {train: train_catvnoncat.h5, test: test_catvnoncat.h5, scale: 255}
public struct DatasetConfig: Codable, Sendable, Hashable {
    public enum GeneratorKind: String, Codable, Sendable, Hashable, CaseIterable {
        case planar, moons, circles, blobs, xor, spirals, random, synthetic
    }

    public enum Format: String, Codable, Sendable, Hashable, CaseIterable {
        case hdf5, idx, cifar, csv
    }

    // MARK: - Source
    public var generator: GeneratorKind?
    public var n: Int?
    public var noise: Double?
    public var seed: UInt32?
    public var classes: Int?
    public var features: Int?
    public var factor: Double?
    public var labels: [Int32]?
    public var train: String?
    public var test: String?
    public var trainLabels: String?
    public var testLabels: String?
    public var format: Format?
    public var xKey: String?
    public var yKey: String?
    public var classesKey: String?
    public var labelColumn: String?
    public var classNames: String?
    /// The random generator's draw order: `examples_first` is cs231n's `randn(n, features)`.
    public var order: String?

    // MARK: - Preprocessing
    public var scale: Double?
    public var standardize: Bool?
    /// Subtract the training split's mean of each feature (cs231n's mean image), no division.
    public var center: Bool?
    public var takeTrain: Int?
    public var takeTest: Int?
    public var testFraction: Double?
    /// Held out of the training split for validation (after the test split is taken).
    public var validationFraction: Double?
    /// A validation file, read like the test file.
    public var validation: String?
    public var validationLabels: String?
    public var splitSeed: UInt32?
    public var keepClasses: [String]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case generator, n, noise, seed, classes, features, factor, labels
        case train, test, trainLabels = "train_labels", testLabels = "test_labels", format
        case xKey = "x_key", yKey = "y_key", classesKey = "classes_key", labelColumn = "label_column"
        case classNames = "class_names", order
        case scale, standardize, center, takeTrain = "take_train", takeTest = "take_test"
        case testFraction = "test_fraction", splitSeed = "split_seed", keepClasses = "keep_classes"
        case validationFraction = "validation_fraction", validation, validationLabels = "validation_labels"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        generator = try container.decodeChoiceIfPresent(
            KeyValuePairs(dictionaryLiteral: ("planar", GeneratorKind.planar), ("moons", .moons), ("circles", .circles),
                          ("blobs", .blobs), ("xor", .xor), ("spirals", .spirals), ("random", .random),
                          ("synthetic", .synthetic)),
            forKey: .generator)
        // Generated data are held in memory: sizes are bounded here, before anything is made.
        n = try container.decodeNumberIfPresent(Int.self, forKey: .n, expected: "an integer in 1...10000000") { (1...10_000_000).contains($0) }
        noise = try container.decodeNumberIfPresent(Double.self, forKey: .noise, expected: "a finite number ≥ 0") { $0.isFinite && $0 >= 0 }
        seed = try container.decodeIfPresent(UInt32.self, forKey: .seed)
        classes = try container.decodeNumberIfPresent(Int.self, forKey: .classes, expected: "an integer in 2...1000") { (2...1000).contains($0) }
        features = try container.decodeNumberIfPresent(Int.self, forKey: .features, expected: "an integer in 1...100000") { (1...100_000).contains($0) }
        if let n, let features, n * features > 1 << 27 {
            throw try container.superDecoder(forKey: .n).valueError(
                "'n' × 'features' must be at most 134217728 values (1 GiB in float64); found \(n) × \(features)")
        }
        factor = try container.decodeNumberIfPresent(Double.self, forKey: .factor, expected: "a number in (0, 1)") { $0 > 0 && $0 < 1 }
        labels = try container.decodeIfPresent([Int32].self, forKey: .labels)
        train = try container.decodeIfPresent(String.self, forKey: .train)
        test = try container.decodeIfPresent(String.self, forKey: .test)
        trainLabels = try container.decodeIfPresent(String.self, forKey: .trainLabels)
        testLabels = try container.decodeIfPresent(String.self, forKey: .testLabels)
        format = try container.decodeChoiceIfPresent(
            ["hdf5": Format.hdf5, "idx": .idx, "cifar": .cifar, "csv": .csv], forKey: .format)
        xKey = try container.decodeIfPresent(String.self, forKey: .xKey)
        yKey = try container.decodeIfPresent(String.self, forKey: .yKey)
        classesKey = try container.decodeIfPresent(String.self, forKey: .classesKey)
        labelColumn = try container.decodeIfPresent(String.self, forKey: .labelColumn)
        classNames = try container.decodeIfPresent(String.self, forKey: .classNames)
        order = try container.decodeChoiceIfPresent(["features_first": "features_first", "examples_first": "examples_first"],
                                                    forKey: .order) == "examples_first" ? "examples_first" : nil
        scale = try container.decodeNumberIfPresent(Double.self, forKey: .scale, expected: "a finite number ≠ 0") { $0.isFinite && $0 != 0 }
        standardize = try container.decodeIfPresent(Bool.self, forKey: .standardize)
        // Defaults written out are the defaults: nil, so that run ids do not change.
        center = try container.decodeIfPresent(Bool.self, forKey: .center) == true ? true : nil
        if standardize == true, center == true {
            throw try container.superDecoder(forKey: .center).valueError(
                "give either 'standardize' (centre and divide by the deviation) or 'center' (centre only), not both")
        }
        takeTrain = try container.decodeNumberIfPresent(Int.self, forKey: .takeTrain, expected: "an integer ≥ 1") { $0 >= 1 }
        takeTest = try container.decodeNumberIfPresent(Int.self, forKey: .takeTest, expected: "an integer ≥ 1") { $0 >= 1 }
        testFraction = try container.decodeNumberIfPresent(Double.self, forKey: .testFraction, expected: "a number in (0, 1)") { $0 > 0 && $0 < 1 }
        validationFraction = try container.decodeNumberIfPresent(
            Double.self, forKey: .validationFraction, expected: "a number in (0, 1)") { $0 > 0 && $0 < 1 }
        validation = try container.decodeIfPresent(String.self, forKey: .validation)
        validationLabels = try container.decodeIfPresent(String.self, forKey: .validationLabels)
        splitSeed = try container.decodeIfPresent(UInt32.self, forKey: .splitSeed)
        keepClasses = try container.decodeIfPresent([String].self, forKey: .keepClasses)
        switch (generator, train) {
        case (nil, nil):
            throw decoder.valueError("'dataset' needs a 'generator' or a 'train' file")
        case (.some, .some):
            throw try container.superDecoder(forKey: .train).valueError("give either 'generator' or 'train', not both")
        default: break
        }
        if let generator {
            // Options another generator (or a file) takes would be silently ignored.
            let applies: [CodingKeys]
            switch generator {
            case .planar: applies = [.n]
            case .moons, .xor: applies = [.n, .noise]
            case .circles: applies = [.n, .noise, .factor]
            case .blobs: applies = [.n, .classes, .features, .noise]
            case .spirals: applies = [.n, .classes, .noise]
            case .random: applies = [.n, .features, .classes, .labels, .order]
            case .synthetic: applies = [.n, .features, .classes]
            }
            let sourceKeys: [CodingKeys] = [.n, .noise, .classes, .features, .factor, .labels, .order, .test, .trainLabels,
                                            .testLabels, .validation, .validationLabels, .format, .xKey, .yKey, .classesKey, .labelColumn, .classNames]
            for key in sourceKeys where container.contains(key) && !applies.contains(key) {
                throw try container.superDecoder(forKey: key).valueError(
                    "'\(key.stringValue)' does not apply to generator \(generator.rawValue); it takes seed"
                    + applies.map { ", " + $0.stringValue }.joined())
            }
        } else {
            for key in [CodingKeys.n, .noise, .classes, .features, .factor, .labels, .order] where container.contains(key) {
                throw try container.superDecoder(forKey: key).valueError(
                    "'\(key.stringValue)' applies only to a generator; data files take train, test, format and the file options")
            }
        }
        if let keepClasses, Set(keepClasses).count != keepClasses.count {
            let repeated = keepClasses.first { name in keepClasses.filter { $0 == name }.count > 1 } ?? ""
            throw try container.superDecoder(forKey: .keepClasses).valueError(
                "'keep_classes' names '\(repeated)' twice; each class may be kept once")
        }
        if test != nil, testFraction != nil {
            throw try container.superDecoder(forKey: .testFraction).valueError("give either 'test' or 'test_fraction', not both")
        }
        if validation != nil, validationFraction != nil {
            throw try container.superDecoder(forKey: .validationFraction).valueError(
                "give either 'validation' or 'validation_fraction', not both")
        }
        if validationLabels != nil, validation == nil {
            throw try container.superDecoder(forKey: .validationLabels).valueError(
                "'validation_labels' is the label file of a 'validation' file, and there is none")
        }
    }

    /// The embedded generator this config names, with its defaults filled in.
    func makeGenerator() -> Generator? {
        guard let generator else { return nil }
        let seed = seed ?? 1
        switch generator {
        case .planar: return .planar(count: n ?? 400, seed: seed)
        case .moons: return .moons(count: n ?? 400, noise: noise ?? 0.1, seed: seed)
        case .circles: return .circles(count: n ?? 400, noise: noise ?? 0.05, factor: factor ?? 0.5, seed: seed)
        case .blobs:
            return .blobs(count: n ?? 400, classes: classes ?? 3, features: features ?? 2, noise: noise ?? 1, seed: seed)
        case .xor: return .xor(count: n ?? 400, noise: noise ?? 0.05, seed: seed)
        case .spirals: return .spirals(count: n ?? 300, arms: classes ?? 3, noise: noise ?? 0.2, seed: seed)
        case .random:
            return .random(features: features ?? 3, count: n ?? labels?.count ?? 5, classes: classes ?? 2,
                           labels: labels, seed: seed, examplesFirst: order == "examples_first")
        case .synthetic:
            return .synthetic(features: features ?? 2, count: n ?? 400, classes: classes ?? 2, seed: seed)
        }
    }
}
