import Datasets
import Foundation
import NeuralNet

/// A finished run read back from its folder: the record (configuration, accuracies) and the
/// network rebuilt from `params.npz`, for `runner predict`.
public struct TrainedRun: Sendable {
    public var directory: URL
    public var record: RunRecord
    /// W_1, b_1, … W_L, b_L as stored (float32 runs' values are exact in Double).
    var parameters: [Matrix<Double>]

    /// Reads `directory` (`results/<experiment>/runs/<id>`).
    /// - Throws: `PredictionError` when it is not a finished run's folder, `ResultsError` for a
    ///   damaged record, `FileSystemError` when a file cannot be read.
    public init(directory: URL) throws {
        let id = directory.standardizedFileURL.lastPathComponent
        let layout = ResultsLayout(directory: directory.standardizedFileURL.deletingLastPathComponent().deletingLastPathComponent())
        // A dangling or looping link is read (and fails with the reason, 74), not "not a run".
        guard !FileSystem.isAbsent(layout.record(id)) else {
            throw PredictionError.notARun(path: directory.path)
        }
        guard let record = try layout.readRecord(id) else { throw PredictionError.notARun(path: directory.path) }
        guard record.status.isTrained else {
            throw PredictionError.notTrained(path: directory.path, status: record.status.rawValue)
        }
        let archivePath = layout.parameters(id)
        guard FileSystem.exists(archivePath) else {
            throw PredictionError.damaged(path: archivePath.path, problem: "it is missing (re-run the experiment to redo the run)")
        }
        // The plan's layer sizes bound what is read, and the arrays must have their shapes.
        let sizes = (try? layout.readPlanFile())?.runs.first { $0.id == id }?.layerSizes
        let arrays: [(name: String, matrix: Matrix<Double>)]
        do {
            arrays = try layout.readParameters(id, layerSizes: sizes, checksum: record.parametersChecksum)
        } catch ResultsError.corruptParameters(let path, let problem) {
            throw PredictionError.damaged(path: path, problem: problem)
        }
        self.directory = directory
        self.record = record
        parameters = arrays.map(\.matrix)
    }

    /// n_0 … n_L, from the weights' shapes.
    public var layerSizes: [Int] {
        [parameters[0].columns] + stride(from: 0, to: parameters.count, by: 2).map { parameters[$0].rows }
    }

    /// The network with the stored parameters, in precision `T`.
    /// - Throws: `PredictionError.damaged` when the shapes do not chain or fit the recorded model.
    public func network<T: NetScalar>(_: T.Type) throws -> Network<T> {
        let sizes = layerSizes
        let model = record.config.model
        let output: OutputLayer = model.output == .sigmoid ? .sigmoid : .softmax(classes: sizes[sizes.count - 1])
        do {
            let architecture = try Architecture(inputCount: sizes[0], hiddenSizes: Array(sizes.dropFirst().dropLast()),
                                                hiddenActivation: model.activation, output: output)
            let layers = try stride(from: 0, to: parameters.count, by: 2).map {
                try Dense<T>(weights: parameters[$0].converted(to: T.self), bias: parameters[$0 + 1].converted(to: T.self))
            }
            return try Network<T>(architecture: architecture, layers: layers)
        } catch {
            throw PredictionError.damaged(path: directory.appendingPathComponent("params.npz").path,
                                          problem: "its arrays do not make the recorded network: \(error)")
        }
    }

    /// The run folder of the best run in a results folder: among the runs trained in full
    /// (finished or stopped early; pruned runs only when there are no others), the highest
    /// validation accuracy when the runs have a validation split, else test accuracy, else train
    /// accuracy; ties to the earlier run.
    /// - Throws: `PredictionError.noFinishedRun`, `ResultsError`, `FileSystemError`.
    public static func best(in results: URL) throws -> (directory: URL, record: RunRecord) {
        let layout = ResultsLayout(directory: results)
        guard FileSystem.exists(layout.plan) else { throw PredictionError.notResults(path: results.path) }
        let plan = try layout.readPlanFile()
        var candidates: [RunRecord] = []
        for entry in plan.runs {
            guard let record = try layout.readRecord(entry.id), record.status.isTrained,
                  FileSystem.exists(layout.parameters(entry.id)) else { continue }
            candidates.append(record)
        }
        // Runs trained in full first; with none, those pruned at the latest rung (a value from
        // a shorter budget does not compete with a longer one).
        if candidates.contains(where: { $0.status != .pruned }) {
            candidates.removeAll { $0.status == .pruned }
        } else if let deepest = candidates.map(\.rungBudget).max() {
            candidates.removeAll { $0.rungBudget < deepest }
        }
        let score = { (record: RunRecord) in record.validationAccuracy ?? record.testAccuracy ?? record.trainAccuracy ?? -1 }
        var best: RunRecord?
        for record in candidates where best.map({ score(record) > score($0) }) ?? true { best = record }
        guard let best else { throw PredictionError.noFinishedRun(path: results.path) }
        return (layout.runDirectory(best.id), best)
    }

