import Foundation
import Testing
@testable import Experiments

/// The reporter reads records and curves, and draws figures, on several threads: what it writes
/// and which error it reports must not depend on how many.
@Suite("Reporter on several threads")
struct ReporterThreadsTests {
    static let sweep = """
        name: threads
        dataset: {generator: xor, n: 40, seed: 3, test_fraction: 0.25}
        model: {hidden: [4], activation: tanh}
        training: {learning_rate: 0.5, iterations: 30, record_every: 10}
        sweep:
          hidden: [[2], [3], [4]]
          activation: [tanh, relu, sigmoid]
        """

    /// Every file a report writes, by path relative to the results folder.
    static func reportFiles(_ layout: ResultsLayout) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in ["summary.csv", "curves.csv", "accuracy_table.csv", "report.html"] {
            files[name] = try Data(contentsOf: layout.directory.appendingPathComponent(name))
        }
        let figures = layout.directory.appendingPathComponent("figures")
        for name in try FileManager.default.contentsOfDirectory(atPath: figures.path) {
            files["figures/" + name] = try Data(contentsOf: figures.appendingPathComponent(name))
        }
        return files
    }

    @Test("1, 2 and 5 threads write byte-identical CSVs, report.html and figures")
    func sameBytes() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, _) = try runExperiment(Self.sweep, root: root, jobs: 1)
        var written: [[String: Data]] = []
        for jobs in [1, 2, 5] {
            try Reporter(layout: plan.layout, jobs: jobs).write()
            written.append(try Self.reportFiles(plan.layout))
        }
        #expect(written[0].count >= 8, "the CSVs, the page and the figures")
        #expect(written[0] == written[1])
        #expect(written[0] == written[2])
    }

    @Test("two damaged curves: the error names the first in plan order, on any number of threads")
    func firstErrorInPlanOrder() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, _) = try runExperiment(Self.sweep, root: root, jobs: 2)
        let second = plan.runs[2].id, last = plan.runs[plan.runs.count - 1].id
        for id in [second, last] {
            try Data("not,a,curve\n".utf8).write(to: plan.layout.curve(id))
        }
        for jobs in [1, 2, 4] {
            #expect {
                try Reporter(layout: plan.layout, jobs: jobs).write()
            } throws: { error in
                "\(error)".contains(second) && !"\(error)".contains(last)
            }
        }
    }

    @Test("a record that is a dangling link, a looping link, a folder or behind a file is an error, never 'not run'")
    func recordsThatAreNotFiles() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, _) = try runExperiment(Self.sweep, root: root, jobs: 2)
        let layout = plan.layout
        let id = plan.runs[1].id
        let record = layout.record(id)
        let original = try Data(contentsOf: record)
        let damages: [(String, () throws -> Void)] = [
            ("dangling link", { try FileManager.default.createSymbolicLink(atPath: record.path, withDestinationPath: "/nonexistent/x") }),
            ("looping link", { try FileManager.default.createSymbolicLink(atPath: record.path, withDestinationPath: record.path) }),
            ("folder", { try FileManager.default.createDirectory(at: record, withIntermediateDirectories: false) }),
        ]
        for (name, damage) in damages {
            try FileManager.default.removeItem(at: record)
            try damage()
            #expect(throws: (any Error).self, "\(name)") { try layout.readRecord(id) }
            try FileManager.default.removeItem(at: record)
            try original.write(to: record)
        }
        // A folder is damage (64, ResultsError); a run folder that is a file, an I/O error naming it.
        try FileManager.default.createDirectory(at: record.appendingPathExtension("d"), withIntermediateDirectories: false)
        try FileManager.default.removeItem(at: record)
        try FileManager.default.moveItem(at: record.appendingPathExtension("d"), to: record)
        #expect(throws: ResultsError.self) { try layout.readRecord(id) }
        try FileManager.default.removeItem(at: layout.runDirectory(id))
        try Data("x".utf8).write(to: layout.runDirectory(id))
        #expect(throws: FileSystemError.self) { try layout.readRecord(id) }
        // Absent is still "not run".
        try FileManager.default.removeItem(at: layout.runDirectory(id))
        #expect(try layout.readRecord(id) == nil)
    }

    @Test("a checksummed AtomicWriter's CRC-32 is the file's, whichever write paths the bytes took")
    func writerChecksum() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let url = root.appendingPathComponent("file.bin")
        let large = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let writer = try AtomicWriter(url, checksummed: true)
        try writer.write("header\n")
        try writer.write(Data([1, 2, 3]))
        try large.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws -> Void in try writer.write(bytes) }
        try writer.commit()
        let written = try Data(contentsOf: url)
        #expect(written.count == 7 + 3 + large.count)
        #expect(writer.checksum == written.withUnsafeBytes { NpzWriter.crc($0, startingWith: 0) } && writer.checksum != 0)
        let plain = try AtomicWriter(root.appendingPathComponent("plain.bin"))
        try plain.write("x")
        try plain.commit()
        #expect(plain.checksum == 0)
    }

    @Test("Scheduler.map keeps index order and throws the lowest failing index's error")
    func mapOrderAndError() throws {
        struct Failure: Error, Equatable { let index: Int }
        for jobs in [1, 3] {
            #expect(try Scheduler(jobs: jobs).map(count: 100) { $0 * $0 } == (0..<100).map { $0 * $0 })
            #expect(throws: Failure(index: 17)) {
                try Scheduler(jobs: jobs).map(count: 100) { index -> Int in
                    if index == 17 || index == 60 || index == 99 { throw Failure(index: index) }
                    return index
                }
            }
        }
        #expect(try Scheduler(jobs: 2).map(count: 0) { $0 }.isEmpty)
    }

    @Test("FileSystem.timestamp writes what ISO8601DateFormatter writes")
    func timestamp() {
        let formatter = ISO8601DateFormatter()
        for seconds in [0, 59, 951_782_400, 1_700_000_000, 1_796_000_000, 4_102_444_799] {
            #expect(FileSystem.timestamp(time_t(seconds))
                    == formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))), "\(seconds)")
        }
    }
}
