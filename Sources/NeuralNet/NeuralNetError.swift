/// Why the engine refused its input; every case says what was expected and what was found.
public enum NeuralNetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Two shapes or counts that must agree do not.
    case shapeMismatch(what: String, expected: String, found: String)
    /// A dataset or batch with no examples or no features.
    case emptyData(what: String)
    /// A layer width of zero or less.
    case invalidWidth(layer: Int, found: Int)
    /// A hyperparameter outside its domain (non-finite learning rate, negative L2, …).
    case invalidHyperparameter(name: String, expected: String, found: String)
    /// A label outside the loss's range.
    case labelOutOfRange(example: Int, expected: String, found: Int)

    public var description: String {
        switch self {
        case let .shapeMismatch(what, expected, found):
            return "shape mismatch in \(what): expected \(expected); found \(found)"
        case let .emptyData(what):
            return "\(what) is empty: expected at least one example and one feature"
        case let .invalidWidth(layer, found):
            return "layer \(layer) width must be a positive integer; found \(found)"
        case let .invalidHyperparameter(name, expected, found):
            return "'\(name)' must be \(expected); found \(found)"
        case let .labelOutOfRange(example, expected, found):
            return "label of example \(example) must be \(expected); found \(found)"
        }
    }
}
