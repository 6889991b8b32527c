import Datasets
import Foundation
import NeuralNet
import Yams

/// An experiment file, checked and expanded into its runs.
public struct Experiment: Sendable {
    public var name: String
    public var description: String?
    /// The file it came from.
    public var file: String
    /// Swept-value column names, in order (a repeat axis is `seed`).
    public var columns: [String]
    /// The sweep axis of each column: zipped keys share an axis.
    public var columnAxes: [Int]
    /// Every run, in sweep order.
    public var runs: [PlannedRun]
    /// Whether runs repeat a configuration with different seeds.
    public var hasRepeats: Bool
    public var report: ReportConfig
    /// What a reproduction must show (`expect:`).
    public var expectations: [Expectation]
    /// The document as run (after `--set` overrides), re-serialised.
    public var resolvedYAML: String
    /// Defaults for `runner slurm` (`slurm:`).
    public var slurm = SlurmConfig()
    /// The keys `search:` samples (empty without one).
    public var sampledKeys: [String] = []
    /// How the runs share the budget (`schedule:`).
    public var schedule = ScheduleConfig()
}

/// Reads an experiment file: YAML syntax, unknown keys, `--set` overrides, sweep expansion and
/// typed decoding, with every error located as `file:line:column`.
public struct ExperimentLoader: Sendable {
    /// Sweeps with more runs than this are refused before anything runs.
    public var runCap: Int
    /// Decode each distinct section once (`SectionCache`); off, every run's node is decoded
    /// whole (the tests compare the two).
    var sharesSections = true

    public init(runCap: Int = 10_000) {
        self.runCap = runCap
    }

    /// Loads and expands the experiment at `path`.
    /// - Parameter overrides: `key=value` assignments (`training.learning_rate=0.01`,
    ///   `sweep.activation=[tanh]`), applied before anything is checked.
    /// - Throws: `ConfigErrors` with every problem found.
    public func load(file path: String, overrides: [String] = []) throws(ConfigErrors) -> Experiment {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigErrors([ConfigError(file: path, line: 0, column: 0, message: "cannot read the experiment file: no such file")])
        }
        guard !isDirectory.boolValue else {
            throw ConfigErrors([ConfigError(file: path, line: 0, column: 0,
                                            message: "is a folder; expected an experiment file (YAML), e.g. experiments/quickstart.yaml")])
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard size <= 1 << 20 else {
            throw ConfigErrors([ConfigError(file: path, line: 0, column: 0,
                                            message: "the experiment file is \(size) bytes; an experiment is at most 1 MiB")])
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigErrors([ConfigError(file: path, line: 0, column: 0,
                                            message: "cannot read the experiment file: permission denied or not UTF-8 text")])
        }
        return try load(text: text, file: path, overrides: overrides)
    }

