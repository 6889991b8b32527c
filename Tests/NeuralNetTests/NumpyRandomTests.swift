import Testing
@testable import NeuralNet

@Suite("NumPy legacy generator")
struct NumpyRandomTests {
    @Test("seed(1): the documented first values")
    func documentedValues() {
        // np.random.seed(1); np.random.rand() -> 0.417022004702574
        var random = NumpyRandom(seed: 1)
        #expect(random.uniform() == 0.417022004702574)
        // np.random.seed(1); np.random.randn() -> 1.6243453636632417
        random.seed(1)
        #expect(random.gaussian() == 1.6243453636632417)
    }

    @Test("rand, randn and permutation are bit-identical to NumPy", arguments: NumpyFixtures.shared.random)
    func streams(_ expected: NumpyFixtures.RandomStream) {
        var random = NumpyRandom(seed: expected.seed)
        #expect(random.uniform(count: expected.rand.count) == expected.rand)
        random.seed(expected.seed)
        #expect(random.gaussian(count: expected.randn.count) == expected.randn)
        random.seed(expected.seed)
        #expect(random.permutation(10) == expected.permutation10)
        random.seed(expected.seed)
        let big = random.permutation(1000)
        #expect(Array(big.prefix(20)) == expected.permutation1000Head)
        #expect(Array(big.suffix(20)) == expected.permutation1000Tail)
    }

    @Test("the cached Gaussian survives rand() and is cleared by a reseed",
          arguments: NumpyFixtures.shared.random)
    func cachedGaussian(_ expected: NumpyFixtures.RandomStream) {
        var random = NumpyRandom(seed: expected.seed)
        #expect([random.gaussian(), random.uniform(), random.gaussian()] == expected.interleaved)
        random.seed(expected.seed)
        _ = random.gaussian()   // leaves the pair's second value cached
        random.seed(expected.seed)
        #expect(random.gaussian() == expected.randn[0])
    }

    @Test("interval stays in range and reaches both ends")
    func intervalRange() {
        var random = NumpyRandom(seed: 5)
        var seen = Set<Int>()
        for _ in 0..<2000 {
            let value = random.interval(6)
            #expect((0...6).contains(value))
            seen.insert(value)
        }
        #expect(seen == Set(0...6))
        #expect(random.interval(0) == 0)
    }
}
