import NeuralNet

/// Everything one run is made of, fully resolved: decoded from the experiment file after the
/// sweep's values have been put in place.
public struct RunConfig: Codable, Sendable, Hashable {
    public var dataset: DatasetConfig
    public var model: ModelConfig
    public var training: TrainingConfig
    /// The run's generator seed: reseeded before initialising (unless `model.init.seed` is
    /// set) and then used for mini-batch shuffling.
    public var seed: UInt32
    public var precision: Precision
    /// `engine:`; nil for the defaults, so a run's id (a hash of this config) is the same with
    /// or without an `engine:` section that only states them.
    public var engine: EngineConfig?

    /// The scalar type the engine computes in.
    public enum Precision: String, Codable, Sendable, Hashable { case float64, float32 }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dataset, model, training, seed, precision, engine
    }

    init(dataset: DatasetConfig, model: ModelConfig, training: TrainingConfig, seed: UInt32, precision: Precision,
         engine: EngineConfig?) {
        self.dataset = dataset
        self.model = model
        self.training = training
        self.seed = seed
        self.precision = precision
        self.engine = engine.flatMap { $0.isDefault ? nil : $0 }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        for key in [CodingKeys.dataset, .model, .training] where !container.contains(key) {
            throw decoder.valueError("missing required key '\(key.stringValue)'")
        }
        dataset = try container.decode(DatasetConfig.self, forKey: .dataset)
        model = try container.decode(ModelConfig.self, forKey: .model)
        training = try container.decode(TrainingConfig.self, forKey: .training)
        seed = try container.decodeIfPresent(UInt32.self, forKey: .seed) ?? 1
        precision = try container.decodeChoiceIfPresent(["float64": .float64, "float32": .float32], forKey: .precision)
            ?? .float64
        engine = try container.decodeIfPresent(EngineConfig.self, forKey: .engine).flatMap { $0.isDefault ? nil : $0 }
        if engine?.firstLayer == .dual, !FirstLayerForm.allows(training.plan.optimizer) {
            throw try container.superDecoder(forKey: .engine).valueError(
                "first_layer: dual needs an update linear in the gradient (gd, sgd or momentum); \(training.plan.optimizer) is not: use auto or primal")
        }
    }
}

/// Decoders of one section of a run's node each, so that a file with problems in several
/// sections gets all of them reported (a whole `RunConfig` stops at the first).
enum SectionProbe {
    struct Dataset: Decodable {
        init(from decoder: Decoder) throws {
            _ = try decoder.container(keyedBy: RunConfig.CodingKeys.self).decodeIfPresent(DatasetConfig.self, forKey: .dataset)
        }
    }
    struct Model: Decodable {
        init(from decoder: Decoder) throws {
            _ = try decoder.container(keyedBy: RunConfig.CodingKeys.self).decodeIfPresent(ModelConfig.self, forKey: .model)
        }
    }
    struct Training: Decodable {
        init(from decoder: Decoder) throws {
            _ = try decoder.container(keyedBy: RunConfig.CodingKeys.self).decodeIfPresent(TrainingConfig.self, forKey: .training)
        }
    }
    struct Settings: Decodable {
        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: RunConfig.CodingKeys.self)
            _ = try container.decodeIfPresent(UInt32.self, forKey: .seed)
            _ = try container.decodeChoiceIfPresent(["float64": RunConfig.Precision.float64, "float32": .float32],
                                                    forKey: .precision)
            _ = try container.decodeIfPresent(EngineConfig.self, forKey: .engine)
        }
    }
}
