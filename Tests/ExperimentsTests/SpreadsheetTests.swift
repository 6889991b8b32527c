import Foundation
import Testing
@testable import Experiments

/// What a spreadsheet (LibreOffice Calc, Excel, Google Sheets) would take for a number, a date,
/// a time or a boolean when it opens a CSV: a deliberately broad superset of their rules (signs,
/// currency, thousands separators, decimals, exponents, percentages, fractions, digit groups
/// with date and time separators, month names), for checking that text stays text.
enum SpreadsheetInference {
    static func readsAsNumberOrDate(_ text: String) -> Bool {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !value.isEmpty else { return false }
        return value == "true" || value == "false" || isNumber(Substring(value)) || isFraction(value) || isDateOrTime(value)
    }

    static func isNumber(_ text: Substring) -> Bool {
        var rest = text
        while let first = rest.first, "+-$€£¥(".contains(first) { rest = rest.dropFirst() }
        while let last = rest.last, "%)".contains(last) { rest = rest.dropLast() }
        var mantissaDigits = 0
        var index = rest.startIndex
        while index < rest.endIndex, rest[index].isASCII, rest[index].isNumber || rest[index] == "," || rest[index] == " " {
            if rest[index].isNumber { mantissaDigits += 1 }
            index = rest.index(after: index)
        }
        if index < rest.endIndex, rest[index] == "." {
            index = rest.index(after: index)
            while index < rest.endIndex, rest[index].isASCII, rest[index].isNumber {
                mantissaDigits += 1
                index = rest.index(after: index)
            }
        }
        guard mantissaDigits > 0 else { return false }
        if index < rest.endIndex, rest[index] == "e" {
            index = rest.index(after: index)
            if index < rest.endIndex, "+-".contains(rest[index]) { index = rest.index(after: index) }
            var exponentDigits = 0
            while index < rest.endIndex, rest[index].isASCII, rest[index].isNumber {
                exponentDigits += 1
                index = rest.index(after: index)
            }
            guard exponentDigits > 0 else { return false }
        }
        return index == rest.endIndex
    }

    /// "1/2", "3 1/4".
    static func isFraction(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let whole = parts[0].split(separator: " ")
        return whole.count <= 2 && whole.allSatisfy { $0.allSatisfy(\.isNumber) && !$0.isEmpty }
            && !parts[1].isEmpty && parts[1].allSatisfy(\.isNumber)
    }

    static let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                         "october", "november", "december"]

    /// Digit groups and month names joined by date or time separators: "2024-01-02",
    /// "1.2.2024", "12:30", "3 dec", "dec-3", "2024-01-02t10:00", "10:00 pm".
    static func isDateOrTime(_ text: String) -> Bool {
        let tokens = text.split { "-/.:, t".contains($0) }.map(String.init).filter { $0 != "am" && $0 != "pm" }
        guard tokens.count >= 2 else { return false }
        var digits = 0
        for token in tokens {
            if token.allSatisfy({ $0.isASCII && $0.isNumber }), token.count <= 4 {
                digits += 1
            } else if token.count >= 3, months.contains(where: { $0.hasPrefix(token) }) {
                continue
            } else {
                return false
            }
        }
        return digits >= 1
    }
}

@Suite("spreadsheet-safe results")
struct SpreadsheetTests {
    @Test("the inference rules catch what spreadsheets convert, and leave NetSweep's text alone")
    func inferenceRules() {
        for number in ["001234567890", "1234567890e1", "12e5", "1,234", "-1.5e-3", "50%", "$3", "(12)", "0.0001", "1e-04", "TRUE"] {
            #expect(SpreadsheetInference.readsAsNumberOrDate(number), "\(number)")
        }
        for date in ["2024-01-02", "1/2", "3 1/4", "12:30", "3 Dec", "dec-3", "1.2.2024", "2024-01-02T10:00", "10:00 pm"] {
            #expect(SpreadsheetInference.readsAsNumberOrDate(date), "\(date)")
        }
        for text in ["r001234567890", "r1234567890e1", "tanh", "relu", "[64, 64]", "{he: true, seed: 1}", "finished", "abc123def456",
                     "leaky_relu", "stopped_early", "e1"] {
            #expect(!SpreadsheetInference.readsAsNumberOrDate(text), "\(text)")
        }
    }

    @Test("none of a million run ids reads as a number or a date; bare hex ids did")
    func millionIDs() {
        // SplitMix64: uniformly distributed 64-bit hashes, as ContentHasher's digest is.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var misread = 0
        var legacyMisread = 0
        for _ in 0..<1_000_000 {
            let hex = String(next(), radix: 16)
            let digest = String(repeating: "0", count: 16 - hex.count) + hex
            let id = RunID.make(hexDigest: digest)
            if id.count != 13 || !id.hasPrefix("r") || SpreadsheetInference.readsAsNumberOrDate(id) { misread += 1 }
            if SpreadsheetInference.readsAsNumberOrDate(String(digest.prefix(12))) { legacyMisread += 1 }
        }
        #expect(misread == 0)
        // All-digit ids are (10/16)^12 ≈ 0.36 % of bare hex ids, and more look like exponents.
        #expect(legacyMisread > 3_600)
    }

