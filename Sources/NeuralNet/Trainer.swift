/// How long and how one run trains.
public struct TrainingPlan: Sendable, Hashable {
    /// When training stops.
    public enum Length: Sendable, Hashable {
        /// This many parameter updates (full-batch iterations or mini-batches).
        case iterations(Int)
        /// This many passes over the training set.
        case epochs(Int)
    }

    public var optimizer: Optimizer
    public var learningRate: Double
    public var length: Length
    /// Examples per update; `nil` trains full-batch (no shuffling), as the tutorials do.
    public var batchSize: Int?
    public var regularization: Regularization
    public var decay: LearningRateDecay
    /// Record the cost every this many iterations (and always after the last update).
    public var recordEvery: Int
    /// The form the first layer's weights train in (`FirstLayerForm`); the same results up to
    /// rounding either way.
    public var firstLayer: FirstLayerForm
    /// How mini-batches are drawn.
    public var sampling: BatchSampling = .permutation

    public init(optimizer: Optimizer = .gradientDescent, learningRate: Double, length: Length,
                batchSize: Int? = nil, regularization: Regularization = .none,
                decay: LearningRateDecay = .none, recordEvery: Int = 100, firstLayer: FirstLayerForm = .primal) {
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.length = length
        self.batchSize = batchSize
        self.regularization = regularization
        self.decay = decay
        self.recordEvery = recordEvery
        self.firstLayer = firstLayer
    }

    /// The number of updates this plan makes on `exampleCount` examples.
    public func iterationCount(exampleCount: Int) -> Int {
        switch length {
        case .iterations(let count): return count
        case .epochs(let epochs):
            guard let batchSize, batchSize < exampleCount else { return epochs }
            // Saturates: a count beyond Int.max is no different in practice, and never wraps.
            let (count, overflow) = epochs.multipliedReportingOverflow(by: (exampleCount - 1) / batchSize + 1)
            return overflow ? Int.max : count
        }
    }

    /// - Throws: `NeuralNetError.invalidHyperparameter` naming the first bad value.
    public func validate() throws {
        guard learningRate.isFinite, learningRate > 0 else {
            throw NeuralNetError.invalidHyperparameter(
                name: "learning_rate", expected: "a finite number > 0", found: "\(learningRate)")
        }
        switch length {
        case .iterations(let count) where count < 1,
             .epochs(let count) where count < 1:
            throw NeuralNetError.invalidHyperparameter(
                name: "iterations/epochs", expected: "an integer ≥ 1", found: "\(count)")
        default: break
        }
        if let batchSize, batchSize < 1 {
            throw NeuralNetError.invalidHyperparameter(
                name: "batch_size", expected: "an integer ≥ 1", found: "\(batchSize)")
        }
        guard recordEvery >= 1 else {
            throw NeuralNetError.invalidHyperparameter(
                name: "record_every", expected: "an integer ≥ 1", found: "\(recordEvery)")
        }
        if sampling == .withReplacement, batchSize == nil {
            throw NeuralNetError.invalidHyperparameter(
                name: "sampling", expected: "a batch_size with with_replacement", found: "full batch")
        }
        if sampling == .withReplacement, firstLayer == .dual {
            throw NeuralNetError.invalidHyperparameter(
                name: "first_layer", expected: "primal or auto with sampling with replacement", found: "dual")
        }
        if firstLayer == .dual, !FirstLayerForm.allows(optimizer) {
            throw NeuralNetError.invalidHyperparameter(
                name: "first_layer", expected: "primal or auto with \(optimizer) (its update leaves the dual form's span)",
                found: "dual")
        }
        try optimizer.validate()
        try regularization.validate()
        try decay.validate()
    }
}

/// How a mini-batch's examples are chosen.
public enum BatchSampling: String, Sendable, Hashable {
    /// `permutation(m)` once per epoch, cut into consecutive batches (the deep-learning course's
    /// `random_mini_batches`); an epoch is one pass over the examples.
    case permutation
    /// cs231n's training loop: every iteration draws `choice(m, batch_size)` with replacement;
    /// an "epoch" is `max(m / batch_size, 1)` iterations, counted as cs231n counts them (the
    /// learning rate decays after iteration k when `k % (m / batch_size) == 0`, in floating point).
    case withReplacement = "with_replacement"
}

/// One point of a cost curve.
public struct CostRecord: Sendable, Equatable {
    /// Updates made before this forward pass (0 = the initial parameters).
    public var iteration: Int
    /// The epoch the forward pass belongs to (0-based).
    public var epoch: Int
    /// The cost of that forward pass, with the L2 term.
    public var cost: Double
    /// The fraction of that pass's examples predicted correctly.
    public var accuracy: Double
}

