import Datasets
import Foundation
import NeuralNet

/// A planned run bound to its data: its id, network architecture and training plan.
public struct ResolvedRun: Sendable {
    public var planned: PlannedRun
    /// A short hash of the fully resolved config and the data's fingerprint.
    public var id: String
    public var architecture: Architecture
    public var dataKey: DatasetConfig
    /// The form the first layer trains in: `engine.first_layer`, with `auto` decided here from
    /// the optimizer, the data's shape and the work of each form.
    public var firstLayer: FirstLayerForm

    /// Examples in one training batch: at most m, except sampled with replacement.
    func batchColumns(exampleCount: Int) -> Double {
        let plan = planned.config.training.plan
        guard let batch = plan.batchSize else { return Double(exampleCount) }
        return Double(plan.sampling == .withReplacement ? batch : min(batch, exampleCount))
    }

    /// Matrix-product FLOPs of the whole training run (reference README's counting rule).
    public func flops(exampleCount: Int) -> Double {
        let plan = planned.config.training.plan
        let iterations = plan.iterationCount(exampleCount: exampleCount)
        let perExample = Double(architecture.trainingFlopsPerExample)
        // Sampled with replacement, every iteration trains on a whole batch, even one beyond m.
        if plan.sampling == .withReplacement, let batch = plan.batchSize {
            return perExample * Double(batch) * Double(iterations)
        }
        guard let batch = plan.batchSize, batch < exampleCount else {
            return perExample * Double(exampleCount) * Double(iterations)
        }
        // Full batches and the narrower last batch of each epoch (in Double: the counts can be
        // near Int.max, which iterationCount saturates at).
        let perEpoch = (exampleCount + batch - 1) / batch
        let epochs = iterations / perEpoch
        let leftover = iterations % perEpoch
        let examples = Double(epochs) * Double(exampleCount) + Double(min(leftover, perEpoch) * batch).clamped(to: exampleCount)
        return perExample * examples
    }

    /// A relative estimate of the run's time, for scheduling longest-first: the product FLOPs
    /// plus, per unit and example, the element-wise work (an activation costs tens of FLOPs'
    /// time), which dominates small networks such as the planar sweeps.
    public func estimatedCost(exampleCount: Int) -> Double {
        let units = architecture.layerSizes.dropFirst().reduce(0, +)
        let plan = planned.config.training.plan
        let examples = Double(plan.iterationCount(exampleCount: exampleCount)) * batchColumns(exampleCount: exampleCount)
        return computedFlops(exampleCount: exampleCount) + 60 * Double(units) * examples
    }

    /// "primal", "dual" or "reference": how the engine trains this run.
    public var engineDescription: String {
        planned.config.engine?.implementation == .reference ? "reference" : firstLayer.rawValue
    }

    /// Matrix-product FLOPs the engine actually does: `flops` with the first layer's products
    /// in the dual form's count when it trains dual (`runner plan` shows this).
    public func computedFlops(exampleCount: Int) -> Double {
        let nominal = flops(exampleCount: exampleCount)
        guard firstLayer == .dual else { return nominal }
        let work = firstLayerWork(exampleCount: exampleCount)
        return max(0, nominal - 2 * work.primal) + 2 * work.dual
    }

    /// Multiply-adds of the first layer's products in each form (`FirstLayerForm.estimatedWork`).
    func firstLayerWork(exampleCount: Int) -> (primal: Double, dual: Double) {
        let plan = planned.config.training.plan
        return FirstLayerForm.estimatedWork(
            examples: exampleCount, sizes: architecture.layerSizes, iterations: plan.iterationCount(exampleCount: exampleCount),
            batch: min(plan.batchSize ?? exampleCount, exampleCount), recordEvery: plan.recordEvery,
            regularized: plan.regularization != .none)
    }

    /// Bytes the run allocates while it trains, apart from the shared data: parameters and
    /// their gradients, the optimizer's state, the activations and deltas of one batch (and the
    /// gathered batch itself for mini-batches), and the evaluation workspace of the final
    /// training-set and test-set passes (up to 4 096 columns), in the run's precision.
    /// - Parameter testExamples: m of the test split (0 without one).
    public func memoryBytes(exampleCount: Int, testExamples: Int) -> Double {
        let evaluationColumns = Double(min(4096, max(testExamples, exampleCount)))
        let units = Double(architecture.layerSizes.dropFirst().reduce(0, +))
        let scalar = Double(planned.config.precision == .float32 ? 4 : 8)
        return memoryBytes(exampleCount: exampleCount) + scalar * (2 * units + 2) * evaluationColumns
    }

