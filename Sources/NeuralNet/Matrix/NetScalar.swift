import CBLAS
import CKernels
import Foundation

/// A floating-point type the engine computes in: `Double` (the NumPy default) or `Float`.
///
/// Collects the few scalar functions and the BLAS entry point the kernels need, so that
/// one generic engine serves both precisions. Generic code is specialised inside this
/// module for both conformers, so the hot loops run at concrete-type speed.
public protocol NetScalar: BinaryFloatingPoint, Sendable, LosslessStringConvertible {
    /// `exp(x)` from the C library.
    static func exponential(_ x: Self) -> Self
    /// `log(x)` from the C library.
    static func logarithm(_ x: Self) -> Self
    /// `log1p(x)`, accurate for small `x`.
    static func logOnePlus(_ x: Self) -> Self
    /// `tanh(x)` from the C library.
    static func hyperbolicTangent(_ x: Self) -> Self
    /// `sqrt(x)`.
    static func squareRoot(_ x: Self) -> Self

    /// `C = alpha·op(A)·op(B) + beta·C` on column-major operands (cblas_?gemm).
    static func gemm(
        transposeA: Bool, transposeB: Bool, rows: Int, columns: Int, inner: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int,
        b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// `out[i] = tanh(x[i])` over a buffer, vectorised (NetSweep's kernel, ≤ 2 ulp).
    static func vectorTanh(_ x: UnsafePointer<Self>, into out: UnsafeMutablePointer<Self>, count: Int)
    /// `out[i] = exp(x[i])` over a buffer, vectorised (NetSweep's kernel, ≤ 1 ulp).
    static func vectorExp(_ x: UnsafePointer<Self>, into out: UnsafeMutablePointer<Self>, count: Int)

    /// The most rows the packed small-row product handles (`PackedProduct`).
    static var packedRowLimit: Int { get }
    /// Rows of a packed panel for `rows` rows (rounded up to the vector width).
    static func paddedRows(_ rows: Int) -> Int
    /// Packs op(A) (rows × depth) into a zero-padded panel of `paddedRows(rows)` × depth.
    static func pack(transpose: Bool, rows: Int, depth: Int, a: UnsafePointer<Self>, lda: Int,
                     into packed: UnsafeMutablePointer<Self>)
    /// The one-row product `c[j] = alpha·Σ_r a[r]·b[r + j·ldb] + beta·c[j]` (or the epilogue's
    /// form) for a contiguous row a (depth values) and a contiguous result row c.
    static func rowProduct(columns: Int, depth: Int, alpha: Self, a: UnsafePointer<Self>, b: UnsafePointer<Self>,
                           ldb: Int, beta: Self, c: UnsafeMutablePointer<Self>, epilogue: Epilogue<Self>)
    /// `out[i] = Σ_j a[i + j·lda]` for i < rows, over j < columns, in NumPy's pairwise order
    /// (`Kernels.pairwiseSum` per row, bit for bit), vectorised across rows.
    static func rowSums(rows: Int, columns: Int, a: UnsafePointer<Self>, lda: Int, into out: UnsafeMutablePointer<Self>)
    /// `b[j + i·ldb] = a[i + j·lda]` for i < rows, j < columns: B = Aᵀ (columns × rows).
    static func transpose(rows: Int, columns: Int, a: UnsafePointer<Self>, lda: Int,
                          into b: UnsafeMutablePointer<Self>, ldb: Int)
    /// `C[:, range] = alpha·P·op(B)[:, range] + beta·C[:, range]` for a packed panel P, or the
    /// epilogue's form of it (`Epilogue`).
    static func packedProduct(
        transposeB: Bool, rows: Int, columns: Int, depth: Int, alpha: Self, packed: UnsafePointer<Self>,
        panelStride: Int, b: UnsafePointer<Self>, ldb: Int, beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int,
        columnRange: Range<Int>, epilogue: Epilogue<Self>)

    /// `Trainer.train`, implemented by each conformer with the loop specialised for it.
    static func train(
        _ network: inout Network<Self>, inputs: Matrix<Self>, labels: [Int32], plan: TrainingPlan,
        random: inout NumpyRandom, resume: TrainingState<Self>?, record: (CostRecord) -> Void, shouldStop: () -> Bool,
        checkpoint: Checkpoint<Self>?, finalState: ((TrainingState<Self>) -> Void)?) throws -> TrainingOutcome

    /// `Network.evaluate`, implemented by each conformer with the passes specialised for it.
    static func evaluate(
        _ network: Network<Self>, inputs: Matrix<Self>, labels: [Int32], regularization: Regularization,
        chunkColumns: Int?) throws -> (cost: Double, accuracy: Double)
}

extension NetScalar {
    public static func train(
        _ network: inout Network<Self>, inputs: Matrix<Self>, labels: [Int32], plan: TrainingPlan,
        random: inout NumpyRandom, resume: TrainingState<Self>?, record: (CostRecord) -> Void, shouldStop: () -> Bool,
        checkpoint: Checkpoint<Self>?, finalState: ((TrainingState<Self>) -> Void)?
    ) throws -> TrainingOutcome {
        try Trainer.trainSpecialized(&network, inputs: inputs, labels: labels, plan: plan, random: &random, resume: resume,
                                     record: record, shouldStop: shouldStop, checkpoint: checkpoint, finalState: finalState)
    }

