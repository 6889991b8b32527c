import Foundation
import Testing
@testable import Experiments
import Datasets

/// The built `runner` as a cluster job, a CI job or two shells use it: signals, several
/// processes on one results folder, I/O failures, damaged results, memory limits, builds.
@Suite("unattended use", .serialized)
struct UnattendedUseTests {
    /// Two short runs and one that would take minutes: with two workers (longest first) the
    /// long run is in progress while the short ones end, so a signal lands mid-run.
    static let long = """
        name: long
        dataset: {generator: moons, n: 400, seed: 7}
        model: {hidden: [16], activation: tanh, output: sigmoid}
        training: {optimizer: gd, learning_rate: 0.1, iterations: 200, record_every: 100}
        sweep:
          zip:
            seed: [1, 2, 3]
            iterations: [200, 300, 5000000]
        """

    /// Six runs of a fraction of a second each.
    static let six = """
        name: six
        dataset: {generator: moons, n: 200, seed: 7}
        model: {hidden: [8], activation: tanh, output: sigmoid}
        training: {optimizer: gd, learning_rate: 0.1, iterations: 3000, record_every: 100}
        sweep:
          seed: [1, 2, 3, 4, 5, 6]
        """

    /// 8 short runs.
    static let short = """
        name: short
        dataset: {generator: xor, n: 80, seed: 3, test_fraction: 0.25}
        model: {depth: 1, width: 4, activation: tanh, output: sigmoid}
        training: {optimizer: gd, learning_rate: 0.5, iterations: 300, record_every: 100}
        sweep:
          width: [2, 3, 4, 5]
          activation: [tanh, relu]
        """

    static func start(_ arguments: [String], in directory: URL) throws -> (Process, URL) {
        guard let runner = RunnerEndToEndTests.runnerURL else { throw CancellationError() }
        let process = Process()
        process.executableURL = runner
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let log = directory.appendingPathComponent("stderr-\(UUID().uuidString)")
        let output = directory.appendingPathComponent("stdout-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        return (process, log)
    }

    /// Writes `short.yaml` into `directory`.
    static func writeShort(in directory: URL) throws {
        try short.write(to: directory.appendingPathComponent("short.yaml"), atomically: true, encoding: .utf8)
    }

    /// Runs `short.yaml` to completion in `directory`: its results folder and run ids (sorted).
    static func shortResults(in directory: URL) throws -> (ResultsLayout, [String]) {
        try writeShort(in: directory)
        let run = try RunnerEndToEndTests.run(["short.yaml", "--quiet"], in: directory)
        #expect(run.status == 0, "\(run.errors)")
        let layout = ResultsLayout(directory: directory.appendingPathComponent("results/short"))
        return (layout, try FileManager.default.contentsOfDirectory(atPath: layout.runsDirectory.path).sorted())
    }

    /// The value of a `/proc/<pid>/status` line ("Threads:", "SigCgt:").
    static func field(_ name: String, _ status: String) -> String? {
        status.split(separator: "\n").first { $0.hasPrefix(name) }.map { $0.dropFirst(name.count).trimmingCharacters(in: .whitespaces) }
    }

    /// Whether the process has installed its handler for `signal` (SigCgt in /proc).
    static func catches(_ signal: Int32, pid: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
              let mask = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << UInt64(signal - 1)) != 0
    }

    static func wait(_ process: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        return !process.isRunning
    }

    static func records(_ directory: URL, _ name: String) -> [String] {
        let runs = directory.appendingPathComponent("results/\(name)/runs")
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []
        return ids.filter { FileManager.default.fileExists(atPath: runs.appendingPathComponent("\($0)/record.json").path) }
    }

    enum Moment: String, CaseIterable { case atStart = "as soon as the handler is in place", midSweep = "mid-sweep" }

