import Datasets
import Foundation
import NeuralNet

/// A dataset resolved from its configuration, in the precisions its runs need, shared read-only
/// by every run that uses it.
public struct PreparedData: Sendable {
    /// Labels, class names and source of both splits, and their float64 features unless no run
    /// needs them (`hasDoubleFeatures`; a float32-only sweep keeps just `singlePrecision`, so
    /// that the data are not held twice). Shapes: `trainExamples`, `featureCount`.
    public private(set) var splits: DataSplits
    /// `train.features` and `test.features` in Float, made once when a float32 run needs them.
    public private(set) var singlePrecision: (train: Matrix<Float>, test: Matrix<Float>?)?
    /// Whether `splits` still holds the float64 features.
    public private(set) var hasDoubleFeatures: Bool
    /// The content hash folded into run ids.
    public let fingerprint: String
    /// m of the training split.
    public let trainExamples: Int
    /// n_0.
    public let featureCount: Int
    /// "generator planar: train (2, 400), 2 classes; no test split", for `runner plan`.
    public let summary: String

    /// Bytes the features occupy in every precision kept (labels are negligible beside them).
    public var bytes: Double {
        // The test split's count from the float32 copy when the float64 features were released.
        let testExamples = singlePrecision?.test?.columns ?? splits.test?.exampleCount ?? 0
        let values = Double(featureCount) * Double(trainExamples + testExamples)
        return values * ((hasDoubleFeatures ? 8 : 0) + (singlePrecision == nil ? 0 : 4))
    }

    /// - Parameter compact: keep deferred features as they are (made in float64 each time
    ///   `features` is read): for `runner predict`, which reads one split once.
    init(splits: DataSplits, keepDouble: Bool, makeSingle: Bool, compact: Bool = false) {
        var kept = splits
        if compact {
        } else if keepDouble || !makeSingle {
            // Made once, before the fingerprint and the float32 copy read them (a deferred source is not read twice).
            kept.train.materialize()
            kept.test?.materialize()
        }
        // Each run converts the validation split to its precision (`ValidationMonitor`).
        if !compact { kept.validation?.materialize() }
        fingerprint = kept.fingerprint
        trainExamples = splits.train.exampleCount
        featureCount = splits.train.featureCount
        summary = "\(splits.source): train \(splits.train.shapeDescription)"
            + (splits.test.map { "; test \($0.shapeDescription)" } ?? "; no test split")
        // Deferred features (image bytes, uniform draws) are made in each precision straight
        // from their source: a float32 sweep never holds a float64 copy.
        singlePrecision = makeSingle
            ? (kept.train.features(as: Float.self), kept.test?.features(as: Float.self)) : nil
        if !keepDouble && makeSingle {
            // Released: every run of the sweep reads `singlePrecision`.
            kept.train.releaseFeatures()
            kept.test?.releaseFeatures()
        }
        self.splits = kept
        hasDoubleFeatures = keepDouble || !makeSingle
    }
}

/// Turns `dataset:` sections into data: an embedded generator or files found by a `DataLocator`,
/// then the declared preprocessing.
public struct DataSource: Sendable {
    public var locator: DataLocator

    public init(locator: DataLocator) {
        self.locator = locator
    }

    /// Loads (or generates) and preprocesses one dataset, keeping the precisions asked for.
    /// - Throws: `DatasetError` naming the file and what was wrong.
    /// The bytes `load` will keep for `config`, when known before loading: a generator's
    /// examples × features in the precisions asked for (files: nil; they are counted once read).
    public func estimatedBytes(_ config: DatasetConfig, double: Bool, single: Bool) -> Double? {
        config.makeGenerator().map { $0.valueCount * ((double ? 8 : 0) + (single ? 4 : 0)) }
    }

    /// - Parameter compact: image bytes and uniform draws stay compact (`PreparedData.init`).
    public func load(_ config: DatasetConfig, double: Bool = true, single: Bool = false, compact: Bool = false) throws -> PreparedData {
        let (raw, source) = try rawSplits(config)
        let result = try Self.preprocessing(config).apply(raw)
        return PreparedData(splits: DataSplits(train: result.train, test: result.test, validation: result.validation, source: source),
                            keepDouble: double, makeSingle: single, compact: compact)
    }

