import Foundation
@testable import Experiments

/// The test fixtures folder.
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// The path of `configs/<name>`.
func configPath(_ name: String) -> String {
    fixtures.appendingPathComponent("configs").appendingPathComponent(name).path
}

/// A fresh temporary directory, removed by the caller's `defer`.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("netsweep-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The errors an experiment load throws, as the lines a user sees (empty when it loads).
func loadErrors(_ path: String, overrides: [String] = [], runCap: Int = 10_000) -> [String] {
    do {
        _ = try ExperimentLoader(runCap: runCap).load(file: path, overrides: overrides)
        return []
    } catch {
        return error.errors.map(\.description)
    }
}

/// The errors loading experiment `text` (as file `file`) throws, as the lines a user sees.
func loadErrors(text: String, file: String) -> [String] {
    do {
        _ = try ExperimentLoader().load(text: text, file: file)
        return []
    } catch {
        return error.errors.map(\.description)
    }
}

/// A sweep runner whose data come only from embedded generators.
let generatorRunner = SweepRunner(dataSource: DataSource(locator: DataLocator(directories: [])))

/// Loads `text` as an experiment and runs it into `root`.
func runExperiment(_ text: String, root: URL, jobs: Int, force: Bool = false, stop: StopFlag = StopFlag())
    throws -> (SweepPlan, SweepOutcome) {
    let experiment = try ExperimentLoader().load(text: text, file: "test.yaml")
    let plan = try generatorRunner.plan(experiment, outputRoot: root.path)
    let outcome = try generatorRunner.run(plan, options: SweepOptions(jobs: jobs, outputRoot: root.path, force: force),
                                          stop: stop)
    return (plan, outcome)
}

/// A CSV's text without the given column (by header name), for comparing runs whose only
/// difference is timing.
func dropColumn(_ name: String, from csv: String) -> String {
    let lines = csv.components(separatedBy: "\r\n")
    guard let header = lines.first?.components(separatedBy: ","), let index = header.firstIndex(of: name) else { return csv }
    return lines.map { line in
        var fields = line.components(separatedBy: ",")
        if fields.count == header.count { fields.remove(at: index) }
        return fields.joined(separator: ",")
    }.joined(separator: "\r\n")
}
