import Foundation

/// Where an experiment's results live: `<root>/<experiment>/…`.
public struct ResultsLayout: Sendable {
    public var directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    public init(root: String, experiment: String) {
        directory = URL(fileURLWithPath: root).appendingPathComponent(experiment)
    }

    public var runsDirectory: URL { directory.appendingPathComponent("runs") }
    public func runDirectory(_ id: String) -> URL { runsDirectory.appendingPathComponent(id) }
    public func record(_ id: String) -> URL { runDirectory(id).appendingPathComponent("record.json") }
    public func curve(_ id: String) -> URL { runDirectory(id).appendingPathComponent("curve.csv") }
    public func parameters(_ id: String) -> URL { runDirectory(id).appendingPathComponent("params.npz") }
    public var plan: URL { directory.appendingPathComponent("plan.json") }
    public var experimentFile: URL { directory.appendingPathComponent("experiment.yaml") }
    public var summary: URL { directory.appendingPathComponent("summary.csv") }
    public var curves: URL { directory.appendingPathComponent("curves.csv") }
    public var accuracyTable: URL { directory.appendingPathComponent("accuracy_table.csv") }
    public var expectations: URL { directory.appendingPathComponent("expectations.csv") }

    /// The run's record, if it finished in an earlier invocation.
    public func existingRecord(_ id: String) -> RunRecord? {
        guard let data = try? Data(contentsOf: record(id)) else { return nil }
        return try? JSONDecoder().decode(RunRecord.self, from: data)
    }
}

/// Writes files all at once: to a temporary name in the same folder, then `rename(2)`, so a
/// reader (or a killed sweep) never sees half a file.
public enum AtomicFile {
    /// Writes `data` to `url`, creating the folder if needed.
    public static func write(_ data: Data, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        try data.write(to: temporary)
        try moveIntoPlace(temporary, url)
    }

    /// Renames `temporary` over `url` atomically.
    public static func moveIntoPlace(_ temporary: URL, _ url: URL) throws {
        guard rename(temporary.path, url.path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                                                           NSLocalizedDescriptionKey: String(cString: strerror(code))])
        }
    }

    /// Writes `value` as pretty, key-sorted JSON.
    public static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try write(encoder.encode(value), to: url)
    }
}
