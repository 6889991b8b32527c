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
    /// A successive-halving rung's run: where it stands after its last update (`TrainingState`).
    public func trainingState(_ id: String) -> URL { runDirectory(id).appendingPathComponent("state.npz") }
    /// The lock a process holds while it trains the run (see `RunClaim`).
    public func claim(_ id: String) -> URL { runDirectory(id).appendingPathComponent("claim") }
    /// Successive halving's rung of `iterations`: a results folder of its own.
    public func rung(_ iterations: Int) -> ResultsLayout {
        ResultsLayout(directory: directory.appendingPathComponent("rungs").appendingPathComponent(String(iterations)))
    }
    /// The budgets of the rungs that have a folder (none for a plain sweep).
    public var rungBudgets: [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("rungs").path)) ?? []
        return names.compactMap { name in Int(name).flatMap { $0 > 0 && String($0) == name ? $0 : nil } }.sorted()
    }
    public var plan: URL { directory.appendingPathComponent("plan.json") }
    public var experimentFile: URL { directory.appendingPathComponent("experiment.yaml") }
    public var summary: URL { directory.appendingPathComponent("summary.csv") }
    public var curves: URL { directory.appendingPathComponent("curves.csv") }
    public var accuracyTable: URL { directory.appendingPathComponent("accuracy_table.csv") }
    public var expectations: URL { directory.appendingPathComponent("expectations.csv") }
    /// Successive halving's rungs and decisions.
    public var schedule: URL { directory.appendingPathComponent("schedule.json") }

    /// The run's record if one was written (nil: nothing is there, the run has not ended).
    /// - Throws: `ResultsError` when the record exists but cannot be decoded, is not a regular
    ///   file or is too large; `FileSystemError` when it cannot be read at all (a dangling or
    ///   looping link, a run folder that is a file). Either way it is reported, never taken for
    ///   "not run".
    public func readRecord(_ id: String) throws -> RunRecord? {
        let url = record(id)
        guard !FileSystem.isAbsent(url) else { return nil }
        let data: Data
        do {
            data = try FileSystem.read(url, limit: 16 << 20)
        } catch {
            // Not a regular file, or too large: damage (64), as the README says. A failing
            // system call (EACCES, EIO, ENOTDIR, ELOOP) stays an I/O error (74) with its reason.
            if error.code == ENOENT {
                // lstat found something, so this is a link to nothing.
                throw FileSystemError(operation: "read", path: url.path, reason: "it is a link to a file that does not exist")
            }
            guard error.code == 0 else { throw error }
            throw ResultsError.corruptRecord(path: url.path, problem: error.reason)
        }
        let record: RunRecord
        do {
            record = try JSONDecoder().decode(RunRecord.self, from: data)
        } catch {
            throw ResultsError.corruptRecord(path: url.path, problem: Self.describe(error))
        }
        // A record copied into another run's folder would report that run's numbers as this one's.
        guard record.id == id else {
            throw ResultsError.corruptRecord(path: url.path, problem: "it is the record of run \(record.id), not \(id)")
        }
        return record
    }

    /// A run's cost curve, checked: the header, four numeric fields a row, and (for a finished
    /// run) a last row at the record's final iteration.
    /// - Throws: `ResultsError.corruptCurve` naming the file and line.
    public func readCurve(for record: RunRecord) throws -> [CostPoint] {
        let url = curve(record.id)
        guard FileSystem.exists(url) else {
            if record.status == .failed { return [] }
            throw ResultsError.corruptCurve(path: url.path, problem: "missing (the run's record says \(record.status.rawValue))")
        }
        // At most a row every record_every iterations, plus the first and the last, each under
        // 256 bytes: a curve longer than that is damaged, and is refused before it is read whole.
        let rows = record.iterations / max(record.config.training.plan.recordEvery, 1) + 3
        let limit = rows.saturatingTimes(256).saturatingPlus(4096)
        let bytes: Data
        do {
            bytes = try FileSystem.read(url, limit: min(limit, 1 << 30))
        } catch {
            guard error.code == 0 else { throw error }
            throw ResultsError.corruptCurve(path: url.path, problem: error.reason
                                            + " (\(record.iterations) iterations recorded every \(record.config.training.plan.recordEvery))")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let header = lines.first.map(String.init).map { $0 + "\r\n" }
        guard header == CurveStream.header || header == CurveStream.validationHeader else {
            if !text.contains("\r\n"), text.contains("\n") {
                throw ResultsError.corruptCurve(path: url.path, problem: "its lines end in LF, not the CRLF NetSweep writes "
                                                + "(converted by an editor or by git's autocrlf?)")
            }
            throw ResultsError.corruptCurve(path: url.path, problem: "line 1 is not the header '\(CurveStream.header.dropLast())'")
        }
        let fieldCount = header == CurveStream.header ? 4 : 6
        guard lines.last == "" else {
            throw ResultsError.corruptCurve(path: url.path, problem: "truncated: the last line has no line end")
        }
        lines.removeLast()
        var points: [CostPoint] = []
        points.reserveCapacity(lines.count - 1)
        for (offset, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == fieldCount, let iteration = Int(fields[0]), let epoch = Int(fields[1]),
                  let cost = Double(fields[2]), let accuracy = Double(fields[3]),
                  fields.dropFirst(4).allSatisfy({ $0.isEmpty || Double($0) != nil }) else {
                throw ResultsError.corruptCurve(path: url.path, problem: "line \(offset + 2) is not "
                                                + "\(header?.dropLast() ?? ""): '\(line)'")
            }
            if let last = points.last, iteration <= last.iteration {
                throw ResultsError.corruptCurve(path: url.path, problem: "line \(offset + 2) goes back to iteration \(iteration) "
                                                + "after \(last.iteration)")
            }
            points.append(CostPoint(iteration: iteration, epoch: epoch, cost: cost, trainAccuracy: accuracy, text: line))
        }
        if record.status == .finished, points.last?.iteration != record.iterations {
            throw ResultsError.corruptCurve(path: url.path, problem:
                points.last.map { "truncated: it ends at iteration \($0.iteration) but the run made \(record.iterations) updates" }
                    ?? "truncated: it has no rows after the header but the run made \(record.iterations) updates")
        }
        // A finished run's last row is its final cost, printed in full: another run's curve
        // (copied or swapped in) ends elsewhere. (With early stopping the final cost is the
        // kept parameters', from an earlier row.)
        if record.status == .finished, record.bestIteration == nil, let last = points.last, let final = record.finalCost,
           last.cost != final {
            throw ResultsError.corruptCurve(path: url.path, problem: "its last cost \(last.cost) is not the run's final cost \(final) "
                                            + "(record.json): it is another run's curve, or was edited")
        }
        return points
    }

    /// A decoding error in words (no Swift type names).
    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty:
            return "not valid JSON"
        case DecodingError.dataCorrupted(let context):
            return "invalid value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.keyNotFound(let key, _): return "missing key '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not a run record" : "wrong type of value at '\(path)'"
        default: return "\(error)"
        }
    }
}

