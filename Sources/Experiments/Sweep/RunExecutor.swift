import Foundation
import NeuralNet

/// Trains one run and writes its outputs under `runs/<id>/`: the cost curve (streamed while
/// training), the parameters (`params.npz`), and last, atomically, `record.json`.
struct RunExecutor: Sendable {
    var layout: ResultsLayout

    func execute(_ run: ResolvedRun, data: PreparedData) -> RunRecord {
        let start = DispatchTime.now()
        var record = RunRecord(
            id: run.id, index: run.planned.index, configurationIndex: run.planned.configurationIndex,
            sweptValues: run.planned.sweptValues, status: .failed, divergedAt: nil, error: nil, iterations: 0,
            finalCost: nil, trainAccuracy: nil, testAccuracy: nil, wallSeconds: 0,
            flops: run.flops(exampleCount: data.trainExamples), config: run.planned.config)
        do {
            // `SweepRunner.plan` prepares every precision its runs use.
            switch (run.planned.config.precision, data.singlePrecision) {
            case (.float64, _) where data.hasDoubleFeatures:
                try train(run, inputs: data.splits.train.features, test: data.splits.test?.features,
                          data: data, record: &record)
            case (.float32, let single?):
                try train(run, inputs: single.train, test: single.test, data: data, record: &record)
            case (let precision, _):
                throw PlanError(run: run.planned, message: "the data were not prepared in \(precision)")
            }
        } catch {
            record.status = .failed
            record.error = "\(error)"
        }
        record.wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        do {
            try AtomicFile.writeJSON(record, to: layout.record(run.id))
        } catch {
            record.status = .failed
            record.error = "cannot write the run record: \(error)"
        }
        return record
    }

    private func train<T: NetScalar>(_ run: ResolvedRun, inputs: Matrix<T>, test: Matrix<T>?, data: PreparedData,
                                     record: inout RunRecord) throws {
        let config = run.planned.config
        var random = NumpyRandom(seed: config.seed)
        var network = Network<T>(architecture: run.architecture, initializer: config.model.initializer,
                                 seed: config.model.initSeed ?? config.seed, random: &random)
        let curve = try CurveStream(url: layout.curve(run.id))
        let outcome = try Trainer.train(&network, inputs: inputs, labels: data.splits.train.labels,
                                        plan: config.training.plan, random: &random) { curve.append($0) }
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
        }
        var arrays: [(String, Matrix<T>)] = []
        for (index, layer) in network.layers.enumerated() {
            arrays.append(("W\(index + 1)", layer.weights))
            arrays.append(("b\(index + 1)", layer.bias))
        }
        try AtomicFile.write(NpzWriter.archive(arrays), to: layout.parameters(run.id))
    }
}

/// A run's cost curve, appended to a temporary file as records arrive (buffered, so memory
/// stays flat however long the run) and renamed into place when the run ends.
final class CurveStream {
    static let header = "iteration,epoch,cost,train_accuracy\r\n"
    private let url: URL
    private let temporary: URL
    private let handle: FileHandle
    private var buffer = ""

    init(url: URL) throws {
        self.url = url
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        temporary = url.deletingLastPathComponent().appendingPathComponent(".curve.csv.partial")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        handle = try FileHandle(forWritingTo: temporary)
        buffer = Self.header
    }

    func append(_ point: CostRecord) {
        buffer += "\(point.iteration),\(point.epoch),\(CSVWriter.number(point.cost)),\(CSVWriter.number(point.accuracy))\r\n"
        if buffer.utf8.count > 1 << 16 { flush() }
    }

    private func flush() {
        handle.write(Data(buffer.utf8))
        buffer = ""
    }

    func finish() throws {
        flush()
        try handle.close()
        try AtomicFile.moveIntoPlace(temporary, url)
    }
}
