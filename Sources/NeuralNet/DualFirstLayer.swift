/// Which form the first layer's weights train in.
///
/// - `primal`: W1 itself, as the tutorials write it.
/// - `dual`: W1 = a·W1₀ + B·Xᵀ, with a scalar a and B of shape (n₁, m). Gradient descent,
///   momentum, L2 and learning-rate decay only ever add multiples of W1 and of dZ1·Xᵀ (rows of
///   Xᵀ) to W1, so W1 stays in that span and training can update a and B instead: with
///   G = XᵀX (m × m) and P = W1₀·X computed once, `Z1 = a·P + B·G + b1`, and the 12 288-wide
///   products of the cat tutorials leave the loop (n₁·m² per iteration instead of 2·n₁·n₀·m).
///   W1 is formed from a and B when it is needed (an L2 cost, the final evaluation, the
///   returned network). Adam's element-wise update leaves the span: it trains in primal form.
public enum FirstLayerForm: String, Sendable, Hashable, CaseIterable {
    case primal, dual

    /// Whether the dual form applies to `optimizer` (its update must be linear in the gradient).
    public static func allows(_ optimizer: Optimizer) -> Bool {
        if case .adam = optimizer { return false }
        return true
    }

    /// Estimated multiply-adds of the first layer's work over a whole run in each form, for
    /// `examples` (m) training examples, `sizes` n₀ … n_L, `iterations` updates of `batch`
    /// examples, recording every `recordEvery` iterations (with an L2 term, each record forms W1).
    public static func estimatedWork(examples m: Int, sizes: [Int], iterations: Int, batch: Int,
                                     recordEvery: Int, regularized: Bool) -> (primal: Double, dual: Double) {
        let n0 = Double(sizes[0]), n1 = Double(sizes.count > 1 ? sizes[1] : 1)
        let m = Double(m), width = Double(batch), steps = Double(iterations)
        // Primal: Z1 = W1·X and dW1 = dZ1·Xᵀ.
        let primal = steps * 2 * n1 * n0 * width
        // Dual: G and P once, B·G (and the column gathers) per step, W1 at each L2 record and once at the end.
        let forms = (regularized ? (steps / Double(max(recordEvery, 1))).rounded(.up) : 0) + 1
        let dual = m * m * n0 + n1 * n0 * m + steps * (n1 * m * width + 2 * n1 * m + m * width) + forms * n1 * m * n0
        return (primal, dual)
    }

    /// Bytes the dual form adds: G (m × m), P, B and its velocity (n₁ × m), the batch's
    /// gathered columns of G and P, and a copy of W1₀.
    public static func dualBytes(examples m: Int, sizes: [Int], batch: Int, scalarBytes: Int) -> Double {
        let n0 = Double(sizes[0]), n1 = Double(sizes.count > 1 ? sizes[1] : 1)
        let m = Double(m), width = Double(batch)
        return Double(scalarBytes) * (m * m + 3 * n1 * m + m * width + n1 * width + n1 * n0)
    }

    /// The form `auto` picks: dual when the optimizer allows it, it does at most half the
    /// primal form's work and G stays within `memoryLimit` bytes.
    public static func automatic(optimizer: Optimizer, examples: Int, sizes: [Int], iterations: Int, batch: Int,
                                 recordEvery: Int, regularized: Bool, scalarBytes: Int,
                                 memoryLimit: Double = 256 * 1_048_576) -> FirstLayerForm {
        guard allows(optimizer), sizes.count >= 2 else { return .primal }
        let work = estimatedWork(examples: examples, sizes: sizes, iterations: iterations, batch: batch,
                                 recordEvery: recordEvery, regularized: regularized)
        let bytes = dualBytes(examples: examples, sizes: sizes, batch: batch, scalarBytes: scalarBytes)
        return work.dual * 2 <= work.primal && bytes <= memoryLimit ? .dual : .primal
    }
}

