import Foundation
import Testing
@testable import NeuralNet

/// NetSweep's own kernels (`CKernels`) against the C library and a naive triple loop.
@Suite("Kernels")
struct KernelTests {
    /// −30 … 30 in uneven steps, the specials, and a length that leaves a tail after the
    /// vector loop.
    static func arguments<T: NetScalar>(_: T.Type) -> [T] {
        var values: [T] = (0..<4001).map { (i: Int) -> T in
            let step = 60.0 * Double(i) / 4000.0
            let jitter = 1e-7 * Double(i % 7)
            return T(-30.0 + step + jitter)
        }
        let specials: [Double] = [0, -0.0, 1e-300, -1e-12, 0.625, -0.625, 0.6249999, 22, 9, 700, -700, 88, -88]
        values += specials.map { T($0) }
        values += [T.infinity, -T.infinity, T.nan]
        return values
    }

    /// |a − b| in units of the last place of b (both finite), 0 when both are equal or NaN.
    static func ulps<T: NetScalar>(_ a: T, _ b: T) -> Double {
        if a == b || (a.isNaN && b.isNaN) { return 0 }
        if !a.isFinite || !b.isFinite { return .infinity }
        return Double(abs(a - b) / max(b.ulp, T.leastNormalMagnitude))
    }

    func checkTanhAndExp<T: NetScalar>(_: T.Type, tanhLimit: Double, expLimit: Double,
                                       reference: (tanh: (T) -> T, exp: (T) -> T)) {
        let x = Self.arguments(T.self)
        var tanh = x, exp = x
        tanh.withUnsafeMutableBufferPointer { T.vectorTanh($0.baseAddress!, into: $0.baseAddress!, count: $0.count) }
        exp.withUnsafeMutableBufferPointer { T.vectorExp($0.baseAddress!, into: $0.baseAddress!, count: $0.count) }
        var worstTanh = 0.0, worstExp = 0.0
        for i in x.indices {
            worstTanh = max(worstTanh, Self.ulps(tanh[i], reference.tanh(x[i])))
            // Below the documented limit exp flushes its (subnormal or tiny) result to 0.
            if x[i] > T(-86) { worstExp = max(worstExp, Self.ulps(exp[i], reference.exp(x[i]))) }
        }
        #expect(worstTanh <= tanhLimit, "tanh: \(worstTanh) ulp")
        #expect(worstExp <= expLimit, "exp: \(worstExp) ulp")
        #expect(tanh[x.count - 1].isNaN && exp[x.count - 1].isNaN)
        #expect(tanh[x.count - 3] == 1 && tanh[x.count - 2] == -1)
        #expect(exp[x.count - 3] == .infinity && exp[x.count - 2] == 0)
        // tanh is odd and keeps the sign of zero.
        var signs: [T] = [0, -0.0, 0.3, -0.3]
        signs.withUnsafeMutableBufferPointer { T.vectorTanh($0.baseAddress!, into: $0.baseAddress!, count: $0.count) }
        #expect(signs[0].sign == .plus && signs[1].sign == .minus && signs[3] == -signs[2])
    }

    #if arch(x86_64) || arch(i386)
    /// tanh rounded from the 64-bit-mantissa `tanhl`: within a hair of correctly rounded
    /// (glibc's double `tanh` itself is up to ~2 ulp off, too coarse a yardstick for a 1-ulp kernel).
    static func exactTanh(_ x: Double) -> Double { Double(Foundation.tanh(Float80(x))) }
    #else
    /// No wider type here: the C library's tanh, whose own error (up to ~2 ulp) adds to ours.
    static func exactTanh(_ x: Double) -> Double { Foundation.tanh(x) }
    #endif

    @Test("vectorised tanh stays within 1.5 ulp of the exact value (3.5 of the C library without Float80), exp within 1 ulp of the C library")
    func tanhAndExp() {
        #if arch(x86_64) || arch(i386)
        let tanhLimit = 1.5
        #else
        let tanhLimit = 3.5
        #endif
        checkTanhAndExp(Double.self, tanhLimit: tanhLimit, expLimit: 1, reference: (Self.exactTanh, Foundation.exp))
        // Float's reference goes through Double, which rounds it exactly (up to double rounding).
        checkTanhAndExp(Float.self, tanhLimit: tanhLimit, expLimit: 1,
                        reference: ({ Float(Self.exactTanh(Double($0))) }, Foundation.expf))
    }

