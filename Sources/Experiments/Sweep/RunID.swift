import Datasets
import Foundation

/// Run ids: `r` and 12 hex digits of a content hash of the canonical (sorted-key JSON) config
/// and the data's fingerprint, e.g. `r3f09a1c2b7d4`.
///
/// The letter keeps every id text to a spreadsheet: a bare 12-hex-digit id is all digits for
/// about 0.4 % of runs (`001234567890` would lose its zeros and its folder) and looks like a
/// number in scientific notation for others (`1234567890e1`). Builds before 0.3 wrote the bare
/// digits; `legacy` finds their folders.
public enum RunID {
    public static let prefix = "r"

    /// The id of `config` on data with `fingerprint`.
    static func make(config: RunConfig, fingerprint: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var hasher = ContentHasher()
        hasher.combine(string: (try? String(decoding: encoder.encode(config), as: UTF8.self)) ?? "\(config)")
        hasher.combine(string: fingerprint)
        return make(hexDigest: hasher.hexDigest)
    }

    /// The id a hash's hex digest gives.
    static func make(hexDigest: String) -> String {
        prefix + hexDigest.prefix(12)
    }

    /// The id an earlier build (0.2) gave the same run: the same hash without the letter.
    public static func legacy(_ id: String) -> String? {
        guard id.hasPrefix(prefix), id.count == 13 else { return nil }
        return String(id.dropFirst(prefix.count))
    }

    /// The hash part of an id of this build or an earlier one: what matches runs across builds.
    public static func canonical(_ id: String) -> String { legacy(id) ?? id }

    /// Whether `stored` (an id from a record or plan, of this build or an earlier one) is the id
    /// of `config` on data with `fingerprint`.
    static func matches(_ stored: String, config: RunConfig, fingerprint: String) -> Bool {
        let id = make(config: config, fingerprint: fingerprint)
        return stored == id || stored == legacy(id)
    }
}
