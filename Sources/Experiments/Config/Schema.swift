import Yams

/// The keys an experiment file may use, section by section, for unknown-key diagnostics and
/// sweep-path checks. Built from the config types' `CodingKeys`, so it cannot drift from them.
indirect enum Schema: Sendable {
    /// Any value; no keys to check.
    case value
    /// A mapping with these keys (a scalar is also accepted where `allowsScalar`).
    case mapping(name: String, keys: [(String, Schema)], allowsScalar: Bool)

    static func mapping(_ name: String, _ keys: [(String, Schema)], allowsScalar: Bool = false) -> Schema {
        .mapping(name: name, keys: keys, allowsScalar: allowsScalar)
    }

    static func leaves<Keys: CodingKey & CaseIterable>(_: Keys.Type, except nested: [(String, Schema)] = []) -> [(String, Schema)] {
        Keys.allCases.map { key in
            (key.stringValue, nested.first { $0.0 == key.stringValue }?.1 ?? .value)
        }
    }

    /// The sections a run is decoded from.
    static let run: [(String, Schema)] = [
        ("dataset", .mapping("dataset", leaves(DatasetConfig.CodingKeys.self))),
        ("model", .mapping("model", leaves(ModelConfig.CodingKeys.self, except: [
            ("init", .mapping("init", InitSpec.schemes.map { ($0, .value) } + [("seed", .value), ("order", .value)], allowsScalar: true)),
        ]))),
        ("training", .mapping("training", leaves(TrainingConfig.CodingKeys.self, except: [
            ("decay", .mapping("decay", leaves(DecaySpec.CodingKeys.self))),
            ("early_stopping", .mapping("early_stopping", leaves(EarlyStopping.CodingKeys.self))),
        ]))),
        ("seed", .value),
        ("precision", .value),
        ("engine", .mapping("engine", leaves(EngineConfig.CodingKeys.self))),
    ]

    /// The whole file. `sweep` is checked separately (its keys are paths).
    static let experiment: Schema = .mapping("experiment", [
        ("name", .value), ("description", .value),
    ] + run + [
        ("sweep", .value), ("search", .value), ("repeats", .value),
        ("report", .mapping("report", leaves(ReportConfig.CodingKeys.self))),
        ("slurm", .mapping("slurm", leaves(SlurmConfig.CodingKeys.self))),
        ("schedule", .mapping("schedule", leaves(ScheduleConfig.CodingKeys.self, except: [
            ("successive_halving", .mapping("successive_halving", leaves(SuccessiveHalving.CodingKeys.self))),
        ]))),
        ("expect", .value), ("provenance", .value), ("overrides", .value),
    ])

    /// The schema below `key`, if `key` is allowed here.
    func child(_ key: String) -> Schema? {
        guard case let .mapping(_, keys, _) = self else { return nil }
        return keys.first { $0.0 == key }?.1
    }

    /// The keys allowed here.
    var keyNames: [String] {
        guard case let .mapping(_, keys, _) = self else { return [] }
        return keys.map(\.0)
    }

    /// Every unknown key below `node`, located, with a did-you-mean suggestion.
    func unknownKeys(in node: Node, file: String) -> [ConfigError] {
        guard case let .mapping(name, _, _) = self, let mapping = node.mapping else { return [] }
        var errors: [ConfigError] = []
        for (keyNode, valueNode) in mapping {
            let key = keyNode.string ?? ""
            if let schema = child(key) {
                errors += schema.unknownKeys(in: valueNode, file: file)
            } else {
                errors.append(ConfigError(
                    file: file, line: keyNode.mark?.line ?? 0, column: keyNode.mark?.column ?? 0,
                    message: "unknown key '\(key)' in '\(name)'" + Suggestion.phrase(for: key, among: keyNames)))
            }
        }
        return errors
    }
}

/// "; did you mean 'x'?" for a near miss, else "; expected one of a, b, c".
enum Suggestion {
    static func phrase(for word: String, among candidates: [String]) -> String {
        let scored = candidates.map { ($0, distance(word, $0)) }.min { $0.1 < $1.1 }
        if let (best, score) = scored, score <= max(2, best.count / 3) {
            return "; did you mean '\(best)'?"
        }
        return "; expected one of " + candidates.joined(separator: ", ")
    }

    /// Levenshtein edit distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
