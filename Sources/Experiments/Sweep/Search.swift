import Foundation
import NeuralNet
import Yams

/// `search:` — sampled configurations instead of (or besides) a grid:
///
///     search:
///       samples: 60          # configurations drawn
///       seed: 0              # the draw's own generator seed
///       method: random       # random (NumPy's MT19937) | halton (low-discrepancy)
///       learning_rate: {log_uniform: [1.0e-4, 1.0]}
///       width: {int_uniform: [4, 128]}
///       depth: {choice: [1, 2, 3]}
///       l2: {uniform: [0.0, 0.1]}
///
/// The values are drawn once, when the file is loaded, and become one more sweep axis whose
/// points set every sampled key together (an outer product with the grid of `sweep:`). They
/// are written into `plan.json` and the run configs as exact decimal text, so the same file
/// gives the same configurations on any machine, and resume, shards and reports see the same runs.
struct SearchSpace {
    enum Method: String { case random, halton }

    enum Distribution {
        case uniform(Double, Double)
        case logUniform(Double, Double)
        case intUniform(Int, Int)
        case choice([Node])

        /// The value at `u` in [0, 1).
        func value(at u: Double) -> Node {
            switch self {
            case let .uniform(low, high): return Node(SearchSpace.text(low + u * (high - low)))
            case let .logUniform(low, high): return Node(SearchSpace.text(Foundation.exp(Foundation.log(low) + u * (Foundation.log(high) - Foundation.log(low)))))
            case let .intUniform(low, high):
                let span = high - low + 1
                return Node(String(low + min(Int((u * Double(span)).rounded(.down)), span - 1)))
            case let .choice(values): return values[min(Int((u * Double(values.count)).rounded(.down)), values.count - 1)]
            }
        }
    }

    var samples: Int
    var seed: UInt32
    var method: Method
    var keys: [String]
    var paths: [[String]]
    var distributions: [Distribution]

    /// The sweep axis of the drawn configurations: point i sets every key to its i-th draw. A
    /// configuration drawn again (discrete keys: choice, int_uniform) is kept once, so a search
    /// may give fewer runs than `samples`.
    func axis() -> SweepAxis {
        var random = NumpyRandom(seed: seed)
        var seen: Set<[String]> = []
        var points: [[Node]] = []
        for sample in 0..<samples {
            let point = distributions.indices.map { dimension -> Node in
                let u = method == .random ? random.uniform() : Self.halton(sample + 1, base: Self.primes[dimension])
                return distributions[dimension].value(at: u)
            }
            if seen.insert(point.map(\.compactText)).inserted { points.append(point) }
        }
        return SweepAxis(keys: keys, paths: paths, points: points)
    }

    /// The first primes, one Halton base per sampled key.
    static let primes = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53]

    /// The radical inverse of `index` in `base`: 1/2, 1/4, 3/4, 1/8, … for base 2.
    static func halton(_ index: Int, base: Int) -> Double {
        var result = 0.0, fraction = 1.0 / Double(base), i = index
        while i > 0 {
            result += Double(i % base) * fraction
            i /= base
            fraction /= Double(base)
        }
        return result
    }

    /// A drawn number as YAML text that reads back as the same double: the shortest
    /// round-trip digits, always with a '.' (YAML 1.1 reads "1e-05" as text).
    static func text(_ value: Double) -> String {
        var text = "\(value)"
        if !text.contains("."), let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            text.insert(contentsOf: ".0", at: e)
        }
        return text
    }
}

