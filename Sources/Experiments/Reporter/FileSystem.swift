import Foundation

/// A failed file operation: which file, what was being done, and the system's reason.
///
/// Every disk access of the results store goes through `FileSystem`, so that a full disk, a
/// read-only folder or a name that is too long is reported as
/// `cannot write results/x/summary.csv: No space left on device` — never a crash.
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    /// "create the folder", "write", "read", "rename into place", …
    public var operation: String
    public var path: String
    /// `strerror(errno)`, e.g. "No space left on device".
    public var reason: String
    /// The POSIX error number (0 when the failure is not a system call's).
    public var code: Int32

    public init(operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
        reason = String(cString: strerror(code))
    }

    public init(operation: String, path: String, reason: String) {
        self.operation = operation
        self.path = path
        self.code = 0
        self.reason = reason
    }

    public var description: String { "cannot \(operation) \(path): \(reason)" }
}

/// POSIX file operations with errors that name the file, the operation and the reason.
public enum FileSystem {
    /// Creates `url` and its missing parents (as `mkdir -p`).
    public static func createDirectories(_ url: URL) throws(FileSystemError) {
        // The common case first, without normalising the URL (costly in Foundation): a folder
        // that is already there.
        var info = stat()
        if stat(url.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { return }
        let path = url.standardizedFileURL.path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw FileSystemError(operation: "create the folder", path: path, code: ENOTDIR)
            }
            return
        }
        let parent = url.standardizedFileURL.deletingLastPathComponent()
        if parent.path != path { try createDirectories(parent) }
        if mkdir(path, 0o755) != 0, errno != EEXIST {
            throw FileSystemError(operation: "create the folder", path: path, code: errno)
        }
    }

    /// Reads the whole file at `url`, refusing one larger than `limit` bytes (a results file
    /// linked to /dev/zero must be an error, not an allocation) and anything but a regular file
    /// (a FIFO would block).
    public static func read(_ url: URL, limit: Int = Int.max) throws(FileSystemError) -> Data {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw FileSystemError(operation: "read", path: url.path, code: errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & mode_t(S_IFMT)) == mode_t(S_IFREG) else {
            throw FileSystemError(operation: "read", path: url.path, reason: "not a regular file")
        }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(operation: "read", path: url.path, code: errno)
            }
            if count == 0 { return data }
            data.append(contentsOf: buffer[..<count])
            if data.count > limit {
                throw FileSystemError(operation: "read", path: url.path, reason: "larger than \(limit) bytes")
            }
        }
    }

    /// Whether a file (or folder) exists at `url`.
    public static func exists(_ url: URL) -> Bool {
        access(url.path, F_OK) == 0
    }

    /// Whether there is definitely nothing at `url` (ENOENT). A dangling or looping link, a file
    /// where a folder should be (ENOTDIR) or a folder that cannot be searched (EACCES) is not
    /// absent: reading it then fails with the reason instead of being taken for "not run".
    public static func isAbsent(_ url: URL) -> Bool {
        var info = stat()
        if lstat(url.path, &info) == 0 { return false }
        return errno == ENOENT
    }

    /// A temporary name beside `url` that no other process or thread uses:
    /// `.<name>.tmp-<host>-<pid>-<random>`. The host and pid let a later process tell a
    /// temporary file left by a killed one (`removeStaleTemporaries`) from one being written.
    public static func temporaryName(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(hostName)-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))")
    }

    /// Moves what is at `url` out of the way when it is not what a run writes there — a regular
    /// file (a link to one is fine: the rename into place replaces the link), or with `folder`
    /// a folder of its own (not a link: a run folder linked to another run's would overwrite
    /// that run) — so that the run's files can be written: renamed beside it to
    /// `<name>.damaged-<pid>-<random>`. Nothing is deleted.
    /// - Returns: the new name, or nil when nothing had to move (or it could not be moved: the
    ///   write that follows then fails with the reason).
    @discardableResult
    public static func setAsideUnless(_ url: URL, folder: Bool) -> URL? {
        var info = stat()
        guard lstat(url.path, &info) == 0 else { return nil }
        if folder, info.st_mode & S_IFMT == S_IFDIR { return nil }
        if !folder, stat(url.path, &info) == 0, info.st_mode & S_IFMT == S_IFREG { return nil }
        return setAside(url)
    }

    /// Renames what is at `url` to `<name>.damaged-<pid>-<random>` beside it (nil: it could not).
    @discardableResult
    public static func setAside(_ url: URL) -> URL? {
        let aside = url.deletingLastPathComponent().appendingPathComponent(
            "\(url.lastPathComponent).damaged-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))")
        return rename(url.path, aside.path) == 0 ? aside : nil
    }

    /// Removes the temporary files in `directory` left by processes of this host that have
    /// ended (a `kill -9` or a power cut between creating one and renaming it). Files of live
    /// processes, of this process and of other hosts are kept: their owners may still rename them.
    /// - Returns: the names removed.
    @discardableResult
    public static func removeStaleTemporaries(in directory: URL) -> [String] {
        // Never through a symbolic link: what it points to is not the results folder's.
        var info = stat()
        guard lstat(directory.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return [] }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(".") {
            guard let owner = temporaryOwner(name), owner.host == hostName, owner.pid != getpid(),
                  kill(owner.pid, 0) != 0, errno == ESRCH else { continue }
            if unlink(directory.appendingPathComponent(name).path) == 0 { removed.append(name) }
        }
        return removed.sorted()
    }

    /// The host and pid in a temporary name made by `temporaryName` (nil for any other name).
    static func temporaryOwner(_ name: String) -> (host: String, pid: Int32)? {
        guard let marker = name.range(of: ".tmp-", options: .backwards) else { return nil }
        let fields = name[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
        // The host may itself contain dashes; the pid and the random part do not.
        guard fields.count >= 3, let pid = Int32(fields[fields.count - 2]), pid > 0 else { return nil }
        return (fields.dropLast(2).joined(separator: "-"), pid)
    }

    /// The current time in UTC as ISO 8601 to the second (`2026-12-03T09:54:41Z`, what
    /// `ISO8601DateFormatter` writes), from the C library: a run's claim is stamped with it, and
    /// a new `ISO8601DateFormatter` costs about 0.6 M instructions (an ICU date format).
    public static func timestamp(_ seconds: time_t = time(nil)) -> String {
        var now = seconds
        var parts = tm()
        guard gmtime_r(&now, &parts) != nil else { return "unknown" }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// This machine's name, as `hostname` prints it.
    public static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        // Only characters that are safe in a file name ('/' would make a temporary name a path).
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") ? $0 : "_" }
        return name.isEmpty || name.allSatisfy({ $0 == "." }) ? "unknown" : String(name)
    }()
}

