import Yams

/// One axis of a sweep: a single key with its values, or zipped keys whose values vary
/// together (point i takes the i-th value of every key).
struct SweepAxis {
    /// Column names, as written in the file (an alias such as `learning_rate` or a dotted path).
    var keys: [String]
    /// The config path each key sets.
    var paths: [[String]]
    /// points[i][k]: the value of key k at point i.
    var points: [[Node]]
}

/// The short names a sweep may use for common keys.
enum SweepAlias {
    static let paths: KeyValuePairs<String, String> = [
        "learning_rate": "training.learning_rate",
        "iterations": "training.iterations",
        "epochs": "training.epochs",
        "batch_size": "training.batch_size",
        "optimizer": "training.optimizer",
        "l2": "training.l2",
        "depth": "model.depth",
        "width": "model.width",
        "hidden": "model.hidden",
        "activation": "model.activation",
        "init": "model.init",
        "seed": "seed",
        "precision": "precision",
    ]

    /// The config path for `key` (an alias or a dotted path).
    static func path(for key: String) -> [String] {
        let dotted = paths.first { $0.key == key }?.value ?? key
        return dotted.split(separator: ".").map(String.init)
    }
}

/// One run of an expanded sweep.
public struct PlannedRun: Sendable {
    /// Position in the sweep order (0-based).
    public var index: Int
    /// The run's value of every swept key (and `seed` for a repeat), as compact text, in
    /// column order.
    public var sweptValues: [String]
    /// Which configuration this run repeats (equal for runs that differ only in the repeat seed).
    public var configurationIndex: Int
    /// The fully resolved configuration.
    public var config: RunConfig
}

/// The runs of an experiment: the grid (cartesian product) of its axes, the first axis
/// outermost and the last varying fastest, with the repeat seeds innermost.
struct SweepExpansion {
    var axes: [SweepAxis]
    var repeatSeeds: [UInt32]
    /// The keys of the `search:` axis (the last axis), when there is one.
    var sampledKeys: [String] = []

    /// Column names of the swept values, in order (the repeat axis appears as `seed`).
    var columns: [String] {
        axes.flatMap(\.keys) + (repeatSeeds.isEmpty ? [] : ["seed"])
    }

    /// For each column, the axis it belongs to (zipped keys share one; the repeat axis is last).
    var columnAxes: [Int] {
        axes.enumerated().flatMap { index, axis in Array(repeating: index, count: axis.keys.count) }
            + (repeatSeeds.isEmpty ? [] : [axes.count])
    }

    /// Number of runs: Π |axis| × max(1, repeats), saturating at `Int.max` (it never wraps:
    /// four axes of 65 536 values are 2^64 runs, not 0).
    var runCount: Int {
        var count = max(1, repeatSeeds.count)
        for axis in axes {
            let (product, overflow) = count.multipliedReportingOverflow(by: axis.points.count)
            count = overflow ? Int.max : product
        }
        return count
    }

    /// Every combination as (configuration index, values per axis, repeat seed), in run order.
    func combinations() -> [(configuration: Int, choice: [Int], seed: UInt32?)] {
        var result: [(Int, [Int], UInt32?)] = []
        var choice = [Int](repeating: 0, count: axes.count)
        var configuration = 0
        while true {
            if repeatSeeds.isEmpty {
                result.append((configuration, choice, nil))
            } else {
                for seed in repeatSeeds { result.append((configuration, choice, seed)) }
            }
            configuration += 1
            // Odometer: advance the last axis first.
            var axis = axes.count - 1
            while axis >= 0 {
                choice[axis] += 1
                if choice[axis] < axes[axis].points.count { break }
                choice[axis] = 0
                axis -= 1
            }
            if axis < 0 { break }
        }
        return result
    }
}
