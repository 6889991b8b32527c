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
    /// `dW = dZ·A_prevᵀ`: packed when dZ has few rows.
    var weightGradient: Bool
    /// … reading A_prevᵀ from tiles transposed on the fly (`Products.multiplyTransposedTiles`):
    /// a wide A_prev (the cat data's 12288 features) read across its columns would jump
    /// 12288 × 8 bytes per element, and a whole transposed copy would double the data's memory.
    var weightGradientTiles: Bool
    /// `dA_prev = Wᵀ·dZ`: packed when A_prev has few rows.
    var inputGradient: Bool

    /// Inputs at most this wide are read across columns by the packed `dW` kernel.
    static let narrowInput = 256
    /// Products with an inner dimension at most this small go to the packed kernel whatever
    /// their row count (in bands of `packedRowLimit` rows): for them OpenBLAS's per-call
    /// overhead and a separate epilogue pass cost more than the arithmetic (the planar sweeps'
    /// 2 → 50 → 1 networks).
    static let shallowInner = 16

    init<T: NetScalar>(_: T.Type, layer: Int, sizes: [Int]) {
        let rows = sizes[layer + 1], inner = sizes[layer]
        let limit = T.packedRowLimit
        forward = rows <= limit || inner <= Self.shallowInner
        weightGradient = rows <= limit || (rows <= Self.narrowInput && inner <= Self.shallowInner)
        weightGradientTiles = rows <= limit && inner > Self.narrowInput
        inputGradient = layer > 0 && (inner <= limit || rows <= Self.shallowInner)
    }

    /// Panel elements the packed products of this layer need for `columns` examples.
    func scratch<T: NetScalar>(_: T.Type, layer: Int, sizes: [Int], columns: Int) -> Int {
        let rows = sizes[layer + 1], inner = sizes[layer]
        var size = 0
        if forward {
            size = max(size, Products<T>.panelCapacity(rows: rows, columns: columns, inner: inner, transposeB: false))
        }
        if weightGradient {
            size = max(size, Products<T>.panelCapacity(rows: rows, columns: inner, inner: columns,
                                                       transposeB: !weightGradientTiles))
        }
        if inputGradient {
            size = max(size, Products<T>.panelCapacity(rows: inner, columns: columns, inner: rows, transposeB: false))
        }
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

    /// op(A) (rows × depth) as a panel for the packed kernel and its column stride: A itself
    /// (stride lda) when its rows fill whole vectors, else packed into the zero-padded panel
    /// buffer (stride 0: the padded row count).
    private func packedPanel(transpose: Bool, rows: Int, depth: Int, a: UnsafePointer<T>,
                             lda: Int) -> (UnsafePointer<T>, Int) {
        if !transpose && T.paddedRows(rows) == rows { return (a, lda) }
        precondition(T.paddedRows(rows) * depth <= panel.count, "packed panel larger than its workspace buffer")
        T.pack(transpose: transpose, rows: rows, depth: depth, a: a, lda: lda, into: panel.pointer)
        return (UnsafePointer(panel.pointer), 0)
    }

    /// Products with at most this many result columns read A in place where they can
    /// (`multiply`): packing costs about as much as the product itself.
    static var fewColumns: Int { 8 }

    /// Panel elements a packed product of this shape may need: one band of at most
    /// `packedRowLimit` rows of op(A), or of B when a one-row product is computed transposed.
    static func panelCapacity(rows: Int, columns: Int, inner: Int, transposeB: Bool) -> Int {
        func panel(_ rows: Int) -> Int { T.paddedRows(min(rows, T.packedRowLimit)) * inner }
        return rows == 1 && transposeB ? max(panel(1), panel(columns)) : panel(rows)
    }

    /// Column ranges of a product split over threads start at multiples of this: every block
    /// width of the packed kernel divides it, so each column is summed in the same order as in
    /// the serial product (results are bit-identical whatever the thread count).
    static var splitAlignment: Int { 24 }

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
        // A one-row op(A) stored contiguously, into a one-row C stored contiguously.
        let contiguousRow = rows == 1 && ldc == 1 && (transposeA || lda == 1)
        if contiguousRow && !transposeB {
            // A one-row result (a single-unit layer's Z = W·A_prev): dot products along B's
            // columns, LANES columns per vector of results, instead of a 1-row panel that would
            // fill one lane of every vector.
            T.rowProduct(columns: columns, depth: inner, alpha: alpha, a: a, b: b, ldb: ldb, beta: beta, c: c,
                         epilogue: epilogue)
            return
        }
        if contiguousRow && transposeB, case .plain = epilogue {
            // A one-row result times a transposed B (dW of a single-unit layer): computed as its
            // transpose, Cᵀ = B·op(A)ᵀ, so B is the panel (often already packed as it lies) and
            // op(A)ᵀ the single column that streams, instead of a 1-row panel padded to a whole
            // vector per element.
            multiply(packed: true, transposeA: false, transposeB: false, rows: columns, columns: 1, inner: inner,
                     alpha: alpha, a: b, lda: ldb, b: a, ldb: inner, beta: beta, c: c, ldc: columns)
            return
        }
        let lanes = T.paddedRows(1)
        if !transposeA && columns <= Self.fewColumns && rows > lanes && rows % lanes != 0 {
            // Few result columns (dW of a narrow input, a single-unit layer's transposed dW): packing
            // all of A would cost as much as the product. The rows that fill whole vectors are read
            // in place; only the remainder (fewer than a vector) is packed, as a product of its own.
            let top = rows - rows % lanes
            multiply(packed: true, transposeA: false, transposeB: transposeB, rows: top, columns: columns,
                     inner: inner, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
                     epilogue: epilogue)
            multiply(packed: true, transposeA: false, transposeB: transposeB, rows: rows - top, columns: columns,
                     inner: inner, alpha: alpha, a: a + top, lda: lda, b: b, ldb: ldb, beta: beta, c: c + top,
                     ldc: ldc, epilogue: epilogue.rows(from: top))
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
        let (packedA, panelStride) = packedPanel(transpose: transposeA, rows: rows, depth: inner, a: a, lda: lda)
        let threads = KernelThreads.count.load(ordering: .relaxed)
        let flops = 2 * rows * columns * inner
        if threads > 1 && flops >= Self.parallelThreshold && columns >= Self.splitAlignment * threads {
            let operands = Operands(panel: packedA, b: b, c: c, epilogue: epilogue)
            let alignment = Self.splitAlignment
            DispatchQueue.concurrentPerform(iterations: threads) { part in
                let start = (columns * part / threads) / alignment * alignment
                let end = part + 1 == threads ? columns : (columns * (part + 1) / threads) / alignment * alignment
                let range = start..<end
                T.packedProduct(transposeB: transposeB, rows: rows, columns: columns, depth: inner, alpha: alpha,
                                packed: operands.panel, panelStride: panelStride, b: operands.b, ldb: ldb, beta: beta, c: operands.c,
                                ldc: ldc, columnRange: range, epilogue: operands.epilogue)
            }
        } else {
            T.packedProduct(transposeB: transposeB, rows: rows, columns: columns, depth: inner, alpha: alpha,
                            packed: packedA, panelStride: panelStride, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
                            columnRange: 0..<columns, epilogue: epilogue)
        }
    }
}

