import Dispatch
import Synchronization

/// A flag the runner raises (on the first Ctrl-C) to stop starting new runs.
public final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    public init() {}

    public func raise() { raised.store(true, ordering: .sequentiallyConsistent) }
    public var isRaised: Bool { raised.load(ordering: .sequentiallyConsistent) }
}

/// Runs independent work items over `jobs` workers with `DispatchQueue.concurrentPerform`.
///
/// Workers take the next item index from a shared atomic counter, so items start in index
/// order; results land in index slots, so output order never depends on timing. Once `stop`
/// is raised no new item starts; items already running finish.
public struct Scheduler: Sendable {
    public var jobs: Int

    public init(jobs: Int) {
        self.jobs = max(1, jobs)
    }

    /// Runs `work(i)` for i in 0..<count and returns the results by index (nil: not started).
    public func run<Result: Sendable>(
        count: Int, stop: StopFlag, work: @Sendable (Int) -> Result
    ) -> [Result?] {
        let next = Atomic<Int>(0)
        let results = Mutex<[Result?]>(Array(repeating: nil, count: count))
        let workers = min(jobs, max(count, 1))
        withoutActuallyEscaping(work) { work in
            // concurrentPerform needs a Sendable closure; these captures are Sendable or
            // synchronised (Atomic, Mutex).
            let body: @Sendable (Int) -> Void = { [work] _ in
                while !stop.isRaised {
                    let index = next.add(1, ordering: .relaxed).oldValue
                    guard index < count else { return }
                    let result = work(index)
                    results.withLock { $0[index] = result }
                }
            }
            DispatchQueue.concurrentPerform(iterations: workers, execute: body)
        }
        return results.withLock { $0 }
    }
}

extension Scheduler {
    /// `transform(i)` for i in 0..<count over the workers, the results in index order. When
    /// items fail, the error of the lowest failing index is thrown: the one a serial loop would
    /// have stopped at, whatever the timing (later items may still have run).
    public func map<Value: Sendable>(count: Int, _ transform: @Sendable (Int) throws -> Value) throws -> [Value] {
        guard count > 0 else { return [] }
        let results = withoutActuallyEscaping(transform) { transform in
            run(count: count, stop: StopFlag()) { [transform] index in
                Result<Value, any Error> { try transform(index) }
            }
        }
        return try results.map { result in
            // Every slot is filled: the stop flag is never raised.
            guard let result else { preconditionFailure("an item of a map was not run") }
            return try result.get()
        }
    }
}
