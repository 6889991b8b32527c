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

    /// - Throws: `FileSystemError` when the run's files cannot be written: the record is not
    ///   written, so the run stays pending for a re-run.
    func execute(_ run: ResolvedRun, data: PreparedData) throws(FileSystemError) -> RunOutcome {
        guard let claim = try RunClaim.acquire(layout.claim(run.id)) else { return .claimedElsewhere }
        defer {
            claim.release()
            // A run stopped before writing anything leaves no empty folder (rmdir fails otherwise).
            rmdir(layout.runDirectory(run.id).path)
        }
        if !force, let existing = try? layout.readRecord(run.id), existing.status != .failed, layout.hasParameters(existing) {
            return .doneElsewhere(existing)
        }
        // Holding the claim, nothing else writes in the run's folder: clear what a killed process left.
        FileSystem.removeStaleTemporaries(in: layout.runDirectory(run.id))
        let start = DispatchTime.now()
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
                                    data: data, record: &record)
            case (.float32, let single?):
                trained = try train(run, inputs: single.train, test: single.test, data: data, record: &record)
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
        record.wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
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
                                     record: inout RunRecord) throws -> Bool {
        let config = run.planned.config
        var random = NumpyRandom(seed: config.seed)
        var network = Network<T>(architecture: run.architecture, initializer: config.model.initializer,
                                 seed: config.model.initSeed ?? config.seed, random: &random)
        let curve = try CurveStream(url: layout.curve(run.id))
        let stop = self.stop
        var plan = config.training.plan
        plan.firstLayer = run.firstLayer
        let outcome = config.engine?.implementation == .reference
            ? try ReferenceEngine.train(&network, inputs: inputs, labels: data.splits.train.labels, plan: plan,
                                        random: &random, record: { curve.append($0) }, shouldStop: { stop.isRaised })
            : try Trainer.train(&network, inputs: inputs, labels: data.splits.train.labels,
                                plan: plan, random: &random,
                                record: { curve.append($0) }, shouldStop: { stop.isRaised })
        if case .stopped = outcome.status {
            curve.discard()
            return false
        }
        try curve.finish()
        record.iterations = outcome.iterations
        switch outcome.status {
        case .finished:
            record.status = .finished
            record.finalCost = outcome.finalCost
            record.trainAccuracy = outcome.trainAccuracy
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
        let writer = try AtomicWriter(layout.parameters(run.id))
        try NpzWriter.write(arrays, to: writer)
        try writer.commit()
        return true
    }
}

/// A run's cost curve, appended to a temporary file as records arrive (buffered, so memory
/// stays flat however long the run) and renamed into place when the run ends.
final class CurveStream {
    static let header = "iteration,epoch,cost,train_accuracy\r\n"
    private let writer: AtomicWriter
    /// The first write error; reported by `finish` (the trainer's callback cannot throw).
    private var failure: FileSystemError?

    init(url: URL) throws(FileSystemError) {
        writer = try AtomicWriter(url)
        try writer.write(Self.header)
    }

    func append(_ point: CostRecord) {
        guard failure == nil else { return }
        do {
            try writer.write("\(point.iteration),\(point.epoch),\(CSVWriter.number(point.cost)),\(CSVWriter.number(point.accuracy))\r\n")
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