extension Products {
    /// Columns of B per transposed tile for a product of inner dimension `inner`: tiles of about
    /// 64 Ki elements (512 KiB in double), which stay in L2 while the kernel reads them (16, 32,
    /// 64 and 128 Ki measured on the cat network: 64-128 Ki fastest, 16 Ki 10 % slower), and a
    /// multiple of `splitAlignment` so that every tile but the last has no leftover columns.
    static func tileWidth(inner: Int) -> Int {
        max(splitAlignment, (65_536 / max(inner, 1)) / splitAlignment * splitAlignment)
    }

    /// Elements of the tile buffer `multiplyTransposedTiles` needs, one tile per thread.
    static func tileCapacity(inner: Int, threads: Int) -> Int {
        tileWidth(inner: inner) * inner * max(threads, 1)
    }

    /// `C = alpha·A·Bᵀ + beta·C` for A (rows × inner, lda; rows ≤ `packedRowLimit`) and B
    /// (columns × inner, ldb), with B read along its columns: each tile of `tileWidth` rows of B is
    /// transposed into `tiles` (contiguous, in cache) and multiplied by the packed A while it is
    /// hot. Tiles are independent, so threads take every `threads`-th tile; each tile's columns
    /// are summed the same way whatever the thread count (bit-identical results).
    func multiplyTransposedTiles(rows: Int, columns: Int, inner: Int, alpha: T, a: UnsafePointer<T>, lda: Int,
                                 b: UnsafePointer<T>, ldb: Int, beta: T, c: UnsafeMutablePointer<T>, ldc: Int,
                                 tiles: Buffer<T>) {
        precondition(rows <= T.packedRowLimit, "transposed tiles need a packed A")
        let width = Self.tileWidth(inner: inner)
        let available = tiles.count / (width * inner)
        precondition(available >= 1, "tile buffer smaller than one tile")
        let tileCount = (columns + width - 1) / width
        let (packedA, panelStride) = packedPanel(transpose: false, rows: rows, depth: inner, a: a, lda: lda)
        let job = TileJob(rows: rows, columns: columns, inner: inner, width: width, tileCount: tileCount,
                          alpha: alpha, panel: packedA, panelStride: panelStride, b: b, ldb: ldb, beta: beta,
                          c: c, ldc: ldc, tiles: tiles.pointer)
        let flops = 2 * rows * columns * inner
        let threads = flops >= Self.parallelThreshold
            ? max(1, min(KernelThreads.count.load(ordering: .relaxed), available, tileCount)) : 1
        if threads > 1 {
            DispatchQueue.concurrentPerform(iterations: threads) { job.run(part: $0, of: threads) }
        } else {
            job.run(part: 0, of: 1)
        }
    }
}

/// One `multiplyTransposedTiles` call's operands, shared by its threads: thread `part` takes
/// tiles part, part + threads, … and writes only its own tile buffer and those tiles' columns of C.
private struct TileJob<T: NetScalar>: @unchecked Sendable {
    let rows, columns, inner, width, tileCount: Int
    let alpha: T
    let panel: UnsafePointer<T>
    let panelStride: Int
    let b: UnsafePointer<T>
    let ldb: Int
    let beta: T
    let c: UnsafeMutablePointer<T>
    let ldc: Int
    let tiles: UnsafeMutablePointer<T>

    func run(part: Int, of threads: Int) {
        let tile = tiles + part * width * inner
        var index = part
        while index < tileCount {
            let start = index * width
            let count = min(width, columns - start)
            T.transpose(rows: count, columns: inner, a: b + start, lda: ldb, into: tile, ldb: inner)
            T.packedProduct(transposeB: false, rows: rows, columns: count, depth: inner, alpha: alpha,
                            packed: panel, panelStride: panelStride, b: tile, ldb: inner, beta: beta,
                            c: c + start * ldc, ldc: ldc, columnRange: 0..<count, epilogue: .plain)
            index += threads
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
