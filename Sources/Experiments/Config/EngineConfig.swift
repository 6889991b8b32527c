/// `engine:` — how the engine computes a run, not what it computes (the results are the same
/// up to rounding whatever is chosen).
///
///     engine: {first_layer: auto}     # auto | primal | dual
public struct EngineConfig: Codable, Sendable, Hashable {
    /// The form the first layer's weights train in (`FirstLayerForm` in the engine); `auto`
    /// picks per run, at plan time, from the optimizer, the data's shape and the work each
    /// form would do.
    public var firstLayer: FirstLayer

    public enum FirstLayer: String, Codable, Sendable, Hashable {
        case auto, primal, dual
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case firstLayer = "first_layer" }

    public init(firstLayer: FirstLayer = .auto) {
        self.firstLayer = firstLayer
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        firstLayer = try container.decodeChoiceIfPresent(["auto": FirstLayer.auto, "primal": .primal, "dual": .dual],
                                                         forKey: .firstLayer) ?? .auto
    }

    /// Whether this is what an experiment without `engine:` gets (such runs keep the ids they
    /// had before the section existed).
    var isDefault: Bool { self == EngineConfig() }
}