/// The first layer's weights in dual form during one run (see `FirstLayerForm.dual`).
///
/// Holds a and B (and, for momentum, their velocities), G = XᵀX, P = W1₀·X and W1₀; the
/// training loop computes Z1 through `forward`, updates a and B through `update` in place of
/// the optimizer's W1 step, and forms W1 into the network with `formWeights`.
final class DualFirstLayer<T: NetScalar> {
    let units: Int
    let examples: Int
    let features: Int
    private let inputs: UnsafePointer<T>
    /// a in W1 = a·W1₀ + B·Xᵀ, and its momentum velocity.
    private var scale: T = 1
    private var scaleVelocity: T = 0
    private let initial: Buffer<T>
    /// B (n₁ × m), column-major, and its momentum velocity.
    private let coefficients: Buffer<T>
    private let velocity: Buffer<T>?
    /// G = XᵀX (m × m) and P = W1₀·X (n₁ × m).
    private let gram: Buffer<T>
    private let projection: Buffer<T>
    /// A mini-batch's columns of G and P.
    private let batchGram: Buffer<T>
    private let batchProjection: Buffer<T>
    private let products: Products<T>
    /// Whether a or B changed since W1 was last formed.
    private(set) var stale = false

    /// - Parameters:
    ///   - weights: W1₀ (n₁ × n₀), the initial first-layer weights.
    ///   - inputs: X (n₀ × m), column-major; it must outlive this object.
    ///   - batch: the widest batch `forward` will be asked for.
    ///   - batches: whether `forward` gets batches in an order (mini-batches: even a batch of
    ///     every example comes permuted, and must be gathered).
    init(weights: Matrix<T>, inputs: UnsafePointer<T>, examples: Int, batch: Int, batches: Bool, momentum: Bool) {
        units = weights.rows
        features = weights.columns
        let examples = max(examples, 0)
        self.examples = examples
        self.inputs = inputs
        let initial = Buffer<T>(count: weights.rows * weights.columns, repeating: 0)
        weights.storage.withUnsafeBufferPointer { source in
            for i in 0..<source.count { initial.pointer[i] = source[i] }
        }
        self.initial = initial
        coefficients = Buffer(count: units * examples, repeating: 0)
        velocity = momentum ? Buffer(count: units * examples, repeating: 0) : nil
        gram = Buffer(count: examples * examples, repeating: 0)
        projection = Buffer(count: units * examples, repeating: 0)
        batchGram = Buffer(count: batches ? examples * batch : 0, repeating: 0)
        batchProjection = Buffer(count: batches ? units * batch : 0, repeating: 0)
        let limit = T.packedRowLimit
        products = Products(capacity: max(
            Products<T>.panelCapacity(rows: units, columns: batch, inner: examples, transposeB: false),
            Products<T>.panelCapacity(rows: min(units, limit), columns: features, inner: examples, transposeB: true)))
        guard examples > 0 else { return }
        // G = XᵀX and P = W1₀·X, once (OpenBLAS: both are wide products), on one thread: their
        // long sums round the same whatever the run's thread count (a lone run has all cores, a
        // sweep's runs one each, a run continued from its rung either).
        BLAS.singleThreaded {
            T.gemm(transposeA: true, transposeB: false, rows: examples, columns: examples, inner: features,
                   alpha: 1, a: inputs, lda: features, b: inputs, ldb: features, beta: 0, c: gram.pointer, ldc: examples)
            T.gemm(transposeA: false, transposeB: false, rows: units, columns: examples, inner: features,
                   alpha: 1, a: initial.pointer, lda: units, b: inputs, ldb: features, beta: 0,
                   c: projection.pointer, ldc: units)
        }
    }

    /// `Z1 = a·P + B·G + b1` for the examples `order[range]` (all of them, in order, when
    /// `order` is nil), then `A1 = g(Z1)`, into `target` (n₁ × width).
    func forward(order: UnsafePointer<Int>?, range: Range<Int>, bias: UnsafePointer<T>, activation: Activation,
                 target: UnsafeMutablePointer<T>) {
        let width = range.count
        let (g, p): (UnsafePointer<T>, UnsafePointer<T>)
        if let order {
            for (k, position) in range.enumerated() {
                let column = order[position]
                (batchGram.pointer + k * examples).update(from: gram.pointer + column * examples, count: examples)
                (batchProjection.pointer + k * units).update(from: projection.pointer + column * units, count: units)
            }
            (g, p) = (UnsafePointer(batchGram.pointer), UnsafePointer(batchProjection.pointer))
        } else {
            (g, p) = (UnsafePointer(gram.pointer), UnsafePointer(projection.pointer))
        }
        for i in 0..<(units * width) { target[i] = scale * p[i] }
        products.multiply(packed: units <= T.packedRowLimit, transposeA: false, transposeB: false,
                          rows: units, columns: width, inner: examples, alpha: 1, a: coefficients.pointer, lda: units,
                          b: g, ldb: examples, beta: 1, c: target, ldc: units)
        activation.applyWithBias(target, bias: bias, rows: units, columns: width)
    }

