import Datasets
import Foundation
import NeuralNet

/// What became of one run handed to a process.
enum RunOutcome: Sendable {
    /// Trained (finished, diverged or failed) and its record written.
    case recorded(RunRecord)
    /// Another live process holds the run's claim: it is that process's to do.
    case claimedElsewhere
    /// Another process finished it between planning and claiming.
    case doneElsewhere(RunRecord)
    /// Stopped by a signal before it ended: its partial results were discarded, it stays pending.
    case stopped
}

/// Trains one run and writes its outputs under `runs/<id>/`: the cost curve (streamed while
/// training), the parameters (`params.npz`), and last, atomically, `record.json`. The run's
/// claim is held throughout, so no other process trains it at the same time.
struct RunExecutor: Sendable {
    var layout: ResultsLayout
    var force: Bool
    var build: EngineBuild?
    var stop: StopFlag
    /// Train to this many iterations instead of the configured length (a successive-halving
    /// rung); the record keeps the run's configuration, so its id.
    var budget: Int? = nil
    /// Write the run's `TrainingState` as `state.npz` beside its parameters when it finishes
    /// (a rung's runs, which a promotion continues).
    var savesState = false
    /// A run promoted from this rung goes on from its saved state there (when it can: see
    /// `resumableState`) instead of training again from the start.
    var continuesFrom: ResultsLayout? = nil

    /// - Throws: `FileSystemError` when the run's files cannot be written: the record is not
    ///   written, so the run stays pending for a re-run.
    func execute(_ run: ResolvedRun, data: PreparedData) throws(FileSystemError) -> RunOutcome {
        // A file, FIFO or dangling link where the run's folder should be is set aside (renamed,
        // not deleted), so that the run can be trained again.
        FileSystem.setAsideUnless(layout.runDirectory(run.id), folder: true)
        guard let claim = try RunClaim.acquire(layout.claim(run.id)) else { return .claimedElsewhere }
        defer {
            claim.release()
            // A run stopped before writing anything leaves no empty folder (rmdir fails otherwise).
            rmdir(layout.runDirectory(run.id).path)
        }
        // A pruned record (a rung's results) is never a finished run: a run handed over is trained.
        if !force, let existing = try? layout.readRecord(run.id), existing.status != .failed, existing.status != .pruned,
           layout.hasIntactParameters(existing, layerSizes: run.architecture.layerSizes),
           (try? layout.readCurve(for: existing)) != nil {
            return .doneElsewhere(existing)
        }
        // Holding the claim, nothing else writes in the run's folder: clear what a killed process
        // left, and set aside what is not a file where the run writes one (a folder named
        // record.json would make every rename into place fail).
        FileSystem.removeStaleTemporaries(in: layout.runDirectory(run.id))
        for url in [layout.record(run.id), layout.curve(run.id), layout.parameters(run.id), layout.trainingState(run.id)] {
            FileSystem.setAsideUnless(url, folder: false)
        }
        let start = DispatchTime.now()
        var priorSeconds = 0.0
        var record = RunRecord(
            id: run.id, index: run.planned.index, configurationIndex: run.planned.configurationIndex,
            sweptValues: run.planned.sweptValues, status: .failed, divergedAt: nil, error: nil, iterations: 0,
            finalCost: nil, trainAccuracy: nil, testAccuracy: nil, wallSeconds: 0,
            flops: run.flops(exampleCount: data.trainExamples), config: run.planned.config, build: build,
            engine: run.engineDescription)
        do {
            // `SweepRunner.plan` prepares every precision its runs use.
            let trained: Bool
            switch (run.planned.config.precision, data.singlePrecision) {
            case (.float64, _) where data.hasDoubleFeatures:
                trained = try train(run, inputs: data.splits.train.features, test: data.splits.test?.features,
                                    data: data, record: &record, priorSeconds: &priorSeconds)
            case (.float32, let single?):
                trained = try train(run, inputs: single.train, test: single.test, data: data, record: &record,
                                    priorSeconds: &priorSeconds)
            case (let precision, _):
                throw PlanError(run: run.planned, message: "the data were not prepared in \(precision)")
            }
            if !trained { return .stopped }
        } catch let error as FileSystemError {
            throw error
        } catch {
            record.status = .failed
            record.error = "\(error)"
        }
        // A continued run's time includes its rung's.
        record.wallSeconds = priorSeconds + Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json: Data
        do {
            json = try encoder.encode(record)
        } catch {
            throw FileSystemError(operation: "encode the record of run \(run.id) for", path: layout.record(run.id).path,
                                  reason: "\(error)")
        }
        try AtomicFile.write(json, to: layout.record(run.id))
        return .recorded(record)
    }

