import CSignalGate
import Experiments
import Foundation
import Synchronization

/// SIGINT, SIGTERM, SIGHUP and SIGUSR1, handled from the process's first instruction.
///
/// A C constructor sets a handler that passes the signal's number through a pipe; `install()`
/// starts the thread that acts on it: nothing but a `write(2)` runs in signal context. What a signal does
/// depends on the phase:
/// - while preparing (reading the experiment and the data, planning), nothing has been written
///   yet: the process exits at once with 128 + the signal's number;
/// - while a sweep runs, the first signal raises `stop`: no new run starts, runs in progress end
///   at their next iteration (their partial results are discarded, so they stay pending), the
///   reports are written and the process exits 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP) or
///   138 (SIGUSR1: in a Slurm job, the job is requeued first); a second signal exits at once.
enum SignalGate {
    /// Raised by the first signal of a sweep; runs and the scheduler poll it.
    static let stop = StopFlag()

    /// The first signal received (0: none).
    private static let received = Atomic<Int32>(0)
    /// 0 preparing (a signal exits at once), 1 sweeping (a first signal stops the sweep),
    /// 2 exiting: one atomic word, so the signal thread and `beginSweep` cannot both win.
    private static let phase = Atomic<Int>(0)


    /// Starts the thread that acts on the signals. Call first thing in `main`.
    ///
    /// The handlers themselves were installed before `main` by `CSignalGate`'s constructor:
    /// each only writes the signal's number to a pipe (async-signal-safe), which this thread
    /// reads, so a signal that arrives before `main` waits in the pipe. (Blocking the signals and
    /// `sigwait` would not do: OpenBLAS starts its threads before `main`, signals unblocked.)
    static func install() {
        let reader = netsweep_signal_pipe()
        guard reader >= 0 else { return }
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(reader, &byte, 1)
                if count == 1 { take(Int32(byte)) } else if count < 0 && errno != EINTR { return }
            }
        }
        thread.start()
    }

    /// The exit code for the first signal received, if any: 128 + its number.
    static var exitCode: Int32? {
        let signal = received.load(ordering: .sequentiallyConsistent)
        return signal == 0 ? nil : 128 + signal
    }

    /// Whether this process writes the reports when it stops (false for a shard).
    static let writesReports = Atomic<Bool>(true)

    /// The first signal received (0: none).
    static var signal: Int32 { received.load(ordering: .sequentiallyConsistent) }

    /// After a SIGUSR1 inside a Slurm batch job (what `runner slurm` asks Slurm to send shortly
    /// before the time limit): puts the job back in the queue with `scontrol requeue`, so that
    /// it runs again and resumes. Returns whether it did.
    static func requeueSlurmJobIfAsked() -> Bool {
        guard signal == SIGUSR1 else { return false }
        let environment = ProcessInfo.processInfo.environment
        let job = environment["SLURM_ARRAY_JOB_ID"].flatMap { array in environment["SLURM_ARRAY_TASK_ID"].map { "\(array)_\($0)" } }
            ?? environment["SLURM_JOB_ID"]
        guard let job else { return false }
        // Slurm ends the job with SIGTERM as it requeues it: everything is written by now, so
        // that signal only ends the process, quietly, with the first signal's code.
        requeueing.store(true, ordering: .sequentiallyConsistent)
        writeError("runner: requeueing Slurm job \(job): it runs again and resumes the runs left pending\n")
        guard let (status, _, _) = Subprocess.run(["scontrol", "requeue", job]), status == 0 else {
            requeueing.store(false, ordering: .sequentiallyConsistent)
            writeError("runner: could not requeue Slurm job \(job) (scontrol requeue failed); re-submit to finish its runs\n")
            return false
        }
        return true
    }

    /// Set while the job requeues itself.
    private static let requeueing = Atomic<Bool>(false)

    /// Marks the start of the phase whose results a first signal waits for.
    static func beginSweep() {
        let (started, _) = phase.compareExchange(expected: 0, desired: 1, ordering: .sequentiallyConsistent)
        // Lost the race to a signal: the signal thread is exiting the process; write nothing.
        if !started { while true { pause() } }
    }

    /// When the first signal arrived (monotonic nanoseconds).
    private static let firstArrival = Atomic<UInt64>(0)

    private static func take(_ signal: Int32) {
        let now = DispatchTime.now().uptimeNanoseconds
        let (exchanged, _) = received.compareExchange(expected: 0, desired: signal, ordering: .sequentiallyConsistent)
        if exchanged {
            firstArrival.store(now, ordering: .sequentiallyConsistent)
        } else if received.load(ordering: .sequentiallyConsistent) == signal,
                  now &- firstArrival.load(ordering: .sequentiallyConsistent) < 100_000_000 {
            // The same signal again within 0.1 s is one signal delivered twice (`timeout` signals
            // the runner and then its process group), not a person asking twice.
            return
        }
        let name = signal == SIGINT ? "interrupt" : signal == SIGTERM ? "SIGTERM" : signal == SIGUSR1 ? "SIGUSR1" : "SIGHUP"
        let (exitsNow, _) = phase.compareExchange(expected: 0, desired: 2, ordering: .sequentiallyConsistent)
        if !exchanged, requeueing.load(ordering: .sequentiallyConsistent) {
            _exit(128 + received.load(ordering: .sequentiallyConsistent))
        }
        guard exchanged, !exitsNow else {
            // A second signal, or a first one before anything was written: exit now.
            let code = 128 + (exchanged ? signal : received.load(ordering: .sequentiallyConsistent))
            writeError("\n\(name)" + (exchanged ? "" : " (a second signal)") + ": exiting now with exit code \(code)\n")
            _exit(code)
        }
        stop.raise()
        writeError("\n\(name): stopping the runs in progress at their next iteration (they stay pending), "
                   + (writesReports.load(ordering: .sequentiallyConsistent) ? "then writing the reports" : "keeping the finished runs' records")
                   + "; a second signal exits at once\n")
    }

    /// write(2) to standard error: no buffering, safe from any thread.
    private static func writeError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = Foundation.write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
    }
}