extension SearchSpace {
    /// Reads `search:`; every problem is located in the file.
    /// - Parameter isSweepable: whether a sweep path names a setting (the sweep's own check).
    static func parse(_ node: Node, file: String, isSweepable: ([String]) -> Bool,
                      locate: (Node?, String) -> ConfigError) -> Result<SearchSpace, ConfigErrors> {
        guard let mapping = node.mapping else {
            return .failure(ConfigErrors([locate(node, "'search' must be a mapping with samples and key: {distribution: …}; found '\(node.compactText)'")]))
        }
        var errors: [ConfigError] = []
        var samples: Int?
        var seed: UInt32 = 0
        var method = Method.random
        var keys: [String] = [], paths: [[String]] = [], distributions: [Distribution] = []
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            switch key {
            case "samples":
                if let count = value.int, (1...1_000_000).contains(count) { samples = count } else {
                    errors.append(locate(value, "'samples' must be a whole number in 1...1000000; found '\(value.compactText)'"))
                }
            case "seed":
                if let text = value.string, let parsed = UInt32(text) { seed = parsed } else {
                    errors.append(locate(value, "search 'seed' must be a whole number in 0...4294967295; found '\(value.compactText)'"))
                }
            case "method":
                if let text = value.string, let parsed = Method(rawValue: text) { method = parsed } else {
                    errors.append(locate(value, "'method' must be random or halton; found '\(value.compactText)'"))
                }
            default:
                let path = SweepAlias.path(for: key)
                guard isSweepable(path) else {
                    errors.append(locate(keyNode, "unknown search key '\(key)': expected samples, seed, method or a sweepable setting (learning_rate, width, depth, l2, activation, training.…)"))
                    continue
                }
                switch distribution(value, key: key, locate: locate) {
                case .success(let parsed):
                    keys.append(key)
                    paths.append(path)
                    distributions.append(parsed)
                case .failure(let error): errors.append(error)
                }
            }
        }
        if samples == nil, !errors.contains(where: { $0.message.hasPrefix("'samples'") }) {
            errors.append(locate(node, "'search' needs samples: N (how many configurations to draw)"))
        }
        if keys.isEmpty, errors.isEmpty { errors.append(locate(node, "'search' samples nothing: give at least one key with a distribution, e.g. learning_rate: {log_uniform: [1.0e-4, 1.0]}")) }
        if method == .halton, keys.count > primes.count {
            errors.append(locate(node, "halton draws at most \(primes.count) keys; found \(keys.count) (use method: random)"))
        }
        guard errors.isEmpty, let samples else { return .failure(ConfigErrors(errors)) }
        return .success(SearchSpace(samples: samples, seed: seed, method: method, keys: keys, paths: paths,
                                    distributions: distributions))
    }

    private static func distribution(_ node: Node, key: String, locate: (Node?, String) -> ConfigError) -> Result<Distribution, ConfigError> {
        let expected = "{uniform: [low, high]}, {log_uniform: [low, high]}, {int_uniform: [low, high]} or {choice: [values]}"
        guard let mapping = node.mapping, mapping.count == 1, let (kindNode, bounds) = mapping.first, let kind = kindNode.string else {
            return .failure(locate(node, "search '\(key)' must be one of \(expected); found '\(node.compactText)'"))
        }
        guard let list = bounds.sequence, !list.isEmpty else {
            return .failure(locate(bounds, "search '\(key)': '\(kind)' needs a non-empty list; found '\(bounds.compactText)'"))
        }
        switch kind {
        case "uniform", "log_uniform":
            guard list.count == 2, let low = list[0].float, let high = list[1].float, low.isFinite, high.isFinite, low < high else {
                return .failure(locate(bounds, "search '\(key)': '\(kind)' needs [low, high] with finite low < high; found '\(bounds.compactText)'"))
            }
            if kind == "log_uniform" {
                guard low > 0 else {
                    return .failure(locate(bounds, "search '\(key)': log_uniform needs low > 0 (it is uniform in log space); found '\(bounds.compactText)'"))
                }
                return .success(.logUniform(low, high))
            }
            return .success(.uniform(low, high))
        case "int_uniform":
            guard list.count == 2, let low = list[0].int, let high = list[1].int, low <= high else {
                return .failure(locate(bounds, "search '\(key)': int_uniform needs [low, high] whole numbers with low ≤ high; found '\(bounds.compactText)'"))
            }
            return .success(.intUniform(low, high))
        case "choice":
            return .success(.choice(Array(list)))
        default:
            return .failure(locate(kindNode, "search '\(key)': unknown distribution '\(kind)'; expected \(expected)"))
        }
    }
}
