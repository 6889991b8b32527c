import Foundation
import Testing
@testable import Experiments

/// One end-to-end test of the `runner` executable on tiny experiments in a temp directory.
@Suite("runner end to end")
struct RunnerEndToEndTests {
    /// The built `runner`, beside the test bundle in the build products folder.
    static var runnerURL: URL? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("runner")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return nil
    }

    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:])
        throws -> (status: Int32, output: String, errors: String) {
        guard let runner = runnerURL else {
            Issue.record("the runner executable is not built next to the tests")
            throw CancellationError()
        }
        let process = Process()
        process.executableURL = runner
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.currentDirectoryURL = directory
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let outText = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, outText, errText)
    }

    @Test("a lone run in dual form is the same bit for bit on one OpenBLAS thread and on two")
    func dualFormIndependentOfThreads() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
            name: dual
            dataset: {generator: synthetic, features: 300, n: 60, classes: 2, seed: 0, test_fraction: 0.2, split_seed: 1}
            model: {depth: 1, width: 16, activation: relu, output: sigmoid, init: he}
            training: {optimizer: gd, learning_rate: 0.03, iterations: 600, record_every: 50, l2: 0.1}
            engine: {first_layer: dual}
            seed: 1
            """.write(to: directory.appendingPathComponent("dual.yaml"), atomically: true, encoding: .utf8)
        var files: [[Data]] = []
        for threads in ["1", "2"] {
            let result = try Self.run(["dual.yaml", "--out", "t\(threads)", "--quiet", "--no-html"], in: directory,
                                      environment: ["OPENBLAS_NUM_THREADS": threads])
            #expect(result.status == 0, "\(result.errors)")
            let runs = directory.appendingPathComponent("t\(threads)/dual/runs")
            let id = try #require(try FileManager.default.contentsOfDirectory(atPath: runs.path).first)
            let record = try String(contentsOf: runs.appendingPathComponent("\(id)/record.json"), encoding: .utf8)
            #expect(record.contains("\"engine\" : \"dual\""))
            files.append(try ["params.npz", "curve.csv"].map { try Data(contentsOf: runs.appendingPathComponent("\(id)/\($0)")) })
        }
        #expect(files[0] == files[1])
    }

    @Test("run, plan, report and the exit codes 0, 1 and 64")
    func endToEnd() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let experiment = directory.appendingPathComponent("tiny.yaml")
        try SweepRunnerTests.tinyWithDepth.write(to: experiment, atomically: true, encoding: .utf8)

        let planned = try Self.run(["plan", "tiny.yaml"], in: directory)
        #expect(planned.status == 0)
        #expect(planned.output.contains("data: generator xor: train (2, 60), 2 classes; test (2, 20), 2 classes"))
        #expect(planned.output.contains("4 runs (4 pending, 0 done)"))

        let first = try Self.run(["tiny.yaml", "--jobs", "2", "--quiet"], in: directory)
        #expect(first.status == 0, "\(first.errors)")
        #expect(first.output.contains("tiny: 4 runs — 4 run now, 0 already done; 4 finished, 0 diverged, 0 failed."))
        let table = try String(contentsOf: directory.appendingPathComponent("results/tiny/accuracy_table.csv"), encoding: .utf8)
        #expect(table.hasPrefix("activation,width=2,width=6\r\n"))

        let replanned = try Self.run(["plan", "tiny.yaml"], in: directory)
        #expect(replanned.output.contains("4 runs (0 pending, 4 done)"))

        let report = try Self.run(["report", "results/tiny"], in: directory)
        #expect(report.status == 0)
        #expect(report.output.contains("test_accuracy"))

        try SweepRunnerTests.diverging.write(to: directory.appendingPathComponent("diverging.yaml"), atomically: true, encoding: .utf8)
        let diverging = try Self.run(["diverging.yaml", "--quiet"], in: directory)
        #expect(diverging.status == 1, "\(diverging.output) \(diverging.errors)")
        #expect(diverging.output.contains("1 finished, 1 diverged, 0 failed"))

        let folders = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("results").path)
        let bad = try Self.run(["tiny.yaml", "--set", "training.learnig_rate=1"], in: directory)
        #expect(bad.status == 64)
        #expect(bad.errors.contains("unknown key 'training.learnig_rate'; did you mean 'training.learning_rate'?"))
        // Bad input is refused before anything is written.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("results").path) == folders)

        let usage = try Self.run(["tiny.yaml", "--jobs", "0"], in: directory)
        #expect(usage.status == 64)
    }

    @Test("a halving sweep: runner status counts pruned runs apart, predict on a pruned run says so")
    func prunedRuns() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try SuccessiveHalvingTests.experiment.write(to: directory.appendingPathComponent("sh.yaml"), atomically: true, encoding: .utf8)
        #expect(try Self.run(["sh.yaml", "--quiet"], in: directory).status == 0)
        let status = try Self.run(["status", "results/sh"], in: directory)
        #expect(status.status == 0, "\(status.errors)")
        let all = status.output.split(separator: "\n").first { $0.hasPrefix("all") }.map { $0.split(separator: " ") } ?? []
        // all  finished  pruned  diverged  failed  claimed  pending  runs
        #expect(all.count == 8 && all[1] == "1" && all[2] == "8" && all[3] == "0" && all[7] == "9", "\(status.output)")
        // Each rung's records, so that a search in progress shows how far it is.
        #expect(status.output.contains("rung 100: 9 runs recorded") && status.output.contains("rung 300: 3 runs recorded"), "\(status.output)")
        let layout = ResultsLayout(directory: directory.appendingPathComponent("results/sh"))
        let schedule = try JSONDecoder().decode(HalvingSummary.self, from: Data(contentsOf: layout.schedule))
        let pruned = try #require(schedule.rungs[0].ranking.dropFirst(3).first { try layout.readRecord($0.id)?.status == .pruned })
        let predicted = try Self.run(["predict", "results/sh/runs/\(pruned.id)"], in: directory)
        #expect(predicted.status == 0, "\(predicted.errors)")
        #expect(predicted.errors.contains("successive halving pruned this run at its rung of 100 iterations"), "\(predicted.errors)")
        let best = try Self.run(["predict", "--best", "results/sh"], in: directory)
        #expect(best.status == 0 && !best.errors.contains("pruned this run"), "\(best.errors)")
    }

    @Test("runner predict: the recorded accuracy again, new data, and 64 for what is not a run")
    func predict() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try SweepRunnerTests.tinyWithDepth.write(to: directory.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
        #expect(try Self.run(["tiny.yaml", "--quiet"], in: directory).status == 0)
        let runs = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("results/tiny/runs").path).sorted()
        let own = try Self.run(["predict", "results/tiny/runs/\(runs[0])", "--out", "p.csv"], in: directory)
        #expect(own.status == 0, "\(own.errors)")
        #expect(own.errors.contains("on the run's test split: 20 examples") && own.errors.contains(", the same)"))
        let csv = try String(contentsOf: directory.appendingPathComponent("p.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("example,label,predicted,correct,probability_same sign,probability_opposite sign\r\n"))
        #expect(csv.components(separatedBy: "\r\n").count == 22)

        let new = try Self.run(["predict", "--best", "results/tiny", "--data", "{generator: xor, n: 30, seed: 9}"], in: directory)
        #expect(new.status == 0, "\(new.errors)")
        #expect(new.output.components(separatedBy: "\r\n").count == 32)
        #expect(new.errors.contains("as the best run"))

        for (arguments, message) in [
            (["predict", "results/tiny"], "is not a run's folder"),
            (["predict", "--best", "results/tiny", "--data", "{generator: xor, sed: 9}"], "--data:1:18: error: unknown key 'sed' in 'dataset'; did you mean 'seed'?"),
            (["predict", "--best", "results/tiny", "--data", "nowhere.csv"], "cannot find the --data table (CSV) 'nowhere.csv'"),
            (["predict", "--best", "results/tiny", "--split", "valid"], "--split must be train or test"),
            (["predict", "--best", "results/tiny", "--data", "{generator: blobs, n: 20, classes: 4}"],
             "labels of the training data's 2 classes (0...1)"),
            (["predict"], "give a run's folder or --best"),
            (["predict", "--best", "results/tiny", "--out", "results/tiny/runs/\(runs[0])/record.json"], "is in a run's folder"),
            (["predict", "--best", "results/tiny", "--out", "/dev/null"], "exists and is not a regular file"),
            (["predict", "--best", "results/tiny", "--data", "tiny.yaml", "--out", "./tiny.yaml"],
             "--out ./tiny.yaml is the file being predicted (tiny.yaml)"),
            (["predict", "--best", "results/tiny", "--data", "{generator: xor}", "--labels", "x"], "--labels goes with a --data file"),
            (["predict", "--best", "results/tiny", "--data", "{generator: xor, scale: 2}"], "'scale' is preprocessing, and new data get the run's own"),
        ] {
            let refused = try Self.run(arguments, in: directory)
            #expect(refused.status == 64, "\(arguments)")
            #expect(refused.errors.contains(message), "\(arguments): \(refused.errors)")
        }
    }

    @Test("runner compare: 0 for the same results, 1 when a number moved or a run is missing, 64 for a folder that is no results")
    func compare() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try SweepRunnerTests.tinyWithDepth.write(to: directory.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
        #expect(try RunnerEndToEndTests.run(["tiny.yaml", "--jobs", "1", "--quiet", "--out", "a"], in: directory).status == 0)
        #expect(try RunnerEndToEndTests.run(["tiny.yaml", "--jobs", "2", "--quiet", "--out", "b"], in: directory).status == 0)
        let same = try RunnerEndToEndTests.run(["compare", "a/tiny", "b/tiny"], in: directory)
        #expect(same.status == 0, "\(same.output)\(same.errors)")
        #expect(same.output.contains("4 runs compared; largest cost difference 0 relative"))

        // Nudge one run's final cost by 1e-6 relative in b.
        let runs = directory.appendingPathComponent("b/tiny/runs")
        let id = try FileManager.default.contentsOfDirectory(atPath: runs.path).sorted()[0]
        let recordURL = runs.appendingPathComponent(id).appendingPathComponent("record.json")
        var record = try JSONSerialization.jsonObject(with: Data(contentsOf: recordURL)) as? [String: Any] ?? [:]
        let cost = record["final_cost"] as? Double ?? 0
        record["final_cost"] = cost * (1 + 1e-6)
        try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]).write(to: recordURL)
        // The curve's last row says the final cost too (a record alone edited is damage, exit 64).
        let curveURL = runs.appendingPathComponent(id).appendingPathComponent("curve.csv")
        var rows = try String(contentsOf: curveURL, encoding: .utf8).components(separatedBy: "\r\n")
        var fields = rows[rows.count - 2].components(separatedBy: ",")
        fields[2] = "\(cost * (1 + 1e-6))"
        rows[rows.count - 2] = fields.joined(separator: ",")
        try rows.joined(separator: "\r\n").write(to: curveURL, atomically: true, encoding: .utf8)
        let moved = try RunnerEndToEndTests.run(["compare", "a/tiny", "b/tiny"], in: directory)
        #expect(moved.status == 1)
        #expect(moved.output.contains("final_cost") && moved.output.contains("cost@40") && moved.output.contains("2 beyond them"), "\(moved.output)")
        #expect(try RunnerEndToEndTests.run(["compare", "a/tiny", "b/tiny", "--tolerance", "1e-5"], in: directory).status == 0)

        try FileManager.default.removeItem(at: recordURL)
        let missing = try RunnerEndToEndTests.run(["compare", "a/tiny", "b/tiny", "--tolerance", "1e-5"], in: directory)
        #expect(missing.status == 1 && missing.output.contains("record"))
        let notResults = try RunnerEndToEndTests.run(["compare", "a/tiny", "nowhere"], in: directory)
        #expect(notResults.status == 64 && notResults.errors.contains("not a results folder"), "\(notResults.errors)")
    }

    @Test("runner gradcheck: each W and b against its finite difference; exit 0 when all pass, 1 when one fails")
    func gradcheck() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try SweepRunnerTests.tinyWithDepth.write(to: directory.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
        let checked = try RunnerEndToEndTests.run(["gradcheck", "tiny.yaml", "--run", "3"], in: directory)
        #expect(checked.status == 0, "\(checked.output)\(checked.errors)")
        #expect(checked.output.contains("W1") && checked.output.contains("b2") && checked.output.contains("every gradient agrees"))
        let strict = try RunnerEndToEndTests.run(["gradcheck", "tiny.yaml", "--threshold", "1e-300"], in: directory)
        #expect(strict.status == 1 && strict.output.contains("FAIL"))
        #expect(try RunnerEndToEndTests.run(["gradcheck", "tiny.yaml", "--run", "9"], in: directory).status == 64)
    }
}

/// Every example that `runner --help` and each command's `--help` show runs as written.
@Suite("help examples")
struct HelpExampleTests {
    static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The `runner …` lines of a help text's examples.
    static func examples(_ help: String) -> [[String]] {
        help.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { $0.hasPrefix("runner ") }
            .map { $0.split(separator: " ").dropFirst().map(String.init) }
    }

    @Test("the examples in --help run as written (exit 0, or 3 for data that are not on this machine)")
    func examplesRun() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createSymbolicLink(at: directory.appendingPathComponent("experiments"),
                                                   withDestinationURL: Self.checkout.appendingPathComponent("experiments"))
        var all: [[String]] = []
        for command in [[], ["run"], ["plan"], ["report"], ["check"], ["slurm"], ["merge"], ["status"], ["graph"]] {
            let help = try RunnerEndToEndTests.run(command + ["--help"], in: directory)
            #expect(help.status == 0)
            all += Self.examples(help.output)
        }
        #expect(all.count >= 8)
        // Runs first: report and check read what the runs' examples wrote.
        let data = Self.checkout.deletingLastPathComponent().appendingPathComponent("shared/datasets").path
        let readers = ["report", "check", "merge", "status"]
        let ordered = all.filter { !readers.contains($0.first ?? "") } + all.filter { readers.contains($0.first ?? "") }
        for arguments in ordered {
            var withData = arguments + ["--skip-missing-data"]
            if readers.contains(arguments.first ?? "") { withData = arguments }
            else { withData += ["--data-dir", data] }
            // There is no cluster here: the submission is written, not submitted.
            if arguments.first == "slurm" && !arguments.contains("--dry-run") {
                withData = withData.filter { $0 != "--wait" } + ["--dry-run"]
            }
            if arguments.contains("--out") {
                let index = try #require(arguments.firstIndex(of: "--out"))
                withData[index + 1] = directory.appendingPathComponent("out").path
            }
            let result = try RunnerEndToEndTests.run(withData, in: directory)
            #expect(result.status == 0 || result.status == 3, "runner \(arguments.joined(separator: " ")): \(result.errors)")
        }
    }
}
