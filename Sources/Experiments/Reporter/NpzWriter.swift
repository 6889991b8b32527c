import CZlib
import Foundation
import NeuralNet

/// Writes an uncompressed `.npz` archive (a ZIP of `.npy` files) that `numpy.load` opens.
///
/// Each array is stored as NPY format 1.0 with `fortran_order: True`, so the engine's
/// column-major storage is written as is and NumPy sees the tutorials' shapes (W1 is
/// (n_1, n_0), b1 is (n_1, 1)).
public enum NpzWriter {
    /// Sizes and offsets from this value on are written in ZIP64 form (the 32-bit fields hold
    /// 0xFFFFFFFF and the value goes into a ZIP64 extra field or end record), as `zipfile`
    /// reads them: a network above 2^29 float64 parameters makes a params.npz over 4 GiB.
    public static let zip64Threshold: UInt64 = 0xFFFF_FFFF

    /// The archive bytes for `arrays` (name without `.npy`, matrix), in the given order.
    public static func archive<T: NetScalar>(_ arrays: [(String, Matrix<T>)], zip64Threshold: UInt64 = zip64Threshold) -> Data {
        var data = Data()
        emit(arrays, zip64Threshold: zip64Threshold) { data.append(contentsOf: $0) }
        return data
    }

    /// Writes the archive to `writer`, the matrices straight from their storage (no copy of
    /// the parameters is made, however large they are).
    public static func write<T: NetScalar>(_ arrays: [(String, Matrix<T>)], to writer: AtomicWriter,
                                           zip64Threshold: UInt64 = zip64Threshold) throws(FileSystemError) {
        // The first failure is kept and the rest of the archive skipped.
        var failure: FileSystemError?
        emit(arrays, zip64Threshold: zip64Threshold) { bytes in
            guard failure == nil else { return }
            do throws(FileSystemError) { try writer.write(bytes) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// The NPY 1.0 header of a matrix: magic, version, header length, header dict padded to
    /// 64 bytes. The data follow it.
    static func npyHeader<T: NetScalar>(_ matrix: Matrix<T>) -> Data {
        let descriptor = T.self == Float.self ? "<f4" : "<f8"
        var header = "{'descr': '\(descriptor)', 'fortran_order': True, 'shape': (\(matrix.rows), \(matrix.columns)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        data.appendLittleEndian(UInt16(header.utf8.count))
        data.append(contentsOf: Array(header.utf8))
        return data
    }

    /// A ZIP archive with every entry stored (method 0), produced in order through `output`.
    private static func emit<T: NetScalar>(_ arrays: [(String, Matrix<T>)], zip64Threshold: UInt64,
                                           output: (UnsafeRawBufferPointer) -> Void) {
        var position: UInt64 = 0
        func put(_ data: Data) {
            data.withUnsafeBytes { output($0) }
            position += UInt64(data.count)
        }
        let marker32 = UInt32.max
        var central = Data()
        for (name, matrix) in arrays {
            let header = npyHeader(matrix)
            let nameBytes = Array((name + ".npy").utf8)
            let offset = position
            matrix.storage.withUnsafeBytes { payload in
                let size = UInt64(header.count) + UInt64(payload.count)
                let checksum = crc(payload, startingWith: header.withUnsafeBytes { crc($0, startingWith: 0) })
                let large = size >= zip64Threshold
                var local = Data()
                local.appendLittleEndian(UInt32(0x0403_4b50))
                local.appendLittleEndian(UInt16(large ? 45 : 20))     // version needed
                local.appendLittleEndian(UInt16(0))                   // flags
                local.appendLittleEndian(UInt16(0))                   // stored
                local.appendLittleEndian(UInt16(0))                   // time
                local.appendLittleEndian(UInt16(0x21))                // date: 1980-01-01
                local.appendLittleEndian(checksum)
                local.appendLittleEndian(large ? marker32 : UInt32(size))
                local.appendLittleEndian(large ? marker32 : UInt32(size))
                local.appendLittleEndian(UInt16(nameBytes.count))
                local.appendLittleEndian(UInt16(large ? 20 : 0))      // extra
                local.append(contentsOf: nameBytes)
                if large {
                    local.appendLittleEndian(UInt16(0x0001))          // ZIP64 extra: both sizes
                    local.appendLittleEndian(UInt16(16))
                    local.appendLittleEndian(size)
                    local.appendLittleEndian(size)
                }
                put(local)
                put(header)
                output(payload)
                position += UInt64(payload.count)

                // Central directory entry: each overflowing field moves into the ZIP64 extra,
                // in the order the format fixes (sizes, then the offset).
                var extra = Data()
                if large {
                    extra.appendLittleEndian(size)
                    extra.appendLittleEndian(size)
                }
                if offset >= zip64Threshold { extra.appendLittleEndian(offset) }
                central.appendLittleEndian(UInt32(0x0201_4b50))
                central.appendLittleEndian(UInt16(extra.isEmpty ? 20 : 45))   // version made by
                central.appendLittleEndian(UInt16(extra.isEmpty ? 20 : 45))   // version needed
                central.appendLittleEndian(UInt16(0))
                central.appendLittleEndian(UInt16(0))
                central.appendLittleEndian(UInt16(0))
                central.appendLittleEndian(UInt16(0x21))
                central.appendLittleEndian(checksum)
                central.appendLittleEndian(large ? marker32 : UInt32(size))
                central.appendLittleEndian(large ? marker32 : UInt32(size))
                central.appendLittleEndian(UInt16(nameBytes.count))
                central.appendLittleEndian(UInt16(extra.isEmpty ? 0 : extra.count + 4))
                central.appendLittleEndian(UInt16(0))         // comment
                central.appendLittleEndian(UInt16(0))         // disk
                central.appendLittleEndian(UInt16(0))         // internal attributes
                central.appendLittleEndian(UInt32(0))         // external attributes
                central.appendLittleEndian(offset >= zip64Threshold ? marker32 : UInt32(offset))
                central.append(contentsOf: nameBytes)
                if !extra.isEmpty {
                    central.appendLittleEndian(UInt16(0x0001))
                    central.appendLittleEndian(UInt16(extra.count))
                    central.append(extra)
                }
            }
        }
        let centralOffset = position
        let centralSize = UInt64(central.count)
        let count = UInt64(arrays.count)
        put(central)
        var end = Data()
        let zip64End = centralOffset >= zip64Threshold || centralSize >= zip64Threshold || count >= 0xFFFF
        if zip64End {
            let recordOffset = position
            end.appendLittleEndian(UInt32(0x0606_4b50))       // ZIP64 end of central directory
            end.appendLittleEndian(UInt64(44))
            end.appendLittleEndian(UInt16(45))
            end.appendLittleEndian(UInt16(45))
            end.appendLittleEndian(UInt32(0))
            end.appendLittleEndian(UInt32(0))
            end.appendLittleEndian(count)
            end.appendLittleEndian(count)
            end.appendLittleEndian(centralSize)
            end.appendLittleEndian(centralOffset)
            end.appendLittleEndian(UInt32(0x0706_4b50))       // its locator
            end.appendLittleEndian(UInt32(0))
            end.appendLittleEndian(recordOffset)
            end.appendLittleEndian(UInt32(1))
        }
        end.appendLittleEndian(UInt32(0x0605_4b50))
        end.appendLittleEndian(UInt16(0))
        end.appendLittleEndian(UInt16(0))
        end.appendLittleEndian(zip64End ? UInt16.max : UInt16(count))
        end.appendLittleEndian(zip64End ? UInt16.max : UInt16(count))
        end.appendLittleEndian(zip64End ? marker32 : UInt32(centralSize))
        end.appendLittleEndian(zip64End ? marker32 : UInt32(centralOffset))
        end.appendLittleEndian(UInt16(0))
        put(end)
    }

    /// zlib's CRC-32, fed in chunks below 2^30 bytes (its length argument is 32-bit).
    static func crc(_ bytes: UnsafeRawBufferPointer, startingWith initial: UInt32) -> UInt32 {
        var value = uLong(initial)
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let length = min(bytes.count - offset, 1 << 30)
            value = crc32(value, base.assumingMemoryBound(to: UInt8.self) + offset, uInt(length))
            offset += length
        }
        return UInt32(truncatingIfNeeded: value)
    }
}

extension Data {
    mutating func appendLittleEndian<I: FixedWidthInteger>(_ value: I) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
