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
    /// Which product implementation each layer uses (`LayerRoutes`).
    let routes: [LayerRoutes]
    /// The matrix products, with their packing buffer.
    let products: Products<T>
    /// Transposed tiles of A_prev for the layers whose `dW` reads it that way (one tile per
    /// kernel thread; `Products.multiplyTransposedTiles`).
    let tiles: Buffer<T>

    init(architecture: Architecture, columns: Int) {
        self.columns = columns
        let sizes = architecture.layerSizes
        self.sizes = sizes
        activations = sizes.dropFirst().map { Buffer(count: $0 * columns, repeating: 0) }
        deltas = sizes.dropFirst().map { Buffer(count: $0 * columns, repeating: 0) }
        logits = Buffer(count: architecture.output.unitCount * columns, repeating: 0)
        exampleLosses = Buffer(count: columns, repeating: 0)
        predictions = Buffer(count: columns, repeating: 0)
        let layerCount = sizes.count - 1
        let routes = (0..<layerCount).map { LayerRoutes(T.self, layer: $0, sizes: sizes) }
        self.routes = routes
        let scratch = (0..<layerCount).map { routes[$0].scratch(T.self, layer: $0, sizes: sizes, columns: columns) }
        products = Products(capacity: scratch.max() ?? 0)
        let threads = KernelThreads.count.load(ordering: .relaxed)
        tiles = Buffer(count: routes.contains { $0.weightGradientTiles }
                           ? Products<T>.tileCapacity(inner: columns, threads: threads) : 0,
                       repeating: 0)
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
            if rows > 0 { target.update(from: data + column * rows, count: rows) }
            targetLabel.pointee = source[column]
            target += rows
            targetLabel += 1
        }
    }
}
