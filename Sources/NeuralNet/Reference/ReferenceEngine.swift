import Foundation

/// The tutorials' algorithm in plain Swift, to be read: one iteration is `forward` (keeping
/// each layer's cache), `cost`, `backward` and `update`, over `Matrix` values with ordinary
/// loops — no BLAS, no raw pointers, no workspace. It is what `Trainer` computes (the same
/// recipe, the same random draws, the same record schedule), only slower; the tests use it as
/// the oracle of the fast engine in both its forms. `engine: {implementation: reference}`
/// trains a run with it.
///
/// Conventions (those of the deep-learning course): examples are columns, `X` is (n₀, m);
/// `Z = W·A_prev + b`; the cost is the mean cross-entropy plus the L2 term; `dZ_L = A_L − Y`.
public enum ReferenceEngine {
    /// Trains `network` as `Trainer.train` does (see there for the schedule of records, batches
    /// and learning rates); the first-layer form of `plan` is ignored (this engine has one form).
    public static func train<T: NetScalar>(
        _ network: inout Network<T>, inputs X: Matrix<T>, labels: [Int32], plan: TrainingPlan,
        random: inout NumpyRandom, record: (CostRecord) -> Void = { _ in }, shouldStop: () -> Bool = { false },
        checkpoint: Checkpoint<T>? = nil
    ) throws -> TrainingOutcome {
        try network.validate(inputs: X, labels: labels)
        try plan.validate()
        let m = X.columns
        let iterations = plan.iterationCount(exampleCount: m)
        var model = ReferenceModel(network)
        var optimizer = ReferenceOptimizer(rule: plan.optimizer, model: model)

        /// One iteration on the examples `X_batch`, `Y_batch`: nil when it stepped, else how the run ends.
        func iterate(_ xBatch: Matrix<T>, _ yBatch: [Int32], iteration: Int, epoch: Int) -> TrainingStatus? {
            let caches = model.forward(xBatch)
            if iteration % plan.recordEvery == 0 {
                let cost = model.cost(caches.output, yBatch, regularization: plan.regularization)
                guard cost.isFinite else { return .diverged(iteration: iteration) }
                record(CostRecord(iteration: iteration, epoch: epoch, cost: Double(cost),
                                  accuracy: model.accuracy(caches.output, yBatch)))
                if let checkpoint {
                    var current = network
                    current.layers = model.layers.map { Dense(uncheckedWeights: $0.W, bias: $0.b) }
                    if !checkpoint(iteration, current) { return .halted(iteration: iteration) }
                }
            }
            let gradients = model.backward(caches, xBatch, yBatch, regularization: plan.regularization)
            // A non-finite output gradient means the run diverged.
            guard let outputBias = gradients.last?.db, sum(outputBias.storage).isFinite else { return .diverged(iteration: iteration) }
            let learningRate = plan.decay.learningRate(initial: plan.learningRate, epoch: epoch)
            optimizer.update(&model, gradients, learningRate: T(learningRate))
            return nil
        }

        var iteration = 0
        var epoch = 0
        if let batchSize = plan.batchSize, plan.sampling == .withReplacement {
            // cs231n: choice(m, batch_size) with replacement each iteration; the learning rate
            // decays after iteration k when k % max(m / batch_size, 1) == 0.
            let perEpoch = max(Double(m) / Double(batchSize), 1)
            while iteration < iterations {
                if shouldStop() { return stopped(&network, model, .stopped(iteration: iteration), iteration) }
                let sample = random.choice(m, count: batchSize)
                if let end = iterate(columns(of: X, sample), sample.map { labels[$0] }, iteration: iteration, epoch: epoch) {
                    return stopped(&network, model, end, iteration)
                }
                if Double(iteration).truncatingRemainder(dividingBy: perEpoch) == 0 { epoch += 1 }
                iteration += 1
            }
        } else if let batchSize = plan.batchSize.map({ min($0, m) }) {
            // Mini-batches: a fresh permutation of the examples each epoch, cut into slices.
            while iteration < iterations {
                let permutation = random.permutation(m)
                var start = 0
                while start < m, iteration < iterations {
                    if shouldStop() { return stopped(&network, model, .stopped(iteration: iteration), iteration) }
                    let slice = Array(permutation[start..<min(start + batchSize, m)])
                    if let end = iterate(columns(of: X, slice), slice.map { labels[$0] }, iteration: iteration, epoch: epoch) {
                        return stopped(&network, model, end, iteration)
                    }
                    iteration += 1
                    start += slice.count
                }
                epoch += 1
            }
        } else {
            // Full batch: one iteration is one epoch.
            while iteration < iterations {
                if shouldStop() { return stopped(&network, model, .stopped(iteration: iteration), iteration) }
                if let end = iterate(X, labels, iteration: iteration, epoch: iteration) {
                    return stopped(&network, model, end, iteration)
                }
                iteration += 1
            }
            epoch = iterations
        }
        // The last record: the trained network on the whole training set.
        let output = model.forward(X).output
        let cost = model.cost(output, labels, regularization: plan.regularization)
        network.layers = model.layers.map { Dense(uncheckedWeights: $0.W, bias: $0.b) }
        guard cost.isFinite else { return TrainingOutcome(status: .diverged(iteration: iterations), iterations: iterations) }
        let accuracy = model.accuracy(output, labels)
        record(CostRecord(iteration: iterations, epoch: epoch, cost: Double(cost), accuracy: accuracy))
        return TrainingOutcome(status: .finished, iterations: iterations, finalCost: Double(cost), trainAccuracy: accuracy)
    }

