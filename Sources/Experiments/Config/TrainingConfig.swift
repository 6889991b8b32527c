import NeuralNet

/// `training:` — optimiser, learning rate, length, batches, L2, decay, recording.
///
///     training: {optimizer: gd, learning_rate: 0.03, iterations: 3000, record_every: 100}
///     training: {optimizer: adam, learning_rate: 1e-3, epochs: 10, batch_size: 128, l2: 1e-4}
public struct TrainingConfig: Codable, Sendable, Hashable {
    public var plan: TrainingPlan
    /// Stop when the validation metric stops improving, keeping the best parameters.
    public var earlyStopping: EarlyStopping?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case optimizer, beta, beta1, beta2, epsilon
        case learningRate = "learning_rate", iterations, epochs, batchSize = "batch_size"
        case l2, l2Convention = "l2_convention", decay, recordEvery = "record_every"
        case earlyStopping = "early_stopping", sampling
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let probability = "a number in [0, 1)"
        let beta = try container.decodeNumberIfPresent(Double.self, forKey: .beta, expected: probability) { $0 >= 0 && $0 < 1 }
        let beta1 = try container.decodeNumberIfPresent(Double.self, forKey: .beta1, expected: probability) { $0 >= 0 && $0 < 1 }
        let beta2 = try container.decodeNumberIfPresent(Double.self, forKey: .beta2, expected: probability) { $0 >= 0 && $0 < 1 }
        let epsilon = try container.decodeNumberIfPresent(
            Double.self, forKey: .epsilon, expected: "a finite number > 0") { $0.isFinite && $0 > 0 }
        let optimizer: Optimizer = try container.decodeChoiceIfPresent(
            ["gd": .gradientDescent, "sgd": .gradientDescent, "momentum": .momentum(beta: beta ?? 0.9),
             "adam": .adam(beta1: beta1 ?? 0.9, beta2: beta2 ?? 0.999, epsilon: epsilon ?? 1e-8)],
            forKey: .optimizer) ?? .gradientDescent
        // A hyperparameter of another optimizer would be silently ignored: name what applies.
        let applies: [CodingKeys]
        switch optimizer {
        case .gradientDescent: applies = []
        case .momentum: applies = [.beta]
        case .adam: applies = [.beta1, .beta2, .epsilon]
        }
        for key in [CodingKeys.beta, .beta1, .beta2, .epsilon] where container.contains(key) && !applies.contains(key) {
            throw try container.superDecoder(forKey: key).valueError(
                "'\(key.stringValue)' does not apply to optimizer \(optimizer.description)"
                + (applies.isEmpty ? " (it has no hyperparameters besides learning_rate)"
                   : "; it takes " + applies.map(\.stringValue).joined(separator: ", ")))
        }
        let learningRate = try container.decodeNumber(
            Double.self, forKey: .learningRate, expected: "a finite number > 0") { $0.isFinite && $0 > 0 }
        let length: TrainingPlan.Length
        switch (container.contains(.iterations), container.contains(.epochs)) {
        case (true, true):
            throw try container.superDecoder(forKey: .epochs).valueError("give either 'iterations' or 'epochs', not both")
        case (false, true):
            length = .epochs(try container.decodeNumber(Int.self, forKey: .epochs, expected: "an integer ≥ 1") { $0 >= 1 })
        case (true, false):
            length = .iterations(try container.decodeNumber(Int.self, forKey: .iterations, expected: "an integer ≥ 1") { $0 >= 1 })
        case (false, false):
            throw decoder.valueError("missing required key 'iterations' (or 'epochs') in 'training'")
        }
        let batchSize = try container.decodeNumberIfPresent(Int.self, forKey: .batchSize, expected: "an integer ≥ 1") { $0 >= 1 }
        let strength = try container.decodeNumberIfPresent(
            Double.self, forKey: .l2, expected: "a finite number ≥ 0") { $0.isFinite && $0 >= 0 } ?? 0
        let convention = try container.decodeChoiceIfPresent(
            ["per_example": 0, "cs231n": 1, "squared_norm": 2], forKey: .l2Convention) ?? 0
        let regularization: Regularization = strength == 0 ? .none
            : [Regularization.perExample(lambda: strength), .cs231n(strength: strength), .squaredNorm(strength: strength)][convention]
        let decay = try container.decodeIfPresent(DecaySpec.self, forKey: .decay)?.decay ?? .none
        let recordEvery = try container.decodeNumberIfPresent(
            Int.self, forKey: .recordEvery, expected: "an integer ≥ 1") { $0 >= 1 } ?? 100
        plan = TrainingPlan(optimizer: optimizer, learningRate: learningRate, length: length, batchSize: batchSize,
                            regularization: regularization, decay: decay, recordEvery: recordEvery)
        plan.sampling = try container.decodeChoiceIfPresent(
            ["permutation": BatchSampling.permutation, "with_replacement": .withReplacement], forKey: .sampling) ?? .permutation
        if plan.sampling == .withReplacement, batchSize == nil {
            throw try container.superDecoder(forKey: .sampling).valueError(
                "sampling: with_replacement draws batch_size examples each iteration: give a batch_size")
        }
        if plan.sampling == .withReplacement, case .epochs = length {
            throw try container.superDecoder(forKey: .epochs).valueError(
                "sampling: with_replacement counts iterations, as cs231n's num_iters: give 'iterations', not 'epochs'")
        }
        earlyStopping = try container.decodeIfPresent(EarlyStopping.self, forKey: .earlyStopping)
        if let every = earlyStopping?.every, every % recordEvery != 0 {
            throw try container.superDecoder(forKey: .earlyStopping).valueError(
                "early_stopping.every must be a multiple of record_every (\(recordEvery)): the validation metric is "
                + "evaluated where the cost is recorded; found \(every)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(plan.optimizer.description, forKey: .optimizer)
        switch plan.optimizer {
        case .gradientDescent: break
        case .momentum(let beta): try container.encode(beta, forKey: .beta)
        case let .adam(beta1, beta2, epsilon):
            try container.encode(beta1, forKey: .beta1)
            try container.encode(beta2, forKey: .beta2)
            try container.encode(epsilon, forKey: .epsilon)
        }
        try container.encode(plan.learningRate, forKey: .learningRate)
        switch plan.length {
        case .iterations(let count): try container.encode(count, forKey: .iterations)
        case .epochs(let count): try container.encode(count, forKey: .epochs)
        }
        try container.encodeIfPresent(plan.batchSize, forKey: .batchSize)
        switch plan.regularization {
        case .none: break
        case .perExample(let lambda):
            try container.encode(lambda, forKey: .l2)
            try container.encode("per_example", forKey: .l2Convention)
        case .cs231n(let strength):
            try container.encode(strength, forKey: .l2)
            try container.encode("cs231n", forKey: .l2Convention)
        case .squaredNorm(let strength):
            try container.encode(strength, forKey: .l2)
            try container.encode("squared_norm", forKey: .l2Convention)
        }
        if plan.decay != .none { try container.encode(DecaySpec(decay: plan.decay), forKey: .decay) }
        try container.encode(plan.recordEvery, forKey: .recordEvery)
        try container.encodeIfPresent(earlyStopping, forKey: .earlyStopping)
        if plan.sampling != .permutation { try container.encode(plan.sampling.rawValue, forKey: .sampling) }
    }

    /// Evaluations of the validation metric between early-stopping checks (at least 1).
    public var earlyStoppingStride: Int {
        max(1, (earlyStopping?.every ?? plan.recordEvery) / plan.recordEvery)
    }
}

/// `early_stopping: {metric: validation_cost, patience: 5, min_delta: 0, every: 100}`: the
/// metric is evaluated on the validation split every `every` iterations (default: record_every);
/// training stops after `patience` evaluations without an improvement of more than `min_delta`,
/// and the parameters of the best evaluation are kept.
public struct EarlyStopping: Codable, Sendable, Hashable {
    public enum Metric: String, Codable, Sendable, Hashable {
        case validationCost = "validation_cost", validationAccuracy = "validation_accuracy"
    }

