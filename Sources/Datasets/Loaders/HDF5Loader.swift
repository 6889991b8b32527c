import Foundation
import CHDF5Lazy
import NeuralNet

/// Reads examples from an HDF5 file (libhdf5, loaded on first use), as the cat vs non-cat files
/// store them.
///
/// The image dataset is (m, …) in C order; each example's values are contiguous, so the
/// buffer read is already X (features, m) in column-major order — the same flattening as
/// NumPy's `x.reshape(m, -1).T`. Unsigned bytes (the cat files' pixels) are kept as bytes until a
/// run's precision is known (`DeferredFeatures`); any other numeric type is converted to `Double` by HDF5.
public enum HDF5Loader {
    /// The cat files' dataset names for a split ("train" or "test").
    public static func defaultKeys(split: String) -> (x: String, y: String, classes: String) {
        ("\(split)_set_x", "\(split)_set_y", "list_classes")
    }

    /// Loads features `xKey`, labels `yKey` and (when present) class names `classesKey`.
    /// - Throws: `DatasetError.corrupt` naming the file for an unreadable file, a missing
    ///   dataset, a non-numeric dataset, or a label count that does not match.
    public static func load(path: String, xKey: String, yKey: String, classesKey: String?) throws -> Dataset {
        let file = try openFile(path)
        defer { ns_h5_file_close(file) }
        let (count, features, x) = try readExamples(file: file, path: path, key: xKey)
        let (yShape, yValues) = try readNumbers(file: file, path: path, key: yKey)
        guard yValues.count == count else {
            throw DatasetError.corrupt(file: path, problem:
                "dataset '\(yKey)' has \(yValues.count) labels (shape \(yShape)); expected \(count), one per example of '\(xKey)'")
        }
        var labels = [Int32](repeating: 0, count: count)
        for (index, value) in yValues.enumerated() {
            guard value == value.rounded(), value >= 0, value <= Double(maximumClassNumber) else {
                throw DatasetError.corrupt(file: path, problem:
                    "label \(index) in '\(yKey)' must be a whole number in 0...\(maximumClassNumber); found \(value)")
            }
            labels[index] = Int32(value)
        }
        let classCount = Int(labels.max() ?? 0) + 1
        var names = (0..<max(classCount, 2)).map { "class \($0)" }
        if let classesKey, ns_h5_link_exists(file, classesKey) > 0 {
            let stored = try readStrings(file: file, path: path, key: classesKey)
            guard stored.count >= classCount else {
                throw DatasetError.corrupt(file: path, problem:
                    "'\(classesKey)' names \(stored.count) classes but labels go up to \(classCount - 1)")
            }
            names = stored
        }
        return try dataset(x, features: features, count: count, labels: labels, classNames: names)
    }

    /// Loads features `xKey` only (new data for `runner predict`): the labels are all 0 and mean
    /// nothing; the class names are `classNames`.
    public static func loadUnlabelled(path: String, xKey: String, classNames: [String]) throws -> Dataset {
        let file = try openFile(path)
        defer { ns_h5_file_close(file) }
        let (count, features, x) = try readExamples(file: file, path: path, key: xKey)
        return try dataset(x, features: features, count: count, labels: [Int32](repeating: 0, count: count), classNames: classNames)
    }

    /// Whether the file has a link named `key`.
    public static func contains(path: String, key: String) throws -> Bool {
        let file = try openFile(path)
        defer { ns_h5_file_close(file) }
        return ns_h5_link_exists(file, key) > 0
    }

