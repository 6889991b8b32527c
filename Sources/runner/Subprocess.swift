import Foundation

/// Runs another program (git, sbatch, squeue, scontrol) through `/usr/bin/env`.
enum Subprocess {
    /// The exit status, standard output and standard error; nil when it cannot be started.
    /// Standard error goes to a temporary file, so that neither stream can fill its pipe and
    /// block the program while the other is read.
    static func run(_ arguments: [String]) -> (status: Int32, output: String, errors: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("runner-stderr-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: errorFile.path, contents: nil),
              let errors = try? FileHandle(forWritingTo: errorFile) else { return nil }
        defer { try? FileManager.default.removeItem(at: errorFile) }
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errors.close()
        let errorText = (try? Data(contentsOf: errorFile)).map { String(decoding: $0.prefix(1 << 20), as: UTF8.self) } ?? ""
        return (process.terminationStatus, String(decoding: data, as: UTF8.self), errorText)
    }
}