/// A file written sequentially to a temporary name and renamed over its destination when
/// finished, so that readers (and a killed process) never see half of it.
public final class AtomicWriter {
    public let destination: URL
    private let temporary: URL
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    /// With `checksummed`, the CRC-32 (zlib's) of every byte written so far: a record names its
    /// params.npz by it. Other files are not summed.
    public private(set) var checksum: UInt32 = 0
    private let checksummed: Bool

    private func add(_ bytes: UnsafeRawBufferPointer) {
        if checksummed { checksum = NpzWriter.crc(bytes, startingWith: checksum) }
    }

    /// Creates the temporary file (and the destination's folder).
    public init(_ destination: URL, checksummed: Bool = false) throws(FileSystemError) {
        self.destination = destination
        self.checksummed = checksummed
        try FileSystem.createDirectories(destination.deletingLastPathComponent())
        temporary = FileSystem.temporaryName(for: destination)
        descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileSystemError(operation: "write", path: destination.path, code: errno) }
        buffer.reserveCapacity(1 << 16)
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporary.path)
        }
    }

    /// Appends `text`, writing to disk in 64 KiB blocks.
    public func write(_ text: String) throws(FileSystemError) {
        var text = text
        text.withUTF8 { add(UnsafeRawBufferPointer($0)) }
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Appends `bytes`.
    public func write(_ bytes: Data) throws(FileSystemError) {
        bytes.withUnsafeBytes { add($0) }
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 16 { try flush() }
    }

    /// Appends `bytes`; a large block goes to disk directly, without being copied.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) {
        add(bytes)
        guard bytes.count >= 1 << 16 else {
            buffer.append(contentsOf: bytes)
            if buffer.count >= 1 << 16 { try flush() }
            return
        }
        try flush()
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Foundation.write(descriptor, base + offset, min(bytes.count - offset, 1 << 30))
            if written < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(operation: "write", path: destination.path, code: errno)
            }
            offset += written
        }
    }

    private func flush() throws(FileSystemError) {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return 0 }
                return Foundation.write(descriptor, base + offset, bytes.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(operation: "write", path: destination.path, code: errno)
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered, closes the file and renames it over the destination.
    public func commit() throws(FileSystemError) {
        try flush()
        let result = close(descriptor)
        descriptor = -1
        guard result == 0 else {
            let code = errno
            unlink(temporary.path)
            throw FileSystemError(operation: "write", path: destination.path, code: code)
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let code = errno
            unlink(temporary.path)
            throw FileSystemError(operation: "rename into place", path: destination.path, code: code)
        }
    }

    /// Closes and removes the temporary file: the destination is left as it was.
    public func discard() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
        unlink(temporary.path)
    }
}
