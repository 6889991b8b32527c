import CKernels
import Dispatch
import Synchronization

/// Threads NetSweep's own product kernels may split one product over. Set together with the
/// BLAS thread count (`BLAS.setThreadCount`): all cores for a single run, 1 when runs share them.
enum KernelThreads {
    static let count = Atomic<Int>(1)
}

/// Which implementation computes each of a layer's three products.
///
/// OpenBLAS is fast on wide layers but slow on the tutorials' narrow ones (7, 5 or 20 rows
/// against 12288 inputs: it packs the whole wide operand on every call, and `dW = dZ·Xᵀ` reads X
/// across its columns, where a 98 KiB stride defeats the caches). NetSweep's packed kernel
/// (`CKernels`) takes those: the narrow operand is packed into a zero-padded panel and every
/// column of the result is accumulated in vector registers while the wide operand streams by.
struct LayerRoutes: Sendable {
    /// `Z = W·A_prev`: packed when W has few rows.
    var forward: Bool
    /// `dW = dZ·A_prevᵀ`: packed when dZ has few rows and A_prevᵀ can be read along its rows
    /// (a narrow A_prev, or the first layer when the trainer keeps a transposed copy of X).
    var weightGradient: Bool
    /// `dA_prev = Wᵀ·dZ`: packed when A_prev has few rows.
    var inputGradient: Bool

    /// Inputs at most this wide are read across columns by the packed `dW` kernel.
    static let narrowInput = 256
    /// Products with an inner dimension at most this small go to the packed kernel whatever
    /// their row count (in bands of `packedRowLimit` rows): for them OpenBLAS's per-call
    /// overhead and a separate epilogue pass cost more than the arithmetic (the planar sweeps'
    /// 2 → 50 → 1 networks).
    static let shallowInner = 16

    init<T: NetScalar>(_: T.Type, layer: Int, sizes: [Int], transposedInput: Bool) {
        let rows = sizes[layer + 1], inner = sizes[layer]
        let limit = T.packedRowLimit
        forward = rows <= limit || inner <= Self.shallowInner
        weightGradient = rows <= limit && (inner <= Self.narrowInput || (layer == 0 && transposedInput))
            || (rows <= Self.narrowInput && inner <= Self.shallowInner)
        inputGradient = layer > 0 && (inner <= limit || rows <= Self.shallowInner)
    }

    /// Panel elements the packed products of this layer need for `columns` examples (the
    /// panel holds one band of at most `packedRowLimit` rows).
    func scratch<T: NetScalar>(_: T.Type, layer: Int, sizes: [Int], columns: Int) -> Int {
        let rows = sizes[layer + 1], inner = sizes[layer]
        func panel(_ rows: Int, _ depth: Int) -> Int { T.paddedRows(min(rows, T.packedRowLimit)) * depth }
        var size = 0
        if forward { size = max(size, panel(rows, inner)) }
        if weightGradient { size = max(size, panel(rows, columns)) }
        if inputGradient { size = max(size, panel(inner, rows)) }
        return size
    }
}

/// What a product does to its result before storing it: in the packed kernel while the
/// columns are still in registers, after OpenBLAS in a separate pass.
public enum Epilogue<T: NetScalar> {
    /// `C = alpha·op(A)·op(B) + beta·C`.
    case plain
    /// `C = g(op(A)·op(B) + bias)` (bias: one value per row; alpha 1, beta 0).
    case biasActivation(bias: UnsafePointer<T>, activation: Activation)
    /// `C = (op(A)·op(B)) ⊙ g'(outputs)` for outputs = g(Z) laid out like C (alpha 1, beta 0).
    case derivative(outputs: UnsafePointer<T>, activation: Activation)

    /// The fields of the kernels' `nsk_epilogue_d`/`_s` struct.
    var kernelParts: (kind: Int32, activation: Int32, slope: Double, bias: UnsafePointer<T>?,
                      outputs: UnsafePointer<T>?) {
        switch self {
        case .plain:
            return (Int32(NSK_PLAIN), Int32(NSK_IDENTITY), 0, nil, nil)
        case let .biasActivation(bias, activation):
            return (Int32(NSK_BIAS_ACTIVATION), activation.kernelCode, activation.slope, bias, nil)
        case let .derivative(outputs, activation):
            return (Int32(NSK_DERIVATIVE), activation.kernelCode, activation.slope, nil, outputs)
        }
    }