    private static func stopped<T>(_ network: inout Network<T>, _ model: ReferenceModel<T>, _ status: TrainingStatus,
                                   _ iterations: Int) -> TrainingOutcome {
        network.layers = model.layers.map { Dense(uncheckedWeights: $0.W, bias: $0.b) }
        return TrainingOutcome(status: status, iterations: iterations)
    }

    /// The columns `indices` of `X`, in that order.
    static func columns<T>(of X: Matrix<T>, _ indices: [Int]) -> Matrix<T> {
        var storage: [T] = []
        storage.reserveCapacity(X.rows * indices.count)
        for j in indices { storage += X.storage[(j * X.rows)..<((j + 1) * X.rows)] }
        return Matrix(uncheckedRows: X.rows, columns: indices.count, storage: storage)
    }
}

// MARK: - Linear algebra, written out

/// `A·B`.
func matmul<T: NetScalar>(_ A: Matrix<T>, _ B: Matrix<T>) -> Matrix<T> {
    var C = Matrix<T>(rows: A.rows, columns: B.columns)
    for j in 0..<B.columns {
        for k in 0..<A.columns {
            let b = B.storage[j * B.rows + k]
            for i in 0..<A.rows { C.storage[j * C.rows + i] += A.storage[k * A.rows + i] * b }
        }
    }
    return C
}

/// `Σ values`.
func sum<T: NetScalar>(_ values: [T]) -> T { values.reduce(0, +) }

/// The sum of each row of `A`, as a column: `np.sum(A, axis=1, keepdims=True)`.
func rowSums<T: NetScalar>(_ A: Matrix<T>) -> Matrix<T> {
    var s = Matrix<T>(rows: A.rows, columns: 1)
    for j in 0..<A.columns { for i in 0..<A.rows { s.storage[i] += A.storage[j * A.rows + i] } }
    return s
}

/// `x ↦ f(x)` element by element.
func map<T: NetScalar>(_ A: Matrix<T>, _ f: (T) -> T) -> Matrix<T> { Matrix(mapping: A, f) }

/// `f(a, b)` element by element for two matrices of one shape.
func zipMap<T: NetScalar>(_ A: Matrix<T>, _ B: Matrix<T>, _ f: (T, T) -> T) -> Matrix<T> {
    Matrix(uncheckedRows: A.rows, columns: A.columns, storage: zip(A.storage, B.storage).map(f))
}

// MARK: - The model

/// One dense layer: its parameters, and its forward and backward steps side by side.
struct ReferenceLayer<T: NetScalar> {
    var W: Matrix<T>
    var b: Matrix<T>

    /// What backward needs from forward: the layer's input and its output.
    struct Cache {
        var A_prev: Matrix<T>
        var A: Matrix<T>
    }

    /// `Z = W·A_prev + b`, `A = g(Z)`.
    func forward(_ A_prev: Matrix<T>, activation g: Activation) -> (Z: Matrix<T>, cache: Cache) {
        var Z = matmul(W, A_prev)
        for j in 0..<Z.columns { for i in 0..<Z.rows { Z.storage[j * Z.rows + i] += b.storage[i] } }
        return (Z, Cache(A_prev: A_prev, A: map(Z) { g.reference($0) }))
    }

    /// From dZ (this layer's) to `dW = (1/m)·dZ·A_prevᵀ + c·W`, `db = (1/m)·Σ dZ` and
    /// `dA_prev = Wᵀ·dZ`.
    func backward(_ dZ: Matrix<T>, _ cache: Cache, l2Scale c: T) -> (dA_prev: Matrix<T>, dW: Matrix<T>, db: Matrix<T>) {
        let m = T(dZ.columns)
        let dW = zipMap(map(matmul(dZ, cache.A_prev.transposed())) { $0 / m }, W) { $0 + c * $1 }
        let db = map(rowSums(dZ)) { $0 / m }
        return (matmul(W.transposed(), dZ), dW, db)
    }
}

