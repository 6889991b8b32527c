import NeuralNet

/// Features held in a compact form, with the scaling and standardisation declared for them
/// still to apply, made in a precision only when a run needs them: images as their unsigned
/// bytes (1 byte a value instead of 8), the benchmark's uniform data as their generator's state.
/// MNIST's 47 million pixels never exist as float64 in a float32 sweep.
///
/// A value is made in float64 exactly as the steps would have made it on float64 numbers
/// (`Double(byte)` or the uniform draw, then `/ divisor`, then `(v − mean) / deviation`, or
/// `v − mean` where the deviation is 0), then rounded once to the precision asked for: the
/// features, their statistics and the dataset's fingerprint are bit for bit those of the float64 path.
public struct DeferredFeatures: Sendable {
    /// Where the values come from.
    enum Source: Sendable {
        /// One example after another, `rows` bytes each.
        case bytes([UInt8])
        /// `np.random.rand(rows, columns)`: the generator as it stood at the start of each row
        /// (each row's draws are one run of the stream; an example takes one draw from each).
        case uniform(rowStarts: [NumpyRandom])
    }

    private(set) var source: Source
    /// Features per example, n_0 (≥ 1).
    let rows: Int
    /// Examples, m.
    private(set) var columns: Int
    /// `scale:`, pending.
    private(set) var divisor: Double?
    /// `standardize:` or `center:` (deviation 0), pending; one entry per feature.
    private(set) var mean: [Double]?
    private(set) var deviation: [Double]?

    init(bytes: [UInt8], rows: Int) {
        source = .bytes(bytes)
        self.rows = rows
        columns = bytes.count / rows
    }

    /// The uniform draws of a generator seeded as `random` is, `rows × columns` of them drawn
    /// row by row; `random` is left after the last draw.
    init(uniformRows rows: Int, columns: Int, random: inout NumpyRandom) {
        var starts: [NumpyRandom] = []
        starts.reserveCapacity(rows)
        for _ in 0..<rows {
            starts.append(random)
            random.skip(2 * columns)   // a uniform draw takes two words
        }
        source = .uniform(rowStarts: starts)
        self.rows = rows
        self.columns = columns
    }

    /// Whether `scaled(by:)` can still be held pending (scaling comes before standardising).
    var canScale: Bool { divisor == nil && mean == nil }
    /// Whether `standardized` can still be held pending.
    var canStandardize: Bool { mean == nil }

    func scaled(by divisor: Double) -> DeferredFeatures {
        var result = self
        result.divisor = divisor
        return result
    }

    func standardized(mean: [Double], deviation: [Double]) -> DeferredFeatures {
        var result = self
        result.mean = mean
        result.deviation = deviation
        return result
    }

    /// The examples at `indices` (nil when the source cannot be selected from: uniform draws).
    func selecting(_ indices: [Int]) -> DeferredFeatures? {
        guard case .bytes(let bytes) = source else { return nil }
        var selected: [UInt8] = []
        selected.reserveCapacity(rows * indices.count)
        for index in indices { selected.append(contentsOf: bytes[(index * rows)..<((index + 1) * rows)]) }
        var result = self
        result.source = .bytes(selected)
        result.columns = indices.count
        return result
    }

    /// Applies the pending steps to `column`'s raw values.
    @inline(__always)
    private func finish(_ column: UnsafeMutableBufferPointer<Double>) {
        if let divisor {
            for i in 0..<rows { column[i] = column[i] / divisor }
        }
        if let mean, let deviation {
            for i in 0..<rows {
                column[i] = deviation[i] > 0 ? (column[i] - mean[i]) / deviation[i] : column[i] - mean[i]
            }
        }
    }

    /// Examples drawn together from uniform rows: 256 columns keep the block under 8 MiB for
    /// 3 072 features while each row's generator is touched once per 512 words.
    private static let blockColumns = 256

    /// Calls `body` with each example's float64 values in turn, in order (reused buffers).
    func forEachColumn(_ body: (Int, UnsafeBufferPointer<Double>) -> Void) {
        var column = [Double](repeating: 0, count: rows)
        column.withUnsafeMutableBufferPointer { column in
            switch source {
            case .bytes(let bytes):
                bytes.withUnsafeBufferPointer { bytes in
                    for j in 0..<columns {
                        for i in 0..<rows { column[i] = Double(bytes[j * rows + i]) }
                        finish(column)
                        body(j, UnsafeBufferPointer(column))
                    }
                }
            case .uniform(var generators):
                let width = Self.blockColumns
                var block = [Double](repeating: 0, count: rows * min(width, columns))
                for start in stride(from: 0, to: columns, by: width) {
                    let count = min(width, columns - start)
                    for i in 0..<rows {
                        for k in 0..<count { block[k * rows + i] = generators[i].uniform() }
                    }
                    for k in 0..<count {
                        for i in 0..<rows { column[i] = block[k * rows + i] }
                        finish(column)
                        body(start + k, UnsafeBufferPointer(column))
                    }
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
        var storage = [Scalar](repeating: 0, count: rows * columns)
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
    /// A compact source (image bytes, uniform draws) with its preprocessing pending.
    case deferred(DeferredFeatures)
}