    /// Trains and writes the curve and parameters; false when stopped (nothing is kept).
    private func train<T: NetScalar>(_ run: ResolvedRun, inputs: Matrix<T>, test: Matrix<T>?, data: PreparedData,
                                     record: inout RunRecord, priorSeconds: inout Double) throws -> Bool {
        let config = run.planned.config
        var random = NumpyRandom(seed: config.seed)
        var network = Network<T>(architecture: run.architecture, initializer: config.model.initializer,
                                 seed: config.model.initSeed ?? config.seed,
                                 drawOrder: config.model.initOrder ?? .outIn, random: &random)
        let validation = data.splits.validation
        let curve = try CurveStream(url: layout.curve(run.id), validation: validation != nil)
        let stop = self.stop
        var plan = config.training.plan
        plan.firstLayer = run.firstLayer
        if let budget { plan.length = .iterations(budget) }
        var monitor = validation.map { ValidationMonitor<T>(split: $0, earlyStopping: config.training.earlyStopping) }
        let resume: TrainingState<T>? = continuesFrom.flatMap {
            resumableState(run, from: $0, plan: plan, examples: inputs.columns, monitor: &monitor, curve: curve,
                           priorSeconds: &priorSeconds)
        }
        record.continuedFrom = resume?.iteration
        var finalState: TrainingState<T>?
        // With a validation split a recorded point waits for its validation metric (the checkpoint
        // right after it); the last one is evaluated after training.
        var pending: CostRecord?
        let recordPoint: (CostRecord) -> Void = { point in
            if monitor == nil { curve.append(point) } else { pending = point }
        }
        let checkpoint: Checkpoint<T>? = monitor == nil ? nil : { iteration, network in
            guard let point = pending, let evaluation = monitor?.evaluate(network, iteration: iteration) else { return true }
            curve.append(point, validation: evaluation.metrics)
            pending = nil
            return evaluation.goOn
        }
        let outcome = config.engine?.implementation == .reference
            ? try ReferenceEngine.train(&network, inputs: inputs, labels: data.splits.train.labels, plan: plan,
                                        random: &random, record: recordPoint, shouldStop: { stop.isRaised },
                                        checkpoint: checkpoint)
            : try Trainer.train(&network, inputs: inputs, labels: data.splits.train.labels,
                                plan: plan, random: &random, resume: resume,
                                record: recordPoint, shouldStop: { stop.isRaised }, checkpoint: checkpoint,
                                finalState: savesState ? { finalState = $0 } : nil)
        if case .stopped = outcome.status {
            curve.discard()
            return false
        }
        // Early stopping's bookkeeping as the loop left it: the evaluation after the last update
        // below is no checkpoint of a longer run that goes on from here.
        let monitorAtPause = monitor
        if let point = pending, monitor != nil {
            // The parameters after the last update are a check too (the best may be the last).
            let metrics = monitor?.finalCheck(network, iteration: point.iteration) ?? (.nan, .nan)
            curve.append(point, validation: metrics)
        }
        try curve.finish()
        record.iterations = outcome.iterations
        // The FLOPs of the updates made (a rung's budget, an early stop), not the configured length.
        let configured = config.training.plan.iterationCount(exampleCount: data.trainExamples)
        if configured > 0, outcome.iterations != configured {
            record.flops *= Double(outcome.iterations) / Double(configured)
        }
        switch outcome.status {
        case .finished, .halted:
            record.status = .finished
            record.finalCost = outcome.finalCost
            record.trainAccuracy = outcome.trainAccuracy
            if case .halted = outcome.status { record.status = .stoppedEarly }
            if let monitor {
                if let best = monitor.best {
                    // Early stopping keeps the best evaluation's parameters: every number of the
                    // record is of them, as params.npz is.
                    network = best.network
                    record.bestIteration = best.iteration
                    (record.validationCost, record.validationAccuracy) = (best.metrics.cost, best.metrics.accuracy)
                    if best.iteration != outcome.iterations || outcome.finalCost == nil {
                        let evaluation = try network.evaluate(inputs: inputs, labels: data.splits.train.labels,
                                                              regularization: plan.regularization)
                        (record.finalCost, record.trainAccuracy) = (evaluation.cost, evaluation.accuracy)
                    }
                } else {
                    let metrics = monitor.metrics(of: network)
                    (record.validationCost, record.validationAccuracy) = (metrics.cost, metrics.accuracy)
                }
            }
            // A NaN is no number in JSON (and no metric): a network that evaluates to one has none.
            if record.validationCost?.isFinite == false { record.validationCost = nil }
            if record.validationAccuracy?.isFinite == false { record.validationAccuracy = nil }
            if record.finalCost == nil {
                let evaluation = try network.evaluate(inputs: inputs, labels: data.splits.train.labels,
                                                      regularization: plan.regularization)
                (record.finalCost, record.trainAccuracy) = (evaluation.cost, evaluation.accuracy)
            }
            if let test, let testSplit = data.splits.test {
                record.testAccuracy = try network.evaluate(inputs: test, labels: testSplit.labels).accuracy
            }
        case .diverged(let iteration):
            record.status = .diverged
            record.divergedAt = iteration
        case .stopped:
            return false
        }
        var arrays: [(String, Matrix<T>)] = []
        for (index, layer) in network.layers.enumerated() {
            arrays.append(("W\(index + 1)", layer.weights))
            arrays.append(("b\(index + 1)", layer.bias))
        }
        let writer = try AtomicWriter(layout.parameters(run.id), checksummed: true)
        try NpzWriter.write(arrays, to: writer)
        try writer.commit()
        record.parametersChecksum = writer.checksum
        if let finalState, record.status == .finished {
            let stateWriter = try AtomicWriter(layout.trainingState(run.id))
            let id = try Matrix(rows: run.id.utf8.count, columns: 1, columnMajor: run.id.utf8.map(Double.init))
            try NpzWriter.write(finalState.arrays() + (monitorAtPause?.arrays() ?? []) + [("run_id", id)], to: stateWriter)
            try stateWriter.commit()
        }
        return true
    }

