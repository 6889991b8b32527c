import Foundation
import NeuralNet

extension Generator {
    /// The "flower", exactly as the planar-classification tutorial's `load_planar_dataset`:
    ///
    ///     np.random.seed(seed); N = m // 2; a = 4
    ///     for j in 0, 1:
    ///         t = np.linspace(j*3.12, (j+1)*3.12, N) + np.random.randn(N)*0.2
    ///         r = a*np.sin(4*t) + np.random.randn(N)*0.2
    ///         X[N*j:N*(j+1)] = np.c_[r*np.sin(t), r*np.cos(t)]; Y[...] = j
    ///
    /// With seed 1 and m = 400 this is bit-identical to NumPy (sin and cos are the C library's
    /// on both sides), and to `datasets/planar_flower_400.csv`.
    func makePlanar(count: Int, seed: UInt32) -> Dataset {
        var random = NumpyRandom(seed: seed)
        let half = count / 2
        let petals = 4.0
        let points = (0..<2).map { j -> [(Double, Double)] in
            let base = linspace(Double(j) * 3.12, Double(j + 1) * 3.12, half)
            let angleNoise = random.gaussian(count: half)
            let t = zip(base, angleNoise).map { $0 + $1 * 0.2 }
            let radiusNoise = random.gaussian(count: half)
            let r = zip(t, radiusNoise).map { petals * sin(4 * $0) + $1 * 0.2 }
            return zip(r, t).map { ($0 * sin($1), $0 * cos($1)) }
        }
        var dataset = makeDataset(points: points)
        dataset.classNames = ["red", "blue"]
        return dataset
    }

    /// Outer moon: (cos s, sin s), s = linspace(0, π, N0); inner moon: (1 − cos s, 1 − sin s − 0.5);
    /// then `randn(m, 2)·noise` added row by row.
    func makeMoons(count: Int, noise: Double, seed: UInt32) -> Dataset {
        var random = NumpyRandom(seed: seed)
        let sizes = classSizes(count: count, classes: 2)
        let outer = linspace(0, .pi, sizes[0]).map { (cos($0), sin($0)) }
        let inner = linspace(0, .pi, sizes[1]).map { (1 - cos($0), 1 - sin($0) - 0.5) }
        return makeDataset(points: addNoise([outer, inner], noise: noise, random: &random))
    }

    /// Outer circle radius 1, inner radius `factor`, angles `linspace(0, 2π, N, endpoint=False)`,
    /// then `randn(m, 2)·noise`.
    func makeCircles(count: Int, noise: Double, factor: Double, seed: UInt32) -> Dataset {
        var random = NumpyRandom(seed: seed)
        let sizes = classSizes(count: count, classes: 2)
        let outer = linspace(0, 2 * .pi, sizes[0], endpoint: false).map { (cos($0), sin($0)) }
        let inner = linspace(0, 2 * .pi, sizes[1], endpoint: false).map { (factor * cos($0), factor * sin($0)) }
        return makeDataset(points: addNoise([outer, inner], noise: noise, random: &random))
    }

    /// Centres `uniform(−5, 5)` per class and feature, then each point `centre + randn·noise`.
    func makeBlobs(count: Int, classes: Int, features: Int, noise: Double, seed: UInt32) -> Dataset {
        var random = NumpyRandom(seed: seed)
        let centres = (0..<classes).map { _ in (0..<features).map { _ in random.uniform() * 10 - 5 } }
        var storage: [Double] = []
        var labels: [Int32] = []
        for (label, size) in classSizes(count: count, classes: classes).enumerated() {
            for _ in 0..<size {
                for feature in 0..<features { storage.append(centres[label][feature] + random.gaussian() * noise) }
                labels.append(Int32(label))
            }
        }
        return Dataset(unchecked: storage, rows: features, labels: labels,
                       classNames: (0..<classes).map { "blob \($0)" })
    }