/// How a run ended.
public enum TrainingStatus: Sendable, Equatable {
    case finished
    /// The cost or the output gradient became NaN or infinite at this iteration.
    case diverged(iteration: Int)
    /// `shouldStop` returned true before this iteration (the caller asked the run to end early).
    case stopped(iteration: Int)
    /// `checkpoint` answered false at this iteration (early stopping): the parameters are those
    /// after `iteration` updates.
    case halted(iteration: Int)
}

/// Called with the network after `iteration` updates, right after each record (every
/// `record_every` iterations, not after the last update); false ends the run as `.halted`.
public typealias Checkpoint<T: NetScalar> = (_ iteration: Int, _ network: Network<T>) -> Bool

/// What a run reports once it stops.
public struct TrainingOutcome: Sendable {
    public var status: TrainingStatus
    /// Updates made.
    public var iterations: Int
    /// The cost on the full training set after the last update (nil when diverged).
    public var finalCost: Double?
    /// Training-set accuracy after the last update (nil when diverged).
    public var trainAccuracy: Double?
}

/// Trains one network: full-batch gradient descent or shuffled mini-batches.
public enum Trainer {
    /// Trains `network` on `inputs` (n_0, m) and `labels`, calling `record` with each
    /// recorded cost as soon as it is known (so curves can stream to disk).
    ///
    /// Iteration i's cost is the forward pass made after i updates; the last record is the
    /// cost after the final update. Mini-batches come from `random.permutation(m)` once per
    /// epoch, then contiguous slices of the permuted columns (the last one may be narrower).
    /// `shouldStop` is asked before every iteration (a cheap flag read: it is how a sweep stops a
    /// run in progress on a signal); when it answers true the run ends as `.stopped`.
    ///
    /// With `resume` (a `TrainingState` of the same run on the same data), training goes on from
    /// its iteration to the plan's length, `network` and `random` replaced by the state's, and
    /// records only the iterations from there on. `finalState` receives the state after the last
    /// update of a run that finished (not of one stopped, halted or diverged).
    /// - Throws: `NeuralNetError` for invalid data or hyperparameters (before any work).
    public static func train<T: NetScalar>(
        _ network: inout Network<T>, inputs: Matrix<T>, labels: [Int32], plan: TrainingPlan,
        random: inout NumpyRandom, resume: TrainingState<T>? = nil, record: (CostRecord) -> Void = { _ in },
        shouldStop: () -> Bool = { false }, checkpoint: Checkpoint<T>? = nil,
        finalState: ((TrainingState<T>) -> Void)? = nil
    ) throws -> TrainingOutcome {
        // Dispatch through the scalar type so the loop below always runs specialised for
        // Double or Float, even when the caller is generic code in another module.
        try T.train(&network, inputs: inputs, labels: labels, plan: plan, random: &random, resume: resume, record: record,
                    shouldStop: shouldStop, checkpoint: checkpoint, finalState: finalState)
    }

    /// The training loop, specialised per scalar type by `NetScalar.train`.
    static func trainSpecialized<T: NetScalar>(
        _ network: inout Network<T>, inputs: Matrix<T>, labels: [Int32], plan: TrainingPlan,
        random: inout NumpyRandom, resume: TrainingState<T>?, record: (CostRecord) -> Void, shouldStop: () -> Bool,
        checkpoint: Checkpoint<T>?, finalState: ((TrainingState<T>) -> Void)?
    ) throws -> TrainingOutcome {
        try network.validate(inputs: inputs, labels: labels)
        try plan.validate()
        if let resume {
            guard resume.network.architecture == network.architecture else {
                throw NeuralNetError.shapeMismatch(what: "resumed network", expected: "\(network.architecture.layerSizes)",
                                                   found: "\(resume.network.architecture.layerSizes)")
            }
            guard resume.order.isEmpty || resume.order.count == inputs.columns, resume.position <= inputs.columns,
                  resume.dual == nil || plan.firstLayer == .dual else {
                throw NeuralNetError.shapeMismatch(what: "resumed state", expected: "a state of this run on \(inputs.columns) examples",
                                                   found: "\(resume.order.count) examples, position \(resume.position)")
            }
            random = resume.random
        }
        return inputs.storage.withUnsafeBufferPointer { x in
            labels.withUnsafeBufferPointer { y in
                guard let x = x.baseAddress, let y = y.baseAddress else {
                    return TrainingOutcome(status: .finished, iterations: 0)
                }
                var loop = TrainingLoop(network: network, plan: plan, inputs: x, labels: y,
                                        rows: inputs.rows, columns: inputs.columns, checkpoint: checkpoint, resume: resume)
                let outcome = loop.run(random: &random, record: record, shouldStop: shouldStop)
                network = loop.network
                if let finalState, case .finished = outcome.status {
                    finalState(TrainingState(network: loop.network, iteration: outcome.iterations, epoch: loop.end.epoch,
                                             position: loop.end.position, order: loop.end.order, random: random,
                                             optimizer: loop.optimizer, dual: loop.dual?.state))
                }
                return outcome
            }
        }
    }
}