    /// Loads and expands an experiment from `text`, reporting errors against `file`.
    public func load(text: String, file: String, overrides: [String] = []) throws(ConfigErrors) -> Experiment {
        var root = try compose(text, file: file)
        let assignments: [String]
        (root, assignments) = try apply(overrides, to: root, file: file)
        var errors = Schema.experiment.unknownKeys(in: root, file: file)
        let expansion: SweepExpansion
        do {
            expansion = try sweepExpansion(root, file: file)
        } catch {
            throw ConfigErrors(errors + error.errors)
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }

        var name = root.mapping?["name"]?.string
            ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        // A --set variant is another experiment: it gets its own results folder (the same
        // overrides find the same folder again, so a variant resumes), unless it names itself.
        // The overrides are hashed in canonical form: `iterations=500` and
        // `training.iterations=500`, or two overrides in either order, are one variant.
        if !assignments.isEmpty, !assignments.contains(where: { $0.hasPrefix("name=") }) {
            var hasher = ContentHasher()
            for assignment in assignments { hasher.combine(string: assignment) }
            name += "-set-" + hasher.hexDigest.prefix(8)
        }
        if !Self.isSafeName(name) {
            errors.append(located(root.mapping?["name"], file: file,
                                  "'name' must use only letters, digits, '-', '_' and '.', and not start with '.'; found '\(name)'"))
        }
        let report = try decodeSection(ReportConfig.self, root.mapping?["report"], file: file, section: "report") ?? ReportConfig()
        var slurm = SlurmConfig()
        do throws(ConfigErrors) {
            slurm = try decodeSection(SlurmConfig.self, root.mapping?["slurm"], file: file, section: "slurm") ?? SlurmConfig()
        } catch {
            errors += error.errors
        }
        var schedule = ScheduleConfig()
        do throws(ConfigErrors) {
            schedule = try decodeSection(ScheduleConfig.self, root.mapping?["schedule"], file: file, section: "schedule") ?? ScheduleConfig()
        } catch {
            errors += error.errors
        }
        for key in [report.rows, report.columns].compactMap({ $0 }) where !expansion.columns.contains(key) {
            errors.append(located(root.mapping?["report"], file: file,
                                  "report key '\(key)' is not swept" + Suggestion.phrase(for: key, among: expansion.columns)))
        }
        var expectations: [Expectation] = []
        var columnValues: [String: [String]] = [:]
        for axis in expansion.axes {
            for (position, key) in axis.keys.enumerated() { columnValues[key] = axis.points.map { $0[position].compactText } }
        }
        let repeatColumn = expansion.repeatSeeds.isEmpty ? nil : expansion.columns.last
        if let repeatColumn { columnValues[repeatColumn] = expansion.repeatSeeds.map(String.init) }
        // A --set variant's sweep may not have the values the file's expectations name; they
        // are not checked for it (below), so only their form is.
        switch ExpectationParser.parse(root.mapping?["expect"], columns: expansion.columns,
                                       values: assignments.isEmpty ? columnValues : [:],
                                       repeatColumn: repeatColumn, file: file) {
        case .success(let parsed): expectations = parsed
        case .failure(let failure): errors += failure.errors
        }
        // The file's expectations describe the file as written; a --set variant is another
        // experiment (other values, often other runs), so they are not checked for it.
        if !assignments.isEmpty { expectations = [] }
        if !errors.isEmpty { throw ConfigErrors(errors) }

        let base = root.removing(["name", "description", "sweep", "search", "repeats", "report", "slurm", "schedule", "expect", "provenance", "overrides"])
        var runs: [PlannedRun] = []
        runs.reserveCapacity(expansion.runCount)
        var sections = SectionCache(axes: expansion.axes)
        for (index, combination) in expansion.combinations().enumerated() {
            var node = base
            var values: [String] = []
            for (axisIndex, axis) in expansion.axes.enumerated() {
                for (key, path) in zip(axis.points[combination.choice[axisIndex]], axis.paths) {
                    node = try located(file: file) { () throws(ConfigValueError) in try node.setting(path[...], to: key) }
                    values.append(key.compactText)
                }
            }
            if let seed = combination.seed {
                node = try located(file: file) { () throws(ConfigValueError) in try node.setting(["seed"], to: Node(String(seed))) }
                values.append(String(seed))
            }
            let config: RunConfig
            do {
                if sharesSections, let cached = sections.config(node, choice: combination.choice, seed: combination.seed) {
                    config = cached
                } else {
                    guard let decoded = try decodeSection(RunConfig.self, node, file: file) else { continue }
                    config = decoded
                }
            } catch {
                throw ConfigErrors(everyProblem(in: node, file: file, first: error.errors))
            }
            runs.append(PlannedRun(index: index, sweptValues: values, configurationIndex: combination.configuration,
                                   config: config))
        }
        return Experiment(
            name: name, description: root.mapping?["description"]?.string, file: file,
            columns: expansion.columns, columnAxes: expansion.columnAxes, runs: runs, hasRepeats: !expansion.repeatSeeds.isEmpty, report: report,
            expectations: expectations, resolvedYAML: Self.resolvedText(root, name: name, overrides: assignments) ?? text,
            slurm: slurm, sampledKeys: expansion.sampledKeys, schedule: schedule)
    }

