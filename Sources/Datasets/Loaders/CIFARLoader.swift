import Foundation
import NeuralNet

/// Reads CIFAR-10 binary batches: records of 1 label byte and 3072 pixel bytes (1024 red,
/// 1024 green, 1024 blue, each plane 32×32 row-major).
///
/// Pixels are reordered to height × width × channel, the order cs231n's loader produces
/// (`reshape(N, 3, 32, 32).transpose(0, 2, 3, 1)`, then flattened), so feature k of an image
/// is channel k mod 3 of pixel k / 3.
public enum CIFARLoader {
    static let recordSize = 3073
    static let planeSize = 1024

    /// The ten CIFAR-10 class names, in label order.
    public static let defaultClassNames = ["airplane", "automobile", "bird", "cat", "deer",
                                           "dog", "frog", "horse", "ship", "truck"]

    /// Loads one batch file; `classNames` defaults to `batches.meta.txt` beside it, then to
    /// the standard ten names.
    /// - Throws: `DatasetError.corrupt` naming the file when its size is not a multiple of
    ///   3073 bytes or a label is above 9 (or beyond the class names).
    public static func load(path: String, classNames: [String]? = nil) throws -> Dataset {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DatasetError.corrupt(file: path, problem: "cannot read the file")
        }
        guard !data.isEmpty, data.count % recordSize == 0 else {
            throw DatasetError.corrupt(file: path, problem:
                "size \(data.count) bytes is not a positive multiple of \(recordSize) (1 label byte + 3072 pixels per image)")
        }
        let names = classNames ?? metaClassNames(besides: path) ?? defaultClassNames
        let count = data.count / recordSize
        var values = [UInt8](repeating: 0, count: count * 3 * planeSize)
        var labels = [Int32](repeating: 0, count: count)
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            for image in 0..<count {
                let record = image * recordSize
                let label = Int(bytes[record])
                guard label < names.count else {
                    throw DatasetError.corrupt(file: path, problem:
                        "image \(image) has label \(label); expected 0..<\(names.count)")
                }
                labels[image] = Int32(label)
                let column = image * 3 * planeSize
                for pixel in 0..<planeSize {
                    for channel in 0..<3 {
                        values[column + pixel * 3 + channel] = bytes[record + 1 + channel * planeSize + pixel]
                    }
                }
            }
        }
        return try Dataset(pixels: values, rows: 3 * planeSize, labels: labels, classNames: names)
    }

    /// Class names from `batches.meta.txt` in the file's folder, one per line.
    static func metaClassNames(besides path: String) -> [String]? {
        let meta = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("batches.meta.txt")
        guard let text = try? String(contentsOf: meta, encoding: .utf8) else { return nil }
        let names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return names.isEmpty ? nil : names
    }
}