    /// Points `uniform(−1, 1)²` labelled (x0 > 0) XOR (x1 > 0), then `randn·noise` added;
    /// listed class 0 first.
    func makeXor(count: Int, noise: Double, seed: UInt32) -> Dataset {
        var random = NumpyRandom(seed: seed)
        var classes: [[(Double, Double)]] = [[], []]
        for _ in 0..<count {
            let x = random.uniform() * 2 - 1
            let y = random.uniform() * 2 - 1
            let label = (x > 0) != (y > 0) ? 1 : 0
            classes[label].append((x + random.gaussian() * noise, y + random.gaussian() * noise))
        }
        var dataset = makeDataset(points: classes)
        dataset.classNames = ["same sign", "opposite sign"]
        return dataset
    }

    /// cs231n's spiral: for arm j, r = linspace(0, 1, N), t = linspace(4j, 4(j+1), N) + randn(N)·noise,
    /// points (r·sin t, r·cos t).
    func makeSpirals(count: Int, arms: Int, noise: Double, seed: UInt32) -> Dataset {
        var random = NumpyRandom(seed: seed)
        let points = classSizes(count: count, classes: arms).enumerated().map { j, size -> [(Double, Double)] in
            let r = linspace(0, 1, size)
            let jitter = random.gaussian(count: size)
            let t = zip(linspace(Double(j) * 4, Double(j + 1) * 4, size), jitter).map { $0 + $1 * noise }
            return zip(r, t).map { ($0 * sin($1), $0 * cos($1)) }
        }
        var dataset = makeDataset(points: points)
        dataset.classNames = (0..<arms).map { "arm \($0)" }
        return dataset
    }

    /// `np.random.seed(seed); X = np.random.randn(features, count)`; labels given or uniform.
    /// `examplesFirst`: `X = np.random.randn(count, features)` (cs231n's rows), stored transposed.
    func makeRandom(features: Int, count: Int, classes: Int, labels: [Int32]?, seed: UInt32,
                    examplesFirst: Bool = false) throws -> Dataset {
        var random = NumpyRandom(seed: seed)
        let draws = random.gaussian(count: features * count)
        let values = examplesFirst ? try Matrix<Double>(rows: features, columns: count, columnMajor: draws)
            : try Matrix<Double>(rows: features, columns: count, rowMajor: draws)
        let chosen = labels ?? (0..<count).map { _ in Int32(random.interval(classes - 1)) }
        return try Dataset(features: values, labels: chosen, classNames: (0..<classes).map { "class \($0)" })
    }

    /// `np.random.seed(seed); X = np.random.rand(features, count)`; labels uniform in 0..<classes.
    /// Large draws are deferred (`DeferredFeatures`): made in the precision a run needs, never
    /// held as float64 by a float32 sweep. The generator states and the block of draws that
    /// costs (about 4.6 KB a feature) must be small beside the float64 values (8 B × count a feature).
    func makeSynthetic(features: Int, count: Int, classes: Int, seed: UInt32) -> Dataset {
        var random = NumpyRandom(seed: seed)
        let names = (0..<classes).map { "class \($0)" }
        if count >= 2_400 {
            let deferred = DeferredFeatures(uniformRows: features, columns: count, random: &random)
            let labels = (0..<count).map { _ in Int32(random.interval(classes - 1)) }
            return Dataset(unchecked: deferred, labels: labels, classNames: names)
        }
        var storage = [Double](repeating: 0, count: features * count)
        for i in 0..<features {
            for j in 0..<count { storage[i + j * features] = random.uniform() }
        }
        let labels = (0..<count).map { _ in Int32(random.interval(classes - 1)) }
        return Dataset(unchecked: storage, rows: features, labels: labels, classNames: names)
    }

    /// Adds `randn·noise` to every coordinate, row by row over all points in order.
    private func addNoise(_ classes: [[(Double, Double)]], noise: Double,
                          random: inout NumpyRandom) -> [[(Double, Double)]] {
        classes.map { points in
            points.map { point in (point.0 + random.gaussian() * noise, point.1 + random.gaussian() * noise) }
        }
    }
}
