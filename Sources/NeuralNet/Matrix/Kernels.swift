import CKernels

/// The product, exp and tanh kernels this process runs: "avx2" (AVX2 + FMA, chosen at run
/// time when the CPU has them) or "baseline" (any x86-64 CPU; also with
/// `NETSWEEP_KERNELS=baseline`). The two round differently (FMA), so records name the path.
public enum KernelPath {
    public static var current: String { String(cString: nsk_kernel_path()) }
}

/// Reduction and update kernels over raw buffers: tight loops, no allocation.
enum Kernels {
    /// NumPy's `pairwise_sum` for `count` values `values[0], values[stride], …`.
    ///
    /// Below 8 values a plain loop; up to 128, eight interleaved accumulators combined as
    /// ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) then the remainder; above, split at half rounded
    /// down to a multiple of 8 and recurse. This is the summation `np.sum(A, axis=1)` uses on
    /// C-ordered rows, so bias gradients and costs round exactly as NumPy's do.
    static func pairwiseSum<T: NetScalar>(_ values: UnsafePointer<T>, count: Int, stride: Int) -> T {
        if count < 8 {
            var result: T = 0
            for i in 0..<count { result += values[i * stride] }
            return result
        }
        if count <= 128 {
            var r0 = values[0], r1 = values[stride], r2 = values[2 * stride], r3 = values[3 * stride]
            var r4 = values[4 * stride], r5 = values[5 * stride]
            var r6 = values[6 * stride], r7 = values[7 * stride]
            var i = 8
            let blockEnd = count - count % 8
            while i < blockEnd {
                let p = values + i * stride
                r0 += p[0]; r1 += p[stride]; r2 += p[2 * stride]; r3 += p[3 * stride]
                r4 += p[4 * stride]; r5 += p[5 * stride]; r6 += p[6 * stride]; r7 += p[7 * stride]
                i += 8
            }
            var result = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
            while i < count {
                result += values[i * stride]
                i += 1
            }
            return result
        }
        var half = count / 2
        half -= half % 8
        return pairwiseSum(values, count: half, stride: stride)
            + pairwiseSum(values + half * stride, count: count - half, stride: stride)
    }

    /// `Σ x²` over a buffer (for the L2 penalty), summed pairwise like `np.sum(W * W)`.
    ///
    /// The order is the storage's (column-major), so the last bits can differ from NumPy's
    /// row-major sum; squares are formed in blocks of ≤128 on the stack, never a W-sized array.
    static func sumOfSquares<T: NetScalar>(_ values: UnsafePointer<T>, count: Int) -> T {
        if count <= 128 {
            return withUnsafeTemporaryAllocation(of: T.self, capacity: max(count, 1)) { buffer in
                guard let squares = buffer.baseAddress else { return 0 }
                for i in 0..<count { squares[i] = values[i] * values[i] }
                return pairwiseSum(squares, count: count, stride: 1)
            }
        }
        var half = count / 2
        half -= half % 8
        return sumOfSquares(values, count: half) + sumOfSquares(values + half, count: count - half)
    }
}