/// The state of one training run: network, optimizer state and reused buffers.
private struct TrainingLoop<T: NetScalar> {
    var network: Network<T>
    let plan: TrainingPlan
    let inputs: UnsafePointer<T>
    let labels: UnsafePointer<Int32>
    let rows: Int
    let columns: Int
    var optimizer: OptimizerState<T>
    var gradients: [Dense<T>.Gradients]
    /// The first layer in dual form, when the plan asks for it.
    let dual: DualFirstLayer<T>?
    let checkpoint: Checkpoint<T>?
    /// Where the loop starts: 0 (the first epoch, shuffled) or a resumed state's place.
    let start: (iteration: Int, epoch: Int, position: Int, order: [Int])
    /// Where it ended (the next update's epoch and place in the permutation), for `TrainingState`.
    var end: (epoch: Int, position: Int, order: [Int]) = (0, 0, [])

    init(network: Network<T>, plan: TrainingPlan, inputs: UnsafePointer<T>, labels: UnsafePointer<Int32>,
         rows: Int, columns: Int, checkpoint: Checkpoint<T>?, resume: TrainingState<T>?) {
        let network = resume?.network ?? network
        self.network = network
        self.checkpoint = checkpoint
        start = resume.map { ($0.iteration, $0.epoch, $0.position, $0.order) } ?? (0, 0, 0, [])
        end = (start.epoch, start.position, start.order)
        self.plan = plan
        self.inputs = inputs
        self.labels = labels
        self.rows = rows
        self.columns = columns
        optimizer = resume?.optimizer ?? OptimizerState(rule: plan.optimizer, network: network)
        gradients = network.makeGradients()
        if plan.firstLayer == .dual, let first = network.layers.first {
            var momentum = false
            if case .momentum = plan.optimizer { momentum = true }
            // Resumed: built from the same W1₀ (so the same G and P), then given a and B.
            let dual = DualFirstLayer(weights: resume?.dual?.initial ?? first.weights, inputs: inputs, examples: columns,
                                      batch: Swift.min(plan.batchSize ?? columns, columns), batches: plan.batchSize != nil,
                                      momentum: momentum)
            if let saved = resume?.dual { dual.restore(saved) }
            self.dual = dual
        } else {
            dual = nil
        }
    }

    mutating func run(random: inout NumpyRandom, record: (CostRecord) -> Void, shouldStop: () -> Bool) -> TrainingOutcome {
        let outcome: TrainingOutcome
        if let batchSize = plan.batchSize, plan.sampling == .withReplacement {
            outcome = runSampled(batchSize: batchSize, random: &random, record: record, shouldStop: shouldStop)
        } else if let batchSize = plan.batchSize {
            outcome = runMiniBatches(batchSize: Swift.min(batchSize, columns), random: &random, record: record,
                                     shouldStop: shouldStop)
        } else {
            outcome = runFullBatch(record: record, shouldStop: shouldStop)
        }
        // A stopped or diverged run returns its network as it was: W1 formed from a and B.
        if let dual, dual.stale { dual.formWeights(into: &network.layers[0].weights) }
        return outcome
    }

    /// What one step ended in.
    enum StepResult { case stepped, diverged, halted }