    static func preprocessing(_ config: DatasetConfig) -> Preprocessing {
        var preprocessing = Preprocessing(
            keepClasses: config.keepClasses, takeTrain: config.takeTrain, takeTest: config.takeTest,
            testFraction: config.testFraction, validationFraction: config.validationFraction,
            splitSeed: config.splitSeed ?? 0, scale: config.scale, standardize: config.standardize ?? false)
        preprocessing.center = config.center ?? false
        return preprocessing
    }

    /// New data for a trained network (`runner predict --data`).
    public enum NewData: Sendable {
        /// A file read with the run's file options (format, keys, label column, class names);
        /// `labels` is the label file of an IDX image file.
        case file(name: String, labels: String?)
        /// A generator's recipe (a `dataset:` mapping with `generator:`).
        case generated(DatasetConfig)
    }

    /// The run's data as it was trained on, and `new` read and preprocessed as its test split
    /// is (the same classes kept, the same scale, the training split's statistics). `labelled`
    /// is false for a file without labels (an IDX image file without --labels, an HDF5 file
    /// without the labels' dataset, a CSV file without the label column): its labels are all 0
    /// and mean nothing.
    /// - Throws: `DatasetError` naming the file and what was wrong.
    public func load(_ config: DatasetConfig, with new: NewData) throws -> (prepared: PreparedData, new: Dataset, labelled: Bool) {
        var (raw, source) = try rawSplits(config)
        let train = raw.train
        var labelled = true
        switch new {
        case .generated(let recipe):
            guard let generator = recipe.makeGenerator() else {
                throw DatasetError.badOption(name: "--data", expected: "a generator's recipe", found: "no 'generator'")
            }
            raw.other = try generator.make()
        case let .file(name, labels):
            let format = try config.format ?? Self.format(of: name)
            if config.format == nil, let training = config.train, let trained = try? Self.format(of: training), trained != format {
                func described(_ format: DatasetConfig.Format) -> String {
                    (["idx", "hdf5"].contains(format.rawValue) ? "an " : "a ") + format.rawValue + " file"
                }
                throw DatasetError.badOption(name: "--data", expected: "\(described(trained)), as the run was trained on ('\(training)')",
                                             found: "'\(name)', \(described(format))")
            }
            if let labels, format != .idx {
                throw DatasetError.badOption(name: "--labels", expected: "only with an IDX image file (\(format.rawValue) files carry their labels)",
                                             found: "'\(labels)' with '\(name)'")
            }
            if format == .csv, let training = config.train, !(try Self.lacksLabelColumn(config: config, new: name, locator: locator)) {
                // Before the loader, which would only say the label column is missing.
                try Self.checkSameColumns(format: format, training: training, new: name, locator: locator)
            }
            switch format {
            case .idx where labels == nil:
                let path = try locator.locate(name, what: "the --data images (IDX)")
                let (dimensions, pixels) = try IDXLoader.read(path: path, expectedRank: 3, what: "image")
                do {
                    raw.other = try Dataset(pixels: pixels, rows: dimensions[1] * dimensions[2],
                                            labels: [Int32](repeating: 0, count: dimensions[0]), classNames: train.classNames)
                } catch DatasetError.invalid(let problem) {
                    throw DatasetError.corrupt(file: path, problem: problem)
                }
                labelled = false
            case .csv where try Self.lacksLabelColumn(config: config, new: name, locator: locator):
                let path = try locator.locate(name, what: "the --data table (CSV)")
                raw.other = try CSVLoader.load(path: path, classes: .named(train.classNames), unlabelled: true)
                labelled = false
            case .hdf5:
                let path = try locator.locate(name, what: "the --data set (HDF5)")
                // A split of the tutorial's files, or a learner's own: test_set_x, then train_set_x
                // (with their labels when the file has them).
                let candidates = config.xKey.map { [(x: $0, y: config.yKey ?? HDF5Loader.defaultKeys(split: "train").y)] }
                    ?? ["test", "train"].map { (x: HDF5Loader.defaultKeys(split: $0).x, y: HDF5Loader.defaultKeys(split: $0).y) }
                let keys = try candidates.first { try HDF5Loader.contains(path: path, key: $0.x) }
                if let keys, try !HDF5Loader.contains(path: path, key: keys.y) {
                    raw.other = try HDF5Loader.loadUnlabelled(path: path, xKey: keys.x, classNames: train.classNames)
                    labelled = false
                } else {
                    // Neither key present: the error names the test split's keys and what the file has.
                    let split = config.xKey == nil && keys?.x == HDF5Loader.defaultKeys(split: "train").x ? "train"
                        : config.xKey == nil ? "test" : "train"
                    raw.other = try loadFile(name, labels: labels, split: split, format: format, config: config, trainClasses: train.classNames)
                }
            default:
                raw.other = try loadFile(name, labels: labels, split: "--data", format: format, config: config, trainClasses: train.classNames)
            }
        }
        if case let .file(name, _) = new, labelled, let format = try? config.format ?? Self.format(of: name), let trainName = config.train {
            try Self.checkSameColumns(format: format, training: trainName, new: name, locator: locator)
            // Files that name their classes (HDF5 list_classes, a class_names file) must name the training data's.
            if let other = raw.other, format == .hdf5, other.classNames != train.classNames,
               !other.classNames.allSatisfy({ Int($0) != nil }) {
                throw DatasetError.badOption(name: "--data", expected: "the training data's classes ("
                                             + train.classNames.joined(separator: ", ") + ")",
                                             found: other.classNames.joined(separator: ", ") + " in \(name)")
            }
        }
        guard let other = raw.other, other.featureCount == train.featureCount else {
            throw DatasetError.badOption(name: "--data", expected: "\(train.featureCount) features per example, as the training data have",
                                         found: raw.other.map { "\($0.featureCount) (\($0.exampleCount) example\($0.exampleCount == 1 ? "" : "s"))" } ?? "nothing")
        }
        raw.otherIsLabelled = labelled
        let result = try Self.preprocessing(config).apply(raw)
        let classes = result.train.classNames.count
        if labelled, let outside = (result.other ?? other).labels.firstIndex(where: { $0 < 0 || Int($0) >= classes }) {
            throw DatasetError.badOption(name: "--data", expected: "labels of the training data's \(classes) classes (0...\(classes - 1))",
                                         found: "label \((result.other ?? other).labels[outside]) at example \(outside)")
        }
        return (PreparedData(splits: DataSplits(train: result.train, test: result.test, validation: result.validation, source: source),
                             keepDouble: true, makeSingle: false, compact: true), result.other ?? other, labelled)
    }