    @Test("SIGINT, SIGTERM and SIGHUP stop cleanly with 128+N and keep what finished; the run in progress stays pending",
          arguments: [SIGINT, SIGTERM, SIGHUP], Moment.allCases)
    func signals(signal: Int32, moment: Moment) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.long.write(to: directory.appendingPathComponent("long.yaml"), atomically: true, encoding: .utf8)
        let (process, log) = try Self.start(["long.yaml", "--jobs", "2", "--quiet"], in: directory)
        let deadline = Date().addingTimeInterval(60)
        while !Self.catches(signal, pid: process.processIdentifier), process.isRunning, Date() < deadline { usleep(500) }
        if moment == .midSweep {
            // Both short runs have ended; the long one is in progress.
            while Self.records(directory, "long").count < 2, process.isRunning, Date() < deadline { usleep(5_000) }
        }
        kill(process.processIdentifier, signal)
        #expect(Self.wait(process, seconds: 30), "the runner did not stop within 30 s of the signal")
        #expect(process.terminationReason == .exit, "killed by the signal instead of handling it")
        #expect(process.terminationStatus == 128 + signal, "\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        let kept = Self.records(directory, "long")
        // No partial files are left behind: only complete records, curves and parameters.
        let leftovers = FileManager.default.enumerator(atPath: directory.appendingPathComponent("results").path)?
            .compactMap { $0 as? String }.filter { $0.contains(".tmp-") || $0.hasSuffix("/claim") } ?? []
        #expect(leftovers.isEmpty, "\(leftovers)")
        if moment == .midSweep {
            #expect(kept.count == 2)
            let summary = try String(contentsOf: directory.appendingPathComponent("results/long/summary.csv"), encoding: .utf8)
            #expect(summary.components(separatedBy: ",not_run,").count - 1 == 1, "\(summary)")
        }
        let plan = try RunnerEndToEndTests.run(["plan", "long.yaml"], in: directory)
        #expect(plan.output.contains("3 runs (\(3 - kept.count) pending, \(kept.count) done)"), "\(plan.output)")
    }

    @Test("the handlers are in place before any library starts a thread, and libhdf5 is not loaded at start")
    func handlersBeforeLibraries() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.writeShort(in: directory)
        for _ in 0..<5 {
            let (process, _) = try Self.start(["plan", "short.yaml"], in: directory)
            var sawThreads = false
            var mapsHDF5 = false
            while process.isRunning {
                let pid = process.processIdentifier
                // OpenBLAS's constructor starts its threads; the handlers come from the
                // executable's preinit array, which runs before any library's constructor.
                // One snapshot of /proc/<pid>/status: its thread count and caught signals together.
                if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                   let threads = Self.field("Threads:", status).flatMap({ Int($0) }), threads > 1,
                   let caught = Self.field("SigCgt:", status).flatMap({ UInt64($0, radix: 16) }),
                   Self.field("State:", status)?.hasPrefix("Z") == false {
                    sawThreads = true
                    #expect(caught & (1 << UInt64(SIGINT - 1)) != 0 && caught & (1 << UInt64(SIGTERM - 1)) != 0,
                            "threads before handlers: \(status)")
                }
                if let maps = try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8), maps.contains("libhdf5") {
                    mapsHDF5 = true
                }
                usleep(200)
            }
            #expect(sawThreads || process.terminationStatus == 0)
            #expect(!mapsHDF5, "libhdf5 was loaded by a run that reads no HDF5 file")
        }
    }

    @Test("a re-run after a signal completes exactly the runs that were not done")
    func resumeAfterSignal() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.six.write(to: directory.appendingPathComponent("six.yaml"), atomically: true, encoding: .utf8)
        let (process, _) = try Self.start(["six.yaml", "--jobs", "1", "--quiet"], in: directory)
        let deadline = Date().addingTimeInterval(60)
        while Self.records(directory, "six").isEmpty, process.isRunning, Date() < deadline { usleep(2_000) }
        kill(process.processIdentifier, SIGTERM)
        #expect(Self.wait(process, seconds: 30))
        #expect(process.terminationStatus == 143)
        let kept = Self.records(directory, "six").count
        #expect(kept >= 1)
        let rerun = try RunnerEndToEndTests.run(["six.yaml", "--quiet"], in: directory)
        #expect(rerun.status == 0, "\(rerun.errors)")
        #expect(rerun.output.contains("six: 6 runs — \(6 - kept) run now, \(kept) already done"), "\(rerun.output)")
    }

    @Test("two processes on one results folder share out the runs: each trained once, both exit 0")
    func concurrentProcesses() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.six.write(to: directory.appendingPathComponent("six.yaml"), atomically: true, encoding: .utf8)
        let first = try Self.start(["six.yaml", "--jobs", "1", "--quiet"], in: directory)
        let second = try Self.start(["six.yaml", "--jobs", "1", "--quiet"], in: directory)
        #expect(Self.wait(first.0, seconds: 120) && Self.wait(second.0, seconds: 120))
        #expect(first.0.terminationStatus == 0, "\((try? String(contentsOf: first.1, encoding: .utf8)) ?? "")")
        #expect(second.0.terminationStatus == 0, "\((try? String(contentsOf: second.1, encoding: .utf8)) ?? "")")
        #expect(Self.records(directory, "six").count == 6)
        let outputs = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.lastPathComponent.hasPrefix("stdout-") }
            .map { try String(contentsOf: $0, encoding: .utf8) }
        // "N run now": the two counts add up to the six runs, none trained twice.
        let trained = outputs.compactMap { text -> Int? in
            guard let range = text.range(of: #"— (\d+) run now"#, options: .regularExpression) else { return nil }
            return Int(text[range].dropFirst(2).prefix { $0.isNumber })
        }
        #expect(trained.count == 2 && trained.reduce(0, +) == 6, "\(outputs)")
        let summary = try String(contentsOf: directory.appendingPathComponent("results/six/summary.csv"), encoding: .utf8)
        #expect(!summary.contains("not_run") && !summary.contains("failed"))
    }

    @Test("temporary files left by a kill -9 are removed by the next process; live and other hosts' are kept")
    func staleTemporaries() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.long.write(to: directory.appendingPathComponent("long.yaml"), atomically: true, encoding: .utf8)
        let results = directory.appendingPathComponent("results/long")
        // The long run streams its curve to a temporary file while it trains.
        func temporaries() -> [String] {
            (FileManager.default.enumerator(atPath: results.path)?.compactMap { $0 as? String } ?? [])
                .filter { $0.contains(".tmp-") }
        }
        let (first, _) = try Self.start(["long.yaml", "--jobs", "2", "--quiet"], in: directory)
        let deadline = Date().addingTimeInterval(60)
        while temporaries().isEmpty || Self.records(directory, "long").count < 2, first.isRunning, Date() < deadline {
            usleep(5_000)
        }
        kill(first.processIdentifier, SIGKILL)
        #expect(Self.wait(first, seconds: 30))
        let left = temporaries()
        #expect(left.count == 1 && left[0].hasPrefix("runs/"), "\(left)")
        // Files the next process must not touch: this (live) process's and another host's.
        let live = ".summary.csv.tmp-\(FileSystem.hostName)-\(getpid())-abc"
        let foreign = ".summary.csv.tmp-other-host.example-\(first.processIdentifier)-abc"
        for name in [live, foreign] {
            #expect(FileManager.default.createFile(atPath: results.appendingPathComponent(name).path, contents: Data()))
        }
        let (second, _) = try Self.start(["long.yaml", "--jobs", "2", "--quiet"], in: directory)
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        // The second process claims the long run (the other two are done) and clears its folder.
        while FileManager.default.fileExists(atPath: results.appendingPathComponent(left[0]).path),
              second.isRunning, Date() < deadline { usleep(5_000) }
        #expect(!FileManager.default.fileExists(atPath: results.appendingPathComponent(left[0]).path))
        kill(second.processIdentifier, SIGTERM)
        #expect(Self.wait(second, seconds: 30) && second.terminationStatus == 143)
        #expect(Set(temporaries()) == [live, foreign], "\(temporaries())")
    }

    @Test("a data file that is a named pipe is refused at once, not read forever")
    func fifoDataFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(mkfifo(directory.appendingPathComponent("pipe.csv").path, 0o644) == 0)
        try """
            name: piped
            dataset: {train: pipe.csv}
            model: {hidden: [4], activation: tanh}
            training: {learning_rate: 0.1, iterations: 10}
            """.write(to: directory.appendingPathComponent("piped.yaml"), atomically: true, encoding: .utf8)
        let result = try RunnerEndToEndTests.run(["plan", "piped.yaml", "--data-dir", directory.path], in: directory)
        #expect(result.status == 64)
        #expect(result.errors.contains("pipe.csv: a named pipe, not a regular file"), "\(result.errors)")
    }

    @Test("stale temporaries are not removed through a symbolic link to a folder outside the results")
    func noCleanupThroughLinks() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outside = directory.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        let precious = outside.appendingPathComponent(".notes.tmp-\(FileSystem.hostName)-999999-a")
        #expect(FileManager.default.createFile(atPath: precious.path, contents: Data("keep".utf8)))
        let link = directory.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: outside)
        #expect(FileSystem.removeStaleTemporaries(in: link).isEmpty)
        #expect(FileManager.default.fileExists(atPath: precious.path))
        #expect(FileSystem.removeStaleTemporaries(in: outside) == [precious.lastPathComponent])
    }

    @Test("the owner of a temporary name is read back, dashes in the host included")
    func temporaryOwner() {
        let url = URL(fileURLWithPath: "/tmp/results/summary.csv")
        let name = FileSystem.temporaryName(for: url).lastPathComponent
        #expect(name.hasPrefix(".summary.csv.tmp-"))
        #expect(FileSystem.temporaryOwner(name)?.host == FileSystem.hostName)
        #expect(FileSystem.temporaryOwner(name)?.pid == getpid())
        #expect(FileSystem.temporaryOwner(".a.tmp-node-7.cluster-123-zz")?.host == "node-7.cluster")
        #expect(FileSystem.temporaryOwner(".a.tmp-node-7.cluster-123-zz")?.pid == 123)
        #expect(FileSystem.temporaryOwner(".a.tmp-123-zz") == nil)
        #expect(FileSystem.temporaryOwner("summary.csv") == nil)
    }

    @Test("a different plan in a folder that a live runner uses is refused with exit 75")
    func folderInUse() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.long.write(to: directory.appendingPathComponent("long.yaml"), atomically: true, encoding: .utf8)
        try Self.long.replacingOccurrences(of: "seed: [1, 2, 3]", with: "seed: [4, 5, 6]")
            .write(to: directory.appendingPathComponent("other.yaml"), atomically: true, encoding: .utf8)
        let (first, _) = try Self.start(["long.yaml", "--jobs", "2", "--quiet"], in: directory)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(60)
        while Self.records(directory, "long").count < 2, first.isRunning, Date() < deadline { usleep(5_000) }
        let second = try RunnerEndToEndTests.run(["other.yaml", "--quiet"], in: directory)
        #expect(second.status == 75, "\(second.errors)")
        #expect(second.errors.contains("is in use by another runner"), "\(second.errors)")
        kill(first.processIdentifier, SIGTERM)
        #expect(Self.wait(first, seconds: 30) && first.terminationStatus == 143)
        // Once the first has ended, the other plan may take the folder.
        let third = try RunnerEndToEndTests.run(["plan", "other.yaml"], in: directory)
        #expect(third.status == 0, "\(third.errors)")
    }

    @Test("a record copied into another run's folder is an error, not that run's result")
    func misplacedRecord() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (layout, ids) = try Self.shortResults(in: directory)
        try FileManager.default.removeItem(at: layout.record(ids[1]))
        try FileManager.default.copyItem(at: layout.record(ids[0]), to: layout.record(ids[1]))
        let report = try RunnerEndToEndTests.run(["report", "results/short"], in: directory)
        #expect(report.status == 64)
        #expect(report.errors.contains("it is the record of run \(ids[0]), not \(ids[1])"), "\(report.errors)")
        // A sweep redoes that run instead of taking the copy as its result.
        let rerun = try RunnerEndToEndTests.run(["short.yaml", "--quiet"], in: directory)
        #expect(rerun.output.contains("1 run now, 7 already done"), "\(rerun.output)")
    }

    @Test("a full disk is exit 74 naming the file and the system's reason; the records written before stay valid")
    func fullDisk() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let mountPoint = directory.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mounted = Process()
        mounted.executableURL = URL(fileURLWithPath: "/bin/mount")
        mounted.arguments = ["-t", "tmpfs", "-o", "size=24k", "tmpfs", mountPoint.path]
        try mounted.run()
        mounted.waitUntilExit()
        guard mounted.terminationStatus == 0 else { return }   // not root: nothing to test here
        defer {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/bin/umount")
            unmount.arguments = [mountPoint.path]
            try? unmount.run()
            unmount.waitUntilExit()
        }
        try Self.writeShort(in: directory)
        let run = try RunnerEndToEndTests.run(["short.yaml", "--jobs", "1", "--quiet", "--out", mountPoint.path], in: directory)
        #expect(run.status == 74, "\(run.output)\n\(run.errors)")
        #expect(run.errors.contains("No space left on device"), "\(run.errors)")
        #expect(!run.errors.contains("Fatal error") && !run.errors.contains("NSCocoaErrorDomain"))
        let layout = ResultsLayout(directory: mountPoint.appendingPathComponent("short"))
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: layout.runsDirectory.path)) ?? []
        for id in ids where FileManager.default.fileExists(atPath: layout.record(id).path) {
            let record = try #require(try layout.readRecord(id))
            #expect(try !layout.readCurve(for: record).isEmpty)
        }
    }

    @Test("a results folder that is a file, and a name too long for the file system: exit 74 with the reason")
    func unwritableResults() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.writeShort(in: directory)
        try Data("x".utf8).write(to: directory.appendingPathComponent("afile"))
        let file = try RunnerEndToEndTests.run(["short.yaml", "--quiet", "--out", "afile"], in: directory)
        #expect(file.status == 74)
        #expect(file.errors.contains("cannot create the folder") && file.errors.contains("Not a directory"), "\(file.errors)")
        let long = try RunnerEndToEndTests.run(
            ["short.yaml", "--quiet", "--set", "name=" + String(repeating: "n", count: 300)], in: directory)
        #expect(long.status == 74)
        #expect(long.errors.contains("File name too long"), "\(long.errors)")
    }

    @Test("a damaged record or a truncated curve is an error naming the file, not 'not run'")
    func damagedResults() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (layout, ids) = try Self.shortResults(in: directory)
        let curve = try Data(contentsOf: layout.curve(ids[0]))
        try curve.prefix(curve.count - 30).write(to: layout.curve(ids[0]))
        let truncated = try RunnerEndToEndTests.run(["report", "results/short"], in: directory)
        #expect(truncated.status == 64)
        #expect(truncated.errors.contains("\(ids[0])/curve.csv is damaged (truncated"), "\(truncated.errors)")
        try Data("{\"id\": ".utf8).write(to: layout.record(ids[1]))
        let corrupt = try RunnerEndToEndTests.run(["check", "results/short"], in: directory)
        #expect(corrupt.status == 64)
        #expect(corrupt.errors.contains("\(ids[1])/record.json is damaged"), "\(corrupt.errors)")
        // Running the sweep again redoes both runs (a damaged curve too), and the report is whole.
        let again = try RunnerEndToEndTests.run(["short.yaml", "--quiet", "--no-html"], in: directory)
        #expect(again.status == 0, "\(again.output)\n\(again.errors)")
        #expect(again.output.contains("2 run now"), "\(again.output)")
        let report = try RunnerEndToEndTests.run(["report", "results/short"], in: directory)
        #expect(report.status == 0, "\(report.errors)")
    }

    @Test("curves swapped between two runs, or grown past any length the run could write, are damage; a re-run redoes them")
    func swappedAndOversizedCurves() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (layout, ids) = try Self.shortResults(in: directory)
        let first = try Data(contentsOf: layout.curve(ids[0])), second = try Data(contentsOf: layout.curve(ids[1]))
        #expect(first != second)
        try second.write(to: layout.curve(ids[0]))
        try first.write(to: layout.curve(ids[1]))
        let swapped = try RunnerEndToEndTests.run(["report", "results/short"], in: directory)
        #expect(swapped.status == 64)
        #expect(swapped.errors.contains("\(ids[0])/curve.csv is damaged (its cost at iteration"), "\(swapped.errors)")
        #expect(swapped.errors.contains("it is another run's curve"), "\(swapped.errors)")
        // Well-formed rows past the run's length: refused by size before they are read whole.
        var grown = first
        grown.append(Data(String(repeating: "1,1,0.5,0.5\r\n", count: 100_000).utf8))
        try grown.write(to: layout.curve(ids[0]))
        try second.write(to: layout.curve(ids[1]))
        let oversized = try RunnerEndToEndTests.run(["check", "results/short"], in: directory)
        #expect(oversized.status == 64)
        #expect(oversized.errors.contains("\(ids[0])/curve.csv is damaged (larger than"), "\(oversized.errors)")
        // Converted to LF line ends: said so (not "line 1 is not the header").
        try Data(String(decoding: first, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n").utf8).write(to: layout.curve(ids[0]))
        let converted = try RunnerEndToEndTests.run(["report", "results/short"], in: directory)
        #expect(converted.status == 64 && converted.errors.contains("its lines end in LF, not the CRLF"), "\(converted.errors)")
        let again = try RunnerEndToEndTests.run(["short.yaml", "--quiet", "--no-html"], in: directory)
        #expect(again.status == 0 && again.output.contains("1 run now"), "\(again.output)\n\(again.errors)")
        #expect(try Data(contentsOf: layout.curve(ids[0])) == first && Data(contentsOf: layout.curve(ids[1])) == second)
    }

    @Test("hostile edits of curves, plan.json, claims and params.npz are damage with exit 64, never a crash, a hang or a silent pass")
    func hostileEdits() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (layout, ids) = try Self.shortResults(in: directory)
        let record = try #require(try layout.readRecord(ids[0]))
        let curve = try String(contentsOf: layout.curve(ids[0]), encoding: .utf8)
        var rows = curve.components(separatedBy: "\r\n")
        // iteration,epoch,cost,train_accuracy rows at 0, 100, 200, 300.
        let edits: [(String, String)] = [
            ("a row off the record_every cadence", rows[0] + "\r\n" + rows[1] + "\r\n" + "1,1,0.5,0.5\r\n" + rows[2...].joined(separator: "\r\n")),
            ("an accuracy above 1", curve.replacingOccurrences(of: rows[2], with: rows[2].split(separator: ",").prefix(3).joined(separator: ",") + ",7.5")),
            ("a hex float", curve.replacingOccurrences(of: rows[2], with: rows[2].split(separator: ",").prefix(2).joined(separator: ",") + ",0x1p-3,0.5")),
            ("a cost of inf", curve.replacingOccurrences(of: rows[2], with: rows[2].split(separator: ",").prefix(2).joined(separator: ",") + ",inf,0.5")),
            ("a row past the last iteration", curve + "400,400,0.5,0.5\r\n"),
        ]
        for (name, text) in edits {
            #expect(text != curve, "\(name)")
            try text.write(to: layout.curve(ids[0]), atomically: true, encoding: .utf8)
            #expect(throws: ResultsError.self, "\(name)") { try layout.readCurve(for: record) }
        }
        try curve.write(to: layout.curve(ids[0]), atomically: true, encoding: .utf8)
        #expect(try layout.readCurve(for: record).count == 4)
        rows = []

        // plan.json: a run without its swept values, a repeated id, an id that leaves the folder,
        // impossible layer sizes.
        let planData = try Data(contentsOf: layout.plan)
        let planText = String(decoding: planData, as: UTF8.self)
        var json = try #require(try JSONSerialization.jsonObject(with: planData) as? [String: Any])
        var runs = try #require(json["runs"] as? [[String: Any]])
        let damages: [(String, ([[String: Any]]) -> [[String: Any]])] = [
            ("no swept values", { var r = $0; r[0]["swept_values"] = [String](); return r }),
            ("a repeated id", { var r = $0; r[1]["id"] = r[0]["id"]; return r }),
            ("an id with a path", { var r = $0; r[0]["id"] = "../../x"; return r }),
            ("huge layer sizes", { var r = $0; r[0]["layer_sizes"] = [2, Int.max, 1]; return r }),
        ]
        for (name, damage) in damages {
            json["runs"] = damage(runs)
            try JSONSerialization.data(withJSONObject: json).write(to: layout.plan)
            let report = try RunnerEndToEndTests.run(["report", "results/short"], in: directory)
            #expect(report.status == 64 && report.errors.contains("plan.json is damaged"), "\(name): \(report.status) \(report.errors)")
        }
        try planText.write(to: layout.plan, atomically: true, encoding: .utf8)
        runs = []

        // A record no run writes (an accuracy of 7.5), and a run folder that is a link to nothing.
        let recordText = try String(contentsOf: layout.record(ids[2]), encoding: .utf8)
        var recordJSON = try #require(try JSONSerialization.jsonObject(with: Data(recordText.utf8)) as? [String: Any])
        recordJSON["train_accuracy"] = 7.5
        try JSONSerialization.data(withJSONObject: recordJSON).write(to: layout.record(ids[2]))
        let accuracy = try RunnerEndToEndTests.run(["report", "results/short"], in: directory)
        #expect(accuracy.status == 64 && accuracy.errors.contains("train_accuracy 7.5 is not in [0, 1]"), "\(accuracy.errors)")
        // A plausible one (0.999): the curve's last row says otherwise.
        recordJSON["train_accuracy"] = 0.999
        try JSONSerialization.data(withJSONObject: recordJSON).write(to: layout.record(ids[2]))
        let edited = try RunnerEndToEndTests.run(["report", "results/short"], in: directory)
        #expect(edited.status == 64 && edited.errors.contains("not the run's train_accuracy 0.999"), "\(edited.errors)")
        try recordText.write(to: layout.record(ids[2]), atomically: true, encoding: .utf8)
        let moved = directory.appendingPathComponent("moved")
        try FileManager.default.moveItem(at: layout.runDirectory(ids[2]), to: moved)
        try FileManager.default.createSymbolicLink(at: layout.runDirectory(ids[2]), withDestinationURL: directory.appendingPathComponent("nothing"))
        let dangling = try RunnerEndToEndTests.run(["report", "results/short"], in: directory)
        #expect(dangling.status == 74 && dangling.errors.contains("its run folder is a link to nothing"), "\(dangling.errors)")
        try FileManager.default.removeItem(at: layout.runDirectory(ids[2]))
        try FileManager.default.moveItem(at: moved, to: layout.runDirectory(ids[2]))

        // A FIFO where a claim should be: status answers at once (it blocked in open).
        let missing = ids[1]
        try FileManager.default.removeItem(at: layout.record(missing))
        #expect(mkfifo(layout.claim(missing).path, 0o644) == 0)
        let status = try RunnerEndToEndTests.run(["status", "results/short"], in: directory)
        #expect(status.status == 0 && status.output.contains("all"), "\(status.errors)")
        try FileManager.default.removeItem(at: layout.claim(missing))

        // Another run of the same shape's params.npz copied in: its CRC-32 is not the recorded one.
        let parameters = layout.parameters(ids[0])
        let own = try Data(contentsOf: parameters)
        let sameShape = try #require(ids.first { id in
            id != ids[0] && (try? layout.readRecord(id))??.config.model == record.config.model
        } ?? ids.dropFirst().first)
        try Data(contentsOf: layout.parameters(sameShape)).write(to: parameters)
        let swapped = try RunnerEndToEndTests.run(["predict", "results/short/runs/\(ids[0])"], in: directory)
        #expect(swapped.status == 64 && swapped.errors.contains("it is another run's parameters"), "\(swapped.errors)")
        try own.write(to: parameters)
        #expect(try RunnerEndToEndTests.run(["predict", "results/short/runs/\(ids[0])"], in: directory).status == 0)

        // params.npz grown far past what its network needs: refused by size, not read whole.
        let handle = try FileHandle(forWritingTo: parameters)
        try handle.truncate(atOffset: 1 << 31)
        try handle.close()
        let predicted = try RunnerEndToEndTests.run(["predict", "results/short/runs/\(ids[0])"], in: directory)
        #expect(predicted.status == 64 && predicted.errors.contains("larger than"), "\(predicted.errors)")
    }

    @Test("a re-run repairs a run whose record or curve is a folder, or whose run folder is a file, setting the damage aside")
    func rerunSetsDamageAside() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (layout, ids) = try Self.shortResults(in: directory)
        let curve = try Data(contentsOf: layout.curve(ids[1]))
        try FileManager.default.removeItem(at: layout.record(ids[0]))
        try FileManager.default.createDirectory(at: layout.record(ids[0]), withIntermediateDirectories: false)
        try FileManager.default.removeItem(at: layout.curve(ids[1]))
        try FileManager.default.createDirectory(at: layout.curve(ids[1]).appendingPathComponent("inside"), withIntermediateDirectories: true)
        try FileManager.default.removeItem(at: layout.runDirectory(ids[2]))
        try Data("not a folder".utf8).write(to: layout.runDirectory(ids[2]))
        // A run folder linked to another run's folder (training through it overwrote that run),
        // and a claim linked to a file outside (acquiring it wrote through the link).
        let otherRecord = try Data(contentsOf: layout.record(ids[4]))
        try FileManager.default.removeItem(at: layout.runDirectory(ids[3]))
        try FileManager.default.createSymbolicLink(at: layout.runDirectory(ids[3]), withDestinationURL: layout.runDirectory(ids[4]))
        let victim = directory.appendingPathComponent("victim.txt")
        try Data("keep me".utf8).write(to: victim)
        try FileManager.default.removeItem(at: layout.record(ids[5]))
        try FileManager.default.createSymbolicLink(at: layout.claim(ids[5]), withDestinationURL: victim)
        // Another run's params.npz copied over one run's: its CRC-32 is not the recorded one.
        let ownParameters = try Data(contentsOf: layout.parameters(ids[6]))
        try Data(contentsOf: layout.parameters(ids[7])).write(to: layout.parameters(ids[6]))
        let again = try RunnerEndToEndTests.run(["short.yaml", "--quiet", "--no-html"], in: directory)
        #expect(again.status == 0 && again.output.contains("6 run now"), "\(again.output)\n\(again.errors)")
        #expect(try Data(contentsOf: layout.parameters(ids[6])) == ownParameters)
        #expect(try Data(contentsOf: layout.record(ids[4])) == otherRecord)
        #expect(try String(contentsOf: victim, encoding: .utf8) == "keep me")
        #expect(try layout.readRecord(ids[3])?.id == ids[3] && layout.readRecord(ids[5])?.status == .finished)
        #expect(try Data(contentsOf: layout.curve(ids[1])) == curve)
        for id in ids.prefix(3) { #expect(try layout.readRecord(id)?.status == .finished) }
        // Set aside, not deleted.
        let runs = try FileManager.default.contentsOfDirectory(atPath: layout.runsDirectory.path)
        #expect(runs.contains { $0.hasPrefix(ids[2] + ".damaged-") }, "\(runs)")
        let first = try FileManager.default.contentsOfDirectory(atPath: layout.runDirectory(ids[0]).path)
        #expect(first.contains { $0.hasPrefix("record.json.damaged-") }, "\(first)")
        let second = try FileManager.default.contentsOfDirectory(atPath: layout.runDirectory(ids[1]).path)
        #expect(second.contains { $0.hasPrefix("curve.csv.damaged-") }, "\(second)")
        let report = try RunnerEndToEndTests.run(["report", "results/short"], in: directory)
        #expect(report.status == 0, "\(report.errors)")
    }

    @Test("a sweep that does not fit in memory is refused at plan time, naming the run, its estimate and the limit")
    func memoryLimit() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.writeShort(in: directory)
        let huge = try RunnerEndToEndTests.run(["plan", "short.yaml", "--set", "model.depth=2", "--set", "sweep.width=[100000]"], in: directory)
        #expect(huge.status == 64)
        #expect(huge.errors.contains("more than the machine's memory"), "\(huge.errors)")
        let capped = try RunnerEndToEndTests.run(["short.yaml", "--max-memory", "4K"], in: directory)
        #expect(capped.status == 64)
        #expect(capped.errors.contains("more than --max-memory (4.0 KiB)"), "\(capped.errors)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("results").path),
                "a refused sweep writes nothing")
        // Datasets are counted as they load: the third is never generated.
        try """
            name: datasets
            dataset: {generator: xor, n: 100000, seed: 3, test_fraction: 0.25}
            model: {depth: 1, width: 4, activation: tanh, output: sigmoid}
            training: {optimizer: gd, learning_rate: 0.5, iterations: 300}
            sweep: {dataset.seed: [1, 2, 3]}
            """.write(to: directory.appendingPathComponent("datasets.yaml"), atomically: true, encoding: .utf8)
        let datasets = try RunnerEndToEndTests.run(["plan", "datasets.yaml", "--max-memory", "3M"], in: directory)
        #expect(datasets.status == 64)
        #expect(datasets.errors.contains("2 of the 3 datasets this sweep uses need about 3.1 MiB, more than --max-memory (3.0 MiB)"),
                "\(datasets.errors)")
        let planned = try RunnerEndToEndTests.run(["plan", "short.yaml"], in: directory)
        #expect(planned.status == 0)
        #expect(planned.output.contains("memory"))
    }

    @Test("records of another engine build are not mixed into a report unless asked")
    func mixedBuilds() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (layout, ids) = try Self.shortResults(in: directory)
        let id = ids[0]
        var record = try #require(try layout.readRecord(id))
        record.build = EngineBuild(version: "0.0.1", gitCommit: "0123456789ab", executable: "00000000000000ff")
        try AtomicFile.writeJSON(record, to: layout.record(id))
        let resumed = try RunnerEndToEndTests.run(["short.yaml", "--quiet"], in: directory)
        #expect(resumed.status == 64)
        #expect(resumed.errors.contains("holds records made by another engine build (1 by runner 0.0.1"), "\(resumed.errors)")
        let report = try RunnerEndToEndTests.run(["report", "results/short"], in: directory)
        #expect(report.status == 64)
        #expect(try RunnerEndToEndTests.run(["report", "results/short", "--allow-mixed"], in: directory).status == 0)
        #expect(try RunnerEndToEndTests.run(["short.yaml", "--quiet", "--allow-mixed"], in: directory).status == 0)
    }
}