    /// The state a promoted run goes on from: its rung's `state.npz` (with early stopping's
    /// bookkeeping among its arrays, restored into `monitor`), when the rung finished the run (a
    /// run that stopped early there is trained again: it stops at the same place) with this
    /// build, the fast engine trains it, and the state is this run's (its id), consistent and
    /// whole; the rung's curve up to that iteration is then copied into `curve`. Nil otherwise,
    /// with nothing written: the run trains from the start (the same result, more work).
    private func resumableState<T: NetScalar>(_ run: ResolvedRun, from rung: ResultsLayout, plan: TrainingPlan, examples: Int,
                                              monitor: inout ValidationMonitor<T>?, curve: CurveStream,
                                              priorSeconds: inout Double) -> TrainingState<T>? {
        let config = run.planned.config
        guard config.engine?.implementation != .reference,
              let previous = try? rung.readRecord(run.id), previous.status == .finished,
              build == nil || previous.build == nil || previous.build.map({ $0.isSame(as: build ?? $0) }) == true,
              let archive = try? FileSystem.read(rung.trainingState(run.id), limit: Self.stateByteLimit(run, examples: examples)),
              let list = NpzReader.arrays(archive),
              case let arrays = Dictionary(list.map { ($0.name, $0.matrix) }, uniquingKeysWith: { a, _ in a }),
              arrays["run_id"]?.storage == run.id.utf8.map(Double.init),
              let state = try? TrainingState<T>(arrays: arrays, architecture: run.architecture, plan: plan, examples: examples),
              state.iteration == previous.iterations, state.iteration < plan.iterationCount(exampleCount: examples),
              let rungCurve = try? rung.readCurve(for: previous) else { return nil }
        // Early stopping goes on with its best-so-far and patience as they were.
        var restored = monitor
        if restored?.earlyStopping != nil {
            do { try restored?.restore(arrays, architecture: run.architecture) } catch { return nil }
        }
        // The rung's points before the state's iteration; its last point (the evaluation after
        // the rung's last update) is not a point of the longer run, which records its own.
        let points = rungCurve.filter { $0.iteration < state.iteration }.map { String($0.text) }
        for line in points { curve.append(line: line) }
        priorSeconds = previous.wallSeconds
        monitor = restored
        return state
    }

