/// A random generator bit-identical to NumPy's legacy `np.random` (`RandomState`).
///
/// The state is MT19937, seeded from a 32-bit integer exactly as `np.random.seed(s)` does
/// (Matsumoto–Nishimura `init_genrand`), plus the one cached Gaussian of the legacy polar
/// method. For example, after `np.random.seed(1)`:
///
///     np.random.rand()   # 0.417022004702574
///     np.random.randn()  # 1.6243453636632417 (after a fresh seed(1))
///
/// Each run owns its generator; there is no process-wide state.
public struct NumpyRandom: Sendable {
    private static let stateSize = 624
    private static let shiftSize = 397

    private var state: [UInt32]
    private var index: Int
    /// The second value of the last polar-method pair, returned by the next `gaussian()`.
    var cachedGaussian: Double?

    /// A generator in the state `np.random.seed(seed)` leaves behind.
    public init(seed: UInt32) {
        state = [UInt32](repeating: 0, count: Self.stateSize)
        index = Self.stateSize
        cachedGaussian = nil
        self.seed(seed)
    }

    /// The whole state, as `np.random.get_state()` gives it: the 624 words, the position in
    /// them and the cached Gaussian.
    public struct Snapshot: Sendable, Equatable {
        public static let wordCount = NumpyRandom.stateSize
        public var words: [UInt32]
        public var index: Int
        public var gaussian: Double?
    }

    public var snapshot: Snapshot { Snapshot(words: state, index: index, gaussian: cachedGaussian) }

    /// A generator in `snapshot`'s state (`np.random.set_state`); words beyond 624 are ignored
    /// and missing ones are zero.
    public init(snapshot: Snapshot) {
        state = Array((snapshot.words + [UInt32](repeating: 0, count: Self.stateSize)).prefix(Self.stateSize))
        index = min(max(snapshot.index, 0), Self.stateSize)
        cachedGaussian = snapshot.gaussian
    }

    /// Reseeds, as `np.random.seed(seed)`: resets MT19937 and clears the cached Gaussian.
    public mutating func seed(_ seed: UInt32) {
        state[0] = seed
        for i in 1..<Self.stateSize {
            let previous = state[i - 1]
            state[i] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(i)
        }
        index = Self.stateSize
        cachedGaussian = nil
    }

    /// The next raw 32-bit output of MT19937 (`genrand_int32`).
    public mutating func nextUInt32() -> UInt32 {
        if index >= Self.stateSize { regenerate() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// Discards the next `count` 32-bit words, as `count` calls of `nextUInt32()` would (without
    /// tempering them): where a stream is read in another order than it was drawn.
    public mutating func skip(_ count: Int) {
        var remaining = count
        while remaining > 0 {
            if index >= Self.stateSize { regenerate() }
            let step = min(remaining, Self.stateSize - index)
            index += step
            remaining -= step
        }
    }

    private mutating func regenerate() {
        let upperMask: UInt32 = 0x8000_0000
        let lowerMask: UInt32 = 0x7fff_ffff
        state.withUnsafeMutableBufferPointer { mt in
            for k in 0..<Self.stateSize {
                let y = (mt[k] & upperMask) | (mt[(k + 1) % Self.stateSize] & lowerMask)
                let mag: UInt32 = (y & 1) == 0 ? 0 : 0x9908_b0df
                mt[k] = mt[(k + Self.shiftSize) % Self.stateSize] ^ (y >> 1) ^ mag
            }
        }
        index = 0
    }
}
