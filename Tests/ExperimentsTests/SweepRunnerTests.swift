import Foundation
import Synchronization
import Testing
@testable import Experiments
import CZlib
import NeuralNet

@Suite("Sweeps: scheduler, resume, divergence, reports")
struct SweepRunnerTests {
    /// 2 activations × 2 widths on the XOR set, with a test split: small but not trivial.
    static let tiny = """
        name: tiny
        dataset: {generator: xor, n: 80, noise: 0.1, seed: 4, test_fraction: 0.25, split_seed: 1}
        model: {hidden: [3], activation: tanh, init: {normal: 0.5, seed: 3}}
        training: {learning_rate: 0.5, iterations: 40, record_every: 10}
        sweep:
          activation: [tanh, relu]
          width: [2, 6]
        """

    /// A sane learning rate and an absurd one that overflows to NaN.
    static let diverging = """
        name: diverging
        dataset: {generator: blobs, n: 60, classes: 3, seed: 1}
        model: {hidden: [16, 16], activation: relu, output: softmax, init: he}
        training: {learning_rate: 0.1, iterations: 50, record_every: 1}
        sweep:
          learning_rate: [0.1, 1e300]
        """

    static let tinyWithDepth = tiny.replacingOccurrences(of: "hidden: [3]", with: "depth: 1, width: 3")