    /// Whether `data` are the data the run was trained on (the run id folds in their fingerprint).
    public func wasTrained(on data: PreparedData) -> Bool {
        RunID.matches(record.id, config: record.config, fingerprint: data.fingerprint)
    }
}

/// Class probabilities and predictions of a network over a data set.
public struct Predictions: Sendable {
    /// probabilities[j][k]: example j's probability of class k.
    public var probabilities: [[Double]]
    public var predicted: [Int32]

    init(probabilities: [[Double]], predicted: [Int32]) {
        self.probabilities = probabilities
        self.predicted = predicted
    }

    /// Forward passes in blocks of 4 096 examples, in the network's precision.
    public init<T: NetScalar>(network: Network<T>, features: Matrix<Double>) throws {
        probabilities = []
        predicted = []
        probabilities.reserveCapacity(features.columns)
        var start = 0
        while start < features.columns {
            let block = features.columns(start..<min(start + 4096, features.columns)).converted(to: T.self)
            let output = try network.forward(block).output
            predicted += try network.predict(block)
            for j in 0..<block.columns {
                probabilities.append(output.rows == 1 ? [1 - Double(output[0, j]), Double(output[0, j])]
                                                      : (0..<output.rows).map { Double(output[$0, j]) })
            }
            start += block.columns
        }
    }

    /// The fraction of `labels` predicted.
    public func accuracy(labels: [Int32]) -> Double {
        Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(max(1, labels.count))
    }

    /// `example,label,predicted,correct,probability_<class>…` (RFC 4180), class names as text.
    public func csv(classNames: [String], labels: [Int32]?) -> String {
        let name = { (label: Int32) in classNames.indices.contains(Int(label)) ? classNames[Int(label)] : "\(label)" }
        let classes = (0..<(probabilities.first?.count ?? classNames.count)).map { $0 < classNames.count ? classNames[$0] : "\($0)" }
        var writer = CSVWriter(header: ["example"] + (labels == nil ? [] : ["label"]) + ["predicted"]
                               + (labels == nil ? [] : ["correct"]) + classes.map { "probability_\($0)" })
        for (j, row) in probabilities.enumerated() {
            var fields = ["\(j)"]
            if let labels { fields.append(name(labels[j])) }
            fields.append(name(predicted[j]))
            if let labels { fields.append(labels[j] == predicted[j] ? "1" : "0") }
            writer.append(fields + row.map { CSVWriter.number($0) })
        }
        return writer.text
    }
}

/// Why a run folder cannot be used for predictions.
public enum PredictionError: Error, Sendable, CustomStringConvertible {
    case notARun(path: String)
    case notResults(path: String)
    case notTrained(path: String, status: String)
    case damaged(path: String, problem: String)
    case noFinishedRun(path: String)
    case dataChanged(path: String, data: String)

    public var description: String {
        switch self {
        case .notARun(let path):
            return "\(path) is not a run's folder (expected results/<experiment>/runs/<id> with record.json; "
                + "--best takes a results folder)"
        case .notResults(let path):
            return "\(path) is not a results folder (no plan.json)"
        case let .notTrained(path, status):
            return "the run in \(path) \(status == "diverged" ? "diverged" : "failed"): it has no trained parameters to predict with"
        case let .damaged(path, problem):
            return "\(path): \(problem)"
        case .noFinishedRun(let path):
            return "\(path) holds no finished run with parameters"
        case let .dataChanged(path, data):
            return "the data found (\(data)) and the configuration in \(path)/record.json do not make the run's id: "
                + "the data changed since the run (give --data-dir the original data) or the record was edited; "
                + "the run's preprocessing cannot be made again"
        }
    }
}