/// Run ids and data fingerprints: a changed experiment or changed data never reuses old results.
@Suite("content hashes")
struct ContentHashTests {
    static func experiment(learningRate: String, seed: Int) -> String {
        """
        name: collide
        dataset: {generator: planar}
        model: {hidden: [4], activation: tanh, output: sigmoid}
        training: {optimizer: gd, learning_rate: \(learningRate), iterations: 1, record_every: 100}
        seed: \(seed)
        """
    }

    @Test("configurations that collided under word-wise FNV get different run ids")
    func runIDs() throws {
        // learning_rate 0.001 with seed 18 and 0.011 with seed 11 differ in two words' top bits,
        // which cancelled in the old hash: the second sweep reported the first one's results.
        let first = try ExperimentLoader().load(text: Self.experiment(learningRate: "0.001", seed: 18), file: "a.yaml")
        let second = try ExperimentLoader().load(text: Self.experiment(learningRate: "0.011", seed: 11), file: "b.yaml")
        let runner = generatorRunner
        let a = try runner.plan(first, outputRoot: "/nonexistent").runs[0].id
        let b = try runner.plan(second, outputRoot: "/nonexistent").runs[0].id
        #expect(a != b)
        // And a sweep of 6 learning rates × 30 repeats has 180 distinct ids (the old hash found
        // false duplicates in it).
        let sweep = try ExperimentLoader().load(text: Self.experiment(learningRate: "0.1", seed: 1)
            + "\nsweep: {learning_rate: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5]}\nrepeats: 30\n", file: "c.yaml")
        let ids = try runner.plan(sweep, outputRoot: "/nonexistent").runs.map(\.id)
        #expect(Set(ids).count == 180)
    }

    @Test("flipping the signs of two values changes the data fingerprint")
    func fingerprints() throws {
        var hasher = ContentHasher()
        var other = ContentHasher()
        for (index, value) in [0.5, -1.25, 3.0, 7.5].enumerated() {
            hasher.combine(word: value.bitPattern)
            other.combine(word: (index == 1 || index == 3 ? -value : value).bitPattern)
        }
        #expect(hasher.value != other.value)
        // Any single-bit change of any word changes the hash.
        for bit in 0..<64 {
            var flipped = ContentHasher()
            for (index, value) in [0.5, -1.25, 3.0, 7.5].enumerated() {
                flipped.combine(word: index == 2 ? value.bitPattern ^ (1 << UInt64(bit)) : value.bitPattern)
            }
            #expect(flipped.value != hasher.value)
        }
    }
}