/// The layers, the hidden activation and the output: initialize, forward, cost, backward.
struct ReferenceModel<T: NetScalar> {
    var layers: [ReferenceLayer<T>]
    let activation: Activation
    let output: OutputLayer

    init(_ network: Network<T>) {
        layers = network.layers.map { ReferenceLayer(W: $0.weights, b: $0.bias) }
        activation = network.architecture.hiddenActivation
        output = network.architecture.output
    }

    /// Every layer's cache, and the output layer's Z and A = σ(Z) (or softmax).
    struct Caches {
        var layers: [ReferenceLayer<T>.Cache]
        var output: (Z: Matrix<T>, A: Matrix<T>)
    }

    /// Forward propagation: hidden layers with g, the last one's Z through the output.
    func forward(_ X: Matrix<T>) -> Caches {
        var caches: [ReferenceLayer<T>.Cache] = []
        var A = X
        for (l, layer) in layers.enumerated() {
            let last = l == layers.count - 1
            let (Z, cache) = layer.forward(A, activation: last ? .identity : activation)
            caches.append(cache)
            A = last ? Z : cache.A
        }
        let Z = A
        return Caches(layers: caches, output: (Z, output.referenceProbabilities(Z)))
    }

    /// `(1/m)·Σ loss + L2 term`, the loss from the logits (stable for saturated outputs).
    func cost(_ output: (Z: Matrix<T>, A: Matrix<T>), _ Y: [Int32], regularization: Regularization) -> T {
        let m = output.Z.columns
        let losses = (0..<m).map { self.output.referenceLoss(output.Z, column: $0, label: Y[$0]) }
        let squares = sum(layers.map { sum($0.W.storage.map { $0 * $0 }) })
        return sum(losses) / T(m) + T(regularization.penaltyScale(batchSize: m)) * squares
    }

    /// The fraction of examples whose predicted class is their label.
    func accuracy(_ output: (Z: Matrix<T>, A: Matrix<T>), _ Y: [Int32]) -> Double {
        let correct = (0..<Y.count).filter { self.output.referencePrediction(output.A, column: $0) == Y[$0] }.count
        return Double(correct) / Double(Y.count)
    }

    /// Backward propagation: `dZ_L = A_L − Y`, then each layer's backward from the last,
    /// `dZ_{l−1} = dA_{l−1} ⊙ g'(A_{l−1})`.
    func backward(_ caches: Caches, _ X: Matrix<T>, _ Y: [Int32], regularization: Regularization)
        -> [(dW: Matrix<T>, db: Matrix<T>)] {
        let c = T(regularization.gradientScale(batchSize: X.columns))
        var dZ = caches.output.A
        for j in 0..<Y.count {
            switch output {
            case .sigmoid: dZ.storage[j] -= T(Y[j])
            case .softmax(let classes): dZ.storage[j * classes + Int(Y[j])] -= 1
            }
        }
        var gradients: [(dW: Matrix<T>, db: Matrix<T>)] = []
        for l in stride(from: layers.count - 1, through: 0, by: -1) {
            let (dA_prev, dW, db) = layers[l].backward(dZ, caches.layers[l], l2Scale: c)
            gradients.insert((dW, db), at: 0)
            if l > 0 { dZ = zipMap(dA_prev, caches.layers[l - 1].A) { $0 * activation.referenceDerivative(output: $1) } }
        }
        return gradients
    }
}

/// Gradient descent, momentum or Adam on every W and b.
struct ReferenceOptimizer<T: NetScalar> {
    let rule: Optimizer
    var v: [(W: Matrix<T>, b: Matrix<T>)]
    var s: [(W: Matrix<T>, b: Matrix<T>)]
    var t = 0

    init(rule: Optimizer, model: ReferenceModel<T>) {
        self.rule = rule
        v = model.layers.map { (Matrix(rows: $0.W.rows, columns: $0.W.columns), Matrix(rows: $0.b.rows, columns: 1)) }
        s = v
    }

