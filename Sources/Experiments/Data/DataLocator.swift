import Datasets
import Foundation

/// Where data files are looked for, in order: `--data-dir`, `$NETSWEEP_DATA`, `./data`,
/// `../shared/datasets` beside the checkout, `/usr/share/datasets`. The runner builds the list;
/// the library reads no environment.
public struct DataLocator: Sendable {
    public var directories: [String]

    public init(directories: [String]) {
        self.directories = directories
    }

    /// The standard search order for a checkout at `checkout` (the current directory).
    public static func standard(dataDirectory: String?, environment: String?, checkout: String) -> DataLocator {
        let checkoutURL = URL(fileURLWithPath: checkout)
        var directories: [String] = []
        if let dataDirectory { directories.append(dataDirectory) }
        if let environment, !environment.isEmpty { directories.append(environment) }
        directories.append(checkoutURL.appendingPathComponent("data").path)
        directories.append(checkoutURL.deletingLastPathComponent().appendingPathComponent("shared/datasets").path)
        directories.append("/usr/share/datasets")
        return DataLocator(directories: directories)
    }

    /// The first existing `directory/name`; an absolute `name` is used as is.
    /// - Throws: `DatasetError.missing` naming every place looked in and what the file is.
    /// - Throws: `DatasetError.corrupt` when what is found is not a regular file (a folder, a
    ///   FIFO that would block the read, a device).
    public func locate(_ name: String, what: String) throws -> String {
        if name.hasPrefix("/") {
            if FileManager.default.fileExists(atPath: name) { return try Self.regular(name) }
            throw DatasetError.missing(file: name, what: what, searched: [name])
        }
        for directory in directories {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: candidate) { return try Self.regular(candidate) }
        }
        throw DatasetError.missing(file: name, what: what, searched: directories)
    }

    private static func regular(_ path: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw DatasetError.corrupt(file: path, problem: String(cString: strerror(errno)))
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            let what = kind == S_IFDIR ? "a folder" : kind == S_IFIFO ? "a named pipe" : kind == S_IFSOCK ? "a socket" : "a device"
            throw DatasetError.corrupt(file: path, problem: "\(what), not a regular file")
        }
        return path
    }
}