    /// The most a run's `state.npz` can take: every array as float64 — parameters, two moments,
    /// early stopping's best parameters, the dual form's W1₀, B and its velocity, the order, the
    /// generator — plus headers.
    static func stateByteLimit(_ run: ResolvedRun, examples: Int) -> Int {
        let sizes = run.architecture.layerSizes
        let first = sizes.count > 1 ? sizes[1] : 1
        let doubles = 4 * run.architecture.parameterCount + first * sizes[0] + 2 * first * examples + examples + 4096
        return 8 * doubles + (1 << 20)
    }
}

/// A run's cost curve, appended to a temporary file as records arrive (buffered, so memory
/// stays flat however long the run) and renamed into place when the run ends.
final class CurveStream {
    static let header = "iteration,epoch,cost,train_accuracy\r\n"
    /// With a validation split.
    static let validationHeader = "iteration,epoch,cost,train_accuracy,validation_cost,validation_accuracy\r\n"
    private let writer: AtomicWriter
    private let validation: Bool
    /// The first write error; reported by `finish` (the trainer's callback cannot throw).
    private var failure: FileSystemError?

    init(url: URL, validation: Bool = false) throws(FileSystemError) {
        writer = try AtomicWriter(url)
        self.validation = validation
        try writer.write(validation ? Self.validationHeader : Self.header)
    }

    func append(_ point: CostRecord, validation metrics: (cost: Double, accuracy: Double)? = nil) {
        guard failure == nil else { return }
        do {
            let extra = validation ? "," + CSVWriter.number(metrics?.cost) + "," + CSVWriter.number(metrics?.accuracy) : ""
            try writer.write("\(point.iteration),\(point.epoch),\(CSVWriter.number(point.cost)),\(CSVWriter.number(point.accuracy))\(extra)\r\n")
        } catch {
            failure = error
        }
    }

    /// A point already written out (a rung's curve, which a continued run extends), as it was.
    func append(line: String) {
        guard failure == nil else { return }
        do {
            try writer.write(line + "\r\n")
        } catch {
            failure = error
        }
    }

    func finish() throws(FileSystemError) {
        if let failure {
            writer.discard()
            throw failure
        }
        try writer.commit()
    }

    func discard() { writer.discard() }
}

/// The validation split's metrics at each checkpoint, and early stopping's bookkeeping: the
/// best evaluation so far (its parameters copied) and the evaluations since.
struct ValidationMonitor<T: NetScalar> {
    let features: Matrix<T>
    let labels: [Int32]
    let earlyStopping: EarlyStopping?
    private(set) var best: (iteration: Int, metrics: (cost: Double, accuracy: Double), value: Double, network: Network<T>)?
    private var sinceBest = 0

    init(split: Dataset, earlyStopping: EarlyStopping?) {
        features = split.features.converted(to: T.self)
        labels = split.labels
        self.earlyStopping = earlyStopping
    }

