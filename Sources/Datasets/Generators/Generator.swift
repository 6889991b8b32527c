import Foundation
import NeuralNet

/// An embedded, deterministic toy dataset, drawn from the NumPy-compatible generator.
///
/// Each case documents its recipe; draws are made in NumPy's order (`randn(N)` fills a vector,
/// `randn(rows, cols)` fills row by row), so a NumPy script following the recipe gives the same
/// points. Examples are ordered by class (class 0 first), never shuffled.
public enum Generator: Sendable, Hashable {
    /// The planar-classification tutorial's "flower" (see `makePlanar`).
    case planar(count: Int, seed: UInt32)
    /// Two interleaving half circles (as scikit-learn's `make_moons`, unshuffled).
    case moons(count: Int, noise: Double, seed: UInt32)
    /// A circle of radius 1 (class 0) around one of radius `factor` (class 1).
    case circles(count: Int, noise: Double, factor: Double, seed: UInt32)
    /// `classes` Gaussian blobs with centres uniform in [−5, 5]^features and spread `noise`.
    case blobs(count: Int, classes: Int, features: Int, noise: Double, seed: UInt32)
    /// Points uniform in [−1, 1]², label (x0 > 0) XOR (x1 > 0), then Gaussian noise added.
    case xor(count: Int, noise: Double, seed: UInt32)
    /// cs231n's spiral: `arms` arms of count/arms points each.
    case spirals(count: Int, arms: Int, noise: Double, seed: UInt32)
    /// The backpropagation tutorial's toy: X = randn(features, count) after `seed(seed)`, with
    /// the given labels (or labels drawn uniformly from 0..<classes when none are given);
    /// `examplesFirst`: cs231n's toy data, randn(count, features), one example after another.
    case random(features: Int, count: Int, classes: Int, labels: [Int32]?, seed: UInt32, examplesFirst: Bool = false)
    /// The benchmark rule: X uniform in [0, 1) (`rand(features, count)`), labels uniform in
    /// 0..<classes.
    case synthetic(features: Int, count: Int, classes: Int, seed: UInt32)

    /// A short name for reports.
    public var name: String {
        switch self {
        case .planar: return "planar"
        case .moons: return "moons"
        case .circles: return "circles"
        case .blobs: return "blobs"
        case .xor: return "xor"
        case .spirals: return "spirals"
        case .random: return "random"
        case .synthetic: return "synthetic"
        }
    }

    /// How many feature values the dataset will hold (examples × features), known before it
    /// is drawn: what a memory limit is checked against first.
    public var valueCount: Double {
        switch self {
        case let .planar(count, _), let .moons(count, _, _), let .circles(count, _, _, _), let .xor(count, _, _),
             let .spirals(count, _, _, _):
            return Double(count) * 2
        case let .blobs(count, _, features, _, _), let .random(features, count, _, _, _, _), let .synthetic(features, count, _, _):
            return Double(count) * Double(features)
        }
    }

    /// Draws the dataset.
    /// - Throws: `DatasetError.badOption` for a count, class number or noise out of range.
    public func make() throws -> Dataset {
        switch self {
        case let .planar(count, seed):
            try require("n", count >= 2 && count % 2 == 0, "an even integer ≥ 2", count)
            return makePlanar(count: count, seed: seed)
        case let .moons(count, noise, seed):
            try requireCommon(count: count, classes: 2, noise: noise)
            return makeMoons(count: count, noise: noise, seed: seed)
        case let .circles(count, noise, factor, seed):
            try requireCommon(count: count, classes: 2, noise: noise)
            try require("factor", factor > 0 && factor < 1, "in (0, 1)", factor)
            return makeCircles(count: count, noise: noise, factor: factor, seed: seed)
        case let .blobs(count, classes, features, noise, seed):
            try requireCommon(count: count, classes: classes, noise: noise)
            try require("features", features >= 1, "an integer ≥ 1", features)
            return makeBlobs(count: count, classes: classes, features: features, noise: noise, seed: seed)
        case let .xor(count, noise, seed):
            try requireCommon(count: count, classes: 2, noise: noise)
            return makeXor(count: count, noise: noise, seed: seed)
        case let .spirals(count, arms, noise, seed):
            try requireCommon(count: count, classes: arms, noise: noise)
            return makeSpirals(count: count, arms: arms, noise: noise, seed: seed)
        case let .random(features, count, classes, labels, seed, examplesFirst):
            try require("features", features >= 1, "an integer ≥ 1", features)
            try requireCommon(count: count, classes: classes, noise: 0)
            if let labels, labels.count != count {
                throw DatasetError.badOption(name: "labels", expected: "\(count) labels (one per example)",
                                             found: "\(labels.count)")
            }
            return try makeRandom(features: features, count: count, classes: classes, labels: labels, seed: seed, examplesFirst: examplesFirst)
        case let .synthetic(features, count, classes, seed):
            try require("features", features >= 1, "an integer ≥ 1", features)
            try requireCommon(count: count, classes: classes, noise: 0)
            return makeSynthetic(features: features, count: count, classes: classes, seed: seed)
        }
    }

    private func require(_ name: String, _ condition: Bool, _ expected: String, _ found: some CustomStringConvertible) throws {
        guard condition else { throw DatasetError.badOption(name: name, expected: expected, found: "\(found)") }
    }

    private func requireCommon(count: Int, classes: Int, noise: Double) throws {
        try require("n", count >= classes && count >= 1, "an integer ≥ \(max(classes, 1))", count)
        try require("classes", classes >= 2, "an integer ≥ 2", classes)
        try require("noise", noise.isFinite && noise >= 0, "a finite number ≥ 0", noise)
    }
}

/// `np.linspace(start, stop, count)`: `i·step + start`, the last value exactly `stop`.
func linspace(_ start: Double, _ stop: Double, _ count: Int, endpoint: Bool = true) -> [Double] {
    guard count > 0 else { return [] }
    let divisions = endpoint ? count - 1 : count
    guard divisions > 0 else { return [start] }
    let step = (stop - start) / Double(divisions)
    var values = (0..<count).map { Double($0) * step + start }
    if endpoint { values[count - 1] = stop }
    return values
}

/// Class sizes for `count` examples over `classes`: the first `count % classes` get one more.
func classSizes(count: Int, classes: Int) -> [Int] {
    (0..<classes).map { count / classes + ($0 < count % classes ? 1 : 0) }
}

/// Builds a 2-D dataset from per-class point lists, class 0 first.
func makeDataset(points: [[(Double, Double)]]) -> Dataset {
    var storage: [Double] = []
    var labels: [Int32] = []
    for (label, classPoints) in points.enumerated() {
        for (x, y) in classPoints {
            storage.append(x)
            storage.append(y)
            labels.append(Int32(label))
        }
    }
    return Dataset(unchecked: storage, rows: 2, labels: labels,
                   classNames: (0..<points.count).map { "class \($0)" })
}