    /// The update of W1 for the gradient `dW1 = (1/width)·dZ1·X_batchᵀ + c·W1`, made on a
    /// and B: gradient descent `W1 −= α·dW1`, or the course's momentum `v = β·v + (1−β)·dW1`,
    /// `W1 −= α·v`. `delta` is dZ1 (n₁ × width) for the examples `order[range]` (all, in order,
    /// when `order` is nil); `l2Scale` is c.
    func update(delta: UnsafePointer<T>, order: UnsafePointer<Int>?, range: Range<Int>, l2Scale: T,
                learningRate: T, rule: Optimizer) {
        stale = true
        let width = range.count
        let inverse = 1 / T(width)
        let b = coefficients.pointer
        func column(_ k: Int) -> Int { order.map { $0[range.lowerBound + k] } ?? (range.lowerBound + k) }
        switch rule {
        case .momentum(let beta):
            guard let v = velocity?.pointer else { return }
            let momentum = T(beta), rest = T(1 - beta)
            // v = β·v + (1−β)·(c·W1 + (1/width)·dZ1·X_batchᵀ), in coefficients.
            scaleVelocity = momentum * scaleVelocity + rest * (l2Scale * scale)
            for i in 0..<(units * examples) { v[i] = momentum * v[i] + rest * (l2Scale * b[i]) }
            for k in 0..<width {
                let target = v + column(k) * units, source = delta + k * units
                for i in 0..<units { target[i] = target[i] + rest * (inverse * source[i]) }
            }
            scale = scale - learningRate * scaleVelocity
            for i in 0..<(units * examples) { b[i] = b[i] - learningRate * v[i] }
        default:
            // W1 − α·(c·W1 + (1/width)·dZ1·X_batchᵀ) = (1 − α·c)·W1 − (α/width)·dZ1·X_batchᵀ.
            if l2Scale != 0 {
                let shrink = 1 - learningRate * l2Scale
                scale = shrink * scale
                for i in 0..<(units * examples) { b[i] = shrink * b[i] }
            }
            let step = learningRate * inverse
            for k in 0..<width {
                let target = b + column(k) * units, source = delta + k * units
                for i in 0..<units { target[i] = target[i] - step * source[i] }
            }
        }
    }

    /// What a paused run keeps of the dual form: a, B, their velocities and W1₀ (G and P are
    /// computed again from X and W1₀, as at the start).
    struct State: Sendable {
        var scale: T
        var scaleVelocity: T
        var initial: Matrix<T>
        var coefficients: Matrix<T>
        var velocity: Matrix<T>?
    }

    var state: State {
        func matrix(_ buffer: Buffer<T>, _ rows: Int, _ columns: Int) -> Matrix<T> {
            Matrix(uncheckedRows: rows, columns: columns, storage: Array(UnsafeBufferPointer(start: buffer.pointer, count: rows * columns)))
        }
        return State(scale: scale, scaleVelocity: scaleVelocity, initial: matrix(initial, units, features),
                     coefficients: matrix(coefficients, units, examples), velocity: velocity.map { matrix($0, units, examples) })
    }

    /// Takes a, B and their velocities from `state` (made with the same W1₀, which this object
    /// was built from); W1 is then formed again when needed.
    func restore(_ state: State) {
        scale = state.scale
        scaleVelocity = state.scaleVelocity
        state.coefficients.storage.withUnsafeBufferPointer { source in
            for i in 0..<min(source.count, units * examples) { coefficients.pointer[i] = source[i] }
        }
        if let velocity, let saved = state.velocity {
            saved.storage.withUnsafeBufferPointer { source in
                for i in 0..<min(source.count, units * examples) { velocity.pointer[i] = source[i] }
            }
        }
        stale = true
    }

    /// `W1 = a·W1₀ + B·Xᵀ`, written into `weights` (n₁ × n₀).
    func formWeights(into weights: inout Matrix<T>) {
        stale = false
        weights.storage.withUnsafeMutableBufferPointer { buffer in
            guard let w = buffer.baseAddress else { return }
            for i in 0..<(units * features) { w[i] = scale * initial.pointer[i] }
            guard examples > 0 else { return }
            BLAS.singleThreaded {
                T.gemm(transposeA: false, transposeB: true, rows: units, columns: features, inner: examples,
                       alpha: 1, a: coefficients.pointer, lda: units, b: inputs, ldb: features, beta: 1, c: w, ldc: units)
            }
        }
    }
}
