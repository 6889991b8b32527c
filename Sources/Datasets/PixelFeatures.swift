import NeuralNet

/// Images held as their unsigned bytes, with the scaling and standardisation declared for them
/// still to apply: 1 byte a value instead of 8, so that MNIST's 47 million pixels never exist
/// as float64 in a float32 sweep.
///
/// A value is made in float64 exactly as the steps would have made it on float64 numbers
/// (`Double(byte)`, then `/ divisor`, then `(v − mean) / deviation`, or `v − mean` where the
/// deviation is 0), then rounded once to the precision asked for: the features, their statistics
/// and the dataset's fingerprint are bit for bit those of the float64 path.
public struct PixelFeatures: Sendable {
    /// One example after another, `rows` bytes each.
    var bytes: [UInt8]
    /// Features per example, n_0 (≥ 1).
    let rows: Int
    /// `scale:`, pending.
    private(set) var divisor: Double?
    /// `standardize:` or `center:` (deviation 0), pending; one entry per feature.
    private(set) var mean: [Double]?
    private(set) var deviation: [Double]?

    init(bytes: [UInt8], rows: Int) {
        self.bytes = bytes
        self.rows = rows
    }

    /// Number of examples.
    var columns: Int { bytes.count / rows }

    /// Whether `scaled(by:)` can still be held pending (scaling comes before standardising).
    var canScale: Bool { divisor == nil && mean == nil }
    /// Whether `standardized` can still be held pending.
    var canStandardize: Bool { mean == nil }

    func scaled(by divisor: Double) -> PixelFeatures {
        var result = self
        result.divisor = divisor
        return result
    }

    func standardized(mean: [Double], deviation: [Double]) -> PixelFeatures {
        var result = self
        result.mean = mean
        result.deviation = deviation
        return result
    }

    /// Writes example `j`'s float64 values into `column` (`rows` long).
    @inline(__always)
    private func fill(_ column: UnsafeMutableBufferPointer<Double>, example j: Int, bytes: UnsafeBufferPointer<UInt8>) {
        let start = j * rows
        for i in 0..<rows { column[i] = Double(bytes[start + i]) }
        if let divisor {
            for i in 0..<rows { column[i] = column[i] / divisor }
        }
        if let mean, let deviation {
            for i in 0..<rows {
                column[i] = deviation[i] > 0 ? (column[i] - mean[i]) / deviation[i] : column[i] - mean[i]
            }
        }
    }

    /// Calls `body` with each example's float64 values in turn (one reused buffer).
    func forEachColumn(_ body: (Int, UnsafeBufferPointer<Double>) -> Void) {
        var column = [Double](repeating: 0, count: rows)
        bytes.withUnsafeBufferPointer { bytes in
            column.withUnsafeMutableBufferPointer { column in
                for j in 0..<columns {
                    fill(column, example: j, bytes: bytes)
                    body(j, UnsafeBufferPointer(column))
                }
            }
        }
    }

    /// The features as a matrix of `Scalar`, each value rounded once from its float64 value.
    func materialized<Scalar: NetScalar>(as _: Scalar.Type) -> Matrix<Scalar> {
        // Concrete loops: the generic one went through type metadata for every value (3× slower).
        if Scalar.self == Float.self, let singles = materialized(converting: { Float($0) }) as? Matrix<Scalar> { return singles }
        let doubles = materialized(converting: { $0 })
        return doubles as? Matrix<Scalar> ?? doubles.converted(to: Scalar.self)
    }

    private func materialized<Scalar: NetScalar>(converting convert: (Double) -> Scalar) -> Matrix<Scalar> {
        var storage = [Scalar](repeating: 0, count: bytes.count)
        storage.withUnsafeMutableBufferPointer { target in
            forEachColumn { j, column in
                for i in 0..<rows { target[j * rows + i] = convert(column[i]) }
            }
        }
        // The count is rows × columns by construction.
        return (try? Matrix(rows: rows, columns: columns, columnMajor: storage)) ?? Matrix(rows: rows, columns: 0)
    }
}

/// How a `Dataset` holds its features.
public enum FeatureValues: Sendable {
    /// Float64 numbers as they are (generators, CSV, HDF5).
    case numbers(Matrix<Double>)
    /// Unsigned bytes (IDX and CIFAR images) with their preprocessing pending.
    case pixels(PixelFeatures)
}
