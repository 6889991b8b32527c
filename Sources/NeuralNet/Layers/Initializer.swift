/// How weights start; biases always start at zero.
///
/// With a seed, the generator is reseeded first, then W_1 … W_L are drawn in order as
/// `np.random.randn(n_l, n_{l−1})` would draw them (row-major fill order); biases draw nothing.
/// The order a layer's weights are drawn in. Either way W_l is stored (n_l, n_{l−1}) and used as
/// `W·A + b`; only which entry each draw of the generator fills changes.
public enum WeightDrawOrder: String, Sendable, Hashable, Codable {
    /// `randn(n_l, n_{l−1})`, row by row: the deep-learning course's `W = randn(n_out, n_in)`.
    case outIn = "out_in"
    /// `randn(n_{l−1}, n_l)`, row by row, stored transposed: cs231n's `W = randn(input_dim,
    /// hidden_dim)` (examples as rows, `X·W + b`), so that the same seed gives the same network.
    case inOut = "in_out"
}

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
    func makeWeights<T: NetScalar>(rows: Int, columns: Int, order: WeightDrawOrder = .outIn,
                                   random: inout NumpyRandom) -> Matrix<T> {
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
        switch order {
        case .outIn:
            for i in 0..<rows {
                for j in 0..<columns { weights[i, j] = T(transform(random.gaussian())) }
            }
        case .inOut:
            for j in 0..<columns {
                for i in 0..<rows { weights[i, j] = T(transform(random.gaussian())) }
            }
        }
        return weights
    }
}
