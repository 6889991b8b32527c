import Foundation
import Testing
@testable import NeuralNet

/// The cs231n two-layer-net assignment's toy model, built the assignment's way (weights drawn as
/// `randn(input, hidden)`, examples as rows, `reg·Σ‖W‖²`), against a NumPy transcription of its
/// loss (`tools/make_cs231n_fixtures.py`).
@Suite("cs231n toy model")
struct CS231nToyModelTests {
    struct Fixture: Decodable {
        var reg: Double
        var X: [[Double]]
        var y: [Int32]
        var W1: [[Double]]
        var W2: [[Double]]
        var scores: [[Double]]
        var loss: Double
        var lossWithoutReg: Double
        var grads: [String: [[Double]]]
        enum CodingKeys: String, CodingKey {
            case reg, X, y, W1, W2, scores, loss, lossWithoutReg = "loss_without_reg", grads
        }
    }

    static func fixture() throws -> Fixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/numpy_cs231n_toy.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    /// |a − b| ≤ 1e-10·max(1, |b|), elementwise.
    static func close(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-10 * max(1, abs($1)) }
    }

    @Test("np.random.seed(0) in (in, out) order gives the assignment's W1 and W2; scores, loss at reg 0.05 and gradients to 1e-10")
    func toyModel() throws {
        let fixture = try Self.fixture()
        var random = NumpyRandom(seed: 0)
        let architecture = try Architecture(inputCount: 4, hiddenSizes: [10], hiddenActivation: .relu, output: .softmax(classes: 3))
        let network = Network<Double>(architecture: architecture, initializer: .normal(scale: 1e-1), drawOrder: .inOut, random: &random)
        // W is stored (out, in): W1[i, j] is the assignment's W1[j][i], exactly (the same draws).
        for i in 0..<10 { for j in 0..<4 { #expect(network.layers[0].weights[i, j] == fixture.W1[j][i]) } }
        for i in 0..<3 { for j in 0..<10 { #expect(network.layers[1].weights[i, j] == fixture.W2[j][i]) } }
        // The default order fills the same draws row by row of (out, in): another network.
        var again = NumpyRandom(seed: 0)
        let courseOrder = Network<Double>(architecture: architecture, initializer: .normal(scale: 1e-1), random: &again)
        #expect(courseOrder.layers[0].weights[0, 1] == fixture.W1[0][1] && courseOrder.layers[0].weights[1, 0] != fixture.W1[0][1])

        // X = 10·randn(5, 4), rows are examples: column-major (4, 5) holds the same values in order.
        var dataRandom = NumpyRandom(seed: 1)
        let values = (0..<20).map { _ in 10 * dataRandom.gaussian() }
        #expect(values == fixture.X.flatMap { $0 })
        let inputs = try Matrix<Double>(rows: 4, columns: 5, columnMajor: values)
        let logits = try network.forward(inputs).logits
        #expect(Self.close((0..<5).flatMap { j in (0..<3).map { logits[$0, j] } }, fixture.scores.flatMap { $0 }))

        let (cost, gradients) = try network.costAndGradients(inputs: inputs, labels: fixture.y,
                                                             regularization: .squaredNorm(strength: fixture.reg))
        #expect(abs(cost - fixture.loss) <= 1e-10 * fixture.loss, "\(cost) vs \(fixture.loss)")
        #expect(abs(cost - 1.30378789133) < 1e-10)   // the notebook's correct_loss
        let (plain, _) = try network.costAndGradients(inputs: inputs, labels: fixture.y)
        #expect(abs(plain - fixture.lossWithoutReg) <= 1e-10 * fixture.lossWithoutReg)
        func transposed(_ rows: [[Double]]) -> [Double] {
            // NumPy's (in, out) gradient, column-major (out, in): entry (i, j) is rows[j][i].
            (0..<rows.count).flatMap { j in rows[j] }
        }
        let dW1 = try #require(fixture.grads["W1"]), dW2 = try #require(fixture.grads["W2"])
        let db1 = try #require(fixture.grads["b1"]), db2 = try #require(fixture.grads["b2"])
        #expect(Self.close(gradients[0].weights.storage, transposed(dW1)))
        #expect(Self.close(gradients[1].weights.storage, transposed(dW2)))
        #expect(Self.close(gradients[0].bias.storage, db1.flatMap { $0 }))
        #expect(Self.close(gradients[1].bias.storage, db2.flatMap { $0 }))
    }
}
