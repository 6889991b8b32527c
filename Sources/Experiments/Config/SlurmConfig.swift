/// `slurm:` — defaults for `runner slurm` (its flags win). Not part of any run's configuration,
/// so it never changes run ids.
///
///     slurm: {tasks: 8, parallel: 4, partition: gpu, time: "02:00:00", cpus_per_task: 4,
///             mem: 8G, account: lab, sbatch_args: ["--qos=low"], setup: "module load openblas",
///             signal_seconds: 120}
public struct SlurmConfig: Codable, Sendable, Hashable {
    /// Array tasks (shards).
    public var tasks: Int?
    /// At most this many tasks at once (`--array=…%P`).
    public var parallel: Int?
    public var partition: String?
    /// Slurm's time limit per task ("02:00:00", "90", "1-00:00:00").
    public var time: String?
    public var cpusPerTask: Int?
    public var mem: String?
    public var account: String?
    /// More `#SBATCH` options, as written (`--qos=low`).
    public var sbatchArgs: [String]?
    /// Shell lines run before the runner in every job (`module load …`).
    public var setup: String?
    /// Seconds before the time limit at which Slurm sends SIGUSR1 (`--signal=B:USR1@N`): the
    /// task stops cleanly and requeues itself.
    public var signalSeconds: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case tasks, parallel, partition, time, cpusPerTask = "cpus_per_task", mem, account
        case sbatchArgs = "sbatch_args", setup, signalSeconds = "signal_seconds"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let positive = { (value: Int) in value >= 1 }
        tasks = try container.decodeNumberIfPresent(Int.self, forKey: .tasks, expected: "an integer in 1...\(Shard.maximumCount)") {
            (1...Shard.maximumCount).contains($0)
        }
        parallel = try container.decodeNumberIfPresent(Int.self, forKey: .parallel, expected: "an integer ≥ 1", where: positive)
        cpusPerTask = try container.decodeNumberIfPresent(Int.self, forKey: .cpusPerTask, expected: "an integer ≥ 1", where: positive)
        signalSeconds = try container.decodeNumberIfPresent(Int.self, forKey: .signalSeconds, expected: "an integer in 0...65535") {
            (0...65535).contains($0)
        }
        partition = try container.decodeIfPresent(String.self, forKey: .partition)
        time = try container.decodeIfPresent(String.self, forKey: .time)
        mem = try container.decodeIfPresent(String.self, forKey: .mem)
        account = try container.decodeIfPresent(String.self, forKey: .account)
        sbatchArgs = try container.decodeIfPresent([String].self, forKey: .sbatchArgs)
        setup = try container.decodeIfPresent(String.self, forKey: .setup)
        // One line each: a line break would end the #SBATCH line and run the rest as shell.
        for (key, value) in [(CodingKeys.partition, partition), (.time, time), (.mem, mem), (.account, account)] {
            if let value, value.isEmpty || value.contains(where: { $0.isNewline || $0.isWhitespace }) {
                throw try container.superDecoder(forKey: key).valueError(
                    "'\(key.stringValue)' must be one word without spaces; found '\(value.replacingOccurrences(of: "\n", with: "\\n"))'")
            }
        }
        for argument in sbatchArgs ?? [] where !argument.hasPrefix("-") || argument.contains(where: \.isNewline) {
            throw try container.superDecoder(forKey: .sbatchArgs).valueError(
                "each of 'sbatch_args' must be one sbatch option on one line, e.g. --qos=low; found '\(argument.replacingOccurrences(of: "\n", with: "\\n"))'")
        }
    }
}
