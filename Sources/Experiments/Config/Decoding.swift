import Yams

/// A coding key for any string: used to see every key a mapping holds.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// A located error at this decoder's node.
    func valueError(_ message: String) -> ConfigValueError {
        ConfigValueError(line: mark?.line ?? 0, column: mark?.column ?? 0, message: message)
    }

    /// The full dotted path of the value being decoded, for messages ("training.learning_rate").
    var dottedPath: String { codingPath.map(\.stringValue).joined(separator: ".") }
}

extension KeyedDecodingContainer {
    /// Decodes a string naming one of `choices`; anything else is an error that lists them.
    func decodeChoice<Value>(_ choices: KeyValuePairs<String, Value>, forKey key: Key) throws -> Value {
        let decoder = try superDecoder(forKey: key)
        let found = try decode(String.self, forKey: key)
        if let match = choices.first(where: { $0.key == found }) { return match.value }
        throw decoder.valueError(
            "'\(key.stringValue)' must be one of \(choices.map(\.key).joined(separator: ", ")); found '\(found)'")
    }

    /// `decodeChoice` for an optional key.
    func decodeChoiceIfPresent<Value>(_ choices: KeyValuePairs<String, Value>, forKey key: Key) throws -> Value? {
        try contains(key) ? decodeChoice(choices, forKey: key) : nil
    }

    /// Decodes a number and checks `condition`, else "'key' must be <expected>; found <value>".
    func decodeNumber<Value: Decodable & Comparable & CustomStringConvertible>(
        _ type: Value.Type, forKey key: Key, expected: String, where condition: (Value) -> Bool
    ) throws -> Value {
        let value = try decode(Value.self, forKey: key)
        guard condition(value) else {
            throw try superDecoder(forKey: key).valueError("'\(key.stringValue)' must be \(expected); found \(value)")
        }
        return value
    }

    /// `decodeNumber` for an optional key.
    func decodeNumberIfPresent<Value: Decodable & Comparable & CustomStringConvertible>(
        _ type: Value.Type, forKey key: Key, expected: String, where condition: (Value) -> Bool
    ) throws -> Value? {
        try contains(key) ? decodeNumber(type, forKey: key, expected: expected, where: condition) : nil
    }
}
