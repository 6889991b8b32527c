import Foundation

/// A process's exclusive hold on one run while it trains it: `runs/<id>/claim`, locked with
/// `flock(2)` and holding the owner's pid, host and start time.
///
/// Several `runner` processes on one results folder (two shells, array tasks of a cluster job)
/// share out the pending runs: a run is trained by whichever process takes its claim first;
/// the others skip it. The kernel releases the lock when its process dies (even by `kill -9`),
/// so a claim left by a dead process is taken over by the next one without any clean-up.
/// On a shared file system the lock needs working `flock` (NFSv4 and Lustre provide it).
public final class RunClaim {
    /// Who holds a claim, as written in the claim file.
    public struct Owner: Sendable, Equatable, CustomStringConvertible {
        public var pid: Int32
        public var host: String
        public var started: String

        public var description: String { "pid \(pid) on \(host) since \(started)" }

        /// Parses "pid=… host=… started=…".
        init?(_ text: String) {
            var fields: [Substring: Substring] = [:]
            for part in text.split(whereSeparator: \.isWhitespace) {
                guard let equals = part.firstIndex(of: "=") else { continue }
                fields[part[..<equals]] = part[part.index(after: equals)...]
            }
            guard let pid = fields["pid"].flatMap({ Int32($0) }), let host = fields["host"] else { return nil }
            self.pid = pid
            self.host = String(host)
            started = fields["started"].map(String.init) ?? "?"
        }
    }

    private let descriptor: Int32
    private let url: URL

    private init(descriptor: Int32, url: URL) {
        self.descriptor = descriptor
        self.url = url
    }

    deinit { release() }

    /// Takes the claim at `url`, or returns nil when a live process holds it.
    /// - Throws: `FileSystemError` when the claim file cannot be created or locked.
    public static func acquire(_ url: URL) throws(FileSystemError) -> RunClaim? {
        try FileSystem.createDirectories(url.deletingLastPathComponent())
        // Something that is not a claim file of its own (a link, which would be followed and
        // written through; a hard link to another file; a FIFO or folder) is set aside first.
        var info = stat()
        if lstat(url.path, &info) == 0, info.st_mode & S_IFMT != S_IFREG || info.st_nlink > 1 {
            FileSystem.setAside(url)
        }
        let descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        guard descriptor >= 0 else { throw FileSystemError(operation: "create the run claim", path: url.path, code: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { return nil }
            throw FileSystemError(operation: "lock the run claim", path: url.path, code: code)
        }
        let owner = "pid=\(getpid()) host=\(FileSystem.hostName) started=\(FileSystem.timestamp())\n"
        let written = owner.utf8CString.withUnsafeBufferPointer { buffer in
            ftruncate(descriptor, 0) == 0 ? pwrite(descriptor, buffer.baseAddress, buffer.count - 1, 0) : -1
        }
        guard written == owner.utf8.count else {
            let code = errno
            close(descriptor)
            throw FileSystemError(operation: "write the run claim", path: url.path, code: code)
        }
        return RunClaim(descriptor: descriptor, url: url)
    }

    /// The owner written in a claim file, when a live process holds it (nil: free or stale).
    /// Who trains run `id` of `layout` now, and where: at its full budget (rung nil) or in one
    /// of successive halving's rungs (`rungs/<iterations>/runs/<id>/claim`, the latest first).
    public static func holder(of id: String, in layout: ResultsLayout, rungs: [Int]) -> (owner: Owner, rung: Int?)? {
        if let owner = holder(layout.claim(id)) { return (owner, nil) }
        for budget in rungs.sorted(by: >) {
            if let owner = holder(layout.rung(budget).claim(id)) { return (owner, budget) }
        }
        return nil
    }

    public static func holder(_ url: URL) -> Owner? {
        // Non-blocking: a FIFO put where the claim should be must not stop `status` for good.
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & mode_t(S_IFMT)) == mode_t(S_IFREG) else { return nil }
        // A shared lock succeeds only when nobody holds the exclusive one.
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return nil
        }
        // A claim is one short line: a larger file is not read whole.
        let text = (try? FileSystem.read(url, limit: 4096)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return Owner(text) ?? Owner("pid=0 host=unknown")
    }

    private var isReleased = false

    /// Removes the claim file and drops the lock (also done when the claim is freed).
    public func release() {
        guard !isReleased else { return }
        isReleased = true
        unlink(url.path)
        close(descriptor)
    }

}

/// An `flock(2)` on a file, released when the value is freed (or the process dies).
public final class FileLock {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// Locks `url` (created if missing), shared or exclusive; without `wait`, nil when another
    /// process holds a conflicting lock.
    public static func acquire(_ url: URL, exclusive: Bool, wait: Bool = true) throws(FileSystemError) -> FileLock? {
        let descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileSystemError(operation: "create the lock", path: url.path, code: errno) }
        var operation = exclusive ? LOCK_EX : LOCK_SH
        if !wait { operation |= LOCK_NB }
        while flock(descriptor, operation) != 0 {
            let code = errno
            if code == EINTR { continue }
            close(descriptor)
            if code == EWOULDBLOCK { return nil }
            throw FileSystemError(operation: "lock", path: url.path, code: code)
        }
        return FileLock(descriptor: descriptor)
    }
}
