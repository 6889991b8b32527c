import Foundation
import Testing
@testable import Experiments

@Suite("Shards: assignment, shard runs, merge, status")
struct ShardTests {
    /// Costs with a wide spread and ties, from a fixed linear congruential sequence.
    static func costs(_ count: Int, seed: UInt64) -> [Double] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            // A few equal costs (ties) and a long tail of large ones.
            let draw = Double(state >> 40) / Double(1 << 24)
            return draw < 0.2 ? 1000 : (draw * 10).rounded() * pow(10, (draw * 4).rounded())
        }
    }

    @Test("every run is in exactly one shard, and the largest shard is within the largest run of the mean (N = 1…64)")
    func assignment() {
        for count in 1...64 {
            for (runs, seed) in [(1, 1), (7, 2), (100, 3), (1000, 4)] as [(Int, UInt64)] {
                let costs = Self.costs(runs, seed: seed)
                let shards = Shard.assign(costs: costs, count: count)
                #expect(shards.count == runs)
                #expect(shards.allSatisfy { (0..<count).contains($0) })
                var loads = [Double](repeating: 0, count: count)
                for (run, shard) in shards.enumerated() { loads[shard] += costs[run] }
                let mean = costs.reduce(0, +) / Double(count)
                let largestRun = costs.max() ?? 0
                #expect(loads.max()! <= mean + largestRun, "N=\(count), \(runs) runs: \(loads.max()!) > \(mean) + \(largestRun)")
                // The same assignment every time (every process computes it alone).
                #expect(Shard.assign(costs: costs, count: count) == shards)
                // No shard is empty while another holds two runs.
                if runs >= count { #expect(Set(shards).count == count) }
            }
        }
    }

    @Test("I/N is parsed and bounded")
    func parsing() {
        #expect(Shard("0/4") == Shard(index: 0, count: 4))
        #expect(Shard("3/4")?.index == 3)
        for bad in ["4/4", "-1/4", "1/0", "1", "a/b", "1/4/5", "", "0/100001"] { #expect(Shard(bad) == nil, "\(bad)") }
    }

    @Test("the shards of a sweep, run one by one, then merged: the same reports as one local run")
    func shardsThenMerge() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try UnattendedUseTests.writeShort(in: directory)
        let local = try RunnerEndToEndTests.run(["short.yaml", "--quiet", "--out", "local", "--jobs", "2"], in: directory)
        #expect(local.status == 0, "\(local.errors)")
        var ran = 0
        for index in 0..<3 {
            let shard = try RunnerEndToEndTests.run(["short.yaml", "--shard", "\(index)/3", "--out", "sharded"], in: directory)
            #expect(shard.status == 0, "\(shard.errors)")
            #expect(shard.output.contains("short shard \(index)/3: "), "\(shard.output)")
            ran += Int(shard.output.components(separatedBy: " run now")[0].split(separator: " ").last ?? "") ?? 0
            // A shard writes no reports: the merge does (the partial merge below writes them).
            #expect(index == 2 || !FileManager.default.fileExists(atPath: directory.appendingPathComponent("sharded/short/summary.csv").path))
            if index == 1 {
                let partial = try RunnerEndToEndTests.run(["merge", "sharded/short", "--shards", "3"], in: directory)
                #expect(partial.status == 4, "\(partial.errors)")
                #expect(partial.errors.contains("missing: run ") && partial.errors.contains(", shard 2, pending"), "\(partial.errors)")
                #expect(!partial.errors.contains(", shard 0,") && !partial.errors.contains(", shard 1,"))
                let status = try RunnerEndToEndTests.run(["status", "sharded/short", "--shards", "3"], in: directory)
                #expect(status.status == 0)
                #expect(status.output.contains("shard  finished  pruned  diverged  failed  claimed  pending  runs"), "\(status.output)")
            }
        }
        #expect(ran == 8)
        let merge = try RunnerEndToEndTests.run(["merge", "sharded/short"], in: directory)
        #expect(merge.status == 0, "\(merge.errors)")
        for file in ["curves.csv", "accuracy_table.csv"] {
            #expect(try Data(contentsOf: directory.appendingPathComponent("local/short/\(file)"))
                    == Data(contentsOf: directory.appendingPathComponent("sharded/short/\(file)")), "\(file)")
        }
        func withoutWallTimes(_ path: String) throws -> [String] {
            try String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
                .split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",") }
        }
        #expect(try withoutWallTimes("local/short/summary.csv") == withoutWallTimes("sharded/short/summary.csv"))
        let ids = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("local/short/runs").path)
        #expect(ids.count == 8)
        for id in ids {
            #expect(try Data(contentsOf: directory.appendingPathComponent("local/short/runs/\(id)/params.npz"))
                    == Data(contentsOf: directory.appendingPathComponent("sharded/short/runs/\(id)/params.npz")))
        }
    }

    @Test("a table cell averaged over fewer runs than planned says how many")
    func partialCells() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (plan, _) = try runExperiment(ExpectationTests.base + "\nrepeats: 3\n", root: root, jobs: 2)
        let complete = try Reporter(layout: plan.layout).write().table
        #expect(!complete.contains(" of 3)"), "\(complete)")
        try FileManager.default.removeItem(at: plan.layout.record(plan.runs[0].id))
        let partial = try Reporter(layout: plan.layout).write().table
        #expect(partial.contains(" (2 of 3)"), "\(partial)")
        #expect(partial.contains("(k of n): only k of the cell's n runs have a value so far"))
    }

    @Test("a shard refuses a folder submitted for another plan; merge brings folders copied from nodes together")
    func planChangedAndFolderMerge() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try UnattendedUseTests.writeShort(in: directory)
        #expect(try RunnerEndToEndTests.run(["short.yaml", "--shard", "0/2", "--out", "a", "--quiet"], in: directory).status == 0)
        let changed = try RunnerEndToEndTests.run(["short.yaml", "--shard", "1/2", "--out", "a", "--set", "name=short",
                                                   "--set", "training.learning_rate=0.4"], in: directory)
        #expect(changed.status == 64)
        #expect(changed.errors.contains("plan.json was written for another plan (8 runs there, 8 here, 8 differing)"), "\(changed.errors)")
        // Shard 1 ran on another "node" into its own copy of the folder.
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("b"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: directory.appendingPathComponent("a/short/plan.json"),
                                         to: directory.appendingPathComponent("b/plan.json"))
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("node"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: directory.appendingPathComponent("b"), to: directory.appendingPathComponent("node/short"))
        #expect(try RunnerEndToEndTests.run(["short.yaml", "--shard", "1/2", "--out", "node", "--quiet"], in: directory).status == 0)
        let merged = try RunnerEndToEndTests.run(["merge", "a/short", "node/short"], in: directory)
        #expect(merged.status == 0, "\(merged.errors)")
        #expect(merged.output.contains("node/short: 4 runs merged, 0 already in a/short")
                || merged.output.contains("runs merged"), "\(merged.output)")
        #expect(merged.output.contains("8 runs — 8 finished"), "\(merged.output)")
        // A refused merge copies nothing: the second source holds a record in another run's folder.
        let ids = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("a/short/runs").path).sorted()
        try FileManager.default.copyItem(at: directory.appendingPathComponent("a/short"), to: directory.appendingPathComponent("c/short"))
        try FileManager.default.copyItem(at: directory.appendingPathComponent("a/short"), to: directory.appendingPathComponent("d/short"))
        for id in ids.dropFirst(4) {
            try FileManager.default.removeItem(at: directory.appendingPathComponent("a/short/runs/\(id)"))
        }
        let damaged = directory.appendingPathComponent("d/short/runs/\(ids[1])/record.json")
        try FileManager.default.removeItem(at: damaged)
        try FileManager.default.copyItem(at: directory.appendingPathComponent("d/short/runs/\(ids[0])/record.json"), to: damaged)
        let refused = try RunnerEndToEndTests.run(["merge", "a/short", "c/short", "d/short"], in: directory)
        #expect(refused.status == 64, "\(refused.errors)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("a/short/runs").path).count == 4,
                "a refused merge copied runs")
        // A run whose params.npz is gone is not done: the merge lists it, a sweep redoes it.
        try FileManager.default.removeItem(at: directory.appendingPathComponent("c/short/runs/\(ids[2])/params.npz"))
        let lost = try RunnerEndToEndTests.run(["merge", "c/short"], in: directory)
        #expect(lost.status == 4, "\(lost.errors)")
        #expect(lost.errors.contains("params.npz is missing (a re-run redoes it)"), "\(lost.errors)")
        try FileManager.default.removeItem(at: directory.appendingPathComponent("c/short/plan.json"))
        let redo = try RunnerEndToEndTests.run(["short.yaml", "--out", "c", "--quiet"], in: directory)
        #expect(redo.output.contains("1 run now, 7 already done"), "\(redo.output)")
        // A folder of another plan is refused.
        #expect(try RunnerEndToEndTests.run(["short.yaml", "--out", "other", "--quiet", "--set", "name=short",
                                             "--set", "sweep.width=[2]"], in: directory).status == 0)
        let other = try RunnerEndToEndTests.run(["merge", "a/short", "other/short"], in: directory)
        #expect(other.status == 64)
        #expect(other.errors.contains("holds another plan"), "\(other.errors)")
    }
}
