/// `engine:` — how the engine computes a run, not what it computes (the results are the same
/// up to rounding whatever is chosen).
///
///     engine: {first_layer: auto, implementation: fast}   # auto | primal | dual; fast | reference
public struct EngineConfig: Codable, Sendable, Hashable {
    /// The form the first layer's weights train in (`FirstLayerForm` in the engine); `auto`
    /// picks per run, at plan time, from the optimizer, the data's shape and the work each
    /// form would do.
    public var firstLayer: FirstLayer
    /// `fast` (the default) or `reference`: the readable engine of `ReferenceEngine`, the
    /// tutorials' algorithm in plain Swift, many times slower (for learning and checking).
    public var implementation: Implementation

    public enum FirstLayer: String, Codable, Sendable, Hashable {
        case auto, primal, dual
    }

    public enum Implementation: String, Codable, Sendable, Hashable {
        case fast, reference
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case firstLayer = "first_layer", implementation }

    public init(firstLayer: FirstLayer = .auto, implementation: Implementation = .fast) {
        self.firstLayer = firstLayer
        self.implementation = implementation
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        firstLayer = try container.decodeChoiceIfPresent(["auto": FirstLayer.auto, "primal": .primal, "dual": .dual],
                                                         forKey: .firstLayer) ?? .auto
        implementation = try container.decodeChoiceIfPresent(["fast": Implementation.fast, "reference": .reference],
                                                             forKey: .implementation) ?? .fast
        if implementation == .reference, firstLayer == .dual {
            throw try container.superDecoder(forKey: .firstLayer).valueError(
                "the reference implementation trains the first layer as the tutorials write it: first_layer: dual needs implementation: fast")
        }
    }

    /// Whether this is what an experiment without `engine:` gets (such runs keep the ids they
    /// had before the section existed).
    var isDefault: Bool { self == EngineConfig() }
}