    mutating func update(_ model: inout ReferenceModel<T>, _ gradients: [(dW: Matrix<T>, db: Matrix<T>)], learningRate α: T) {
        t += 1
        for l in model.layers.indices {
            let (dW, db) = gradients[l]
            switch rule {
            case .gradientDescent:
                model.layers[l].W = zipMap(model.layers[l].W, dW) { $0 - α * $1 }
                model.layers[l].b = zipMap(model.layers[l].b, db) { $0 - α * $1 }
            case .momentum(let beta):
                let β = T(beta)
                v[l].W = zipMap(v[l].W, dW) { β * $0 + (1 - β) * $1 }
                v[l].b = zipMap(v[l].b, db) { β * $0 + (1 - β) * $1 }
                model.layers[l].W = zipMap(model.layers[l].W, v[l].W) { $0 - α * $1 }
                model.layers[l].b = zipMap(model.layers[l].b, v[l].b) { $0 - α * $1 }
            case let .adam(beta1, beta2, epsilon):
                let β1 = T(beta1), β2 = T(beta2), ε = T(epsilon)
                let correction1 = T(1 - pow(beta1, Double(t))), correction2 = T(1 - pow(beta2, Double(t)))
                v[l].W = zipMap(v[l].W, dW) { β1 * $0 + (1 - β1) * $1 }
                v[l].b = zipMap(v[l].b, db) { β1 * $0 + (1 - β1) * $1 }
                s[l].W = zipMap(s[l].W, dW) { β2 * $0 + (1 - β2) * $1 * $1 }
                s[l].b = zipMap(s[l].b, db) { β2 * $0 + (1 - β2) * $1 * $1 }
                let step = { (v: T, s: T) in α * (v / correction1) / (T.squareRoot(s / correction2) + ε) }
                model.layers[l].W = zipMap(model.layers[l].W, zipMap(v[l].W, s[l].W, step)) { $0 - $1 }
                model.layers[l].b = zipMap(model.layers[l].b, zipMap(v[l].b, s[l].b, step)) { $0 - $1 }
            }
        }
    }
}

// MARK: - Activations and outputs, element by element

extension Activation {
    /// g(z).
    func reference<T: NetScalar>(_ z: T) -> T {
        switch self {
        case .sigmoid: return 1 / (1 + T.exponential(-z))
        case .tanh: return T.hyperbolicTangent(z)
        case .relu: return z > 0 ? z : 0
        case .leakyRelu(let slope): return z > 0 ? z : T(slope) * z
        case .identity: return z
        }
    }

    /// g'(z) from a = g(z): sigmoid a(1−a), tanh 1−a², relu [a > 0], leaky relu 1 or slope.
    func referenceDerivative<T: NetScalar>(output a: T) -> T {
        switch self {
        case .sigmoid: return a * (1 - a)
        case .tanh: return 1 - a * a
        case .relu: return a > 0 ? 1 : 0
        case .leakyRelu(let slope): return a > 0 ? 1 : T(slope)
        case .identity: return 1
        }
    }
}

extension OutputLayer {
    /// A_L from Z_L: σ(z), or the softmax of each column (shifted by its largest value).
    func referenceProbabilities<T: NetScalar>(_ Z: Matrix<T>) -> Matrix<T> {
        switch self {
        case .sigmoid:
            return map(Z) { 1 / (1 + T.exponential(-$0)) }
        case .softmax(let classes):
            var A = Z
            for j in 0..<Z.columns {
                let column = Array(Z.storage[(j * classes)..<((j + 1) * classes)])
                let largest = column.max() ?? 0
                let e = column.map { T.exponential($0 - largest) }
                let total = sum(e)
                for c in 0..<classes { A.storage[j * classes + c] = e[c] / total }
            }
            return A
        }
    }

    /// One example's cross-entropy from its logits: `y·softplus(−z) + (1−y)·softplus(z)` for
    /// a sigmoid (the textbook −[y·log a + (1−y)·log(1−a)], finite when a is exactly 1), and
    /// `logsumexp(z) − z_y` for a softmax.
    func referenceLoss<T: NetScalar>(_ Z: Matrix<T>, column j: Int, label: Int32) -> T {
        switch self {
        case .sigmoid:
            let z = label == 1 ? -Z.storage[j] : Z.storage[j]
            return max(z, 0) + T.logOnePlus(T.exponential(-abs(z)))
        case .softmax(let classes):
            let column = Array(Z.storage[(j * classes)..<((j + 1) * classes)])
            let largest = column.max() ?? 0
            return largest + T.logarithm(sum(column.map { T.exponential($0 - largest) })) - column[Int(label)]
        }
    }

    /// The predicted class: a > 0.5 for a sigmoid, the first largest probability for a softmax.
    func referencePrediction<T: NetScalar>(_ A: Matrix<T>, column j: Int) -> Int32 {
        switch self {
        case .sigmoid: return A.storage[j] > 0.5 ? 1 : 0
        case .softmax(let classes):
            var best = 0
            for c in 1..<classes where A.storage[j * classes + c] > A.storage[j * classes + best] { best = c }
            return Int32(best)
        }
    }
}
