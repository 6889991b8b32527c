import CZlib
import Foundation
import NeuralNet

/// Writes an uncompressed `.npz` archive (a ZIP of `.npy` files) that `numpy.load` opens.
///
/// Each array is stored as NPY format 1.0 with `fortran_order: True`, so the engine's
/// column-major storage is written as is and NumPy sees the tutorials' shapes (W1 is
/// (n_1, n_0), b1 is (n_1, 1)).
public enum NpzWriter {
    /// The archive bytes for `arrays` (name without `.npy`, matrix), in the given order.
    public static func archive<T: NetScalar>(_ arrays: [(String, Matrix<T>)]) -> Data {
        let entries = arrays.map { name, matrix in (name + ".npy", npy(matrix)) }
        return zip(entries)
    }

    /// One NPY 1.0 file: magic, version, header length, header dict padded to 64 bytes, data.
    static func npy<T: NetScalar>(_ matrix: Matrix<T>) -> Data {
        let descriptor = T.self == Float.self ? "<f4" : "<f8"
        var header = "{'descr': '\(descriptor)', 'fortran_order': True, 'shape': (\(matrix.rows), \(matrix.columns)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        data.appendLittleEndian(UInt16(header.utf8.count))
        data.append(contentsOf: Array(header.utf8))
        matrix.storage.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    /// A ZIP archive with every entry stored (method 0).
    static func zip(_ entries: [(String, Data)]) -> Data {
        var archive = Data()
        var central = Data()
        for (name, contents) in entries {
            let offset = UInt32(archive.count)
            let checksum = contents.withUnsafeBytes { bytes -> UInt32 in
                UInt32(crc32(0, bytes.bindMemory(to: UInt8.self).baseAddress, uInt(bytes.count)))
            }
            let nameBytes = Array(name.utf8)
            // Local file header.
            archive.appendLittleEndian(UInt32(0x0403_4b50))
            archive.appendLittleEndian(UInt16(20))        // version needed
            archive.appendLittleEndian(UInt16(0))         // flags
            archive.appendLittleEndian(UInt16(0))         // stored
            archive.appendLittleEndian(UInt16(0))         // time
            archive.appendLittleEndian(UInt16(0x21))      // date: 1980-01-01
            archive.appendLittleEndian(checksum)
            archive.appendLittleEndian(UInt32(contents.count))
            archive.appendLittleEndian(UInt32(contents.count))
            archive.appendLittleEndian(UInt16(nameBytes.count))
            archive.appendLittleEndian(UInt16(0))
            archive.append(contentsOf: nameBytes)
            archive.append(contents)
            // Central directory entry.
            central.appendLittleEndian(UInt32(0x0201_4b50))
            central.appendLittleEndian(UInt16(20))        // version made by
            central.appendLittleEndian(UInt16(20))        // version needed
            central.appendLittleEndian(UInt16(0))
            central.appendLittleEndian(UInt16(0))
            central.appendLittleEndian(UInt16(0))
            central.appendLittleEndian(UInt16(0x21))
            central.appendLittleEndian(checksum)
            central.appendLittleEndian(UInt32(contents.count))
            central.appendLittleEndian(UInt32(contents.count))
            central.appendLittleEndian(UInt16(nameBytes.count))
            central.appendLittleEndian(UInt16(0))         // extra
            central.appendLittleEndian(UInt16(0))         // comment
            central.appendLittleEndian(UInt16(0))         // disk
            central.appendLittleEndian(UInt16(0))         // internal attributes
            central.appendLittleEndian(UInt32(0))         // external attributes
            central.appendLittleEndian(offset)
            central.append(contentsOf: nameBytes)
        }
        let centralOffset = UInt32(archive.count)
        archive.append(central)
        archive.appendLittleEndian(UInt32(0x0605_4b50))
        archive.appendLittleEndian(UInt16(0))
        archive.appendLittleEndian(UInt16(0))
        archive.appendLittleEndian(UInt16(entries.count))
        archive.appendLittleEndian(UInt16(entries.count))
        archive.appendLittleEndian(UInt32(central.count))
        archive.appendLittleEndian(centralOffset)
        archive.appendLittleEndian(UInt16(0))
        return archive
    }
}

extension Data {
    mutating func appendLittleEndian<I: FixedWidthInteger>(_ value: I) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
