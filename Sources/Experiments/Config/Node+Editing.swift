import Yams

extension Node {
    /// This node with `value` at the dotted `path`, creating mappings along the way.
    /// - Throws: a message when a step of the path is not a mapping.
    func setting(_ path: ArraySlice<String>, to value: Node) throws(ConfigValueError) -> Node {
        guard let key = path.first else { return value }
        guard case .mapping(let mapping) = self else {
            throw ConfigValueError(line: mark?.line ?? 0, column: mark?.column ?? 0,
                                   message: "cannot set '\(key)' inside a value that is not a mapping")
        }
        var pairs = Array(mapping.map { ($0.key, $0.value) })
        if let index = pairs.firstIndex(where: { $0.0.string == key }) {
            pairs[index].1 = try pairs[index].1.setting(path.dropFirst(), to: value)
        } else {
            let fresh = Node.mapping(Node.Mapping([]))
            pairs.append((Node(key), try fresh.setting(path.dropFirst(), to: value)))
        }
        return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
    }

    /// The node at the dotted `path`, if every step exists.
    func value(at path: some Collection<String>) -> Node? {
        var node: Node? = self
        for key in path { node = node?.mapping?[key] }
        return node
    }

    /// This mapping without `keys`.
    func removing(_ keys: Set<String>) -> Node {
        guard case .mapping(let mapping) = self else { return self }
        let pairs = mapping.filter { !keys.contains($0.key.string ?? "") }.map { ($0.key, $0.value) }
        return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
    }

    /// The same tree with every position removed (values from the command line have none).
    var withoutMarks: Node {
        switch self {
        case .scalar(let scalar): return .scalar(Node.Scalar(scalar.string, scalar.tag, scalar.style))
        case .sequence(let sequence):
            return .sequence(Node.Sequence(sequence.map(\.withoutMarks), sequence.tag, sequence.style))
        case .mapping(let mapping):
            return .mapping(Node.Mapping(mapping.map { ($0.key.withoutMarks, $0.value.withoutMarks) }, mapping.tag, mapping.style))
        case .alias: return self
        }
    }

    /// A compact one-line rendering for CSV cells and plan lines: `tanh`, `[20, 7, 5]`, `{normal: 0.01}`.
    var compactText: String {
        switch self {
        case .scalar(let scalar): return scalar.string
        case .sequence(let sequence): return "[" + sequence.map(\.compactText).joined(separator: ", ") + "]"
        case .mapping(let mapping):
            return "{" + mapping.map { "\($0.key.compactText): \($0.value.compactText)" }.joined(separator: ", ") + "}"
        case .alias: return "*alias"
        }
    }
}