    /// Early stopping's bookkeeping as named arrays for a saved `TrainingState` (none without
    /// early stopping): the best evaluation's iteration, metrics, value and parameters, and the
    /// evaluations since.
    func arrays() -> [(String, Matrix<Double>)] {
        guard earlyStopping != nil else { return [] }
        func scalar(_ value: Double) -> Matrix<Double> { Matrix(rows: 1, columns: 1, repeating: value) }
        var arrays = [("early_stopping_since_best", scalar(Double(sinceBest)))]
        guard let best else { return arrays }
        arrays += [("early_stopping_best_iteration", scalar(Double(best.iteration))),
                   ("early_stopping_best_cost", scalar(best.metrics.cost)),
                   ("early_stopping_best_accuracy", scalar(best.metrics.accuracy)),
                   ("early_stopping_best_value", scalar(best.value))]
        for (l, layer) in best.network.layers.enumerated() {
            arrays.append(("early_stopping_best_W\(l + 1)", layer.weights.converted()))
            arrays.append(("early_stopping_best_b\(l + 1)", layer.bias.converted()))
        }
        return arrays
    }

    /// Takes the bookkeeping `arrays()` wrote.
    /// - Throws: `TrainingState.DecodingError` when it is missing or misshapen.
    mutating func restore(_ arrays: [String: Matrix<Double>], architecture: Architecture) throws {
        func scalar(_ name: String) throws -> Double {
            guard let value = arrays[name], value.rows == 1, value.columns == 1 else {
                throw TrainingState<T>.DecodingError(description: "no \(name)")
            }
            return value.storage[0]
        }
        let since = try scalar("early_stopping_since_best")
        guard since >= 0, since == since.rounded(), since < 1e9 else {
            throw TrainingState<T>.DecodingError(description: "early_stopping_since_best is \(since)")
        }
        sinceBest = Int(since)
        guard arrays["early_stopping_best_iteration"] != nil else {
            best = nil
            return
        }
        let iteration = try scalar("early_stopping_best_iteration")
        guard iteration >= 0, iteration == iteration.rounded(), iteration < 1e15 else {
            throw TrainingState<T>.DecodingError(description: "early_stopping_best_iteration is \(iteration)")
        }
        let sizes = architecture.layerSizes
        var layers: [Dense<T>] = []
        for l in 1..<sizes.count {
            guard let weights = arrays["early_stopping_best_W\(l)"], weights.rows == sizes[l], weights.columns == sizes[l - 1],
                  let bias = arrays["early_stopping_best_b\(l)"], bias.rows == sizes[l], bias.columns == 1 else {
                throw TrainingState<T>.DecodingError(description: "no early_stopping_best_W\(l) or b\(l) of the network's shape")
            }
            layers.append(try Dense(weights: weights.converted(), bias: bias.converted()))
        }
        best = (Int(iteration), (try scalar("early_stopping_best_cost"), try scalar("early_stopping_best_accuracy")),
                try scalar("early_stopping_best_value"), try Network(architecture: architecture, layers: layers))
    }

    /// The cross-entropy (no L2 term: it does not depend on the data) and accuracy of `network`.
    func metrics(of network: Network<T>) -> (cost: Double, accuracy: Double) {
        (try? network.evaluate(inputs: features, labels: labels)) ?? (.nan, .nan)
    }

    /// Evaluates the trained network after its last update, as a check whatever `every` says.
    mutating func finalCheck(_ network: Network<T>, iteration: Int) -> (cost: Double, accuracy: Double) {
        let metrics = metrics(of: network)
        if let earlyStopping {
            let value = earlyStopping.metric == .validationCost ? metrics.cost : metrics.accuracy
            if earlyStopping.improves(value, on: best?.value) { best = (iteration, metrics, value, network) }
        }
        return metrics
    }

    /// Evaluates at a checkpoint; `goOn` is false when early stopping's patience has run out.
    mutating func evaluate(_ network: Network<T>, iteration: Int) -> (metrics: (cost: Double, accuracy: Double), goOn: Bool) {
        let metrics = metrics(of: network)
        guard let earlyStopping, iteration % (earlyStopping.every ?? 1) == 0 else { return (metrics, true) }
        let value = earlyStopping.metric == .validationCost ? metrics.cost : metrics.accuracy
        if earlyStopping.improves(value, on: best?.value) {
            // A value copy: the trainer's updates write through copy-on-write, never into it.
            best = (iteration, metrics, value, network)
            sinceBest = 0
            return (metrics, true)
        }
        sinceBest += 1
        return (metrics, sinceBest < earlyStopping.patience)
    }
}
