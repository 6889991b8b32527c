import CKernels

/// A hidden-layer activation: a forward map g and its derivative, as a pair.
///
/// Backward passes need only the forward output A = g(Z): sigmoid' = A(1−A),
/// tanh' = 1−A², relu' = [A > 0] (so 0 at z = 0, the tutorials' convention),
/// leaky relu' = 1 if A > 0 else slope (A > 0 ⇔ Z > 0 for a positive slope).
/// The engine therefore caches A only, never Z, for hidden layers.
public enum Activation: Sendable, Hashable, CustomStringConvertible {
    case sigmoid
    case tanh
    case relu
    /// `max(slope·z, z)`-style leaky relu: z if z > 0 else slope·z (default slope 0.01).
    case leakyRelu(slope: Double)
    case identity

    /// The default leaky relu slope (NumPy reference and cs231n use 0.01).
    public static let defaultLeakySlope = 0.01

    public var description: String {
        switch self {
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .relu: return "relu"
        case .leakyRelu(let slope):
            return slope == Self.defaultLeakySlope ? "leaky_relu" : "leaky_relu(\(slope))"
        case .identity: return "identity"
        }
    }
}

extension Activation {
    /// The activation's code in `CKernels` epilogues.
    var kernelCode: Int32 {
        switch self {
        case .sigmoid: return Int32(NSK_SIGMOID)
        case .tanh: return Int32(NSK_TANH)
        case .relu: return Int32(NSK_RELU)
        case .leakyRelu: return Int32(NSK_LEAKY_RELU)
        case .identity: return Int32(NSK_IDENTITY)
        }
    }

    /// Leaky relu's slope (0 for the others).
    var slope: Double {
        if case .leakyRelu(let slope) = self { return slope }
        return 0
    }

    /// `values[i] = g(values[i] + bias[i mod rows])` for a column-major (rows, columns)
    /// buffer: the bias broadcast and the activation fused into one pass (two for sigmoid and
    /// tanh, whose exp and tanh run vectorised over the whole buffer, `CKernels`).
    @inline(__always)
    func applyWithBias<T: NetScalar>(
        _ values: UnsafeMutablePointer<T>, bias: UnsafePointer<T>, rows: Int, columns: Int
    ) {
        switch self {
        case .sigmoid:
            // e = exp(−(z + b)) in one vectorised pass, then 1/(1 + e).
            forEachWithBias(values, bias, rows, columns) { -$0 }
            T.vectorExp(values, into: values, count: rows * columns)
            for i in 0..<rows * columns { values[i] = 1 / (1 + values[i]) }
        case .tanh:
            forEachWithBias(values, bias, rows, columns) { $0 }
            T.vectorTanh(values, into: values, count: rows * columns)
        case .relu: forEachWithBias(values, bias, rows, columns) { $0 > 0 ? $0 : 0 }
        case .leakyRelu(let slope):
            let s = T(slope)
            forEachWithBias(values, bias, rows, columns) { $0 > 0 ? $0 : s * $0 }
        case .identity: forEachWithBias(values, bias, rows, columns) { $0 }
        }
    }

    /// `gradient[i] *= g'(z_i)` in place, given the cached outputs `a = g(z)`.
    @inline(__always)
    func multiplyByDerivative<T: NetScalar>(
        _ gradient: UnsafeMutablePointer<T>, outputs a: UnsafePointer<T>, count: Int
    ) {
        switch self {
        case .sigmoid: for i in 0..<count { gradient[i] = gradient[i] * a[i] * (1 - a[i]) }
        case .tanh: for i in 0..<count { gradient[i] = gradient[i] * (1 - a[i] * a[i]) }
        case .relu: for i in 0..<count where !(a[i] > 0) { gradient[i] = 0 }
        case .leakyRelu(let slope):
            let s = T(slope)
            for i in 0..<count where !(a[i] > 0) { gradient[i] = s * gradient[i] }
        case .identity: break
        }
    }
}

/// Applies `transform(value + bias[row])` to every element of a column-major buffer.
@inline(__always)
private func forEachWithBias<T: NetScalar>(
    _ values: UnsafeMutablePointer<T>, _ bias: UnsafePointer<T>, _ rows: Int, _ columns: Int,
    _ transform: (T) -> T
) {
    var column = values
    for _ in 0..<columns {
        for i in 0..<rows { column[i] = transform(column[i] + bias[i]) }
        column += rows
    }
}