    /// The document as run: the variant's name and its overrides recorded, non-ASCII kept.
    private static func resolvedText(_ root: Node, name: String, overrides: [String]) -> String? {
        var node = root.removing(["provenance"])
        if !overrides.isEmpty {
            node = (try? node.setting(["name"], to: Node(name))) ?? node
            node = (try? node.setting(["overrides"], to: Node(overrides.map { Node($0) }))) ?? node
        }
        return try? Yams.serialize(node: node, allowUnicode: true)
    }

    // MARK: - Steps

    private func compose(_ text: String, file: String) throws(ConfigErrors) -> Node {
        // Before Yams, which hashes every mapping key while composing: an alias bomb as a key takes minutes.
        if let crossing = AliasBound.firstCrossing(in: text, limit: Self.maximumAliasExpansion) {
            throw ConfigErrors([ConfigError(file: file, line: crossing.line, column: crossing.column, message:
                "the document's aliases expand to more than \(Self.maximumAliasExpansion) values (an alias bomb?)")])
        }
        do {
            guard let root = try Yams.compose(yaml: text), root.mapping != nil else {
                throw ConfigErrors([ConfigError(file: file, line: 1, column: 1,
                                                message: "expected a mapping of experiment keys (name, dataset, model, training, …); found an empty or scalar document")])
            }
            if let error = Self.checkBounds(root, file: file) { throw ConfigErrors([error]) }
            return root
        } catch let error as ConfigErrors {
            throw error
        } catch let error as YamlError {
            throw ConfigErrors([Self.syntaxError(error, file: file)])
        } catch {
            throw ConfigErrors([ConfigError(file: file, line: 0, column: 0, message: "\(error)")])
        }
    }

    /// Limits on a document as its aliases expand: a "billion laughs" of a few lines is refused
    /// wherever it sits (a free-form `description:` included) before anything walks it.
    static let maximumNodes = 100_000
    static let maximumDepth = 64
    /// `AliasBound`'s limit, read from the text before composing: an upper bound, so looser than
    /// `maximumNodes`, which the composed document is held to exactly.
    static let maximumAliasExpansion = 1_000_000

    /// The first bound the document breaks, located at the node where it was crossed.
    static func checkBounds(_ root: Node, file: String) -> ConfigError? {
        var count = 0
        func walk(_ node: Node, depth: Int) -> ConfigError? {
            count += 1
            if count > maximumNodes {
                return ConfigError(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, message:
                    "the document has more than \(maximumNodes) values once its aliases are expanded (an alias bomb?)")
            }
            if depth > maximumDepth {
                return ConfigError(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, message:
                    "the document nests deeper than \(maximumDepth) levels")
            }
            switch node {
            case .mapping(let mapping):
                for (key, value) in mapping {
                    if let error = walk(key, depth: depth + 1) ?? walk(value, depth: depth + 1) { return error }
                }
            case .sequence(let sequence):
                for value in sequence {
                    if let error = walk(value, depth: depth + 1) { return error }
                }
            default: break
            }
            return nil
        }
        return walk(root, depth: 0)
    }

