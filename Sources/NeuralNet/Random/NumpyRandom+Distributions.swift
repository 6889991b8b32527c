/// The `np.random` distributions NetSweep uses, drawn exactly as NumPy's legacy code does.
extension NumpyRandom {
    /// A uniform double in [0, 1) with 53 random bits: `np.random.rand()` / `random_sample()`.
    ///
    /// NumPy's `legacy_double`: `(a >> 5) · 2^26 + (b >> 6)) / 2^53` for two 32-bit draws.
    public mutating func uniform() -> Double {
        let a = Double(nextUInt32() >> 5)
        let b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// A standard normal value by the legacy polar (Marsaglia) method: `np.random.randn()`.
    ///
    /// Each accepted pair yields two values; the second is cached and returned by the next
    /// call, as `legacy_gauss` does. The acceptance test (`r2 >= 1 || r2 == 0` rejects) and
    /// the order `f·x1` cached, `f·x2` returned match NumPy's C source.
    public mutating func gaussian() -> Double {
        if let cached = cachedGaussian {
            cachedGaussian = nil
            return cached
        }
        var x1 = 0.0, x2 = 0.0, r2 = 0.0
        repeat {
            x1 = 2.0 * uniform() - 1.0
            x2 = 2.0 * uniform() - 1.0
            r2 = x1 * x1 + x2 * x2
        } while r2 >= 1.0 || r2 == 0.0
        let f = (-2.0 * Double.logarithm(r2) / r2).squareRoot()
        cachedGaussian = f * x1
        return f * x2
    }

    /// `count` draws of `uniform()`, in order (`np.random.rand(count)`).
    public mutating func uniform(count: Int) -> [Double] {
        (0..<count).map { _ in uniform() }
    }

    /// `count` draws of `gaussian()`, in order (`np.random.randn(count)`).
    public mutating func gaussian(count: Int) -> [Double] {
        (0..<count).map { _ in gaussian() }
    }

    /// A uniform integer in 0...maximum by masked rejection sampling (`random_interval`).
    ///
    /// The mask is the smallest all-ones value ≥ `maximum`; 32-bit draws are used when
    /// `maximum` fits in 32 bits, as in NumPy's legacy path.
    public mutating func interval(_ maximum: Int) -> Int {
        if maximum == 0 { return 0 }
        var mask = UInt64(maximum)
        mask |= mask >> 1
        mask |= mask >> 2
        mask |= mask >> 4
        mask |= mask >> 8
        mask |= mask >> 16
        mask |= mask >> 32
        if maximum <= 0xffff_ffff {
            while true {
                let value = UInt64(nextUInt32()) & mask
                if value <= UInt64(maximum) { return Int(value) }
            }
        }
        while true {
            let high = UInt64(nextUInt32())
            let value = ((high << 32) | UInt64(nextUInt32())) & mask
            if value <= UInt64(maximum) { return Int(value) }
        }
    }

    /// `np.random.randint(low, high)` of the legacy `RandomState` (int64): `low` plus a masked
    /// rejection draw in 0...(high − low − 1), on 32-bit words when that range fits in 32 bits
    /// (NumPy's `random_bounded_uint64_fill` with `use_masked`), else on 64-bit words made of two
    /// 32-bit draws, the high one first.
    /// - Precondition: low < high.
    public mutating func randint(_ low: Int, _ high: Int) -> Int {
        low + interval(high - low - 1)
    }

    /// `np.random.randint(low, high, size=count)`: `count` draws as `randint(low, high)`.
    public mutating func randint(_ low: Int, _ high: Int, count: Int) -> [Int] {
        (0..<count).map { _ in randint(low, high) }
    }

    /// `np.random.choice(population, size=count)` (with replacement, equal probabilities): the
    /// legacy `RandomState.choice` draws `randint(0, population, size)`.
    public mutating func choice(_ population: Int, count: Int) -> [Int] {
        randint(0, population, count: count)
    }

    /// A random ordering of 0..<count: `np.random.permutation(count)`.
    ///
    /// NumPy's legacy `shuffle`: for i from count−1 down to 1, swap i with `interval(i)`.
    public mutating func permutation(_ count: Int) -> [Int] {
        var values = Array(0..<count)
        shuffle(&values)
        return values
    }

    /// Shuffles `values` in place as `np.random.shuffle` does for a 1-D array.
    public mutating func shuffle(_ values: inout [Int]) {
        var i = values.count - 1
        while i > 0 {
            let j = interval(i)
            values.swapAt(i, j)
            i -= 1
        }
    }
}
