import CZlib
import NeuralNet

/// Reads MNIST-style IDX files, gzipped or not (zlib's `gzread` passes plain files through).
///
/// Layout (big-endian): two zero bytes, a type byte (0x08 = unsigned byte), the number of
/// dimensions, each dimension as a 32-bit integer, then the values in C order. Images
/// (magic 0x00000803: count, rows, columns) become X (rows·columns, count), each image's
/// pixels row-major in its column; labels (magic 0x00000801: count) become labels.
public enum IDXLoader {
    /// Loads an image file and its label file.
    /// - Throws: `DatasetError.corrupt` naming the file for a wrong magic number, a truncated
    ///   file, or counts that disagree.
    public static func load(images imagePath: String, labels labelPath: String, classNames: [String]? = nil) throws -> Dataset {
        let (imageDims, pixels) = try read(path: imagePath, expectedRank: 3, what: "image")
        let (labelDims, rawLabels) = try read(path: labelPath, expectedRank: 1, what: "label")
        guard imageDims[0] == labelDims[0] else {
            throw DatasetError.corrupt(file: labelPath, problem:
                "has \(labelDims[0]) labels but '\(imagePath)' has \(imageDims[0]) images")
        }
        let features = imageDims[1] * imageDims[2]
        let labels = rawLabels.map { Int32($0) }
        let classCount = max(Int(labels.max() ?? 0) + 1, classNames?.count ?? 0, 2)
        let names = classNames ?? (0..<classCount).map(String.init)
        guard names.count >= classCount else {
            throw DatasetError.corrupt(file: labelPath, problem: "labels go up to \(classCount - 1) but only \(names.count) class names are given")
        }
        return try Dataset(pixels: pixels, rows: features, labels: labels, classNames: names)
    }

    /// The dimensions and unsigned-byte values of one IDX file.
    /// - Throws: `DatasetError.corrupt` for a wrong magic number, type or rank, dimensions whose
    ///   product overflows, a truncated body or data after it.
    public static func read(path: String, expectedRank: Int, what: String) throws -> ([Int], [UInt8]) {
        guard let file = gzopen(path, "rb") else {
            throw DatasetError.corrupt(file: path, problem: "cannot open the \(what) file")
        }
        defer { gzclose(file) }
        let header = try readBytes(file, count: 4, path: path, what: "the IDX header")
        guard header[0] == 0, header[1] == 0 else {
            let found = header.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            throw DatasetError.corrupt(file: path, problem:
                "wrong IDX magic number 0x\(found); expected 0x0000080\(expectedRank == 3 ? 3 : 1) (\(what)s)")
        }
        guard header[2] == 0x08 else {
            throw DatasetError.corrupt(file: path, problem: "IDX value type 0x\(String(header[2], radix: 16)) is not supported; expected 0x08 (unsigned byte)")
        }
        guard Int(header[3]) == expectedRank else {
            throw DatasetError.corrupt(file: path, problem: "has \(header[3]) dimension\(header[3] == 1 ? "" : "s"); expected \(expectedRank) for \(what == "image" ? "an image" : "a label") file"
                                       + (expectedRank == 3 && header[3] == 1 ? " (a label file goes to --labels or *_labels)" : ""))
        }
        let dimensionBytes = try readBytes(file, count: 4 * expectedRank, path: path, what: "the IDX dimensions")
        let dims = (0..<expectedRank).map { index in
            dimensionBytes[(index * 4)..<(index * 4 + 4)].reduce(0) { $0 << 8 | Int($1) }
        }
        // The header's product may be anything up to 2^96: checked, then read in bounded chunks
        // so that a header claiming more than the file holds fails as truncated, having
        // allocated no more than the file's real (decompressed) length.
        guard let count = dims.checkedProduct else {
            throw DatasetError.corrupt(file: path, problem: "the header's dimensions \(dims) describe more than 2^63 values")
        }
        let values = try readBytes(file, count: count, path: path, what: "\(count) values (dimensions \(dims))")
        var extra: UInt8 = 0
        if gzread(file, &extra, 1) == 1 {
            throw DatasetError.corrupt(file: path, problem:
                "has data after its \(count) values (dimensions \(dims)): the header's dimensions do not match the file")
        }
        return (dims, values)
    }

    /// Reads exactly `count` bytes in chunks that start at 64 KiB and double with what has been
    /// read, so memory stays within twice the file's real (decompressed) length whatever the
    /// header claims.
    private static func readBytes(_ file: gzFile, count: Int, path: String, what: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8]()
        while bytes.count < count {
            let size = min(count - bytes.count, max(1 << 16, min(bytes.count, 1 << 30)))
            if chunk.count < size { chunk = [UInt8](repeating: 0, count: size) }
            let read = chunk.withUnsafeMutableBytes { buffer -> Int32 in
                guard let base = buffer.baseAddress else { return -1 }
                return gzread(file, base, UInt32(size))
            }
            if read < 0 { throw DatasetError.corrupt(file: path, problem: "corrupt gzip data") }
            if read == 0 {
                throw DatasetError.corrupt(file: path, problem: "truncated: expected \(what), file ended after \(bytes.count) bytes")
            }
            bytes.append(contentsOf: chunk[..<Int(read)])
        }
        return bytes
    }
}
