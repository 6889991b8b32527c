import Foundation
import Testing
@testable import Experiments

/// Every bad fixture's whole diagnostic line: file:line:column: error: message.
@Suite("Config errors")
struct ConfigErrorTests {
    static func expectErrors(_ name: String, _ expected: [String], runCap: Int = 10_000) {
        let path = configPath(name)
        #expect(loadErrors(path, runCap: runCap) == expected.map { "\(path):\($0)" })
    }

    @Test("YAML syntax error")
    func syntax() {
        Self.expectErrors("bad_syntax.yaml", [
            "4:6: error: invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping at 3:10)",
        ])
    }

    @Test("unknown key with a suggestion")
    func unknownKey() {
        Self.expectErrors("bad_unknown_key.yaml", [
            "6:3: error: unknown key 'learnig_rate' in 'training'; did you mean 'learning_rate'?",
        ])
    }

    @Test("every unknown key is reported, in line order")
    func unknownKeys() {
        Self.expectErrors("bad_many.yaml", [
            "3:1: error: unknown key 'datset' in 'experiment'; did you mean 'dataset'?",
            "4:22: error: unknown key 'activaton' in 'model'; did you mean 'activation'?",
            "5:48: error: unknown key 'momentum' in 'training'; expected one of optimizer, beta, beta1, beta2, epsilon, learning_rate, iterations, epochs, batch_size, l2, l2_convention, decay, record_every, early_stopping, sampling",
        ])
    }

    @Test("wrong type")
    func wrongType() {
        Self.expectErrors("bad_type.yaml", [
            "5:27: error: 'training.learning_rate' must be a number; found 'fast'",
        ])
    }

    @Test("value outside its choices")
    func badChoice() {
        Self.expectErrors("bad_choice.yaml", [
            "4:34: error: 'activation' must be one of relu, tanh, sigmoid, leaky_relu, identity; found 'rleu'",
        ])
    }

    @Test("empty sweep")
    func emptySweep() {
        Self.expectErrors("bad_empty_sweep.yaml", [
            "7:15: error: sweep 'activation' is empty: expected at least one value",
        ])
    }

    @Test("a sweep over the cap is refused before anything runs")
    func overCap() {
        Self.expectErrors("bad_over_cap.yaml", [
            "7:3: error: the sweep has 20000 runs, more than the cap of 10000 (raise it with --max-runs)",
        ])
        // The cap is configurable: the 6-run grid passes at 6 and is refused at 5.
        #expect(loadErrors(configPath("good_grid.yaml"), runCap: 6).isEmpty)
        #expect(loadErrors(configPath("good_grid.yaml"), runCap: 5).first?.hasSuffix("the sweep has 6 runs, more than the cap of 5 (raise it with --max-runs)") == true)
    }

    @Test("unknown sweep key with a suggestion")
    func sweepKey() {
        Self.expectErrors("bad_sweep_key.yaml", [
            "7:3: error: unknown sweep key 'training.learnig_rate'; did you mean 'training.learning_rate'?",
        ])
    }

    @Test("missing section")
    func missing() {
        Self.expectErrors("bad_missing.yaml", [
            "2:1: error: missing required key 'training'",
        ])
    }

    @Test("a missing file")
    func missingFile() {
        #expect(loadErrors("/nonexistent/x.yaml") == [
            "/nonexistent/x.yaml: error: cannot read the experiment file: no such file",
        ])
    }

    @Test("every bad fixture says what it breaks on its first line")
    func fixturesDocumentThemselves() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("configs").path)
        for name in names where name.hasPrefix("bad_") {
            let text = try String(contentsOfFile: configPath(name), encoding: .utf8)
            #expect(text.hasPrefix("# Breaks: "), "\(name)")
        }
    }
}

@Suite("Alias bounds before composing")
struct AliasBoundTests {
    static func bomb(levels: Int, key: Bool) -> String {
        var lines = ["name: bomb", "description:", "  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1..<levels {
            lines.append("  a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        if key { lines.append("  k: [*a\(levels - 1) x: 1]") }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("a billion laughs is refused from its text, as a value or as a key, in well under a second")
    func bombs() throws {
        for key in [false, true] {
            let start = ContinuousClock.now
            let crossing = AliasBound.firstCrossing(in: Self.bomb(levels: 10, key: key), limit: 1_000_000)
            #expect(crossing?.line == 9, "\(String(describing: crossing))")   // a6's line: 10 aliases of 111 111 values
            #expect(ContinuousClock.now - start < .seconds(1))
        }
        // The fuzzer's input: the loader's error comes at once, located at the alias.
        let text = try String(contentsOfFile: fixtures.appendingPathComponent("corpus/experiments/009b-alias-bomb-as-key.yaml").path,
                              encoding: .utf8)
        let errors = loadErrors(text: text, file: "bomb.yaml")
        #expect(errors.first?.contains("aliases expand to more than 1000000 values (an alias bomb?)") == true, "\(errors)")
    }

    @Test("ordinary anchors, quoted or commented stars and every committed experiment stay under the bound")
    func ordinary() throws {
        let text = """
            name: anchors   # *not an alias
            base: &base {learning_rate: 0.1, iterations: 10}
            notes: "a *b and &c in quotes, 'and' *base in a double-quoted scalar"
            other: 'it''s *base too'
            runs: [*base, *base, *base]
            plain: multiply by *base here
            """
        #expect(AliasBound.firstCrossing(in: text, limit: 100) == nil)
        #expect(AliasBound.scan(Array(text.utf8)).filter { !$0.isAnchor }.count == 4)   // the three in runs, the plain one
        let folder = fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("experiments")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 5)
        for file in files {
            let yaml = try String(contentsOfFile: folder.appendingPathComponent(file).path, encoding: .utf8)
            #expect(AliasBound.firstCrossing(in: yaml, limit: 1_000) == nil, "\(file)")
        }
    }
}