    private static func openFile(_ path: String) throws -> ns_hid_t {
        var reason = [CChar](repeating: 0, count: 512)
        guard ns_h5_load(&reason, reason.count) == 0 else {
            throw DatasetError.corrupt(file: path, problem: String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        guard ns_h5_is_hdf5(path) > 0 else {
            throw DatasetError.corrupt(file: path, problem: "not an HDF5 file")
        }
        let file = ns_h5_open_readonly(path)
        guard file >= 0 else { throw DatasetError.corrupt(file: path, problem: "cannot open the HDF5 file") }
        return file
    }

    /// The examples of dataset `key`: their count, features per example and values.
    private static func readExamples(file: ns_hid_t, path: String, key: String) throws -> (count: Int, features: Int, values: Values) {
        let (shape, x) = try readFeatures(file: file, path: path, key: key)
        guard let count = shape.first, count > 0 else {
            throw DatasetError.corrupt(file: path, problem: "dataset '\(key)' has no examples (shape \(shape))")
        }
        let features = x.count / count
        // A NaN or infinite pixel would surface only as a run that "diverged at 0".
        if case .numbers(let values) = x, let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw DatasetError.corrupt(file: path, problem:
                "dataset '\(key)' has a non-finite value (\(values[bad])) at example \(bad / max(features, 1)), feature \(bad % max(features, 1))")
        }
        return (count, features, x)
    }

    private static func dataset(_ x: Values, features: Int, count: Int, labels: [Int32], classNames: [String]) throws -> Dataset {
        switch x {
        case .bytes(let bytes):
            return try Dataset(pixels: bytes, rows: features, labels: labels, classNames: classNames)
        case .numbers(let values):
            return try Dataset(features: Matrix(rows: features, columns: count, columnMajor: values), labels: labels, classNames: classNames)
        }
    }

    /// A feature dataset's values: unsigned bytes as they are, anything else as float64.
    private enum Values {
        case bytes([UInt8])
        case numbers([Double])

        var count: Int {
            switch self {
            case .bytes(let bytes): return bytes.count
            case .numbers(let numbers): return numbers.count
            }
        }
    }

    private static func readFeatures(file: ns_hid_t, path: String, key: String) throws -> ([Int], Values) {
        let dataset = try open(file: file, path: path, key: key)
        let type = ns_h5_dataset_type(dataset)
        let isBytes = ns_h5_type_class(type) == NS_H5T_INTEGER && ns_h5_type_size(type) == 1 && ns_h5_type_is_unsigned(type) == 1
        ns_h5_type_close(type)
        guard isBytes else {
            ns_h5_dataset_close(dataset)
            let (shape, values) = try readNumbers(file: file, path: path, key: key)
            return (shape, .numbers(values))
        }
        defer { ns_h5_dataset_close(dataset) }
        let shape = try extent(dataset: dataset, path: path, key: key)
        let count = try checkedCount(shape, path: path, key: key)
        var bytes = [UInt8](repeating: 0, count: count)
        let status = bytes.withUnsafeMutableBufferPointer { ns_h5_read_bytes(dataset, $0.baseAddress) }
        guard status >= 0 else { throw DatasetError.corrupt(file: path, problem: "cannot read dataset '\(key)' (truncated or corrupt)") }
        return (shape, .bytes(bytes))
    }

    private static func open(file: ns_hid_t, path: String, key: String) throws -> ns_hid_t {
        guard ns_h5_link_exists(file, key) > 0 else {
            throw DatasetError.corrupt(file: path, problem: "no dataset named '\(key)'" + available(file: file))
        }
        let dataset = ns_h5_dataset_open(file, key)
        guard dataset >= 0 else { throw DatasetError.corrupt(file: path, problem: "'\(key)' is not a dataset") }
        return dataset
    }

    /// The shape and values of a numeric dataset, converted to Double.
    private static func readNumbers(file: ns_hid_t, path: String, key: String) throws -> ([Int], [Double]) {
        let dataset = try open(file: file, path: path, key: key)
        defer { ns_h5_dataset_close(dataset) }
        let type = ns_h5_dataset_type(dataset)
        defer { ns_h5_type_close(type) }
        let typeClass = ns_h5_type_class(type)
        guard typeClass == NS_H5T_INTEGER || typeClass == NS_H5T_FLOAT else {
            throw DatasetError.corrupt(file: path, problem: "dataset '\(key)' is not numeric")
        }
        let shape = try extent(dataset: dataset, path: path, key: key)
        let count = try checkedCount(shape, path: path, key: key)
        var values = [Double](repeating: 0, count: count)
        let status = values.withUnsafeMutableBufferPointer { ns_h5_read_doubles(dataset, $0.baseAddress) }
        guard status >= 0 else { throw DatasetError.corrupt(file: path, problem: "cannot read dataset '\(key)' (truncated or corrupt)") }
        return (shape, values)
    }

    /// Fixed-length strings (NumPy's `|S7`), trailing NULs removed.
    private static func readStrings(file: ns_hid_t, path: String, key: String) throws -> [String] {
        let dataset = try open(file: file, path: path, key: key)
        defer { ns_h5_dataset_close(dataset) }
        let type = ns_h5_dataset_type(dataset)
        defer { ns_h5_type_close(type) }
        guard ns_h5_type_class(type) == NS_H5T_STRING, ns_h5_type_is_variable_string(type) == 0 else {
            throw DatasetError.corrupt(file: path, problem: "'\(key)' is not a fixed-length string dataset")
        }
        let width = ns_h5_type_size(type)
        let count = try checkedCount(try extent(dataset: dataset, path: path, key: key), path: path, key: key)
        guard count.multipliedReportingOverflow(by: max(width, 1)).partialValue <= 1 << 30 else {
            throw DatasetError.corrupt(file: path, problem: "'\(key)' claims \(count) strings of \(width) bytes: more than 1 GiB")
        }
        var bytes = [UInt8](repeating: 0, count: count * width)
        let status = bytes.withUnsafeMutableBytes { ns_h5_read_as(dataset, type, $0.baseAddress) }
        guard status >= 0 else { throw DatasetError.corrupt(file: path, problem: "cannot read '\(key)'") }
        return (0..<count).map { index in
            let slice = bytes[(index * width)..<((index + 1) * width)].prefix { $0 != 0 }
            return String(decoding: slice, as: UTF8.self)
        }
    }

    /// The number of values a shape holds, refused when it overflows or is implausible for the
    /// file's size (more than 1024 values per byte of file, and over 2^27 values): a header that
    /// claims terabytes is a corrupt file, not a reason to allocate them.
    private static func checkedCount(_ shape: [Int], path: String, key: String) throws -> Int {
        guard let count = shape.checkedProduct else {
            throw DatasetError.corrupt(file: path, problem: "dataset '\(key)' has shape \(shape): more than 2^63 values")
        }
        let fileSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if count > 1 << 27, count / 1024 > fileSize {
            throw DatasetError.corrupt(file: path, problem:
                "dataset '\(key)' claims shape \(shape) (\(count) values) but the file has only \(fileSize) bytes")
        }
        return count
    }

    private static func extent(dataset: ns_hid_t, path: String, key: String) throws -> [Int] {
        let space = ns_h5_dataset_space(dataset)
        defer { ns_h5_space_close(space) }
        let rank = Int(ns_h5_space_rank(space))
        guard rank >= 1 else { throw DatasetError.corrupt(file: path, problem: "dataset '\(key)' is a scalar") }
        guard rank <= 32 else { throw DatasetError.corrupt(file: path, problem: "dataset '\(key)' has rank \(rank)") }
        var dims = [ns_hsize_t](repeating: 0, count: rank)
        guard ns_h5_space_dims(space, &dims) == rank else {
            throw DatasetError.corrupt(file: path, problem: "cannot read the shape of dataset '\(key)'")
        }
        return try dims.map { dimension in
            guard let size = Int(exactly: dimension) else {
                throw DatasetError.corrupt(file: path, problem: "dataset '\(key)' claims a dimension of \(dimension)")
            }
            return size
        }
    }

    private static func available(file: ns_hid_t) -> String {
        var names: [String] = []
        let collector: ns_h5_name_callback = { _, name, _, context in
            guard let name, let context else { return 0 }
            context.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name))
            return 0
        }
        withUnsafeMutablePointer(to: &names) { pointer in
            _ = ns_h5_iterate_names(file, collector, UnsafeMutableRawPointer(pointer))
        }
        return names.isEmpty ? "" : "; the file has " + names.map { "'\($0)'" }.joined(separator: ", ")
    }
}
