/// How weights start; biases always start at zero.
///
/// With a seed, the generator is reseeded first, then W_1 … W_L are drawn in order as
/// `np.random.randn(n_l, n_{l−1})` would draw them (row-major fill order); biases draw nothing.
public enum Initializer: Sendable, Hashable, CustomStringConvertible {
    /// `randn · scale`: the tutorials' `* 0.01`, cs231n's `weight_scale`.
    case normal(scale: Double)
    /// `randn / sqrt(n_{l−1})`, dividing as the deep-network tutorial does.
    case xavier
    /// `randn · sqrt(2 / n_{l−1})`.
    case he
    /// All zeros: shows the symmetry failure. Draws nothing.
    case zeros

    public var description: String {
        switch self {
        case .normal(let scale): return "normal(\(scale))"
        case .xavier: return "xavier"
        case .he: return "he"
        case .zeros: return "zeros"
        }
    }

    /// W_l (rows × columns) drawn from `random`, with columns = n_{l−1}.
    func makeWeights<T: NetScalar>(rows: Int, columns: Int, random: inout NumpyRandom) -> Matrix<T> {
        var weights = Matrix<T>(rows: rows, columns: columns)
        if case .zeros = self { return weights }
        let fanIn = Double(columns)
        // Apply the scale with the same operation NumPy code uses (× or ÷), then round once
        // to T, so Float runs start from NumPy's float64 values rounded to float32.
        let transform: (Double) -> Double
        switch self {
        case .normal(let scale): transform = { $0 * scale }
        case .xavier: let root = fanIn.squareRoot(); transform = { $0 / root }
        case .he: let factor = (2.0 / fanIn).squareRoot(); transform = { $0 * factor }
        case .zeros: transform = { _ in 0 }
        }
        for i in 0..<rows {
            for j in 0..<columns { weights[i, j] = T(transform(random.gaussian())) }
        }
        return weights
    }
}