    public var metric: Metric
    public var patience: Int
    public var minDelta: Double
    public var every: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case metric, patience, minDelta = "min_delta", every
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metric = try container.decodeChoiceIfPresent(
            ["validation_cost": Metric.validationCost, "validation_accuracy": .validationAccuracy], forKey: .metric) ?? .validationCost
        patience = try container.decodeNumberIfPresent(Int.self, forKey: .patience, expected: "an integer ≥ 1") { $0 >= 1 } ?? 5
        minDelta = try container.decodeNumberIfPresent(
            Double.self, forKey: .minDelta, expected: "a finite number ≥ 0") { $0.isFinite && $0 >= 0 } ?? 0
        every = try container.decodeNumberIfPresent(Int.self, forKey: .every, expected: "an integer ≥ 1") { $0 >= 1 }
    }

    /// Whether `value` improves on `best` by more than `minDelta`.
    public func improves(_ value: Double, on best: Double?) -> Bool {
        guard value.isFinite else { return false }
        guard let best else { return true }
        switch metric {
        case .validationCost: return value < best - minDelta
        case .validationAccuracy: return value > best + minDelta
        }
    }
}

/// `decay: {inverse_time: 1.0, every: 10}` or `decay: {exponential: 0.95, every: 1}`.
struct DecaySpec: Codable {
    var decay: LearningRateDecay

    enum CodingKeys: String, CodingKey, CaseIterable {
        case inverseTime = "inverse_time", exponential, every
    }

    init(decay: LearningRateDecay) { self.decay = decay }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let every = try container.decodeNumberIfPresent(Int.self, forKey: .every, expected: "an integer ≥ 1") { $0 >= 1 } ?? 1
        let rate = "a finite number ≥ 0"
        switch (container.contains(.inverseTime), container.contains(.exponential)) {
        case (true, false):
            decay = .inverseTime(rate: try container.decodeNumber(Double.self, forKey: .inverseTime, expected: rate) { $0.isFinite && $0 >= 0 }, every: every)
        case (false, true):
            decay = .exponential(factor: try container.decodeNumber(Double.self, forKey: .exponential, expected: rate) { $0.isFinite && $0 >= 0 }, every: every)
        default:
            throw decoder.valueError("'decay' must name exactly one of inverse_time, exponential")
        }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch decay {
        case .none: break
        case let .inverseTime(rate, every):
            try container.encode(rate, forKey: .inverseTime)
            try container.encode(every, forKey: .every)
        case let .exponential(factor, every):
            try container.encode(factor, forKey: .exponential)
            try container.encode(every, forKey: .every)
        }
    }
}
