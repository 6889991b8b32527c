import ArgumentParser
import Experiments
import Foundation

/// `runner slurm EXPERIMENT.yaml`: the sweep as a Slurm job array plus a merge job.
struct Slurm: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit an experiment's sweep to Slurm: one array task per shard, then a merge job.",
        discussion: """
            Writes <out>/<name>/plan.json and <out>/<name>/slurm/ (array.sbatch, merge.sbatch, submit.sh with the exact sbatch command lines, logs/), submits the array (--array=…%parallel, only the shards that still have runs without a record) and a merge job that runs after it whatever its tasks' outcome (--dependency=afterany), prints both job ids and returns. Each task runs 'runner EXPERIMENT --shard I/N' (--jobs from SLURM_CPUS_PER_TASK); Slurm sends SIGUSR1 --signal-seconds before the time limit: the task stops its runs cleanly, keeps what finished and requeues itself (scontrol requeue), so it runs again and resumes. SIGTERM (scancel, preemption) stops it cleanly too. Re-submitting the same experiment runs only what is missing. An experiment's slurm: section gives defaults for these options; the flags win.

            Exit codes: 0 submitted (with --wait: the merge's exit code); 64 bad input; 69 sbatch is missing or refused the job; 74 a file could not be written; 75 the results folder is in use by another plan, or with --wait: the merge job ended without an exit code (cancelled) or did not end in time.

            Examples:
              runner slurm experiments/lr_depth_width.yaml --tasks 4 --dry-run
              runner slurm experiments/lr_depth_width.yaml --tasks 8 --time 00:30:00
              runner slurm experiments/fashion_mlp.yaml --partition cpu --mem 4G --wait
            """)

    @OptionGroup var options: ExperimentOptions

    @Option(help: "Array tasks, one shard each (default: the slurm: section's, else the runs, at most 16).")
    var tasks: Int?

    @Option(help: "At most this many tasks at once (--array=…%P; default: all).")
    var parallel: Int?

    @Option(help: "Slurm partition.")
    var partition: String?

    @Option(help: "Time limit per task, in Slurm's form (e.g. 01:30:00).")
    var time: String?

    @Option(help: "CPUs per task; each task runs that many runs at once (default 1).")
    var cpusPerTask: Int?

    @Option(help: "Memory per task, in Slurm's form (e.g. 4G).")
    var mem: String?

    @Option(help: "Slurm account to charge.")
    var account: String?

    @Option(name: .customLong("sbatch-arg"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("Another sbatch option, as written, e.g. --sbatch-arg --qos=low (repeatable).", valueName: "option"))
    var sbatchArgs: [String] = []

    @Option(help: "Shell lines run before the runner in every job, e.g. 'module load openblas'.")
    var setup: String?

    @Option(help: "Seconds before the time limit at which Slurm sends SIGUSR1 (stop, then requeue; default 60).")
    var signalSeconds: Int?

    @Flag(help: "Write the scripts and print the sbatch command lines without submitting.")
    var dryRun = false

    @Flag(help: "Follow the jobs until the merge ends, and exit with its exit code.")
    var wait = false

    @Option(help: "With --wait: give up after this many seconds (exit 75).")
    var waitTimeout: Double = 86_400

    @Flag(help: "Let tasks add records of another engine build to the folder's.")
    var allowMixed = false

    func validate() throws {
        if let tasks, !(1...Shard.maximumCount).contains(tasks) {
            throw ValidationError("--tasks must be in 1...\(Shard.maximumCount); found \(tasks)")
        }
        for (name, value) in [("--parallel", parallel), ("--cpus-per-task", cpusPerTask)] {
            if let value, value < 1 { throw ValidationError("\(name) must be at least 1; found \(value)") }
        }
        if let signalSeconds, !(0...65535).contains(signalSeconds) {
            throw ValidationError("--signal-seconds must be in 0...65535; found \(signalSeconds)")
        }
        for (name, value) in [("--partition", partition), ("--time", time), ("--mem", mem), ("--account", account)] {
            if let value, value.isEmpty || value.contains(where: { $0.isWhitespace || $0.isNewline }) {
                throw ValidationError("\(name) must be one word without spaces; found '\(value)'")
            }
        }
        for argument in sbatchArgs where !argument.hasPrefix("-") || argument.contains(where: \.isNewline) || argument.hasPrefix("--array") {
            throw ValidationError("--sbatch-arg must be one sbatch option on one line, e.g. --qos=low; found '\(argument)'")
        }
        guard waitTimeout > 0, waitTimeout.isFinite else { throw ValidationError("--wait-timeout must be a positive number of seconds") }
        if wait && dryRun { throw ValidationError("--wait follows submitted jobs; a --dry-run submits none") }
    }

    func run() throws {
        let plan = try options.loadPlan()
        let defaults = plan.experiment.slurm
        let cpus = cpusPerTask ?? defaults.cpusPerTask ?? 1
        try options.checkMemory(plan, jobs: cpus)
        let asked = tasks ?? defaults.tasks ?? min(plan.runs.count, 16)
        let taskCount = min(asked, max(plan.runs.count, 1))
        if taskCount < asked { print("\(plan.experiment.name): \(taskCount) tasks, one per run (\(asked) asked; the sweep has \(plan.runs.count) runs)") }
        let layout = plan.layout
        let build = EngineBuild.current()
        let sweepOptions = SweepOptions(jobs: cpus, outputRoot: options.out, build: build, allowMixed: allowMixed)
        let pendingShards: [Int]
        do {
            try SweepRunner(dataSource: DataSource(locator: DataLocator(directories: []))).prepareSubmission(plan, options: sweepOptions)
            let status = try StoreStatus(layout: layout, shards: taskCount)
            pendingShards = Array(Set(status.runs.filter { $0.state == .pending }.compactMap(\.shard))).sorted()
        } catch {
            printError((error is FileSystemError ? "runner" : options.experiment) + ": error: \(error)")
            throw Exit.code(for: error)
        }
        let scripts = SlurmScripts(
            name: plan.experiment.name, directory: layout.directory.standardizedFileURL.path,
            runner: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path,
            workingDirectory: FileManager.default.currentDirectoryPath,
            taskArguments: taskArguments(), shards: taskCount, arrayIndices: pendingShards,
            parallel: parallel ?? defaults.parallel, partition: partition ?? defaults.partition, time: time ?? defaults.time,
            cpusPerTask: cpus, mem: mem ?? defaults.mem, account: account ?? defaults.account,
            extraArguments: (defaults.sbatchArgs ?? []) + sbatchArgs, setup: setup ?? defaults.setup,
            signalSeconds: signalSeconds ?? defaults.signalSeconds ?? 60)
        if pendingShards.isEmpty {
            // The folder's scripts and submission stay those of the sweep that ran.
            let claimed = (try? StoreStatus(layout: layout))?.counts()[.claimed] ?? 0
            print("\(plan.experiment.name): every run has a record" + (claimed > 0 ? " or is in flight (\(claimed) runs)" : "")
                  + "; nothing to submit (the reports: runner merge \(layout.directory.path))")
            return
        }
        let submission: Submission
        do {
            try scripts.write(to: layout.slurmDirectory)
            unlink(layout.slurmDirectory.appendingPathComponent("merge.exit").path)
            submission = try submit(scripts, layout: layout, build: build)
        } catch let error as SlurmClient.Failure {
            printError("runner: error: \(error)")
            throw Exit.unavailable
        } catch {
            printError("runner: error: \(error)")
            throw Exit.code(for: error)
        }
        fflush(nil)   // the job ids reach a redirected stdout even if a signal ends the process
        if wait, !dryRun {
            // From here a signal stops the following, not the jobs.
            SignalGate.beginSweep()
            try follow(submission, layout: layout)
        }
    }

    /// The options every task repeats: the same experiment, overrides, data and limits.
    func taskArguments() -> [String] {
        let current = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        var arguments = ["run", URL(fileURLWithPath: options.experiment, relativeTo: current).standardizedFileURL.path,
                         "--out", URL(fileURLWithPath: options.out, relativeTo: current).standardizedFileURL.path,
                         "--max-runs", String(options.maxRuns), "--quiet"]
        for override in options.overrides { arguments += ["--set", override] }
        if let dataDir = options.dataDir {
            arguments += ["--data-dir", URL(fileURLWithPath: dataDir, relativeTo: current).standardizedFileURL.path]
        }
        if let maxMemory = options.maxMemory { arguments += ["--max-memory", maxMemory] }
        if allowMixed { arguments.append("--allow-mixed") }
        return arguments
    }

    func submit(_ scripts: SlurmScripts, layout: ResultsLayout, build: EngineBuild) throws -> Submission {
        let stamp = FileSystem.timestamp()
        var submission = Submission(shards: scripts.shards, arrayJob: nil, mergeJob: nil, submittedAt: stamp, build: build)
        try AtomicFile.writeJSON(submission, to: layout.submission)
        let slurm = layout.slurmDirectory.path
        print("\(scripts.name): \(scripts.arrayIndices.count) of \(scripts.shards) shards have runs to do; scripts in \(slurm)/")
        if dryRun {
            print("dry run, not submitted; the commands (also in \(slurm)/submit.sh):")
            print("  " + scripts.arrayCommand.map(SlurmScripts.quote).joined(separator: " "))
            print("  " + scripts.mergeCommand(afterArray: "<array job id>").map(SlurmScripts.quote).joined(separator: " "))
            return submission
        }
        let arrayJob = try SlurmClient.sbatch(scripts.arrayCommand)
        submission.arrayJob = arrayJob
        try AtomicFile.writeJSON(submission, to: layout.submission)
        let mergeJob: String
        do {
            mergeJob = try SlurmClient.sbatch(scripts.mergeCommand(afterArray: arrayJob))
        } catch {
            // An array without its merge would report nothing: take it back.
            let cancelled = Subprocess.run(["scancel", arrayJob])?.0 == 0
            throw SlurmClient.Failure(description: "\(error.description); the array job \(arrayJob) "
                                      + (cancelled ? "was cancelled (submit again)" : "could not be cancelled: scancel \(arrayJob)"))
        }
        submission.mergeJob = mergeJob
        try AtomicFile.writeJSON(submission, to: layout.submission)
        print("submitted array job \(arrayJob) (tasks \(scripts.arraySpec)) and merge job \(mergeJob) (after the array ends)")
        print("follow: runner status \(layout.directory.path); logs in \(slurm)/logs/")
        return submission
    }

    /// Waits for the merge job's exit code (written by merge.sbatch), printing the totals now and then.
    func follow(_ submission: Submission, layout: ResultsLayout) throws {
        let exitFile = layout.slurmDirectory.appendingPathComponent("merge.exit")
        let deadline = Date().addingTimeInterval(waitTimeout)
        var lastReport = Date.distantPast
        while Date() < deadline {
            if let code = (try? FileSystem.read(exitFile, limit: 64)).flatMap({
                Int32(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            }) {
                print("merge job \(submission.mergeJob ?? "?") ended with exit code \(code)")
                if let data = try? FileSystem.read(layout.schedule),
                   let halving = try? JSONDecoder().decode(HalvingSummary.self, from: data) {
                    print(halving.description + " (schedule.json)")
                }
                if code != 0 { throw ExitCode(code) }
                return
            }
            if let code = SignalGate.exitCode {
                printError("runner: stopped following; the jobs go on (array \(submission.arrayJob ?? "?"), merge \(submission.mergeJob ?? "?")): "
                           + "runner status \(layout.directory.path)")
                throw ExitCode(code)
            }
            if let job = submission.mergeJob, let state = SlurmClient.state(of: job),
               ["CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED"]
                .contains(where: state.hasPrefix) {
                printError("runner: error: merge job \(job) ended as \(state) without an exit code; see \(layout.slurmDirectory.path)/logs/ "
                           + "(the array's tasks may go on: runner status \(layout.directory.path); runner merge runs the merge by hand)")
                throw Exit.folderInUse
            }
            if Date().timeIntervalSince(lastReport) >= 30, let status = try? StoreStatus(layout: layout) {
                let counts = status.counts()
                print("waiting: \(counts.filter { $0.key.hasRecord }.values.reduce(0, +)) of "
                      + "\(status.runs.count) runs have records, \(counts[.claimed, default: 0]) in flight")
                lastReport = Date()
            }
            usleep(500_000)
        }
        printError("runner: error: the merge job did not end within \(Int(waitTimeout)) s (the jobs go on; runner status \(layout.directory.path))")
        throw Exit.folderInUse
    }
}

/// The batch scripts of a submission.
struct SlurmScripts {
    var name: String
    var directory: String
    var runner: String
    var workingDirectory: String
    var taskArguments: [String]
    var shards: Int
    /// The shards to submit (those with runs to do).
    var arrayIndices: [Int]
    var parallel: Int?
    var partition: String?
    var time: String?
    var cpusPerTask: Int
    var mem: String?
    var account: String?
    var extraArguments: [String]
    var setup: String?
    var signalSeconds: Int

    var slurmDirectory: String { directory + "/slurm" }

    /// `0-3`, or `1,3` when only some shards remain; `%P` appended.
    var arraySpec: String {
        var ranges: [String] = []
        var start = arrayIndices.first ?? 0
        var previous = start
        for index in arrayIndices.dropFirst() + [Int.max] {
            if index == previous + 1 { previous = index; continue }
            ranges.append(start == previous ? "\(start)" : "\(start)-\(previous)")
            start = index
            previous = index
        }
        return ranges.joined(separator: ",") + (parallel.map { "%\($0)" } ?? "")
    }

    /// An option sbatch reads correctly from an `#SBATCH` line: no spaces or quotes (sbatch
    /// splits directives at white space). Others go on the `sbatch` command line instead.
    static func isDirective(_ option: String) -> Bool {
        !option.contains { $0.isWhitespace || $0 == "\"" || $0 == "'" || $0 == "\\" }
    }

    var arrayCommand: [String] {
        ["sbatch", "--parsable"] + arrayOptions.filter { !Self.isDirective($0) } + [slurmDirectory + "/array.sbatch"]
    }

    func mergeCommand(afterArray job: String) -> [String] {
        ["sbatch", "--parsable", "--dependency=afterany:\(job)"] + mergeOptions.filter { !Self.isDirective($0) }
            + [slurmDirectory + "/merge.sbatch"]
    }

    /// Options both jobs share.
    private var common: [String] {
        [partition.map { "--partition=\($0)" }, time.map { "--time=\($0)" }, mem.map { "--mem=\($0)" },
         account.map { "--account=\($0)" }].compactMap { $0 } + extraArguments
    }

    var arrayOptions: [String] {
        ["--job-name=netsweep-\(name)", "--array=\(arraySpec)", "--output=\(slurmDirectory)/logs/task-%A_%a.out",
         "--cpus-per-task=\(cpusPerTask)", "--signal=B:USR1@\(signalSeconds)", "--requeue", "--open-mode=append"] + common
    }

    var mergeOptions: [String] {
        ["--job-name=netsweep-\(name)-merge", "--output=\(slurmDirectory)/logs/merge-%j.out", "--cpus-per-task=1"] + common
    }

    var arrayScript: String {
        let options = arrayOptions
        let command = ([runner] + taskArguments + ["--shard", "${SLURM_ARRAY_TASK_ID}/\(shards)"])
            .map { $0.hasPrefix("${") ? "\"\($0)\"" : Self.quote($0) }.joined(separator: " ")
        return header(options, what: "one task per shard; each runs its shard's runs") + """
            exec \(command)

            """
    }

    /// The tasks' `--data-dir`, for the merge's report (a CSV dataset read again).
    var dataArguments: [String] {
        guard let index = taskArguments.firstIndex(of: "--data-dir"), index + 1 < taskArguments.count else { return [] }
        return Array(taskArguments[index...(index + 1)])
    }

    var mergeScript: String {
        let options = mergeOptions
        let exitFile = Self.quote(slurmDirectory + "/merge.exit")
        return header(options, what: "the reports, once every task has ended (afterany: also when some failed)") + """
            \(([runner, "merge", directory, "--shards", String(shards)] + dataArguments).map(Self.quote).joined(separator: " "))
            status=$?
            echo "$status" > \(exitFile).tmp && mv -f \(exitFile).tmp \(exitFile)
            exit "$status"

            """
    }

    private func header(_ options: [String], what: String) -> String {
        var text = "#!/bin/bash\n# Written by runner slurm for \(name): \(what).\n"
        for option in options {
            text += Self.isDirective(option) ? "#SBATCH \(option)\n" : "# (on the sbatch command line: \(Self.quote(option)))\n"
        }
        text += "set -u\n"
        if let setup, !setup.isEmpty { text += setup + "\n" }
        text += "cd \(Self.quote(workingDirectory))\n"
        return text
    }

    var submitScript: String {
        """
        #!/bin/bash
        # The submission runner slurm made (or would make, with --dry-run): the array, then the merge after it.
        set -eu
        array=$(\(arrayCommand.map(Self.quote).joined(separator: " ")))
        \(mergeCommand(afterArray: "${array%%;*}").map { $0.hasPrefix("--dependency") ? "\"\($0)\"" : Self.quote($0) }.joined(separator: " "))

        """
    }

    func write(to folder: URL) throws {
        try FileSystem.createDirectories(folder.appendingPathComponent("logs"))
        for (file, text) in [("array.sbatch", arrayScript), ("merge.sbatch", mergeScript), ("submit.sh", submitScript)] {
            let url = folder.appendingPathComponent(file)
            try AtomicFile.write(Data(text.utf8), to: url)
            chmod(url.path, 0o755)
        }
    }

    /// A shell word: as is when safe, else single-quoted.
    static func quote(_ word: String) -> String {
        let safe = word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:,+%@".contains($0)) }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// sbatch, squeue and scontrol, run as processes.
enum SlurmClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Submits with `sbatch --parsable`; returns the job id.
    static func sbatch(_ command: [String]) throws(Failure) -> String {
        guard let (status, output, errors) = Subprocess.run(command) else { throw Failure(description: "cannot run sbatch") }
        if status == 127 {
            throw Failure(description: "sbatch not found: run this on a Slurm login node (--dry-run writes the scripts without submitting)")
        }
        guard status == 0 else {
            let said = (errors + "\n" + output).trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(description: "sbatch refused the job (exit \(status))" + (said.isEmpty ? "" : ": " + said))
        }
        // "12345" or "12345;cluster".
        let job = output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        guard !job.isEmpty, job.allSatisfy(\.isNumber) else {
            throw Failure(description: "sbatch printed no job id: '\(output.trimmingCharacters(in: .whitespacesAndNewlines))'")
        }
        return job
    }

    /// The job's state(s) as squeue shows them (an array: one per task group), else scontrol's.
    static func state(of job: String) -> String? {
        if let (status, output, _) = Subprocess.run(["squeue", "-h", "-j", job, "-o", "%i %T"]), status == 0 {
            let lines = output.split(separator: "\n").map { String($0) }
            if !lines.isEmpty { return lines.joined(separator: "; ") }
        }
        if let (status, output, _) = Subprocess.run(["scontrol", "-o", "show", "job", job]), status == 0 {
            let states = output.split(separator: "\n").compactMap { line -> String? in
                guard let range = line.range(of: "JobState=") else { return nil }
                return String(line[range.upperBound...].prefix { !$0.isWhitespace })
            }
            if !states.isEmpty { return Array(Set(states)).sorted().joined(separator: ", ") }
        }
        return nil
    }
}