    /// Applies the overrides; also returns them in a canonical form (`training.iterations=500`,
    /// aliases resolved, sorted by path) that names the variant's results folder.
    private func apply(_ overrides: [String], to root: Node, file: String) throws(ConfigErrors) -> (Node, [String]) {
        var root = root
        var canonical: [(path: String, position: Int, text: String)] = []
        for (position, assignment) in overrides.enumerated() {
            let source = "--set \(assignment)"
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw ConfigErrors([ConfigError(file: source, line: 0, column: 0,
                                                message: "expected key=value (e.g. training.learning_rate=0.01)")])
            }
            let key = String(assignment[..<equals])
            let valueText = String(assignment[assignment.index(after: equals)...])
            let value: Node
            do {
                value = (try Yams.compose(yaml: valueText) ?? Node("")).withoutMarks
            } catch let error as YamlError {
                let located = Self.syntaxError(error, file: source)
                throw ConfigErrors([ConfigError(file: source, line: 0, column: 0,
                                                message: "the value '\(valueText)' is not valid: " + located.message)])
            } catch {
                throw ConfigErrors([ConfigError(file: source, line: 0, column: 0, message: "the value '\(valueText)' is not valid: \(error)")])
            }
            var path = key.split(separator: ".").map(String.init)
            if path.first != "sweep", path.count == 1, !Self.experimentKeys.contains(key) { path = SweepAlias.path(for: key) }
            // sweep.* and search.* take any key the sweep knows; they are checked when expanded.
            let open = path.first == "sweep" || path.first == "search"
            if !open, Self.schema(at: path) == nil, Self.experimentSchema(at: path) == nil {
                throw ConfigErrors([ConfigError(file: source, line: 0, column: 0,
                                                message: "unknown key '\(key)'" + Self.pathSuggestion(path))])
            }
            // A fixed value the sweep replaces would be accepted and silently ignored.
            if path.first != "sweep", let swept = Self.sweptKey(setting: path, in: root) {
                throw ConfigErrors([ConfigError(file: source, line: 0, column: 0, message:
                    "'\(key)' is swept (sweep.\(swept)), so a fixed value would be ignored; override the sweep instead: "
                    + "--set sweep.\(swept)=[\(valueText)]")])
            }
            do {
                root = try root.setting(path[...], to: value)
            } catch {
                throw ConfigErrors([ConfigError(file: source, line: 0, column: 0, message: error.message)])
            }
            let dotted = path.joined(separator: ".")
            canonical.append((dotted, position, dotted + "=" + value.compactText))
        }
        return (root, canonical.sorted { ($0.path, $0.position) < ($1.path, $1.position) }.map(\.text))
    }

    /// Top-level keys of the file that are not run settings but may be overridden too.
    static let experimentKeys: Set<String> = ["name", "description", "repeats", "report", "schedule", "slurm"]

    /// The schema of `path` among the file's own keys (name, description, repeats, report.…).
    static func experimentSchema(at path: [String]) -> Schema? {
        guard let first = path.first, experimentKeys.contains(first) else { return nil }
        var schema: Schema? = Schema.experiment
        for key in path { schema = schema?.child(key) }
        return schema
    }

    /// The sweep key (as written) that sets `path`, if the document sweeps it.
    static func sweptKey(setting path: [String], in root: Node) -> String? {
        guard let sweep = root.mapping?["sweep"]?.mapping else { return nil }
        var keys: [String] = []
        for (keyNode, value) in sweep {
            guard let key = keyNode.string else { continue }
            if key == "zip" {
                let groups = value.sequence.map(Array.init) ?? [value]
                keys += groups.flatMap { $0.mapping?.keys.compactMap(\.string) ?? [] }
            } else {
                keys.append(key)
            }
        }
        return keys.first { key in
            let swept = SweepAlias.path(for: key)
            return swept == path || swept.starts(with: path) || path.starts(with: swept)
        }
    }

    private func sweepExpansion(_ root: Node, file: String) throws(ConfigErrors) -> SweepExpansion {
        var axes: [SweepAxis] = []
        var errors: [ConfigError] = []
        let sweepNode = root.mapping?["sweep"]
        if let sweepNode {
            guard let mapping = sweepNode.mapping else {
                throw ConfigErrors([located(sweepNode, file: file, "'sweep' must be a mapping of key: [values]; found '\(sweepNode.compactText)'")])
            }
            if mapping.isEmpty {
                errors.append(located(sweepNode, file: file, "'sweep' is empty: expected at least one key with a list of values"))
            }
            for (keyNode, valueNode) in mapping {
                let key = keyNode.string ?? ""
                if key == "zip" {
                    let groups = valueNode.sequence.map(Array.init) ?? [valueNode]
                    for group in groups {
                        switch zipAxis(group, file: file) {
                        case .success(let axis): axes.append(axis)
                        case .failure(let error): errors += error.errors
                        }
                    }
                } else {
                    switch axis(key: key, keyNode: keyNode, values: valueNode, file: file) {
                    case .success(let axis): axes.append(axis)
                    case .failure(let error): errors.append(error)
                    }
                }
            }
        }
        var sampledKeys: [String] = []
        if let searchNode = root.mapping?["search"] {
            switch SearchSpace.parse(searchNode, file: file, isSweepable: { Self.schema(at: $0) != nil },
                                     locate: { located($0, file: file, $1) }) {
            case .success(let space):
                axes.append(space.axis())
                sampledKeys = space.keys
            case .failure(let failure): errors += failure.errors
            }
        }
        var repeatSeeds: [UInt32] = []
        if let repeatsNode = root.mapping?["repeats"] {
            // The file's seed as the run's own decoder reads it (0x10, 1_000, 010 octal …).
            var baseSeed: UInt32 = 1
            if let seedNode = root.mapping?["seed"] {
                if let decoded = try? YAMLDecoder().decode(UInt32.self, from: seedNode) {
                    baseSeed = decoded
                } else {
                    errors.append(located(seedNode, file: file, "'seed' must be an integer in 0...4294967295; found '\(seedNode.compactText)'"))
                }
            }
            if let count = repeatsNode.int, count >= 1 {
                if UInt64(baseSeed) + UInt64(count) - 1 > UInt64(UInt32.max) {
                    errors.append(located(repeatsNode, file: file, "'repeats: \(count)' from seed \(baseSeed) would pass 4294967295; start from a lower seed"))
                }
                repeatSeeds = (0..<count).map { baseSeed &+ UInt32($0) }
            } else if let list = repeatsNode.sequence, !list.isEmpty,
                      case let seeds = list.compactMap({ try? YAMLDecoder().decode(UInt32.self, from: $0) }), seeds.count == list.count {
                repeatSeeds = seeds
            } else {
                errors.append(located(repeatsNode, file: file,
                                      "'repeats' must be a count ≥ 1 or a list of seeds; found '\(repeatsNode.compactText)'"))
            }
            if axes.contains(where: { $0.paths.contains(["seed"]) }) {
                errors.append(located(repeatsNode, file: file, "'repeats' varies 'seed', which the sweep already varies"))
            }
        }
        var expansion = SweepExpansion(axes: axes, repeatSeeds: repeatSeeds)
        expansion.sampledKeys = sampledKeys
        // Two keys that set one value (the same key twice, or an alias and its dotted path).
        let keyPaths = zip(axes.flatMap(\.keys), axes.flatMap(\.paths))
        var firstKey: [[String]: String] = [:]
        for (key, path) in keyPaths {
            if let earlier = firstKey[path] {
                if expansion.sampledKeys.contains(key) {
                    errors.append(located(root.mapping?["search"], file: file,
                                          "'\(key)' is both swept and sampled; keep it in sweep: or in search:, not both"))
                    break
                }
                errors.append(located(sweepNode, file: file, earlier == key
                    ? "'\(key)' is swept twice; sweep each key once"
                    : "'\(earlier)' and '\(key)' sweep the same setting (\(path.joined(separator: "."))); keep one"))
                break
            }
            firstKey[path] = key
        }
        if errors.isEmpty, expansion.runCount > runCap {
            errors.append(located(sweepNode ?? root.mapping?["repeats"], file: file,
                                  "the sweep has " + (expansion.runCount == Int.max ? "more than 2^63" : "\(expansion.runCount)")
                                  + " runs, more than the cap of \(runCap) (raise it with --max-runs)"))
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return expansion
    }

    private func axis(key: String, keyNode: Node, values: Node, file: String) -> Result<SweepAxis, ConfigError> {
        let path = SweepAlias.path(for: key)
        guard Self.schema(at: path) != nil else {
            if Self.experimentKeys.contains(key) {
                return .failure(located(keyNode, file: file, "'\(key)' cannot be swept; it is a top-level key of the experiment"
                                        + (key == "repeats" ? " (write repeats: N beside sweep:, not inside it)" : "")))
            }
            return .failure(located(keyNode, file: file, "unknown sweep key '\(key)'" + Self.pathSuggestion(path)))
        }
        guard let list = values.sequence else {
            return .failure(located(values, file: file, "sweep '\(key)' must be a list of values; found '\(values.compactText)'"))
        }
        guard !list.isEmpty else {
            return .failure(located(values, file: file, "sweep '\(key)' is empty: expected at least one value"))
        }
        return .success(SweepAxis(keys: [key], paths: [path], points: list.map { [$0] }))
    }

    private func zipAxis(_ group: Node, file: String) -> Result<SweepAxis, ConfigErrors> {
        guard let mapping = group.mapping, !mapping.isEmpty else {
            return .failure(ConfigErrors([located(group, file: file, "'zip' must map keys to lists of equal length; found '\(group.compactText)'")]))
        }
        var keys: [String] = [], paths: [[String]] = [], lists: [[Node]] = []
        for (keyNode, valueNode) in mapping {
            let key = keyNode.string ?? ""
            switch axis(key: key, keyNode: keyNode, values: valueNode, file: file) {
            case .failure(let error): return .failure(ConfigErrors([error]))
            case .success(let axis):
                keys.append(key)
                paths.append(axis.paths[0])
                lists.append(axis.points.map { $0[0] })
            }
        }
        let lengths = Set(lists.map(\.count))
        guard lengths.count == 1, let length = lengths.first else {
            return .failure(ConfigErrors([located(group, file: file,
                "zipped lists must have equal lengths; found " + zip(keys, lists).map { "\($0): \($1.count)" }.joined(separator: ", "))]))
        }
        return .success(SweepAxis(keys: keys, paths: paths, points: (0..<length).map { i in lists.map { $0[i] } }))
    }

    /// A `dataset:` mapping given on the command line (`runner predict --data '{generator:
    /// planar, seed: 2}'`), checked like the file's section; errors name `source` and the column.
    public func datasetRecipe(_ text: String, source: String) throws(ConfigErrors) -> DatasetConfig {
        // Parsed as the value of "dataset: " on the first line: columns there are shifted back.
        let prefix = "dataset: "
        func unshifted(_ errors: [ConfigError]) -> ConfigErrors {
            ConfigErrors(errors.map { error in
                var error = error
                if error.line == 1 { error.column = max(1, error.column - prefix.count) }
                return error
            })
        }
        do throws(ConfigErrors) {
            let root = try compose(prefix + text, file: source)
            let schema: Schema = .mapping("experiment", Array(Schema.run.prefix(1)))
            let errors = schema.unknownKeys(in: root, file: source)
            if !errors.isEmpty { throw ConfigErrors(errors) }
            guard let node = root.mapping?["dataset"], node.mapping != nil,
                  let recipe = try decodeSection(DatasetConfig.self, node, file: source, section: "dataset") else {
                throw ConfigErrors([ConfigError(file: source, line: 1, column: 1 + prefix.count,
                                                message: "expected a dataset mapping such as {generator: planar, seed: 2}")])
            }
            return recipe
        } catch {
            throw unshifted(error.errors)
        }
    }

    // MARK: - Decoding with located errors

    /// - Parameter section: the section's key (`report`, `slurm`), to name it when the section
    ///   itself has the wrong type.
    private func decodeSection<T: Decodable>(_ type: T.Type, _ node: Node?, file: String,
                                             section: String? = nil) throws(ConfigErrors) -> T? {
        guard let node else { return nil }
        do {
            return try YAMLDecoder().decode(T.self, from: node)
        } catch let error as ConfigValueError {
            throw ConfigErrors([ConfigError(file: file, line: error.line, column: error.column, message: error.message)])
        } catch let error as DecodingError {
            var described = Self.describe(error, root: node, file: file)
            if let section, described.message.hasPrefix("'' ") {
                described.message = "'\(section)'" + described.message.dropFirst(2)
            }
            throw ConfigErrors([described])
        } catch {
            throw ConfigErrors([ConfigError(file: file, line: 0, column: 0, message: "\(error)")])
        }
    }

    /// The first problem of each section of a run's node (with `first`, what stopped the
    /// whole decode), without repeats, in line order.
    private func everyProblem(in node: Node, file: String, first: [ConfigError]) -> [ConfigError] {
        var errors = first
        func probe<T: Decodable>(_ type: T.Type) {
            do {
                _ = try decodeSection(type, node, file: file)
            } catch {
                for found in error.errors where !errors.contains(found) { errors.append(found) }
            }
        }
        probe(SectionProbe.Dataset.self)
        probe(SectionProbe.Model.self)
        probe(SectionProbe.Training.self)
        probe(SectionProbe.Settings.self)
        return errors
    }

    private func located<T>(file: String, _ body: () throws(ConfigValueError) -> T) throws(ConfigErrors) -> T {
        do {
            return try body()
        } catch {
            throw ConfigErrors([ConfigError(file: file, line: error.line, column: error.column, message: error.message)])
        }
    }

    private func located(_ node: Node?, file: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0, message: message)
    }

    /// Turns a `DecodingError` into "'path' must be <type>; found '<value>'" at the value's position.
    static func describe(_ error: DecodingError, root: Node, file: String) -> ConfigError {
        func at(_ path: [CodingKey], _ message: String) -> ConfigError {
            var node: Node? = root
            var deepest = root
            for key in path {
                if let index = key.intValue { node = node?.sequence.flatMap { index < $0.count ? $0[index] : nil } }
                else { node = node?.mapping?[key.stringValue] }
                if let node { deepest = node }
            }
            return ConfigError(file: file, line: deepest.mark?.line ?? 0, column: deepest.mark?.column ?? 0, message: message)
        }
        func name(_ path: [CodingKey]) -> String {
            path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            let found = valueText(root, context.codingPath)
            // A whole number too large for an Int is an integer: say what the limit is.
            let digits = found.drop { $0 == "-" || $0 == "+" }
            let tooLarge = type == Int.self && !digits.isEmpty && digits.allSatisfy { "0123456789".contains($0) }
            let expected = !tooLarge ? typeName(type) : found.hasPrefix("-") ? "an integer of at least \(Int.min)" : "an integer of at most \(Int.max)"
            return at(context.codingPath, "'\(name(context.codingPath))' must be \(expected); found '\(found)'")
        case let .keyNotFound(key, context):
            return at(context.codingPath, "missing required key '\(key.stringValue)'"
                      + (context.codingPath.isEmpty ? "" : " in '\(name(context.codingPath))'"))
        case let .dataCorrupted(context):
            let found = valueText(root, context.codingPath)
            return at(context.codingPath, "'\(name(context.codingPath))' has an invalid value '\(found)': \(context.debugDescription)")
        @unknown default:
            return ConfigError(file: file, line: 0, column: 0, message: "\(error)")
        }
    }

    private static func valueText(_ root: Node, _ path: [CodingKey]) -> String {
        var node: Node? = root
        for key in path {
            if let index = key.intValue { node = node?.sequence.flatMap { index < $0.count ? $0[index] : nil } }
            else { node = node?.mapping?[key.stringValue] }
        }
        return node?.compactText ?? "nothing"
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int32.Type: return "an integer"
        case is UInt32.Type: return "an integer in 0...4294967295"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        default:
            let described = String(describing: type)
            if described.hasPrefix("Array") || described.contains("Sequence") { return "a list" }
            if described.hasPrefix("Dictionary") || described.contains("Mapping") { return "a mapping" }
            if described.contains("Scalar") { return "a single value (not a list or mapping)" }
            return "a \(described)"
        }
    }

    static func syntaxError(_ error: YamlError, file: String) -> ConfigError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let detail = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            return ConfigError(file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(problem)\(detail)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return ConfigError(file: file, line: context.mark.line, column: context.mark.column,
                               message: "duplicate key\(duplicates.count > 1 ? "s" : "") " + duplicates.map { "'\($0)'" }.joined(separator: ", "))
        default:
            return ConfigError(file: file, line: 0, column: 0, message: "invalid YAML: \(error)")
        }
    }

    // MARK: - Paths

    /// The schema at a config path, if the path is valid for a run.
    static func schema(at path: [String]) -> Schema? {
        var schema: Schema? = .mapping("run", Schema.run)
        for key in path { schema = schema?.child(key) }
        return schema
    }

    private static func pathSuggestion(_ path: [String]) -> String {
        var schema: Schema = .mapping("run", Schema.run)
        var prefix: [String] = []
        for key in path {
            guard let next = schema.child(key) else {
                var seen: Set<String> = []
                let candidates = (schema.keyNames.map { (prefix + [$0]).joined(separator: ".") }
                    + (prefix.isEmpty ? SweepAlias.paths.map(\.key) + experimentKeys.sorted() + ["sweep", "search"] : []))
                    .filter { seen.insert($0).inserted }
                return Suggestion.phrase(for: (prefix + [key]).joined(separator: "."), among: candidates)
            }
            schema = next
            prefix.append(key)
        }
        return ""
    }

    static func isSafeName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) }
    }
}

