import Foundation
import Testing
@testable import NeuralNet

/// `randint` and `choice` against NumPy's legacy generator (`tools/make_randint_fixtures.py`).
@Suite("NumPy legacy randint and choice")
struct NumpyRandintTests {
    struct Fixtures: Decodable {
        struct Randint: Decodable, CustomTestStringConvertible {
            var seed: UInt32
            var low: Int
            var high: Int
            var values: [Int]
            var testDescription: String { "seed \(seed), randint(\(low), \(high))" }
        }
        struct Choice: Decodable, CustomTestStringConvertible {
            var seed: UInt32
            var n: Int
            var values: [Int]
            var nextGaussian: Double
            enum CodingKeys: String, CodingKey { case seed, n, values, nextGaussian = "next_gaussian" }
            var testDescription: String { "seed \(seed), choice(\(n), \(values.count))" }
        }
        var randint: [Randint]
        var choice: [Choice]

        static let shared: Fixtures = {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/numpy_randint.json")
            guard let data = try? Data(contentsOf: url), let fixtures = try? JSONDecoder().decode(Fixtures.self, from: data) else {
                return Fixtures(randint: [], choice: [])
            }
            return fixtures
        }()
    }

    @Test("the fixtures are there")
    func fixturesPresent() {
        #expect(Fixtures.shared.randint.count == 72 && Fixtures.shared.choice.count == 5,
                "run python3 tools/make_randint_fixtures.py")
    }

    @Test("randint(low, high, size) draws NumPy's values, then continues its stream",
          arguments: Fixtures.shared.randint)
    func randint(_ fixture: Fixtures.Randint) {
        var random = NumpyRandom(seed: fixture.seed)
        let first = random.randint(fixture.low, fixture.high, count: 40)
        let after = random.randint(fixture.low, fixture.high, count: 5)
        #expect(first + after == fixture.values)
    }

    @Test("choice(n, size) with replacement draws NumPy's indices and leaves the generator where NumPy's is",
          arguments: Fixtures.shared.choice)
    func choice(_ fixture: Fixtures.Choice) {
        var random = NumpyRandom(seed: fixture.seed)
        #expect(random.choice(fixture.n, count: fixture.values.count) == fixture.values)
        #expect(random.gaussian() == fixture.nextGaussian)
    }
}