    /// Whether a CSV given to `--data` has the training file's columns but its label column:
    /// new examples without labels. (Any other header is refused by `checkSameColumns`.)
    static func lacksLabelColumn(config: DatasetConfig, new: String, locator: DataLocator) throws -> Bool {
        guard let training = config.train, let trained = try header(of: training, locator: locator),
              let given = try header(of: new, locator: locator) else { return false }
        // The label column is found as the loader finds it (by its exact name); the rest compare trimmed.
        var columns = CSVLoader.headerFields(trained)
        guard !columns.isEmpty else { return false }
        if let labelColumn = config.labelColumn {
            guard let index = columns.firstIndex(of: labelColumn) else { return false }
            columns.remove(at: index)
        } else {
            columns.removeLast()
        }
        let trim = { (names: [String]) in names.map { $0.trimmingCharacters(in: .whitespaces) } }
        return trim(CSVLoader.headerFields(given)) == trim(columns)
    }

    /// A CSV file's first line (however long: read until its end), spaces around it and a
    /// byte-order mark before it removed.
    static func header(of name: String, locator: DataLocator) throws -> String? {
        let path = try locator.locate(name, what: "the CSV file")
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var start = Data()
        while !start.contains(UInt8(ascii: "\n")), let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            start.append(chunk)
        }
        var text = String(decoding: start, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).first
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// A CSV given to `--data` must have the training file's header: the loader reads columns by
    /// position, so swapped or other columns would be predicted on silently.
    static func checkSameColumns(format: DatasetConfig.Format, training: String, new: String, locator: DataLocator) throws {
        guard format == .csv else { return }
        guard let trained = try header(of: training, locator: locator), let given = try header(of: new, locator: locator),
              trained != given else { return }
        throw DatasetError.badOption(name: "--data", expected: "the training file's columns (\(trained)), or those without the label column",
                                     found: "\(given) in \(new)")
    }