    static func read(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    @Test("runs in flight elsewhere are counted when the report is written, not when they were passed by")
    func inFlightCountedAtTheEnd() throws {
        for releasesBeforeReport in [false, true] {
            let root = try makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let plan = try generatorRunner.plan(try ExperimentLoader().load(text: Self.tinyWithDepth, file: "test.yaml"), outputRoot: root.path)
            // Another "process" trains run 2: its claim is held while this one passes it by.
            let held = Mutex<RunClaim?>(try RunClaim.acquire(plan.layout.claim(plan.runs[2].id)))
            let outcome = try generatorRunner.run(plan, options: SweepOptions(jobs: 1, outputRoot: root.path), stop: StopFlag()) { done, total, _ in
                // It lets go once this process has trained its own runs.
                if releasesBeforeReport, done == total { held.withLock { $0?.release(); $0 = nil } }
            }
            #expect(outcome.claimedElsewhere == (releasesBeforeReport ? 0 : 1), "\(releasesBeforeReport)")
            held.withLock { $0?.release() }
        }
    }

    @Test("--jobs 1 and --jobs 2 give byte-identical CSVs apart from wall time")
    func jobsDoNotChangeResults() throws {
        let one = try makeTemporaryDirectory(), two = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: one); try? FileManager.default.removeItem(at: two) }
        let (planOne, outcomeOne) = try runExperiment(Self.tinyWithDepth, root: one, jobs: 1)
        let (planTwo, _) = try runExperiment(Self.tinyWithDepth, root: two, jobs: 2)
        #expect(outcomeOne.executed == 4)
        #expect(try Self.read(planOne.layout.curves) == Self.read(planTwo.layout.curves))
        #expect(try Self.read(planOne.layout.accuracyTable) == Self.read(planTwo.layout.accuracyTable))
        #expect(try dropColumn("wall_seconds", from: Self.read(planOne.layout.summary))
                == dropColumn("wall_seconds", from: Self.read(planTwo.layout.summary)))
        for run in planOne.runs {
            #expect(try Data(contentsOf: planOne.layout.parameters(run.id)) == Data(contentsOf: planTwo.layout.parameters(run.id)))
        }
    }

    @Test("a float32-only sweep holds its data in float32 only, and trains as the float32 runs of a mixed sweep do")
    func float32Only() throws {
        let single = try makeTemporaryDirectory(), mixed = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: single); try? FileManager.default.removeItem(at: mixed) }
        let (planSingle, outcomeSingle) = try runExperiment(Self.tinyWithDepth + "\nprecision: float32", root: single, jobs: 2)
        let (planMixed, _) = try runExperiment(Self.tinyWithDepth + "\n  precision: [float32, float64]", root: mixed, jobs: 2)
        #expect(outcomeSingle.executed == 4 && outcomeSingle.failedOrDiverged == 0)
        let dataSingle = try #require(planSingle.data.values.first)
        #expect(!dataSingle.hasDoubleFeatures && dataSingle.singlePrecision != nil)
        #expect(dataSingle.splits.train.features.storage.isEmpty)
        #expect(dataSingle.trainExamples == 60 && dataSingle.featureCount == 2)
        let dataMixed = try #require(planMixed.data.values.first)
        #expect(dataMixed.hasDoubleFeatures && dataMixed.singlePrecision != nil)
        #expect(dataMixed.fingerprint == dataSingle.fingerprint)
        // Same run ids (config + data) and bit-identical records for the float32 runs.
        let mixedIds = Set(planMixed.runs.map(\.id))
        for run in planSingle.runs {
            #expect(mixedIds.contains(run.id))
            #expect(try Data(contentsOf: planSingle.layout.parameters(run.id))
                    == Data(contentsOf: planMixed.layout.parameters(run.id)))
        }
    }

    @Test("a stopped sweep resumes: only the missing runs execute")
    func resume() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, first) = try runExperiment(Self.tinyWithDepth, root: root, jobs: 2)
        #expect(first.executed == 4)
        let kept = plan.runs[0].id
        let keptRecord = try Data(contentsOf: plan.layout.record(kept))
        // Simulate runs lost in flight: their records never landed.
        for run in plan.runs[2...] { try FileManager.default.removeItem(at: plan.layout.runDirectory(run.id)) }
        let (_, second) = try runExperiment(Self.tinyWithDepth, root: root, jobs: 2)
        #expect(second.executed == 2)
        #expect(second.skipped == 2)
        #expect(try Data(contentsOf: plan.layout.record(kept)) == keptRecord)
        #expect((try #require(second.report)).records.allSatisfy { $0?.status == .finished })
        // --force re-runs everything.
        let (_, forced) = try runExperiment(Self.tinyWithDepth, root: root, jobs: 2, force: true)
        #expect(forced.executed == 4)
    }

    @Test("a raised stop flag starts nothing, and the reports still list every run")
    func stopFlag() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let stop = StopFlag()
        stop.raise()
        let (plan, outcome) = try runExperiment(Self.tinyWithDepth, root: root, jobs: 2, stop: stop)
        #expect(outcome.executed == 0)
        #expect(outcome.notStarted == 4)
        let summary = try Self.read(plan.layout.summary)
        #expect(summary.components(separatedBy: "\r\n").filter { $0.contains(",not_run,") }.count == 4)
    }

    @Test("a diverged run is a result; the sweep continues")
    func divergence() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, outcome) = try runExperiment(Self.diverging, root: root, jobs: 2)
        let records = (try #require(outcome.report)).records.compactMap { $0 }
        #expect(records.map(\.status) == [.finished, .diverged])
        let divergedAt = try #require(records[1].divergedAt)
        #expect(divergedAt < 50)
        #expect(outcome.failedOrDiverged == 1)
        let summary = try Self.read(plan.layout.summary).components(separatedBy: "\r\n")
        #expect(summary[2].contains(",diverged,\(divergedAt),"))
    }

    @Test("golden CSVs: summary (minus wall time), curves and accuracy table")
    func goldenFiles() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, _) = try runExperiment(Self.tinyWithDepth, root: root, jobs: 2)
        let produced = [
            "summary.csv": dropColumn("wall_seconds", from: try Self.read(plan.layout.summary)),
            "curves.csv": try Self.read(plan.layout.curves),
            "accuracy_table.csv": try Self.read(plan.layout.accuracyTable),
        ]
        for (name, text) in produced {
            let golden = fixtures.appendingPathComponent("golden").appendingPathComponent(name)
            if ProcessInfo.processInfo.environment["NETSWEEP_UPDATE_GOLDEN"] == "1" {
                try text.write(to: golden, atomically: true, encoding: .utf8)
            }
            #expect(text == (try? Self.read(golden)), "\(name) differs from Fixtures/golden/\(name)")
        }
    }

    @Test("CSV quoting and number formatting follow RFC 4180")
    func csvRules() {
        #expect(CSVWriter.escape("[20, 7, 5]") == "\"[20, 7, 5]\"")
        #expect(CSVWriter.escape("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVWriter.escape("plain") == "plain")
        #expect(CSVWriter.number(0.1) == "0.1")
        #expect(CSVWriter.number(1234567.0) == "1234567.0")
        #expect(CSVWriter.number(0.6929801704859408) == "0.6929801704859408")
        #expect(CSVWriter.number(nil) == "")
        var writer = CSVWriter(header: ["a", "b"])
        writer.append(["1", "x,y"])
        #expect(writer.text == "a,b\r\n1,\"x,y\"\r\n")
    }

    @Test("params.npz in ZIP64 form (over 4 GiB) reads back the same arrays", arguments: [0, 200, NpzWriter.zip64Threshold])
    func npzZip64(threshold: UInt64) throws {
        let w = try Matrix<Double>(rows: 3, columns: 2, columnMajor: [1, 2, 3, 4, 5, 6.5])
        let b = try Matrix<Double>(rows: 3, columns: 1, columnMajor: [-1, 0, 1e-300])
        let archive = NpzWriter.archive([("W1", w), ("b1", b)], zip64Threshold: threshold)
        let entries = try ZipReader.entries(archive)
        #expect(entries.map(\.name) == ["W1.npy", "b1.npy"])
        #expect(entries.map(\.zip64) == (threshold == 0 ? [true, true] : threshold == 200 ? [false, true] : [false, false]))
        for (entry, matrix) in zip(entries, [w, b]) {
            let header = NpzWriter.npyHeader(matrix)
            #expect(entry.contents.prefix(header.count) == header)
            let values = entry.contents.dropFirst(header.count).withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
            #expect(values == matrix.storage)
        }
        // Written through a file, the bytes are the same.
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try AtomicWriter(directory.appendingPathComponent("params.npz"))
        try NpzWriter.write([("W1", w), ("b1", b)], to: writer, zip64Threshold: threshold)
        try writer.commit()
        #expect(try Data(contentsOf: directory.appendingPathComponent("params.npz")) == archive)
    }

    @Test("params.npz is a stored ZIP of NPY 1.0 arrays in the tutorials' shapes")
    func npzLayout() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, _) = try runExperiment(Self.tinyWithDepth, root: root, jobs: 1)
        let data = try Data(contentsOf: plan.layout.parameters(plan.runs[1].id))
        #expect(Array(data.prefix(4)) == [0x50, 0x4b, 0x03, 0x04])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("W1.npy") && text.contains("b2.npy"))
        // Run 1 is tanh with width 6 on 2 features: W1 is (6, 2), W2 is (1, 6).
        #expect(text.contains("'shape': (6, 2)") && text.contains("'shape': (1, 6)") && text.contains("'shape': (6, 1)"))
        #expect(text.contains("'descr': '<f8', 'fortran_order': True"))
    }

    @Test("engine.first_layer: primal, dual and auto, and engine.implementation: fast and reference, train the same networks; auto picks dual on wide data; ids unchanged without the section")
    func firstLayerForms() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        // More features (300) than examples (60), as in the cat tutorials.
        let text = """
            name: forms
            dataset: {generator: blobs, n: 60, classes: 2, features: 300, seed: 2}
            model: {hidden: [4], activation: tanh, init: {normal: 0.01, seed: 1}}
            training: {learning_rate: 0.05, iterations: 200, record_every: 20, optimizer: momentum, l2: 0.3}
            sweep:
              engine.first_layer: [primal, dual, auto]
            """
        let (plan, outcome) = try runExperiment(text, root: root, jobs: 1)
        #expect(plan.runs.map(\.firstLayer) == [.primal, .dual, .dual])
        let records = outcome.report?.records.compactMap { $0 } ?? []
        #expect(records.count == 3 && records.allSatisfy { $0.status == .finished })
        let costs = records.compactMap(\.finalCost)
        #expect(costs.count == 3 && costs.allSatisfy { abs($0 - costs[0]) <= 1e-10 * costs[0] }, "\(costs)")
        #expect(records.map(\.trainAccuracy) == Array(repeating: records.first?.trainAccuracy, count: 3))

        // `engine: {first_layer: auto}` states the default: the same run id as no section.
        let plain = try generatorRunner.plan(ExperimentLoader().load(text: Self.tinyWithDepth, file: "t.yaml"), outputRoot: root.path)
        let stated = try generatorRunner.plan(ExperimentLoader().load(
            text: Self.tinyWithDepth + "\nengine: {first_layer: auto}\n", file: "t.yaml"), outputRoot: root.path)
        #expect(plain.runs.map(\.id) == stated.runs.map(\.id))
        #expect(plain.runs.allSatisfy { $0.firstLayer == .primal }, "2 inputs: the dual form does not pay")

        // Adam leaves the span: an explicit dual is refused at plan time, naming the option.
        let adam = text.replacingOccurrences(of: "optimizer: momentum", with: "optimizer: adam")
            .replacingOccurrences(of: "[primal, dual, auto]", with: "[dual]")
        #expect { try ExperimentLoader().load(text: adam, file: "t.yaml") } throws: { error in
            "\(error)".contains("first_layer: dual") && "\(error)".contains("adam")
        }

        // The readable engine trains the same networks (and always in primal form).
        let (referencePlan, referenceOutcome) = try runExperiment(
            text.replacingOccurrences(of: "name: forms", with: "name: engines")
                .replacingOccurrences(of: "engine.first_layer: [primal, dual, auto]", with: "engine.implementation: [fast, reference]"),
            root: root, jobs: 2)
        #expect(referencePlan.runs.map(\.firstLayer) == [.dual, .primal])
        let referenceCosts = referenceOutcome.report?.records.compactMap { $0?.finalCost } ?? []
        #expect(referenceCosts.count == 2 && abs(referenceCosts[0] - referenceCosts[1]) <= 1e-10 * referenceCosts[0]
                && abs(referenceCosts[0] - costs[0]) <= 1e-10 * costs[0], "\(referenceCosts)")
        #expect { try ExperimentLoader().load(text: text + "\nengine: {implementation: reference, first_layer: dual}\n", file: "t.yaml") }
            throws: { "\($0)".contains("first_layer: dual needs implementation: fast") }
    }

    @Test("a leaky relu with its own slope records, reports and resumes (its record decodes again)")
    func leakySlope() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let text = """
            name: leaky
            dataset: {generator: xor, n: 40, seed: 1}
            model: {hidden: [3], activation: leaky_relu, leaky_slope: 0.2}
            training: {learning_rate: 0.1, iterations: 10, record_every: 5}
            """
        let (plan, outcome) = try runExperiment(text, root: root, jobs: 1)
        #expect(outcome.report?.records.compactMap { $0 }.first?.config.model.activation == .leakyRelu(slope: 0.2))
        let again = try runExperiment(text, root: root, jobs: 1).1
        #expect(again.executed == 0 && again.skipped == 1)
        #expect(FileManager.default.fileExists(atPath: plan.layout.summary.path))
    }
}

