import Foundation
import Testing

/// The built `runner` on every file of the bad-input corpus (`Fixtures/corpus`): bad experiment
/// files and corrupt data files (written by `tools/make_corrupt_data.py`). Each must end with
/// its expected exit code and first error line, and none may crash, hang or be killed.
///
/// `NETSWEEP_UPDATE_CORPUS=1 swift test --filter BadInputCorpus` rewrites `expected.tsv` from
/// what the runner prints now; review its diff before committing it.
@Suite("bad-input corpus")
struct BadInputCorpusTests {
    static let corpus = fixtures.appendingPathComponent("corpus")

    struct Case {
        var file: String
        var exit: Int32
        var firstLine: String
    }

    static func expected() throws -> [Case] {
        let text = try String(contentsOf: corpus.appendingPathComponent("expected.tsv"), encoding: .utf8)
        return text.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, let exit = Int32(fields[1]) else { return nil }
            return Case(file: String(fields[0]), exit: exit, firstLine: String(fields[2]))
        }
    }

    /// Runs `runner plan FILE` in the corpus folder with a 20 s limit.
    static func plan(_ file: String, out: URL) throws -> (status: Int32, signalled: Bool, errors: String, timedOut: Bool) {
        guard let runner = RunnerEndToEndTests.runnerURL else { throw CancellationError() }
        let process = Process()
        process.executableURL = runner
        process.arguments = ["plan", file, "--data-dir", "data", "--out", out.path]
        process.currentDirectoryURL = corpus
        var environment = ProcessInfo.processInfo.environment
        environment["NETSWEEP_DATA"] = nil   // the searched folders are part of some messages
        process.environment = environment
        // A file, not a pipe: a process that writes a lot can never block on a full pipe.
        let errorFile = out.appendingPathComponent("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let errors = try FileHandle(forWritingTo: errorFile)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        let timedOut = process.isRunning
        if timedOut { process.terminate() }
        process.waitUntilExit()
        try errors.close()
        let text = String(decoding: try Data(contentsOf: errorFile), as: UTF8.self)
            .replacingOccurrences(of: corpus.path, with: "$CORPUS")
            .replacingOccurrences(of: fixtures.path, with: "$FIXTURES")
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal, text, timedOut)
    }

    @Test("every bad input gives its expected exit code and first error line; nothing crashes, hangs or is killed")
    func corpusOutcomes() throws {
        let cases = try Self.expected()
        #expect(cases.count >= 90)
        // Every file of the corpus is listed (a new case without its expectation would never run).
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.appendingPathComponent("experiments").path)
            .map { "experiments/" + $0 }
        #expect(Set(files).subtracting(cases.map(\.file)).sorted() == [])
        let out = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        var updated = ["file\texit\tfirst_error_line"]
        for item in cases {
            let result = try Self.plan(item.file, out: out)
            let firstLine = result.errors.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            #expect(!result.timedOut, "\(item.file): still running after 20 s")
            #expect(!result.signalled, "\(item.file): killed by signal \(result.status)")
            #expect(!result.errors.contains("Fatal error"), "\(item.file): \(result.errors)")
            #expect(!result.errors.contains("NSCocoaErrorDomain"), "\(item.file): \(result.errors)")
            updated.append("\(item.file)\t\(result.status)\t\(firstLine)")
            if ProcessInfo.processInfo.environment["NETSWEEP_UPDATE_CORPUS"] == nil {
                #expect(result.status == item.exit, "\(item.file): \(result.errors)")
                #expect(firstLine == item.firstLine, "\(item.file)")
            }
        }
        if ProcessInfo.processInfo.environment["NETSWEEP_UPDATE_CORPUS"] != nil {
            try (updated.joined(separator: "\n") + "\n")
                .write(to: Self.corpus.appendingPathComponent("expected.tsv"), atomically: true, encoding: .utf8)
        }
    }
}