    /// One forward, (optional) cost and checkpoint, backward and update.
    /// `order[range]` are the batch's columns of the training set (nil: all, in order), which
    /// the dual first layer reads its columns of G and P by.
    private mutating func step(input: UnsafePointer<T>, labels: UnsafePointer<Int32>, columns width: Int,
                               order: UnsafePointer<Int>?, range: Range<Int>,
                               workspace: Workspace<T>, iteration: Int, epoch: Int,
                               record: (CostRecord) -> Void) -> StepResult {
        if let dual {
            let single = network.layers.count == 1
            let target = single ? workspace.logits.pointer : workspace.activations[0].pointer
            let activation = single ? Activation.identity : network.architecture.hiddenActivation
            network.layers[0].bias.storage.withUnsafeBufferPointer { bias in
                guard let bias = bias.baseAddress else { return }
                dual.forward(order: order, range: range, bias: bias, activation: activation, target: target)
            }
            network.forward(input: input, columns: width, workspace: workspace, from: 1)
        } else {
            network.forward(input: input, columns: width, workspace: workspace)
        }
        if iteration % plan.recordEvery == 0 {
            // The L2 term is Σ‖W_l‖² of W1 itself.
            if let dual, plan.regularization.isActive, dual.stale { dual.formWeights(into: &network.layers[0].weights) }
            let cost = network.cost(labels: labels, columns: width, workspace: workspace,
                                    regularization: plan.regularization)
            let correct = network.correctCount(labels: labels, columns: width, workspace: workspace)
            guard cost.isFinite else { return .diverged }
            record(CostRecord(iteration: iteration, epoch: epoch, cost: Double(cost),
                              accuracy: Double(correct) / Double(width)))
            if let checkpoint {
                if let dual, dual.stale { dual.formWeights(into: &network.layers[0].weights) }
                if !checkpoint(iteration, network) { return .halted }
            }
        }
        let outputGradientSum = network.backward(
            input: input, labels: labels, columns: width, workspace: workspace,
            regularization: plan.regularization, gradients: &gradients, firstLayerWeights: dual == nil)
        guard outputGradientSum.isFinite else { return .diverged }
        let learningRate = plan.decay.learningRate(initial: plan.learningRate, epoch: epoch)
        optimizer.update(&network, gradients: gradients, learningRate: learningRate, firstLayerWeights: dual == nil)
        dual?.update(delta: workspace.deltas[0].pointer, order: order, range: range,
                     l2Scale: T(plan.regularization.gradientScale(batchSize: width)), learningRate: T(learningRate),
                     rule: plan.optimizer)
        return .stepped
    }

    private mutating func runFullBatch(record: (CostRecord) -> Void, shouldStop: () -> Bool) -> TrainingOutcome {
        let iterations = plan.iterationCount(exampleCount: columns)
        let workspace = Workspace<T>(architecture: network.architecture, columns: columns)
        for i in Swift.min(start.iteration, iterations)..<iterations {
            if shouldStop() { return TrainingOutcome(status: .stopped(iteration: i), iterations: i) }
            switch step(input: inputs, labels: labels, columns: columns, order: nil, range: 0..<columns,
                        workspace: workspace, iteration: i, epoch: i, record: record) {
            case .stepped: break
            case .diverged: return TrainingOutcome(status: .diverged(iteration: i), iterations: i)
            case .halted: return TrainingOutcome(status: .halted(iteration: i), iterations: i)
            }
        }
        end = (iterations, 0, [])
        return finish(iterations: iterations, epoch: iterations, workspace: workspace, record: record)
    }

    private mutating func runMiniBatches(batchSize: Int, random: inout NumpyRandom,
                                         record: (CostRecord) -> Void, shouldStop: () -> Bool) -> TrainingOutcome {
        let iterations = plan.iterationCount(exampleCount: columns)
        let full = Workspace<T>(architecture: network.architecture, columns: batchSize)
        let remainderWidth = columns % batchSize
        let remainder = remainderWidth == 0 ? nil
            : Workspace<T>(architecture: network.architecture, columns: remainderWidth)
        // The dual first layer reads columns of G, not of X: only the labels are gathered.
        let batch = BatchBuffer<T>(rows: dual == nil ? rows : 0, columns: batchSize)
        var order = [Int](repeating: 0, count: columns)
        var iteration = self.start.iteration
        var epoch = self.start.epoch
        // A resumed run goes on in the permutation it paused in.
        var resumeAt: Int? = self.start.order.count == columns ? self.start.position : nil
        if resumeAt != nil { order = self.start.order }
        while iteration < iterations {
            var start = 0
            if let position = resumeAt {
                start = position
                resumeAt = nil
            } else {
                // np.random.permutation(m): shuffle a fresh arange, in a reused array.
                for j in 0..<columns { order[j] = j }
                random.shuffle(&order)
            }
            while start < columns, iteration < iterations {
                if shouldStop() { return TrainingOutcome(status: .stopped(iteration: iteration), iterations: iteration) }
                let width = Swift.min(batchSize, columns - start)
                let workspace = width == batchSize ? full : (remainder ?? full)
                let range = start..<(start + width)
                let stepped = order.withUnsafeBufferPointer { order -> StepResult in
                    guard let order = order.baseAddress else { return .diverged }
                    batch.gather(from: inputs, labels: labels, order: order, range: range)
                    return step(input: dual == nil ? UnsafePointer(batch.inputs.pointer) : inputs, labels: batch.labels.pointer,
                                columns: width, order: order, range: range,
                                workspace: workspace, iteration: iteration, epoch: epoch, record: record)
                }
                switch stepped {
                case .stepped: break
                case .diverged: return TrainingOutcome(status: .diverged(iteration: iteration), iterations: iteration)
                case .halted: return TrainingOutcome(status: .halted(iteration: iteration), iterations: iteration)
                }
                iteration += 1
                start += width
            }
            // Paused in the middle of an epoch: the next update continues its permutation.
            end = start < columns ? (epoch, start, order) : (epoch + 1, 0, [])
            epoch += 1
        }
        // The final record is over the whole training set, evaluated in batch-sized chunks.
        let evaluation = Workspace<T>(architecture: network.architecture, columns: batchSize)
        return finish(iterations: iterations, epoch: epoch, workspace: evaluation, record: record)
    }

