/// A fast 64-bit content hash (FNV-1a over 8-byte words, with a final avalanche).
///
/// Used for dataset fingerprints and run ids: stable across runs, platforms and processes
/// (unlike `Hasher`, which is randomly seeded per process). Not cryptographic.
public struct ContentHasher: Sendable {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3

    public init() {}

    /// Mixes in one 64-bit word.
    public mutating func combine(word: UInt64) {
        state = (state ^ word) &* Self.prime
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

    /// Mixes in a string's UTF-8 bytes.
    public mutating func combine(string: String) {
        var copy = string
        copy.withUTF8 { combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// The hash, avalanched (splitmix64's finaliser).
    public var value: UInt64 {
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// `value` as 16 lowercase hex digits.
    public var hexDigest: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