/// A reader of stored ZIP archives written from the format's specification (APPNOTE 4.3 and
/// 4.5.3), independent of `NpzWriter`: end record, ZIP64 end record through its locator, central
/// directory with ZIP64 extras, local headers, CRC-32.
enum ZipReader {
    struct Entry {
        var name: String
        var contents: Data
        var zip64: Bool
    }

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    static func entries(_ data: Data) throws -> [Entry] {
        let bytes = [UInt8](data)
        func integer(_ offset: Int, _ size: Int) throws -> UInt64 {
            guard offset >= 0, offset + size <= bytes.count else { throw Malformed(description: "read past the end at \(offset)") }
            return (0..<size).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }
        let end = bytes.count - 22
        guard try integer(end, 4) == 0x0605_4b50 else { throw Malformed(description: "no end record") }
        var count = try integer(end + 10, 2)
        var centralOffset = try integer(end + 16, 4)
        if count == 0xFFFF || centralOffset == 0xFFFF_FFFF {
            let locator = end - 20
            guard try integer(locator, 4) == 0x0706_4b50 else { throw Malformed(description: "no ZIP64 locator") }
            let record = Int(try integer(locator + 8, 8))
            guard try integer(record, 4) == 0x0606_4b50 else { throw Malformed(description: "no ZIP64 end record") }
            count = try integer(record + 32, 8)
            centralOffset = try integer(record + 48, 8)
        }
        var entries: [Entry] = []
        var cursor = Int(centralOffset)
        for _ in 0..<count {
            guard try integer(cursor, 4) == 0x0201_4b50 else { throw Malformed(description: "bad central entry") }
            let checksum = UInt32(try integer(cursor + 16, 4))
            var size = try integer(cursor + 24, 4)
            let nameLength = Int(try integer(cursor + 28, 2))
            let extraLength = Int(try integer(cursor + 30, 2))
            var localOffset = try integer(cursor + 42, 4)
            let name = String(decoding: bytes[(cursor + 46)..<(cursor + 46 + nameLength)], as: UTF8.self)
            var zip64 = false
            var extra = cursor + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra < extraEnd {
                let id = try integer(extra, 2), length = Int(try integer(extra + 2, 2))
                if id == 1 {
                    zip64 = true
                    var field = extra + 4
                    if size == 0xFFFF_FFFF {
                        size = try integer(field + 8, 8)   // compressed size (after the original)
                        field += 16
                    }
                    if localOffset == 0xFFFF_FFFF { localOffset = try integer(field, 8) }
                }
                extra += 4 + length
            }
            let local = Int(localOffset)
            guard try integer(local, 4) == 0x0403_4b50 else { throw Malformed(description: "bad local header for \(name)") }
            let start = local + 30 + Int(try integer(local + 26, 2)) + Int(try integer(local + 28, 2))
            guard start + Int(size) <= bytes.count else { throw Malformed(description: "\(name) runs past the end") }
            let contents = Data(bytes[start..<(start + Int(size))])
            let computed = contents.withUnsafeBytes { UInt32(crc32(0, $0.bindMemory(to: UInt8.self).baseAddress, uInt($0.count))) }
            guard computed == checksum else { throw Malformed(description: "CRC mismatch for \(name)") }
            entries.append(Entry(name: name, contents: contents, zip64: zip64))
            cursor = extraEnd + Int(try integer(cursor + 32, 2))
        }
        return entries
    }
}