    /// cs231n's loop: each iteration trains on `choice(m, batchSize)` drawn with replacement (a
    /// batch may be larger than m); the epoch (what decay counts) advances after iteration k when
    /// `k % max(m / batchSize, 1) == 0` in floating point, as Python's `it % iterations_per_epoch`.
    private mutating func runSampled(batchSize: Int, random: inout NumpyRandom,
                                     record: (CostRecord) -> Void, shouldStop: () -> Bool) -> TrainingOutcome {
        let iterations = plan.iterationCount(exampleCount: columns)
        let workspace = Workspace<T>(architecture: network.architecture, columns: batchSize)
        let batch = BatchBuffer<T>(rows: rows, columns: batchSize)
        let perEpoch = Swift.max(Double(columns) / Double(batchSize), 1)
        var order = [Int](repeating: 0, count: batchSize)
        var epoch = start.epoch
        for iteration in Swift.min(start.iteration, iterations)..<iterations {
            if shouldStop() { return TrainingOutcome(status: .stopped(iteration: iteration), iterations: iteration) }
            // choice(m, batch): randint(0, m) per position, written in place (no array per iteration).
            for j in 0..<batchSize { order[j] = random.randint(0, columns) }
            let stepped = order.withUnsafeBufferPointer { order -> StepResult in
                guard let order = order.baseAddress else { return .diverged }
                batch.gather(from: inputs, labels: labels, order: order, range: 0..<batchSize)
                return step(input: UnsafePointer(batch.inputs.pointer), labels: batch.labels.pointer, columns: batchSize,
                            order: order, range: 0..<batchSize, workspace: workspace, iteration: iteration, epoch: epoch,
                            record: record)
            }
            switch stepped {
            case .stepped: break
            case .diverged: return TrainingOutcome(status: .diverged(iteration: iteration), iterations: iteration)
            case .halted: return TrainingOutcome(status: .halted(iteration: iteration), iterations: iteration)
            }
            if Double(iteration).truncatingRemainder(dividingBy: perEpoch) == 0 { epoch += 1 }
        }
        end = (epoch, 0, [])
        let evaluation = Workspace<T>(architecture: network.architecture, columns: Swift.min(batchSize, columns))
        return finish(iterations: iterations, epoch: epoch, workspace: evaluation, record: record)
    }

    /// Evaluates the trained network on the whole training set and records iteration N.
    private mutating func finish(iterations: Int, epoch: Int, workspace: Workspace<T>,
                                 record: (CostRecord) -> Void) -> TrainingOutcome {
        if let dual, dual.stale { dual.formWeights(into: &network.layers[0].weights) }
        var lossSum: T = 0
        var correct = 0
        var start = 0
        while start < columns {
            let width = Swift.min(workspace.columns, columns - start)
            network.forward(input: inputs + start * rows, columns: width, workspace: workspace)
            lossSum += network.dataLossSum(labels: labels + start, columns: width, workspace: workspace)
            correct += network.correctCount(labels: labels + start, columns: width, workspace: workspace)
            start += width
        }
        let cost = (1 / T(columns)) * lossSum + network.penalty(plan.regularization, batchSize: columns)
        guard cost.isFinite else {
            return TrainingOutcome(status: .diverged(iteration: iterations), iterations: iterations)
        }
        let accuracy = Double(correct) / Double(columns)
        record(CostRecord(iteration: iterations, epoch: epoch, cost: Double(cost), accuracy: accuracy))
        return TrainingOutcome(status: .finished, iterations: iterations, finalCost: Double(cost),
                               trainAccuracy: accuracy)
    }
}

extension TrainingOutcome {
    init(status: TrainingStatus, iterations: Int) {
        self.init(status: status, iterations: iterations, finalCost: nil, trainAccuracy: nil)
    }
}