    /// The epilogue of the band of result rows starting at `start`.
    func rows(from start: Int) -> Epilogue {
        switch self {
        case .plain: return .plain
        case let .biasActivation(bias, activation): return .biasActivation(bias: bias + start, activation: activation)
        case let .derivative(outputs, activation): return .derivative(outputs: outputs + start, activation: activation)
        }
    }
}

/// `C = alpha·op(A)·op(B) + beta·C` (column-major) through OpenBLAS or the packed kernel, with
/// a panel buffer sized once per workspace.
final class Products<T: NetScalar> {
    private let panel: Buffer<T>

    /// Products smaller than this many FLOPs are not split across threads.
    static var parallelThreshold: Int { 1 << 22 }

    init(capacity: Int) {
        panel = Buffer(count: capacity, repeating: 0)
    }

    @inline(__always)
    func multiply(packed: Bool, transposeA: Bool, transposeB: Bool, rows: Int, columns: Int, inner: Int,
                  alpha: T, a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
                  beta: T, c: UnsafeMutablePointer<T>, ldc: Int, epilogue: Epilogue<T> = .plain) {
        guard packed else {
            T.gemm(transposeA: transposeA, transposeB: transposeB, rows: rows, columns: columns, inner: inner,
                   alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            switch epilogue {
            case .plain: break
            case let .biasActivation(bias, activation):
                precondition(ldc == rows, "an epilogue needs a contiguous result")
                activation.applyWithBias(c, bias: bias, rows: rows, columns: columns)
            case let .derivative(outputs, activation):
                precondition(ldc == rows, "an epilogue needs a contiguous result")
                activation.multiplyByDerivative(c, outputs: outputs, count: rows * columns)
            }
            return
        }
        let limit = T.packedRowLimit
        if rows > limit {
            // Bands of rows, each a product of its own.
            for start in stride(from: 0, to: rows, by: limit) {
                multiply(packed: true, transposeA: transposeA, transposeB: transposeB,
                         rows: min(limit, rows - start), columns: columns, inner: inner, alpha: alpha,
                         a: transposeA ? a + start * lda : a + start, lda: lda, b: b, ldb: ldb,
                         beta: beta, c: c + start, ldc: ldc, epilogue: epilogue.rows(from: start))
            }
            return
        }
        // A whose rows fill whole vectors is its own packed panel.
        let packedA: UnsafePointer<T>
        if !transposeA && lda == rows && T.paddedRows(rows) == rows {
            packedA = a
        } else {
            precondition(T.paddedRows(rows) * inner <= panel.count, "packed panel larger than its workspace buffer")
            T.pack(transpose: transposeA, rows: rows, depth: inner, a: a, lda: lda, into: panel.pointer)
            packedA = UnsafePointer(panel.pointer)
        }
        let threads = KernelThreads.count.load(ordering: .relaxed)
        let flops = 2 * rows * columns * inner
        if threads > 1 && flops >= Self.parallelThreshold && columns >= 16 * threads {
            let operands = Operands(panel: packedA, b: b, c: c, epilogue: epilogue)
            DispatchQueue.concurrentPerform(iterations: threads) { part in
                let range = (columns * part / threads)..<(columns * (part + 1) / threads)
                T.packedProduct(transposeB: transposeB, rows: rows, columns: columns, depth: inner, alpha: alpha,
                                packed: operands.panel, b: operands.b, ldb: ldb, beta: beta, c: operands.c,
                                ldc: ldc, columnRange: range, epilogue: operands.epilogue)
            }
        } else {
            T.packedProduct(transposeB: transposeB, rows: rows, columns: columns, depth: inner, alpha: alpha,
                            packed: packedA, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
                            columnRange: 0..<columns, epilogue: epilogue)
        }
    }
}

/// The operands of one product, handed to the threads that compute disjoint column ranges of C
/// (each thread writes only its own columns; the panel and B are read-only while they run).
private struct Operands<T: NetScalar>: @unchecked Sendable {
    let panel: UnsafePointer<T>
    let b: UnsafePointer<T>
    let c: UnsafeMutablePointer<T>
    let epilogue: Epilogue<T>
}
