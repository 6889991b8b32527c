/// A fast 64-bit content hash over 8-byte words: two lanes, each word avalanched before it
/// is folded in.
///
/// Used for dataset fingerprints and run ids: stable across runs, platforms and processes
/// (unlike `Hasher`, which is randomly seeded per process). Not cryptographic, but without the
/// structure of word-wise FNV (which this replaces): there, a difference in a word's top bit
/// survived unchanged and two of them cancelled, so `learning_rate: 0.001, seed: 18` and
/// `0.011, 11` shared one run id and a changed experiment silently reused old results. Each
/// step here, x ↦ rotl(x ⊕ mix(w), r)·odd, is a bijection of the state for every word and
/// `mix` (splitmix64's finaliser) spreads any change of a word over all 64 bits, so
/// differences neither vanish nor cancel except by chance (2^-64 per pair of inputs).
public struct ContentHasher: Sendable {
    private var first: UInt64 = 0x243f_6a88_85a3_08d3
    private var second: UInt64 = 0x1319_8a2e_0370_7344

    public init() {}

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    private static func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }

    /// Mixes in one 64-bit word.
    public mutating func combine(word: UInt64) {
        let mixed = Self.mix(word)
        first = Self.rotate(first ^ mixed, 29) &* 0x9e37_79b9_7f4a_7c15
        second = Self.rotate(second ^ (mixed &+ 0xd6e8_feb8_6659_fd93), 31) &* 0xc2b2_ae3d_27d4_eb4f
    }

    /// Mixes in an integer.
    public mutating func combine(_ value: Int) { combine(word: UInt64(bitPattern: Int64(value))) }

    /// Mixes in raw bytes, eight at a time, then the tail and the length.
    public mutating func combine(bytes: UnsafeRawBufferPointer) {
        let words = bytes.count / 8
        for index in 0..<words {
            combine(word: bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
        }
        var tail: UInt64 = 0
        for index in (words * 8)..<bytes.count { tail = (tail << 8) | UInt64(bytes[index]) }
        combine(word: tail)
        combine(bytes.count)
    }

    /// Mixes in float64 values as `combine(bytes:)` would mix their bytes, a piece at a time:
    /// call `finishWords(valueCount:)` after the last piece (the same hash as the whole array's bytes).
    public mutating func combine(words values: UnsafeBufferPointer<Double>) {
        for value in values { combine(word: value.bitPattern) }
    }

    /// Ends a run of `combine(words:)` over `valueCount` values in all: the (empty) tail and the byte count.
    public mutating func finishWords(valueCount: Int) {
        combine(word: 0)
        combine(valueCount * MemoryLayout<Double>.size)
    }

    /// Mixes in a string's UTF-8 bytes.
    public mutating func combine(string: String) {
        var copy = string
        copy.withUTF8 { combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The hash: both lanes folded together and avalanched.
    public var value: UInt64 {
        Self.mix(first ^ Self.rotate(second, 32) ^ Self.mix(second))
    }

    /// `value` as 16 lowercase hex digits.
    public var hexDigest: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
