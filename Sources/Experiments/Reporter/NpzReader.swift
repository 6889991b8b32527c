import Foundation
import NeuralNet
import Datasets

/// Reads back the `params.npz` archives `NpzWriter` writes (stored ZIP entries of NPY 1.0,
/// `fortran_order: True`, `<f8` or `<f4`, 2-D), ZIP64 included; for the report's decision
/// boundaries. Anything else is refused (nil): it is not a file this runner wrote.
enum NpzReader {
    static func arrays(_ data: Data) -> [(name: String, matrix: Matrix<Double>)]? {
        let bytes = [UInt8](data)
        func integer(_ offset: Int, _ size: Int) -> UInt64? {
            guard offset >= 0, size <= 8, offset + size <= bytes.count else { return nil }
            return (0..<size).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }
        var arrays: [(String, Matrix<Double>)] = []
        var cursor = 0
        while let signature = integer(cursor, 4), signature == 0x0403_4b50 {
            guard var size = integer(cursor + 22, 4), let nameLength = integer(cursor + 26, 2).map(Int.init),
                  let extraLength = integer(cursor + 28, 2).map(Int.init), integer(cursor + 8, 2) == 0 else { return nil }
            if size == 0xFFFF_FFFF, extraLength >= 20, integer(cursor + 30 + nameLength, 2) == 1,
               let large = integer(cursor + 30 + nameLength + 4, 8) {
                size = large
            }
            let start = cursor + 30 + nameLength + extraLength
            guard size <= UInt64(bytes.count), start + Int(size) <= bytes.count else { return nil }
            let name = String(decoding: bytes[(cursor + 30)..<(cursor + 30 + nameLength)], as: UTF8.self)
            guard let matrix = npy(bytes[start..<(start + Int(size))]) else { return nil }
            arrays.append((name.hasSuffix(".npy") ? String(name.dropLast(4)) : name, matrix))
            cursor = start + Int(size)
        }
        return arrays.isEmpty ? nil : arrays
    }

    /// One NPY 1.0 array: its header dict, then the values in column-major order.
    private static func npy(_ bytes: ArraySlice<UInt8>) -> Matrix<Double>? {
        let base = bytes.startIndex
        guard bytes.count > 10, Array(bytes[base..<(base + 6)]) == [0x93] + Array("NUMPY".utf8), bytes[base + 6] == 1 else { return nil }
        let headerLength = Int(bytes[base + 8]) | Int(bytes[base + 9]) << 8
        guard bytes.count >= 10 + headerLength else { return nil }
        let header = String(decoding: bytes[(base + 10)..<(base + 10 + headerLength)], as: UTF8.self)
        guard header.contains("'fortran_order': True"), let open = header.range(of: "'shape': ("),
              let close = header[open.upperBound...].firstIndex(of: ")") else { return nil }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let width = header.contains("'<f8'") ? 8 : header.contains("'<f4'") ? 4 : 0
        // A shape whose byte count overflows is no file this runner wrote (nor one it could read).
        guard shape.count == 2, shape.allSatisfy({ $0 >= 0 }), width > 0, let count = shape.checkedProduct,
              case let (byteCount, overflow) = count.multipliedReportingOverflow(by: width), !overflow,
              bytes.count - 10 - headerLength == byteCount else {
            return nil
        }
        let body = Array(bytes[(base + 10 + headerLength)...])
        let values: [Double] = body.withUnsafeBytes { raw in
            width == 8 ? (0..<count).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
                : (0..<count).map { Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))) }
        }
        return try? Matrix(rows: shape[0], columns: shape[1], columnMajor: values)
    }
}
