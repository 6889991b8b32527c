/// Where a finished run stands after its last update, exactly: the parameters, the optimizer's
/// moments and step count, the generator, the position in the current epoch's permutation and,
/// in dual form, a, B and W1₀. `Trainer.train(resume:)` goes on from it to a longer budget with
/// the same updates, bit for bit, as a run that had trained to that budget without pausing
/// (successive halving continues promoted runs from their rung this way).
public struct TrainingState<T: NetScalar>: Sendable {
    /// The parameters after `iteration` updates.
    public internal(set) var network: Network<T>
    /// Updates made.
    public internal(set) var iteration: Int
    /// The epoch the next update belongs to.
    var epoch: Int
    /// Mini-batches: the next batch's first position in `order`, the current epoch's
    /// permutation (empty when the next update starts a new epoch).
    var position: Int
    var order: [Int]
    var random: NumpyRandom
    var optimizer: OptimizerState<T>
    var dual: DualFirstLayer<T>.State?

    /// An error in a state file: what is missing or misshapen.
    public struct DecodingError: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) { self.description = description }
    }

    /// Every value as a named matrix of Doubles (exact for Float and Double parameters, 32-bit
    /// generator words and example indices), to be written as `.npz`.
    public func arrays() -> [(String, Matrix<Double>)] {
        func scalar(_ value: Double) -> Matrix<Double> { Matrix(rows: 1, columns: 1, repeating: value) }
        func column(_ values: [Double]) -> Matrix<Double> {
            // The count is the matrix's own, so the shape cannot mismatch.
            (try? Matrix(rows: values.count, columns: 1, columnMajor: values)) ?? Matrix(rows: 0, columns: 1)
        }
        let generator = random.snapshot
        var arrays: [(String, Matrix<Double>)] = [
            ("iteration", scalar(Double(iteration))), ("epoch", scalar(Double(epoch))),
            ("position", scalar(Double(position))), ("optimizer_step", scalar(Double(optimizer.step))),
            ("random_state", column(generator.words.map(Double.init))), ("random_index", scalar(Double(generator.index))),
        ]
        if let gaussian = generator.gaussian { arrays.append(("random_gaussian", scalar(gaussian))) }
        if !order.isEmpty { arrays.append(("order", column(order.map(Double.init)))) }
        for (l, layer) in network.layers.enumerated() {
            arrays.append(("W\(l + 1)", layer.weights.converted()))
            arrays.append(("b\(l + 1)", layer.bias.converted()))
        }
        for (prefix, moments) in [("v", optimizer.firstMoments), ("s", optimizer.secondMoments)] {
            for (l, moment) in moments.enumerated() {
                arrays.append(("\(prefix)_W\(l + 1)", moment.weights.converted()))
                arrays.append(("\(prefix)_b\(l + 1)", moment.bias.converted()))
            }
        }
        if let dual {
            arrays.append(("dual_scale", scalar(Double(dual.scale))))
            arrays.append(("dual_scale_velocity", scalar(Double(dual.scaleVelocity))))
            arrays.append(("dual_initial", dual.initial.converted()))
            arrays.append(("dual_coefficients", dual.coefficients.converted()))
            if let velocity = dual.velocity { arrays.append(("dual_velocity", velocity.converted())) }
        }
        return arrays
    }

    /// The state written by `arrays()`, checked against the run it is to continue: the
    /// architecture, the optimizer, the first layer's form and the number of examples.
    /// - Throws: `DecodingError` naming the first array missing, misshapen or out of range.
    public init(arrays: [String: Matrix<Double>], architecture: Architecture, plan: TrainingPlan, examples: Int) throws {
        func matrix(_ name: String, _ rows: Int, _ columns: Int) throws -> Matrix<Double> {
            guard let value = arrays[name] else { throw DecodingError(description: "no \(name)") }
            guard value.rows == rows, value.columns == columns else {
                throw DecodingError(description: "\(name) is (\(value.rows), \(value.columns)), expected (\(rows), \(columns))")
            }
            return value
        }
        func integer(_ name: String, in range: ClosedRange<Int>) throws -> Int {
            let value = try matrix(name, 1, 1).storage[0]
            guard value.isFinite, value == value.rounded(), let integer = Int(exactly: value), range.contains(integer) else {
                throw DecodingError(description: "\(name) is \(value), expected an integer in \(range)")
            }
            return integer
        }
        let sizes = architecture.layerSizes
        var layers: [Dense<T>] = []
        for l in 1..<sizes.count {
            layers.append(try Dense(weights: matrix("W\(l)", sizes[l], sizes[l - 1]).converted(),
                                    bias: matrix("b\(l)", sizes[l], 1).converted()))
        }
        network = try Network(architecture: architecture, layers: layers)
        iteration = try integer("iteration", in: 0...Int(Int32.max))
        epoch = try integer("epoch", in: 0...Int(Int32.max))
        position = try integer("position", in: 0...max(examples, 0))
        if let order = arrays["order"] {
            guard order.rows == examples, order.columns == 1,
                  order.storage.allSatisfy({ $0 >= 0 && $0 < Double(examples) && $0 == $0.rounded() }) else {
                throw DecodingError(description: "order is not a permutation of the \(examples) examples")
            }
            self.order = order.storage.map { Int($0) }
        } else {
            order = []
        }
        let words = try matrix("random_state", NumpyRandom.Snapshot.wordCount, 1).storage
        guard words.allSatisfy({ $0 >= 0 && $0 <= Double(UInt32.max) && $0 == $0.rounded() }) else {
            throw DecodingError(description: "random_state holds values that are not 32-bit words")
        }
        random = NumpyRandom(snapshot: .init(words: words.map { UInt32($0) },
                                             index: try integer("random_index", in: 0...NumpyRandom.Snapshot.wordCount),
                                             gaussian: arrays["random_gaussian"]?.storage.first))
        optimizer = OptimizerState(rule: plan.optimizer, network: network)
        optimizer.step = try integer("optimizer_step", in: 0...Int(Int32.max))
        for (prefix, count) in [("v", optimizer.firstMoments.count), ("s", optimizer.secondMoments.count)] {
            for l in 0..<count {
                let weights: Matrix<T> = try matrix("\(prefix)_W\(l + 1)", sizes[l + 1], sizes[l]).converted()
                let bias: Matrix<T> = try matrix("\(prefix)_b\(l + 1)", sizes[l + 1], 1).converted()
                optimizer.setMoment(prefix == "v" ? .first : .second, layer: l, weights: weights, bias: bias)
            }
        }
        // A finished run's state is finite, and its counters agree with its iteration.
        for (name, value) in arrays where !value.storage.allSatisfy(\.isFinite) {
            throw DecodingError(description: "\(name) holds a value that is not finite")
        }
        guard optimizer.step == iteration else {
            throw DecodingError(description: "optimizer_step is \(optimizer.step) after \(iteration) updates")
        }
        guard Self.place(after: iteration, plan: plan, examples: examples) == (epoch, position, !order.isEmpty) else {
            throw DecodingError(description: "epoch \(epoch) and position \(position) are not where \(iteration) updates end")
        }
        if plan.firstLayer == .dual {
            var momentum = false
            if case .momentum = plan.optimizer { momentum = true }
            dual = DualFirstLayer<T>.State(
                scale: T(try matrix("dual_scale", 1, 1).storage[0]),
                scaleVelocity: T(try matrix("dual_scale_velocity", 1, 1).storage[0]),
                initial: try matrix("dual_initial", sizes[1], sizes[0]).converted(),
                coefficients: try matrix("dual_coefficients", sizes[1], examples).converted(),
                velocity: momentum ? try matrix("dual_velocity", sizes[1], examples).converted() : nil)
        } else {
            dual = nil
        }
    }

    /// The epoch, the place in its permutation and whether the epoch is under way after
    /// `iteration` updates of `plan` on `examples` examples (what the training loop leaves).
    static func place(after iteration: Int, plan: TrainingPlan, examples: Int) -> (epoch: Int, position: Int, midEpoch: Bool) {
        guard let size = plan.batchSize, examples > 0 else { return (iteration, 0, false) }
        let batch = Swift.min(size, examples)
        if plan.sampling == .withReplacement {
            let perEpoch = Swift.max(Double(examples) / Double(batch), 1)
            var epoch = 0
            for k in 0..<iteration where Double(k).truncatingRemainder(dividingBy: perEpoch) == 0 { epoch += 1 }
            return (epoch, 0, false)
        }
        let perEpoch = (examples - 1) / batch + 1
        let done = iteration % perEpoch
        return (iteration / perEpoch, done * batch, done > 0)
    }

    init(network: Network<T>, iteration: Int, epoch: Int, position: Int, order: [Int], random: NumpyRandom,
         optimizer: OptimizerState<T>, dual: DualFirstLayer<T>.State?) {
        self.network = network
        self.iteration = iteration
        self.epoch = epoch
        self.position = position
        self.order = order
        self.random = random
        self.optimizer = optimizer
        self.dual = dual
    }
}