    /// C = alpha·op(A)·op(B) + beta·C by the definition.
    static func naive<T: NetScalar>(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: T,
                                    a: [T], b: [T], beta: T, c: [T]) -> [T] {
        var result = c
        for j in 0..<n {
            for i in 0..<m {
                var sum = 0.0
                for r in 0..<k {
                    let left = transposeA ? a[r + i * k] : a[i + r * m]
                    let right = transposeB ? b[j + r * n] : b[r + j * k]
                    sum += Double(left) * Double(right)
                }
                result[i + j * m] = alpha * T(sum) + (beta == 0 ? 0 : beta * c[i + j * m])
            }
        }
        return result
    }

    func checkProducts<T: NetScalar>(_: T.Type, tolerance: Double) {
        var random = NumpyRandom(seed: 7)
        let limit = T.packedRowLimit
        for m in [1, 3, 4, 5, 7, 8, 13, 20, limit, limit + 1] {
            // k = 4 and 8: one vector of weights a column in the one-row product (double, float).
            for (n, k) in [(1, 1), (9, 2), (21, 4), (19, 8), (17, 33), (50, 300)] {
                for (transposeA, transposeB) in [(false, false), (false, true), (true, false), (true, true)] {
                    for (alpha, beta) in [(T(1), T(0)), (T(0.25), T(1.5))] {
                        let a = (0..<(m * k)).map { _ in T(random.gaussian()) }
                        let b = (0..<(k * n)).map { _ in T(random.gaussian()) }
                        let c = (0..<(m * n)).map { _ in T(random.gaussian()) }
                        let expected = Self.naive(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                                  alpha: alpha, a: a, b: b, beta: beta, c: c)
                        for packed in [true, false] {
                            var result = c
                            let products = Products<T>(capacity: Products<T>.panelCapacity(rows: m, columns: n, inner: k, transposeB: transposeB))
                            a.withUnsafeBufferPointer { a in
                                b.withUnsafeBufferPointer { b in
                                    result.withUnsafeMutableBufferPointer { c in
                                        products.multiply(
                                            packed: packed, transposeA: transposeA, transposeB: transposeB,
                                            rows: m, columns: n, inner: k, alpha: alpha,
                                            a: a.baseAddress!, lda: transposeA ? k : m,
                                            b: b.baseAddress!, ldb: transposeB ? n : k,
                                            beta: beta, c: c.baseAddress!, ldc: m)
                                    }
                                }
                            }
                            let scale = expected.map { Double(abs($0)) }.max() ?? 1
                            let error = zip(result, expected).map { Double(abs($0 - $1)) }.max() ?? 0
                            #expect(error <= tolerance * max(scale, 1),
                                    "m \(m) n \(n) k \(k) tA \(transposeA) tB \(transposeB) packed \(packed): \(error)")
                        }
                    }
                }
            }
        }
    }

    @Test("the packed small-row product equals the definition for every shape class, operand layout and beta")
    func products() {
        checkProducts(Double.self, tolerance: 1e-13)
        checkProducts(Float.self, tolerance: 1e-5)
    }

    @Test("epilogues (bias + activation, derivative) agree between the packed kernel, in bands too, and OpenBLAS + Swift passes")
    func epilogues() {
        // 4 and 12 rows end in half a vector in float (30: in double), the one-load path.
        checkEpilogues(Double.self, tolerance: 1e-14)
        checkEpilogues(Float.self, tolerance: 1e-6)
    }

    /// C (m × n, leading dimension ldc) = epilogue(A·B) through `Products.multiply`: bias and
    /// activation, or the activation's derivative at `outputs` (laid out like C).
    static func product<T: NetScalar>(packed: Bool, m: Int, n: Int, k: Int, a: [T], b: [T], ldc: Int, bias: [T],
                                      outputs: [T], activation: Activation, derivative: Bool) -> [T] {
        var c = [T](repeating: 0, count: ldc * n)
        let products = Products<T>(capacity: Products<T>.panelCapacity(rows: m, columns: n, inner: k, transposeB: false))
        bias.withUnsafeBufferPointer { bias in
            outputs.withUnsafeBufferPointer { outputs in
                let epilogue: Epilogue<T> = derivative
                    ? .derivative(outputs: outputs.baseAddress!, activation: activation)
                    : .biasActivation(bias: bias.baseAddress!, activation: activation)
                products.multiply(packed: packed, transposeA: false, transposeB: false,
                                  rows: m, columns: n, inner: k, alpha: 1, a: a, lda: m,
                                  b: b, ldb: k, beta: 0, c: &c, ldc: ldc, epilogue: epilogue)
            }
        }
        return c
    }

    func checkEpilogues<T: NetScalar>(_: T.Type, tolerance: Double) {
        var random = NumpyRandom(seed: 3)
        let activations: [Activation] = [.identity, .sigmoid, .tanh, .relu, .leakyRelu(slope: 0.2)]
        for m in [1, 2, 3, 4, 7, 12, 30] {
            let n = 37, k = 5
            let a = (0..<(m * k)).map { _ in T(random.gaussian()) }
            let b = (0..<(k * n)).map { _ in T(random.gaussian()) }
            let bias = (0..<m).map { _ in T(random.gaussian()) }
            let outputs = (0..<(m * n)).map { _ in T(random.uniform() * 2 - 0.5) }
            for activation in activations {
                for derivative in [false, true] {
                    var results: [[T]] = []
                    for packed in [true, false] {
                        results.append(Self.product(packed: packed, m: m, n: n, k: k, a: a, b: b, ldc: m, bias: bias,
                                                    outputs: outputs, activation: activation, derivative: derivative))
                    }
                    let error = zip(results[0], results[1]).map { Double(abs($0 - $1) / max(abs($1), 1)) }.max() ?? 0
                    #expect(error < tolerance, "\(T.self) m \(m) \(activation) derivative \(derivative): \(error)")
                }
            }
        }
    }

    @Test("half-vector layers (2 units in double, 4 in float) take the epilogue two columns at a time, bit-identical to one at a time")
    func pairedColumnEpilogues() {
        checkPairedColumns(Double.self, rows: 2)
        checkPairedColumns(Float.self, rows: 4)
    }

    /// C with ldc = rows takes the paired path; ldc = rows + 1 (a gap row after each column)
    /// the one-column path. Every activation, both epilogues, an odd column count (a last
    /// column alone) and an even one.
    func checkPairedColumns<T: NetScalar>(_: T.Type, rows m: Int) {
        var random = NumpyRandom(seed: 5)
        let activations: [Activation] = [.identity, .sigmoid, .tanh, .relu, .leakyRelu(slope: 0.2)]
        for n in [37, 40] {
            let k = 3
            let a = (0..<(m * k)).map { _ in T(random.gaussian() * 3) }
            let b = (0..<(k * n)).map { _ in T(random.gaussian() * 3) }
            let bias = (0..<m).map { _ in T(random.gaussian()) }
            for activation in activations {
                for derivative in [false, true] {
                    var results: [[T]] = []
                    for ldc in [m, m + 1] {
                        // Outputs laid out like C (the derivative epilogue reads them with ldc),
                        // the same value at each (row, column) in both layouts.
                        let outputs = (0..<(ldc * n)).map { T(sin(Double($0 % ldc + 7 * ($0 / ldc))) * 0.9) }
                        let c = Self.product(packed: true, m: m, n: n, k: k, a: a, b: b, ldc: ldc, bias: bias,
                                             outputs: outputs, activation: activation, derivative: derivative)
                        results.append((0..<n).flatMap { column in c[(column * ldc)..<(column * ldc + m)] })
                    }
                    #expect(results[0].map { Double($0).bitPattern } == results[1].map { Double($0).bitPattern },
                            "\(T.self) m \(m) n \(n) \(activation) derivative \(derivative)")
                }
            }
        }
    }

    @Test("a product split across threads is bit-identical to the serial one")
    func threadedProducts() {
        var random = NumpyRandom(seed: 11)
        let m = 7, n = 700, k = 1500
        let a = (0..<(m * k)).map { _ in random.gaussian() }
        let b = (0..<(k * n)).map { _ in random.gaussian() }
        func product(threads: Int) -> [Double] {
            var c = [Double](repeating: 0, count: m * n)
            let saved = KernelThreads.count.load(ordering: .relaxed)
            KernelThreads.count.store(threads, ordering: .relaxed)
            defer { KernelThreads.count.store(saved, ordering: .relaxed) }
            let products = Products<Double>(capacity: Products<Double>.panelCapacity(rows: m, columns: n, inner: k, transposeB: false))
            products.multiply(packed: true, transposeA: false, transposeB: false, rows: m, columns: n, inner: k,
                              alpha: 1, a: a, lda: m, b: b, ldb: k, beta: 0, c: &c, ldc: m)
            return c
        }
        #expect(2 * m * n * k >= Products<Double>.parallelThreshold)
        #expect(product(threads: 2) == product(threads: 1))
    }

    func checkRowSums<T: NetScalar>(_: T.Type) {
        var random = NumpyRandom(seed: 17)
        for m in [1, 2, 4, 5, 9, 50] {
            for n in [1, 7, 8, 9, 100, 128, 129, 400, 1000] {
                for lda in Set([m, m + 3]) {
                    let a = (0..<(lda * n)).map { _ in T(random.gaussian()) }
                    var sums = [T](repeating: .nan, count: m)
                    a.withUnsafeBufferPointer { a in
                        sums.withUnsafeMutableBufferPointer { out in
                            T.rowSums(rows: m, columns: n, a: a.baseAddress!, lda: lda, into: out.baseAddress!)
                        }
                    }
                    let expected = (0..<m).map { i in
                        a.withUnsafeBufferPointer { Kernels.pairwiseSum($0.baseAddress! + i, count: n, stride: lda) }
                    }
                    #expect(sums == expected, "m \(m) n \(n) lda \(lda)")
                }
            }
        }
    }

    @Test("row sums are each row's pairwise sum, bit for bit (np.sum's order), in both precisions")
    func rowSums() {
        checkRowSums(Double.self)
        checkRowSums(Float.self)
    }

    @Test("dW = dZ·Aᵀ through transposed tiles equals the definition, bit-identical on 1 and 2 threads")
    func transposedTiles() {
        var random = NumpyRandom(seed: 5)
        for (m, n, k) in [(1, 30, 300), (3, 100, 2000), (7, 53, 700), (24, 61, 1500)] {
            // n columns of C = n rows of B; k = 2000 gives 24-column tiles, so several tiles and a partial one.
            let a = (0..<(m * k)).map { _ in random.gaussian() }
            let b = (0..<(n * k)).map { _ in random.gaussian() }
            let c = (0..<(m * n)).map { _ in random.gaussian() }
            let expected = Self.naive(transposeA: false, transposeB: true, m: m, n: n, k: k, alpha: 0.5,
                                      a: a, b: b, beta: 2, c: c)
            func tiled(threads: Int) -> [Double] {
                let saved = KernelThreads.count.load(ordering: .relaxed)
                KernelThreads.count.store(threads, ordering: .relaxed)
                defer { KernelThreads.count.store(saved, ordering: .relaxed) }
                var result = c
                let products = Products<Double>(capacity: Products<Double>.panelCapacity(
                    rows: m, columns: n, inner: k, transposeB: false))
                let tiles = Buffer<Double>(count: Products<Double>.tileCapacity(inner: k, threads: threads), repeating: 0)
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        result.withUnsafeMutableBufferPointer { c in
                            products.multiplyTransposedTiles(
                                rows: m, columns: n, inner: k, alpha: 0.5, a: a.baseAddress!, lda: m,
                                b: b.baseAddress!, ldb: n, beta: 2, c: c.baseAddress!, ldc: m, tiles: tiles)
                        }
                    }
                }
                return result
            }
            let serial = tiled(threads: 1)
            let error = zip(serial, expected).map { abs($0 - $1) / max(abs($1), 1) }.max() ?? 0
            #expect(error < 1e-13, "m \(m) n \(n) k \(k): \(error)")
            if 2 * m * n * k >= Products<Double>.parallelThreshold {
                #expect(tiled(threads: 2) == serial, "m \(m) n \(n) k \(k)")
            }
        }
        // The cat network's first layer takes this route.
        #expect(LayerRoutes(Double.self, layer: 0, sizes: [12288, 7, 1]).weightGradientTiles)
        #expect(!LayerRoutes(Double.self, layer: 0, sizes: [2, 4, 1]).weightGradientTiles)
    }

    @Test("the kernel path is the one asked for: baseline with NETSWEEP_KERNELS=baseline, else AVX2 + FMA where the CPU has them")
    func kernelPath() {
        let forced = ProcessInfo.processInfo.environment["NETSWEEP_KERNELS"] == "baseline"
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.components(separatedBy: "\n")
            .first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? []
        let avx2 = flags.contains("avx2") && flags.contains("fma")
        #expect(KernelPath.current == (forced || !avx2 ? "baseline" : "avx2"))
    }
}
