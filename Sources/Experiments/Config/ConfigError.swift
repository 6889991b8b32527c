/// A problem in an experiment file, located like a compiler diagnostic:
/// `experiments/xor.yaml:7:5: error: unknown key 'learnig_rate' in 'training'; did you mean 'learning_rate'?`
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based line, 0 when the problem has no position (e.g. a missing file).
    public var line: Int
    /// 1-based column, 0 when the problem has no position.
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line):\(column): error: \(message)" : "\(file): error: \(message)"
    }
}

/// Every problem found in one file, in line order.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) {
        self.errors = errors.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
    }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// A located problem raised while decoding a value; the loader adds the file name.
struct ConfigValueError: Error {
    var line: Int
    var column: Int
    var message: String
}