    /// The training part of `memoryBytes(exampleCount:testExamples:)`: parameters and
    /// their gradients, the optimizer's state, the activations and deltas of one batch (and the
    /// gathered batch itself for mini-batches), in the run's precision. Within a few percent of
    /// the workspace `Trainer` allocates; the data are counted once per sweep by `SweepPlan`.
    public func memoryBytes(exampleCount: Int) -> Double {
        let config = planned.config
        let scalar = Double(config.precision == .float32 ? 4 : 8)
        let parameters = Double(architecture.parameterCount)
        let optimizerCopies: Double
        switch config.training.plan.optimizer {
        case .gradientDescent: optimizerCopies = 0
        case .momentum: optimizerCopies = 1
        case .adam: optimizerCopies = 2
        }
        let batch = batchColumns(exampleCount: exampleCount)
        let units = Double(architecture.layerSizes.dropFirst().reduce(0, +))
        // Activations and deltas per layer, the logits, per-example losses and predictions.
        let activations = (2 * units + Double(architecture.output.unitCount) + 2) * batch
        guard firstLayer == .primal else {
            // The dual form gathers only labels, and adds G, P, B and their batch columns.
            let dual = FirstLayerForm.dualBytes(examples: exampleCount, sizes: architecture.layerSizes,
                                                batch: Int(batch), scalarBytes: Int(scalar))
            return scalar * ((2 + optimizerCopies) * parameters + activations + batch) + dual
        }
        let gathered = config.training.plan.batchSize == nil ? 0 : Double(architecture.inputCount + 1) * batch
        return scalar * ((2 + optimizerCopies) * parameters + activations + gathered)
    }

    /// Binds `planned` to `data`.
    /// - Throws: `PlanError` when the model does not fit the data (e.g. a sigmoid output on
    ///   ten classes) or a hyperparameter is out of range.
    init(planned: PlannedRun, data: PreparedData) throws {
        let config = planned.config
        let train = data.splits.train
        let output: OutputLayer
        switch config.model.output {
        case .sigmoid:
            guard train.classNames.count == 2 else {
                throw PlanError(run: planned, message:
                    "a sigmoid output needs 2 classes; the data have \(train.classNames.count) (use output: softmax, or keep_classes)")
            }
            output = .sigmoid
        case .softmax:
            output = .softmax(classes: train.classNames.count)
        }
        do {
            architecture = try Architecture(inputCount: data.featureCount, hiddenSizes: config.model.hidden,
                                            hiddenActivation: config.model.activation, output: output)
            try config.training.plan.validate()
        } catch {
            throw PlanError(run: planned, message: "\(error)")
        }
        let plan = config.training.plan
        if config.training.earlyStopping != nil, data.splits.validation == nil {
            throw PlanError(run: planned, message: "training.early_stopping needs a validation split: add "
                            + "dataset.validation_fraction (e.g. 0.1) or a dataset.validation file")
        }
        // Sampling with replacement gathers columns of X itself: the primal form.
        let sampled = plan.sampling == .withReplacement
        if sampled, config.engine?.firstLayer == .dual {
            throw PlanError(run: planned, message: "engine.first_layer: dual trains on the examples' Gram matrix by position; "
                            + "sampling with replacement needs primal (or auto)")
        }
        switch config.engine?.implementation == .reference || sampled ? .primal : config.engine?.firstLayer ?? .auto {
        case .primal:
            firstLayer = .primal
        case .dual:
            guard FirstLayerForm.allows(plan.optimizer) else {
                throw PlanError(run: planned, message: "engine.first_layer: dual needs an update linear in the gradient "
                                + "(gd, sgd or momentum); \(plan.optimizer) is not: use auto or primal")
            }
            guard architecture.layerSizes.count >= 2 else { throw PlanError(run: planned, message: "no layers") }
            firstLayer = .dual
        case .auto:
            firstLayer = FirstLayerForm.automatic(
                optimizer: plan.optimizer, examples: data.trainExamples, sizes: architecture.layerSizes,
                iterations: plan.iterationCount(exampleCount: data.trainExamples),
                batch: min(plan.batchSize ?? data.trainExamples, data.trainExamples), recordEvery: plan.recordEvery,
                regularized: plan.regularization != .none, scalarBytes: config.precision == .float32 ? 4 : 8)
        }
        self.planned = planned
        self.dataKey = config.dataset
        self.id = RunID.make(config: config, fingerprint: data.fingerprint)
    }

    /// The run's id (`RunID`).
    static func id(config: RunConfig, fingerprint: String) -> String {
        RunID.make(config: config, fingerprint: fingerprint)
    }
}

/// A run that cannot start: the model or plan does not fit the data.
public struct PlanError: Error, Sendable, CustomStringConvertible {
    public var runIndex: Int
    public var sweptValues: [String]
    public var message: String

    init(run: PlannedRun, message: String) {
        runIndex = run.index
        sweptValues = run.sweptValues
        self.message = message
    }

    public var description: String {
        "run \(runIndex)" + (sweptValues.isEmpty ? "" : " (" + sweptValues.joined(separator: ", ") + ")") + ": \(message)"
    }
}

extension Double {
    /// `self`, at most `limit`.
    func clamped(to limit: Int) -> Double { Swift.min(self, Double(limit)) }
}
