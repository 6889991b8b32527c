/// A fixed-size, zero-initialised heap buffer owned by one run (no copy-on-write, no
/// exclusivity checks in the hot loop).
final class Buffer<Element> {
    let pointer: UnsafeMutablePointer<Element>
    let count: Int

    init(count: Int, repeating value: Element) {
        self.count = count
        pointer = UnsafeMutablePointer<Element>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
    }

    deinit {
        pointer.deinitialize(count: max(count, 1))
        pointer.deallocate()
    }
}

/// Every intermediate a forward and backward pass over `columns` examples needs, allocated
/// once per run and batch width and reused by every iteration.
///
/// Hidden layers cache only their activations A_l (each derivative is a function of A_l);
/// the output layer also keeps its logits Z_L for the stable loss.
final class Workspace<T: NetScalar> {
    let columns: Int
    /// A_1 … A_L, each (n_l, columns); A_L holds the output probabilities.
    let activations: [Buffer<T>]
    /// Z_L, (n_L, columns).
    let logits: Buffer<T>
    /// dZ_1 … dZ_L, each (n_l, columns).
    let deltas: [Buffer<T>]
    /// One loss value per example.
    let exampleLosses: Buffer<T>
    /// One predicted class per example.
    let predictions: Buffer<Int32>
    /// n_0, n_1, …, n_L (cached: the hot loop never rebuilds the array).
    let sizes: [Int]
    /// Xᵀ (columns, n_0) when the workspace keeps one for the first layer's `dW` (full batch only).
    private let transposed: TransposedInput<T>?
    var transposedInput: UnsafePointer<T>? { transposed.map { UnsafePointer($0.buffer.pointer) } }
    /// Which product implementation each layer uses (`LayerRoutes`).
    let routes: [LayerRoutes]
    /// The matrix products, with their packing buffer.
    let products: Products<T>

    /// - Parameter fixedInput: the (n_0, columns) input every pass of this workspace will see
    ///   (full-batch training); given, the workspace keeps its transpose when the first layer's
    ///   `dW` would use it (`TransposedInput.isUseful`).
    init(architecture: Architecture, columns: Int, fixedInput: UnsafePointer<T>? = nil) {
        self.columns = columns
        let sizes = architecture.layerSizes
        let transposed = fixedInput.flatMap { input in
            TransposedInput<T>.isUseful(sizes: sizes) ? TransposedInput(input, rows: sizes[0], columns: columns) : nil
        }
        self.transposed = transposed
        self.sizes = sizes
        activations = sizes.dropFirst().map { Buffer(count: $0 * columns, repeating: 0) }
        deltas = sizes.dropFirst().map { Buffer(count: $0 * columns, repeating: 0) }
        logits = Buffer(count: architecture.output.unitCount * columns, repeating: 0)
        exampleLosses = Buffer(count: columns, repeating: 0)
        predictions = Buffer(count: columns, repeating: 0)
        let layerCount = sizes.count - 1
        let routes = (0..<layerCount).map {
            LayerRoutes(T.self, layer: $0, sizes: sizes, transposedInput: transposed != nil)
        }
        self.routes = routes
        let scratch = (0..<layerCount).map { routes[$0].scratch(T.self, layer: $0, sizes: sizes, columns: columns) }
        products = Products(capacity: scratch.max() ?? 0)
    }
}

/// Xᵀ of a (rows, columns) column-major input, kept by a full-batch run whose first layer
/// computes `dW_1 = dZ_1·Xᵀ` with the packed kernel: reading X along its rows is slow (its
/// columns are 12288 × 8 bytes apart in the cat data), reading Xᵀ along its columns is a stream.
final class TransposedInput<T: NetScalar> {
    let buffer: Buffer<T>

    /// Whether a network's first layer would use Xᵀ: packed `dW_1` and an input too wide to
    /// read across columns.
    static func isUseful(sizes: [Int]) -> Bool {
        sizes.count > 1 && sizes[1] <= T.packedRowLimit && sizes[0] > LayerRoutes.narrowInput
    }

    init(_ input: UnsafePointer<T>, rows: Int, columns: Int) {
        buffer = Buffer(count: rows * columns, repeating: 0)
        let target = buffer.pointer
        let block = 32
        for columnStart in stride(from: 0, to: columns, by: block) {
            let columnEnd = min(columnStart + block, columns)
            for rowStart in stride(from: 0, to: rows, by: block) {
                let rowEnd = min(rowStart + block, rows)
                for j in columnStart..<columnEnd {
                    for i in rowStart..<rowEnd { target[j + i * columns] = input[i + j * rows] }
                }
            }
        }
    }
}

/// A batch of examples gathered (copied) from a dataset's columns into reused buffers.
final class BatchBuffer<T: NetScalar> {
    let inputs: Buffer<T>
    let labels: Buffer<Int32>
    let rows: Int

    init(rows: Int, columns: Int) {
        self.rows = rows
        inputs = Buffer(count: rows * columns, repeating: 0)
        labels = Buffer(count: columns, repeating: 0)
    }

    /// Copies columns `order[range]` of `data` into the buffer's first `range.count` columns.
    func gather(from data: UnsafePointer<T>, labels source: UnsafePointer<Int32>,
                order: UnsafePointer<Int>, range: Range<Int>) {
        var target = inputs.pointer
        var targetLabel = labels.pointer
        for position in range {
            let column = order[position]
            target.update(from: data + column * rows, count: rows)
            targetLabel.pointee = source[column]
            target += rows
            targetLabel += 1
        }
    }
}
