import Foundation

/// A swept value as the reports use it: a number (a learning rate, a seed), a list of numbers
/// (a hidden list, `[20, 7, 5]`), or text (an activation, an init mapping). `plan.json` and the
/// CSVs keep each value's text exactly as the sweep wrote it; this is its typed reading, made
/// once when the plan is read, so the table, the expectations and the figures agree on what is
/// a number.
public enum SweptValue: Equatable, Sendable {
    case number(Double)
    case list([Double])
    case text(String)

    public init(_ text: String) {
        if let value = Double(text), value.isFinite {
            self = .number(value)
        } else if text.hasPrefix("["), text.hasSuffix("]") {
            let inner = text.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
            let items = inner.isEmpty ? [] : inner.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            if items.allSatisfy({ $0?.isFinite ?? false }) {
                self = .list(items.compactMap { $0 })
            } else {
                self = .text(text)
            }
        } else {
            self = .text(text)
        }
    }

    /// The value on a numeric axis: a number, or a list of one number (one hidden layer's width).
    public var numeric: Double? {
        switch self {
        case .number(let value): return value
        case .list(let items) where items.count == 1: return items[0]
        default: return nil
        }
    }
}

extension PlanFile.Entry {
    /// The swept values, typed.
    public var values: [SweptValue] { sweptValues.map(SweptValue.init) }
}