    @Test("the numeric shape columns: depth, width when every hidden layer has it, parameters")
    func shapeColumns() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let text = """
            name: shapes
            dataset: {generator: blobs, n: 40, classes: 3, seed: 1}
            model: {hidden: [4], activation: relu, output: softmax, init: he}
            training: {learning_rate: 0.1, iterations: 5}
            sweep:
              hidden: [[4], [4, 4], [8, 2]]
            """
        let (plan, _) = try runExperiment(text, root: root, jobs: 1)
        let rows = try String(contentsOf: plan.layout.summary, encoding: .utf8).components(separatedBy: "\r\n")
        #expect(rows[0].hasPrefix("run_id,hidden,depth,width,parameters,status,"))
        // 2-4-3: 4·3 + 3·5 = 27; 2-4-4-3: 12 + 20 + 15 = 47; 2-8-2-3: 24 + 18 + 9 = 51.
        #expect(rows[1].contains(",\"[4]\",1,4,27,finished,") || rows[1].contains(",[4],1,4,27,finished,"), "\(rows[1])")
        #expect(rows[2].contains(",\"[4, 4]\",2,4,47,finished,"), "\(rows[2])")
        #expect(rows[3].contains(",\"[8, 2]\",2,,51,finished,"), "\(rows[3])")
        // A swept width is not repeated.
        let (widths, _) = try runExperiment(SweepRunnerTests.tinyWithDepth, root: root, jobs: 1)
        let header = try String(contentsOf: widths.layout.summary, encoding: .utf8).components(separatedBy: "\r\n")[0]
        #expect(header.hasPrefix("run_id,activation,width,depth,parameters,status,"))
    }

    @Test("a results folder of 0.2 (bare hex ids) resumes: its run folders are renamed, nothing of this build is trained again")
    func legacyFolders() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, first) = try runExperiment(SweepRunnerTests.tinyWithDepth, root: root, jobs: 1)
        #expect(first.executed == 4)
        // Make it a 0.2 folder: bare ids in folder names, records and plan.json.
        for run in plan.runs {
            let legacy = try #require(RunID.legacy(run.id))
            #expect(rename(plan.layout.runDirectory(run.id).path, plan.layout.runDirectory(legacy).path) == 0)
            var record = try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: plan.layout.record(legacy)))
            record.id = legacy
            try AtomicFile.writeJSON(record, to: plan.layout.record(legacy))
        }
        var planFile = try Reporter(layout: plan.layout).readPlan()
        for index in planFile.runs.indices { planFile.runs[index].id = RunID.legacy(planFile.runs[index].id) ?? "" }
        try AtomicFile.writeJSON(planFile, to: plan.layout.plan)
        // Reports of the old folder still work from its own plan.
        let report = try Reporter(layout: plan.layout).write()
        #expect(report.records.compactMap { $0 }.count == 4)
        // runner compare matches its runs with a 0.3 folder's by the hash.
        let other = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: other) }
        let (fresh, _) = try runExperiment(SweepRunnerTests.tinyWithDepth, root: other, jobs: 1)
        let comparison = try ResultsComparison(plan.layout, fresh.layout, costTolerance: 0, accuracyTolerance: 0)
        #expect(comparison.compared == 4 && comparison.isSame)
        // runner plan counts them done; a record of another build is left for the runner that made it.
        let replanned = try generatorRunner.plan(try ExperimentLoader().load(text: SweepRunnerTests.tinyWithDepth, file: "test.yaml"),
                                                 outputRoot: root.path)
        #expect(replanned.runs.allSatisfy { replanned.isDone($0, countingLegacy: true) })
        let foreign = try #require(RunID.legacy(plan.runs[3].id))
        var foreignRecord = try JSONDecoder().decode(RunRecord.self, from: Data(contentsOf: plan.layout.record(foreign)))
        foreignRecord.build = EngineBuild(version: "0.2.0", gitCommit: nil, executable: "0123")
        try AtomicFile.writeJSON(foreignRecord, to: plan.layout.record(foreign))
        // Resuming renames the folders to the new ids and trains nothing but the other build's run.
        let (again, resumed) = try runExperiment(SweepRunnerTests.tinyWithDepth, root: root, jobs: 1)
        #expect(FileSystem.exists(plan.layout.record(foreign)))
        #expect(resumed.executed == 1 && resumed.skipped == 3)
        for run in again.runs.prefix(3) {
            #expect(try again.layout.readRecord(run.id)?.id == run.id)
            #expect(!FileSystem.exists(again.layout.runDirectory(RunID.legacy(run.id) ?? "")))
        }
    }
}
