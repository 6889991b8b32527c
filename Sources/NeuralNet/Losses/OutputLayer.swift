/// The output layer and the loss that goes with it.
///
/// Both pairings give the textbook output delta `dZ_L = A_L − Y` (Y one-hot for softmax),
/// so the output activation's derivative is never formed separately.
public enum OutputLayer: Sendable, Hashable, CustomStringConvertible {
    /// One sigmoid unit with binary cross-entropy; labels are 0 or 1, shape (1, m).
    case sigmoid
    /// Softmax over `classes` units with cross-entropy on integer class labels.
    case softmax(classes: Int)

    /// n_L, the number of output units.
    public var unitCount: Int {
        switch self {
        case .sigmoid: return 1
        case .softmax(let classes): return classes
        }
    }

    /// How many distinct labels the loss accepts.
    public var classCount: Int {
        switch self {
        case .sigmoid: return 2
        case .softmax(let classes): return classes
        }
    }

    public var description: String {
        switch self {
        case .sigmoid: return "sigmoid"
        case .softmax: return "softmax"
        }
    }

    /// Checks every label is in the loss's range.
    /// - Throws: `NeuralNetError.labelOutOfRange` naming the first bad example.
    public func validate(labels: [Int32]) throws {
        let classes = classCount
        for (index, label) in labels.enumerated() where label < 0 || Int(label) >= classes {
            let expected = self == .sigmoid ? "0 or 1 for a sigmoid output" : "in 0..<\(classes) for a softmax output"
            throw NeuralNetError.labelOutOfRange(example: index, expected: expected, found: Int(label))
        }
    }
}

extension OutputLayer {
    /// Turns the logits Z_L (units × columns) into probabilities A_L, column by column.
    ///
    /// Sigmoid: `1/(1+exp(−z))`. Softmax: `exp(z − max_c z) / Σ_c exp(z − max_c z)`, the
    /// shift making it overflow-free (the class sum runs in class order, as NumPy's
    /// `E.sum(axis=0)` does on a (C, m) array).
    func probabilities<T: NetScalar>(
        logits: UnsafePointer<T>, into output: UnsafeMutablePointer<T>, columns: Int
    ) {
        switch self {
        case .sigmoid:
            for j in 0..<columns { output[j] = -logits[j] }
            T.vectorExp(output, into: output, count: columns)
            for j in 0..<columns { output[j] = 1 / (1 + output[j]) }
        case .softmax(let classes):
            for j in 0..<columns {
                let z = logits + j * classes
                let a = output + j * classes
                var largest = z[0]
                for c in 1..<classes where z[c] > largest { largest = z[c] }
                for c in 0..<classes { a[c] = z[c] - largest }
            }
            T.vectorExp(output, into: output, count: classes * columns)
            for j in 0..<columns {
                let a = output + j * classes
                var total: T = 0
                for c in 0..<classes { total += a[c] }
                for c in 0..<classes { a[c] /= total }
            }
        }
    }

    /// The loss of each example, computed stably from the logits into `losses[0..<columns]`.
    ///
    /// Binary cross-entropy `−[y·log a + (1−y)·log(1−a)]` is evaluated as
    /// `y·softplus(−z) + (1−y)·softplus(z)` with `softplus(x) = max(x, 0) + log1p(exp(−|x|))`:
    /// equal to the textbook form, but finite when a sigmoid saturates at exactly 1.0.
    /// Softmax cross-entropy is `logsumexp(z) − z_y` with the max shift.
    func exampleLosses<T: NetScalar>(
        logits: UnsafePointer<T>, labels: UnsafePointer<Int32>,
        into losses: UnsafeMutablePointer<T>, columns: Int
    ) {
        switch self {
        case .sigmoid:
            for j in 0..<columns {
                let z = labels[j] == 1 ? -logits[j] : logits[j]
                losses[j] = max(z, 0) + T.logOnePlus(T.exponential(-abs(z)))
            }
        case .softmax(let classes):
            for j in 0..<columns {
                let z = logits + j * classes
                var largest = z[0]
                for c in 1..<classes where z[c] > largest { largest = z[c] }
                var total: T = 0
                for c in 0..<classes { total += T.exponential(z[c] - largest) }
                losses[j] = largest + T.logarithm(total) - z[Int(labels[j])]
            }
        }
    }

    /// Writes the output delta `dZ_L = A_L − Y` (Y one-hot for softmax).
    func outputDelta<T: NetScalar>(
        probabilities a: UnsafePointer<T>, labels: UnsafePointer<Int32>,
        into delta: UnsafeMutablePointer<T>, columns: Int
    ) {
        switch self {
        case .sigmoid:
            for j in 0..<columns { delta[j] = a[j] - T(labels[j]) }
        case .softmax(let classes):
            for i in 0..<(classes * columns) { delta[i] = a[i] }
            for j in 0..<columns { delta[j * classes + Int(labels[j])] -= 1 }
        }
    }

    /// Predicted class of each column: `a > 0.5` for sigmoid (as the tutorials' `predict`),
    /// the first largest probability (`np.argmax`) for softmax.
    func predictions<T: NetScalar>(
        probabilities a: UnsafePointer<T>, into predicted: UnsafeMutablePointer<Int32>, columns: Int
    ) {
        switch self {
        case .sigmoid:
            for j in 0..<columns { predicted[j] = a[j] > 0.5 ? 1 : 0 }
        case .softmax(let classes):
            for j in 0..<columns {
                let column = a + j * classes
                var best = 0
                for c in 1..<classes where column[c] > column[best] { best = c }
                predicted[j] = Int32(best)
            }
        }
    }
}