/// One point of a saved cost curve.
public struct CostPoint: Sendable, Equatable {
    public var iteration: Int
    public var epoch: Int
    public var cost: Double
    public var trainAccuracy: Double
    /// The row as written (the reporter copies it unchanged).
    public var text: Substring
}

/// A results folder that cannot be read as written.
public enum ResultsError: Error, Sendable, CustomStringConvertible {
    case corruptRecord(path: String, problem: String)
    case corruptCurve(path: String, problem: String)

    public var description: String {
        switch self {
        case let .corruptRecord(path, problem):
            return "\(path) is damaged (\(problem)); re-run the experiment to redo that run"
        case let .corruptCurve(path, problem):
            return "\(path) is damaged (\(problem)); re-run the experiment to redo that run"
        }
    }
}

/// Writes files all at once: to a temporary name unique to this process in the same folder,
/// then `rename(2)`, so a reader (or a killed sweep) never sees half a file.
public enum AtomicFile {
    /// Writes `data` to `url`, creating the folder if needed.
    public static func write(_ data: Data, to url: URL) throws(FileSystemError) {
        let writer = try AtomicWriter(url)
        try writer.write(data)
        try writer.commit()
    }

    /// Writes `value` as pretty, key-sorted JSON.
    public static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try write(encoder.encode(value), to: url)
    }
}