    public static func evaluate(
        _ network: Network<Self>, inputs: Matrix<Self>, labels: [Int32], regularization: Regularization,
        chunkColumns: Int?
    ) throws -> (cost: Double, accuracy: Double) {
        try network.evaluateSpecialized(inputs: inputs, labels: labels, regularization: regularization,
                                        chunkColumns: chunkColumns)
    }
}

@inline(__always)
private func cblasTranspose(_ flag: Bool) -> CBLAS_TRANSPOSE {
    flag ? CblasTrans : CblasNoTrans
}

extension Double: NetScalar {
    @inline(__always) public static func vectorTanh(_ x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, count: Int) {
        nsk_tanh_d(x, out, count)
    }
    @inline(__always) public static func vectorExp(_ x: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>, count: Int) {
        nsk_exp_d(x, out, count)
    }
    public static var packedRowLimit: Int { Int(nsk_max_rows_d()) }
    @inline(__always) public static func paddedRows(_ rows: Int) -> Int { Int(nsk_padded_rows_d(Int32(rows))) }
    @inline(__always) public static func pack(transpose: Bool, rows: Int, depth: Int, a: UnsafePointer<Double>, lda: Int,
                                              into packed: UnsafeMutablePointer<Double>) {
        nsk_pack_d(transpose ? 1 : 0, Int32(rows), Int32(depth), a, Int32(lda), packed)
    }
    /// The kernels' C form of an epilogue.
    @inline(__always) static func kernelEpilogue(_ epilogue: Epilogue<Double>) -> nsk_epilogue_d {
        let parts = epilogue.kernelParts
        return nsk_epilogue_d(kind: parts.kind, activation: parts.activation, slope: Double(parts.slope),
                              bias: parts.bias, outputs: parts.outputs)
    }
    @inline(__always) public static func rowProduct(
        columns: Int, depth: Int, alpha: Double, a: UnsafePointer<Double>, b: UnsafePointer<Double>, ldb: Int, beta: Double,
        c: UnsafeMutablePointer<Double>, epilogue: Epilogue<Double>
    ) {
        var form = kernelEpilogue(epilogue)
        nsk_gemm_row_d(Int32(columns), Int32(depth), alpha, a, b, Int32(ldb), beta, c, &form)
    }
    @inline(__always) public static func rowSums(rows: Int, columns: Int, a: UnsafePointer<Double>, lda: Int,
                                                 into out: UnsafeMutablePointer<Double>) {
        nsk_row_sums_d(Int32(rows), Int32(columns), a, Int32(lda), out)
    }
    @inline(__always) public static func transpose(rows: Int, columns: Int, a: UnsafePointer<Double>, lda: Int,
                                                   into b: UnsafeMutablePointer<Double>, ldb: Int) {
        nsk_transpose_d(Int32(rows), Int32(columns), a, Int32(lda), b, Int32(ldb))
    }
    @inline(__always) public static func packedProduct(
        transposeB: Bool, rows: Int, columns: Int, depth: Int, alpha: Double, packed: UnsafePointer<Double>,
        panelStride: Int, b: UnsafePointer<Double>, ldb: Int, beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int,
        columnRange: Range<Int>, epilogue: Epilogue<Double>
    ) {
        var form = kernelEpilogue(epilogue)
        nsk_gemm_packed_d(transposeB ? 1 : 0, Int32(rows), Int32(columns), Int32(depth), alpha, packed,
                           Int32(panelStride), b, Int32(ldb), beta, c, Int32(ldc), Int32(columnRange.lowerBound),
                           Int32(columnRange.upperBound), &form)
    }