    private func rawSplits(_ config: DatasetConfig) throws -> (Preprocessing.Prepared, String) {
        if let generator = config.makeGenerator() {
            return (Preprocessing.Prepared(train: try generator.make(), test: nil), "generator \(generator.name)")
        }
        guard let trainName = config.train else {
            throw DatasetError.badOption(name: "dataset", expected: "a 'generator' or a 'train' file", found: "neither")
        }
        let format = try config.format ?? Self.format(of: trainName)
        let train = try loadFile(trainName, labels: config.trainLabels, split: "train", format: format, config: config)
        let test = try config.test.map {
            try loadFile($0, labels: config.testLabels, split: "test", format: format, config: config, trainClasses: train.classNames)
        }
        // HDF5 validation files take the test file's default keys (test_set_x, test_set_y).
        let validation = try config.validation.map {
            try loadFile($0, labels: config.validationLabels, split: format == .hdf5 && config.xKey == nil ? "test" : "validation",
                         format: format, config: config, trainClasses: train.classNames)
        }
        for (split, dataset, file) in [("test", test, config.test), ("validation", validation, config.validation)] {
            guard let dataset, let file, dataset.featureCount != train.featureCount else { continue }
            throw DatasetError.corrupt(file: file, problem: "the \(split) file has \(dataset.featureCount) features per example; "
                                       + "the training file '\(trainName)' has \(train.featureCount)")
        }
        return (Preprocessing.Prepared(train: train, test: test, validation: validation), trainName)
    }

    private func loadFile(_ name: String, labels: String?, split: String, format: DatasetConfig.Format,
                          config: DatasetConfig, trainClasses: [String]? = nil) throws -> Dataset {
        switch format {
        case .hdf5:
            let path = try locator.locate(name, what: "the \(split) set (HDF5)")
            let keys = HDF5Loader.defaultKeys(split: split)
            return try HDF5Loader.load(path: path, xKey: config.xKey ?? keys.x, yKey: config.yKey ?? keys.y,
                                       classesKey: config.classesKey ?? keys.classes)
        case .idx:
            let imagePath = try locator.locate(name, what: "the \(split) images (IDX)")
            guard let labels else {
                throw DatasetError.badOption(name: split == "--data" ? "--labels" : "\(split)_labels",
                                             expected: "the IDX label file for '\(name)'", found: "nothing")
            }
            let labelPath = try locator.locate(labels, what: "the \(split) labels (IDX)")
            return try IDXLoader.load(images: imagePath, labels: labelPath, classNames: try classNames(config))
        case .cifar:
            let path = try locator.locate(name, what: "the \(split) batch (CIFAR-10 binary)")
            return try CIFARLoader.load(path: path, classNames: try classNames(config))
        case .csv:
            let path = try locator.locate(name, what: "the \(split) table (CSV)")
            // The test file is read with the training file's classes: one mapping for both.
            let classes = trainClasses.map { names -> CSVLoader.Classes in
                names.allSatisfy({ Int($0) != nil }) && names.enumerated().allSatisfy { String($0.offset) == $0.element }
                    ? .numeric(count: names.count) : .named(names)
            }
            return try CSVLoader.load(path: path, labelColumn: config.labelColumn, classes: classes)
        }
    }

    /// Class names from the `class_names` file (one per line), if given.
    private func classNames(_ config: DatasetConfig) throws -> [String]? {
        guard let file = config.classNames else { return nil }
        let path = try locator.locate(file, what: "the class names file")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DatasetError.corrupt(file: path, problem: "cannot read the class names")
        }
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The format a file name implies.
    static func format(of name: String) throws -> DatasetConfig.Format {
        let lower = name.lowercased()
        if lower.hasSuffix(".h5") || lower.hasSuffix(".hdf5") { return .hdf5 }
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".bin") { return .cifar }
        if lower.contains("idx") || lower.hasSuffix("-ubyte") || lower.hasSuffix("-ubyte.gz") { return .idx }
        throw DatasetError.badOption(name: "format", expected: "hdf5, idx, cifar or csv (cannot tell from the name)",
                                     found: "'\(name)'")
    }
}
