import ArgumentParser
import Datasets
import Experiments
import Foundation
import NeuralNet

/// The entry point: signals are taken in hand before anything else runs.
@main
enum Entry {
    static func main() {
        SignalGate.install()
        Runner.main()
    }
}

/// `runner`: batch experiments for fully connected networks, from a YAML file.
struct Runner: ParsableCommand {
    static let version = "0.3.1"

    static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Run neural-network experiments (sweeps of fully connected networks) from a YAML file.",
        discussion: """
            Exit codes: 0 all runs finished (and every expectation passed); 1 some run failed or diverged (still reported), or an expectation failed; 3 a data file is missing (only with --skip-missing-data); 4 merge: some runs have no record yet; 64 bad input or usage; 69 slurm: sbatch is missing or refused the job; 74 a file could not be read or written (disk full, read-only folder, name too long); 75 the results folder is in use by another runner with a different plan; 130 interrupted (SIGINT), 143 stopped by SIGTERM, 129 by SIGHUP, 138 by SIGUSR1 (the Slurm time-limit warning; inside a Slurm job the job is requeued).

            Examples:
              runner experiments/quickstart.yaml
              runner experiments/quickstart.yaml --jobs 2 --set training.iterations=500
              runner plan experiments/lr_depth_width.yaml
              runner report results/quickstart
              runner check results/quickstart
              runner slurm experiments/lr_depth_width.yaml --tasks 4 --dry-run
            """,
        version: version,
        subcommands: [Run.self, Plan.self, Report.self, Check.self, Compare.self, GradCheck.self, Predict.self, Slurm.self, Merge.self, Status.self, Graph.self],
        defaultSubcommand: Run.self)
}

/// Exit codes a CI job can trust.
enum Exit {
    static let runsFailed = ExitCode(1)
    static let badInput = ExitCode(64)
    /// A file of the results could not be written (or read): EX_IOERR.
    static let fileSystem = ExitCode(74)
    /// Another runner uses the results folder for a different plan: EX_TEMPFAIL.
    static let folderInUse = ExitCode(75)
    /// Only with --skip-missing-data: a data file is not present.
    static let missingData = ExitCode(3)
    /// `merge`: some runs have no record yet.
    static let incomplete = ExitCode(4)
    /// `slurm`: sbatch is missing or refused the job: EX_UNAVAILABLE.
    static let unavailable = ExitCode(69)
}

extension Exit {
    /// The exit code that names what went wrong.
    static func code(for error: Error) -> ExitCode {
        switch error {
        case is FileSystemError: return fileSystem
        case SweepError.folderInUse: return folderInUse
        case is SweepError, is ReportError, is ResultsError, is PlanError, is PredictionError: return badInput
        default: return ExitCode.failure
        }
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    // The throwing write: the old one traps on a closed or full standard error.
    try? FileHandle.standardError.write(contentsOf: Data((message + "\n").utf8))
}

extension EngineBuild {
    /// This executable: its version, the commit of the checkout it was built in (when it sits
    /// in one, as `.build/release/runner` does) and a hash of its own bytes.
    static func current() -> EngineBuild {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return EngineBuild(version: Runner.version, gitCommit: GitCommit.of(directory: executable.deletingLastPathComponent()),
                           executable: executableHash(executable), kernels: KernelPath.current)
    }

    private static func executableHash(_ url: URL) -> String? {
        guard let data = try? FileSystem.read(url) else { return nil }
        var hasher = ContentHasher()
        data.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.hexDigest
    }
}

/// The commit of the git checkout holding a folder.
enum GitCommit {
    static func of(directory: URL) -> String? {
        guard let (status, output, _) = Subprocess.run(["git", "-C", directory.path, "rev-parse", "--short=12", "HEAD"]),
              status == 0 else { return nil }
        let commit = output.trimmingCharacters(in: .whitespacesAndNewlines)
        return commit.isEmpty ? nil : commit
    }
}