    @inline(__always) public static func exponential(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) public static func logarithm(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) public static func logOnePlus(_ x: Double) -> Double { Foundation.log1p(x) }
    @inline(__always) public static func hyperbolicTangent(_ x: Double) -> Double { Foundation.tanh(x) }
    @inline(__always) public static func squareRoot(_ x: Double) -> Double { x.squareRoot() }

    @inline(__always)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, rows: Int, columns: Int, inner: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        cblas_dgemm(CblasColMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
                    blasint(rows), blasint(columns), blasint(inner),
                    alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}

extension Float: NetScalar {
    @inline(__always) public static func vectorTanh(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        nsk_tanh_s(x, out, count)
    }
    @inline(__always) public static func vectorExp(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        nsk_exp_s(x, out, count)
    }
    public static var packedRowLimit: Int { Int(nsk_max_rows_s()) }
    @inline(__always) public static func paddedRows(_ rows: Int) -> Int { Int(nsk_padded_rows_s(Int32(rows))) }
    @inline(__always) public static func pack(transpose: Bool, rows: Int, depth: Int, a: UnsafePointer<Float>, lda: Int,
                                              into packed: UnsafeMutablePointer<Float>) {
        nsk_pack_s(transpose ? 1 : 0, Int32(rows), Int32(depth), a, Int32(lda), packed)
    }
    /// The kernels' C form of an epilogue.
    @inline(__always) static func kernelEpilogue(_ epilogue: Epilogue<Float>) -> nsk_epilogue_s {
        let parts = epilogue.kernelParts
        return nsk_epilogue_s(kind: parts.kind, activation: parts.activation, slope: Float(parts.slope),
                              bias: parts.bias, outputs: parts.outputs)
    }
    @inline(__always) public static func rowProduct(
        columns: Int, depth: Int, alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int, beta: Float,
        c: UnsafeMutablePointer<Float>, epilogue: Epilogue<Float>
    ) {
        var form = kernelEpilogue(epilogue)
        nsk_gemm_row_s(Int32(columns), Int32(depth), alpha, a, b, Int32(ldb), beta, c, &form)
    }
    @inline(__always) public static func rowSums(rows: Int, columns: Int, a: UnsafePointer<Float>, lda: Int,
                                                 into out: UnsafeMutablePointer<Float>) {
        nsk_row_sums_s(Int32(rows), Int32(columns), a, Int32(lda), out)
    }
    @inline(__always) public static func transpose(rows: Int, columns: Int, a: UnsafePointer<Float>, lda: Int,
                                                   into b: UnsafeMutablePointer<Float>, ldb: Int) {
        nsk_transpose_s(Int32(rows), Int32(columns), a, Int32(lda), b, Int32(ldb))
    }
    @inline(__always) public static func packedProduct(
        transposeB: Bool, rows: Int, columns: Int, depth: Int, alpha: Float, packed: UnsafePointer<Float>,
        panelStride: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
        columnRange: Range<Int>, epilogue: Epilogue<Float>
    ) {
        var form = kernelEpilogue(epilogue)
        nsk_gemm_packed_s(transposeB ? 1 : 0, Int32(rows), Int32(columns), Int32(depth), alpha, packed,
                           Int32(panelStride), b, Int32(ldb), beta, c, Int32(ldc), Int32(columnRange.lowerBound),
                           Int32(columnRange.upperBound), &form)
    }

    @inline(__always) public static func exponential(_ x: Float) -> Float { Foundation.expf(x) }
    @inline(__always) public static func logarithm(_ x: Float) -> Float { Foundation.logf(x) }
    @inline(__always) public static func logOnePlus(_ x: Float) -> Float { Foundation.log1pf(x) }
    @inline(__always) public static func hyperbolicTangent(_ x: Float) -> Float { Foundation.tanhf(x) }
    @inline(__always) public static func squareRoot(_ x: Float) -> Float { x.squareRoot() }

    @inline(__always)
    public static func gemm(
        transposeA: Bool, transposeB: Bool, rows: Int, columns: Int, inner: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasColMajor, cblasTranspose(transposeA), cblasTranspose(transposeB),
                    blasint(rows), blasint(columns), blasint(inner),
                    alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}