/// A run's config assembled from its sections, each decoded once per distinct value: the runs
/// of a sweep share most sections (W8's 1 000 runs have one dataset, 40 models and 5 trainings),
/// and Yams decodes a run's node in about 3 M instructions. A section's key is the choices of
/// the axes that write into it, so equal keys mean equal nodes. Any problem gives nil, and the
/// caller decodes the whole node as before (for the located error message).
struct SectionCache {
    /// The axes writing below each top-level key.
    private let axesBySection: [String: [Int]]
    private var datasets: [[Int]: DatasetConfig] = [:]
    private var models: [[Int]: ModelConfig] = [:]
    private var trainings: [[Int]: TrainingConfig] = [:]
    private var engines: [[Int]: EngineConfig] = [:]

    init(axes: [SweepAxis]) {
        var sections: [String: [Int]] = [:]
        for (index, axis) in axes.enumerated() {
            for section in Set(axis.paths.compactMap(\.first)) { sections[section, default: []].append(index) }
        }
        axesBySection = sections
    }

    mutating func config(_ node: Node, choice: [Int], seed repeatSeed: UInt32?) -> RunConfig? {
        guard let mapping = node.mapping else { return nil }
        let known: Set<String> = ["dataset", "model", "training", "seed", "precision", "engine"]
        guard mapping.keys.allSatisfy({ $0.string.map(known.contains) ?? false }) else { return nil }
        func key(_ section: String) -> [Int] { (axesBySection[section] ?? []).map { choice[$0] } }
        func decode<T: Decodable>(_ section: String, _ cache: inout [[Int]: T]) -> T? {
            let key = key(section)
            if let value = cache[key] { return value }
            guard let sub = mapping[section], let value = try? YAMLDecoder().decode(T.self, from: sub) else { return nil }
            cache[key] = value
            return value
        }
        guard let dataset = decode("dataset", &datasets), let model = decode("model", &models),
              let training = decode("training", &trainings) else { return nil }
        var engine: EngineConfig?
        if mapping["engine"] != nil {
            guard let decoded = decode("engine", &engines) else { return nil }
            engine = decoded
        }
        let seed: UInt32
        if let scalar = mapping["seed"]?.scalar {
            // Plain decimal digits only; anything else is the full decoder's to judge.
            // (YAML 1.1 reads a leading 0 as octal: those go to the full decoder too.)
            guard scalar.style == .plain, scalar.string.allSatisfy({ $0.isASCII && $0.isNumber }),
                  scalar.string == "0" || !scalar.string.hasPrefix("0"), let value = UInt32(scalar.string) else { return nil }
            seed = value
        } else if mapping["seed"] != nil {
            return nil
        } else {
            seed = 1
        }
        if let repeatSeed, repeatSeed != seed { return nil }
        let precision: RunConfig.Precision
        switch mapping["precision"] {
        case nil: precision = .float64
        case let value?:
            guard let scalar = value.scalar, scalar.style == .plain, let parsed = RunConfig.Precision(rawValue: scalar.string) else { return nil }
            precision = parsed
        }
        // An engine choice the optimizer rules out is the full decoder's to report, located.
        if engine?.firstLayer == .dual, !FirstLayerForm.allows(training.plan.optimizer) { return nil }
        return RunConfig(dataset: dataset, model: model, training: training, seed: seed, precision: precision, engine: engine)
    }
}
