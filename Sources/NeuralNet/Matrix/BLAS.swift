import CBLAS
import Foundation

/// The process's BLAS: its name and thread count.
///
/// OpenBLAS's thread count is process-wide; the scheduler sets it once before a sweep (one
/// thread per run when several runs share the cores, all cores for a single run).
public enum BLAS {
    /// OpenBLAS's build description, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64".
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "OpenBLAS" }
        return String(cString: text).trimmingCharacters(in: .whitespaces)
    }

    /// Threads each BLAS call may use.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// Sets the threads each BLAS call, and each of NetSweep's own product kernels, may use
    /// (at least 1).
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
        KernelThreads.count.store(max(1, count), ordering: .relaxed)
    }

    /// Runs `body` with OpenBLAS on one thread, for products whose rounding must not depend on
    /// the thread count (OpenBLAS splits some shapes' sums differently with more threads). Only
    /// a lone run uses several threads, so nothing else calls OpenBLAS meanwhile.
    static func singleThreaded<R>(_ body: () -> R) -> R {
        let threads = openblas_get_num_threads()
        guard threads > 1 else { return body() }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(threads) }
        return body()
    }
}
