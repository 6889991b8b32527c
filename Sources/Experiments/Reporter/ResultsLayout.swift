import Foundation
import NeuralNet

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
        guard !FileSystem.isAbsent(url) else {
            // A run folder that is a dangling link is damage, not a run that never started.
            let folder = runDirectory(id)
            if !FileSystem.isAbsent(folder), !FileSystem.exists(folder) {
                throw FileSystemError(operation: "read", path: url.path, reason: "its run folder is a link to nothing")
            }
            return nil
        }
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
        if let problem = record.problem {
            throw ResultsError.corruptRecord(path: url.path, problem: problem)
        }
        return record
    }

    /// `plan.json`, which must be there, checked: a file that cannot be read is an I/O error
    /// (74); one that is not a regular file, too large, not a plan, or inconsistent (a run
    /// without a value for every column, a repeated or unsafe run id, impossible layer sizes)
    /// is damage (`ReportError`, 64), never a crash later on.
    public func readPlanFile() throws -> PlanFile {
        let data: Data
        do {
            data = try FileSystem.read(plan, limit: 1 << 28)
        } catch {
            guard error.code == 0 else { throw error }
            throw ReportError("\(plan.path) is damaged (\(error.reason)); re-run the experiment to write it again")
        }
        let file: PlanFile
        do {
            file = try JSONDecoder().decode(PlanFile.self, from: data)
        } catch {
            throw ReportError("\(plan.path) is not a NetSweep plan (\(Self.describe(error))); re-run the experiment to write it again")
        }
        if let problem = file.problem {
            throw ReportError("\(plan.path) is damaged (\(problem)); re-run the experiment to write it again")
        }
        return file
    }

    /// A run's cost curve, checked: the header, four numeric fields a row, and (for a finished
    /// run) a last row at the record's final iteration.
    /// - Throws: `ResultsError.corruptCurve` naming the file and line.
    public func readCurve(for record: RunRecord) throws -> [CostPoint] {
        let url = curve(record.id)
        guard !FileSystem.isAbsent(url) else {
            if record.status == .failed { return [] }
            throw ResultsError.corruptCurve(path: url.path, problem: "missing (the run's record says \(record.status.rawValue))")
        }
        // At most a row every record_every iterations, plus the first and the last, each under
        // 256 bytes: a curve longer than that is damaged, and is refused before it is read whole.
        let recordEvery = max(record.config.training.plan.recordEvery, 1)
        let rows = max(record.iterations, 0) / recordEvery
        let limit = rows.saturatingPlus(3).saturatingTimes(256).saturatingPlus(4096)
        let bytes: Data
        do {
            bytes = try FileSystem.read(url, limit: min(limit, 1 << 30))
        } catch {
            guard error.code == 0 else { throw error }
            let hint = error.reason.hasPrefix("larger") ? " (\(record.iterations) iterations recorded every \(recordEvery))" : ""
            throw ResultsError.corruptCurve(path: url.path, problem: error.reason + hint)
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
        // Numbers as NetSweep writes them: decimal (no hex floats), accuracies in [0, 1], a cost
        // that is not finite only where the run diverged.
        func decimal(_ field: Substring) -> Double? {
            field.contains { $0 == "x" || $0 == "X" || $0 == "p" || $0 == "P" } ? nil : Double(field)
        }
        func isAccuracy(_ value: Double) -> Bool { value >= 0 && value <= 1 }
        for (offset, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == fieldCount, let iteration = Int(fields[0]), let epoch = Int(fields[1]),
                  let cost = decimal(fields[2]), let accuracy = decimal(fields[3]),
                  cost.isFinite || record.status == .diverged, isAccuracy(accuracy),
                  fields.dropFirst(4).allSatisfy({ $0.isEmpty || decimal($0) != nil }),
                  fieldCount < 6 || fields[5].isEmpty || decimal(fields[5]).map(isAccuracy) == true else {
                throw ResultsError.corruptCurve(path: url.path, problem: "line \(offset + 2) is not "
                                                + "\(header?.dropLast() ?? ""): '\(line)'")
            }
            if let last = points.last, iteration <= last.iteration {
                throw ResultsError.corruptCurve(path: url.path, problem: "line \(offset + 2) goes back to iteration \(iteration) "
                                                + "after \(last.iteration)")
            }
            // Rows every record_every iterations, and the run's last; none beyond it.
            guard iteration >= 0, iteration <= record.iterations else {
                throw ResultsError.corruptCurve(path: url.path, problem: "line \(offset + 2) is at iteration \(iteration), "
                                                + "but the run made \(record.iterations) updates")
            }
            guard iteration % recordEvery == 0 || iteration == record.iterations else {
                throw ResultsError.corruptCurve(path: url.path, problem: "line \(offset + 2) is at iteration \(iteration), "
                                                + "not a multiple of record_every (\(recordEvery)) nor the run's last")
            }
            points.append(CostPoint(iteration: iteration, epoch: epoch, cost: cost, trainAccuracy: accuracy, text: line))
        }
        if record.status.isTrained, points.last?.iteration != record.iterations {
            throw ResultsError.corruptCurve(path: url.path, problem:
                points.last.map { "truncated: it ends at iteration \($0.iteration) but the run made \(record.iterations) updates" }
                    ?? "truncated: it has no rows after the header but the run made \(record.iterations) updates")
        }
        // A trained run's final cost is its curve's last row, printed in full: another run's
        // curve (copied or swapped in) has another number there. (With early stopping the final
        // cost is the kept parameters', evaluated again on the whole training set, while a
        // mini-batch run's rows are mini-batch costs: no row need equal it, and none is compared.)
        if record.status.isTrained, record.bestIteration == nil, let final = record.finalCost {
            let kept = record.iterations
            let row = points.last { $0.iteration == kept }
            // The training accuracy too, where the record has the row's (an edited one is refused).
            if let row, let accuracy = record.trainAccuracy, row.trainAccuracy != accuracy, row.cost == final {
                throw ResultsError.corruptCurve(path: url.path, problem: "its accuracy at iteration \(kept) is \(row.trainAccuracy), "
                                                + "not the run's train_accuracy \(accuracy) (record.json): one of them was edited")
            }
            if row?.cost != final {
                throw ResultsError.corruptCurve(path: url.path, problem: "its cost at iteration \(kept) is "
                    + (row.map { "\($0.cost)" } ?? "missing") + ", not the run's final cost \(final) "
                    + "(record.json): it is another run's curve, or was edited")
            }
        }
        return points
    }

    /// A run's `params.npz` read back and checked: no larger than the parameters of `layerSizes`
    /// need (when known; else 16 GiB), and the arrays W1, b1, … W_L, b_L, of those shapes.
    /// - Throws: `ResultsError.corruptParameters` (64) for damage, `FileSystemError` (74)
    ///   when it cannot be read.
    public func readParameters(_ id: String, layerSizes: [Int]?, checksum: UInt32? = nil) throws -> [(name: String, matrix: Matrix<Double>)] {
        let url = parameters(id)
        var limit = 16 << 30
        if let sizes = layerSizes, sizes.count >= 2 {
            // float64 values, a header of at most 4 KiB an array, the zip's own records.
            let values = zip(sizes, sizes.dropFirst()).reduce(0) { $0.saturatingPlus($1.1.saturatingTimes($1.0 + 1)) }
            limit = values.saturatingTimes(8).saturatingPlus(sizes.count.saturatingTimes(8192)).saturatingPlus(1 << 16)
        }
        let data: Data
        do {
            data = try FileSystem.read(url, limit: limit)
        } catch {
            guard error.code == 0 else { throw error }
            throw ResultsError.corruptParameters(path: url.path, problem: error.reason)
        }
        guard let arrays = NpzReader.arrays(data), !arrays.isEmpty, arrays.count % 2 == 0,
              arrays.enumerated().allSatisfy({ $1.name == ($0 % 2 == 0 ? "W" : "b") + "\($0 / 2 + 1)" }) else {
            throw ResultsError.corruptParameters(path: url.path, problem: "not the W1, b1, … archive a run writes")
        }
        // Well formed but another run's (or edited): the record names the bytes it wrote.
        if let checksum {
            // In chunks: zlib's length argument is 32-bit, and a params.npz can pass 4 GiB.
            let actual = data.withUnsafeBytes { NpzWriter.crc($0, startingWith: 0) }
            guard actual == checksum else {
                throw ResultsError.corruptParameters(path: url.path, problem: "its CRC-32 is \(actual), not the \(checksum) the run "
                                                     + "recorded (record.json): it is another run's parameters, or was edited")
            }
        }
        if let sizes = layerSizes {
            let shapes = arrays.map { [$0.matrix.rows, $0.matrix.columns] }
            let expected = zip(sizes, sizes.dropFirst()).flatMap { [[$1, $0], [$1, 1]] }
            guard shapes == expected else {
                throw ResultsError.corruptParameters(path: url.path, problem: "its arrays are not those of the network "
                                                     + sizes.map(String.init).joined(separator: "-") + " (plan.json)")
            }
        }
        return arrays
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
    case corruptParameters(path: String, problem: String)

    public var description: String {
        switch self {
        case let .corruptParameters(path, problem):
            return "\(path) is damaged (\(problem)); re-run the experiment to redo that run"
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
