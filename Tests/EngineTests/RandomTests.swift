import Foundation
import Testing
import Engine

/// An independent transcription of the reference C code of xoshiro256** 1.0
/// (https://prng.di.unimi.it/xoshiro256starstar.c), on an array, with masking shifts.
struct ReferenceXoshiro {
    var s: [UInt64]
    static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x &<< k) | (x &>> (64 &- k)) }
    mutating func next() -> UInt64 {
        let result = Self.rotl(s[1] &* 5, 7) &* 9
        let t = s[1] &<< 17
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = Self.rotl(s[3], 45)
        return result
    }
}

/// The reference splitmix64.c, transcribed.
struct ReferenceSplitMix {
    var x: UInt64
    mutating func next() -> UInt64 {
        x = x &+ 0x9e37_79b9_7f4a_7c15
        var z = x
        z = (z ^ (z &>> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z &>> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z &>> 31)
    }
}

@Suite struct RandomTests {
    func generator(state: [UInt64]) -> Xoshiro256StarStar {
        var g = Xoshiro256StarStar(seed: 0)
        g.s0 = state[0]; g.s1 = state[1]; g.s2 = state[2]; g.s3 = state[3]
        return g
    }

    /// First outputs for the state {1, 2, 3, 4}, worked by hand from the algorithm:
    /// 1) rotl(2*5, 7)*9 = 1280*9 = 11520; the state becomes {7, 0, 262146, rotl(6, 45)};
    /// 2) rotl(0, 7)*9 = 0; the state becomes s1 = 262149;
    /// 3) rotl(262149*5, 7)*9 = 167775360*9 = 1509978240.
    @Test func xoshiroKnownAnswers() {
        var g = generator(state: [1, 2, 3, 4])
        #expect(g.next() == 11_520)
        #expect(g.next() == 0)
        #expect(g.next() == 1_509_978_240)
        #expect(g.s0 != 0 || g.s1 != 0)
    }

    @Test(arguments: [
        [UInt64(1), 2, 3, 4],
        [0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210, 0xDEAD_BEEF_CAFE_F00D, 1],
        [UInt64.max, 0, UInt64.max, 0],
    ])
    func xoshiroMatchesReferenceImplementation(state: [UInt64]) {
        var g = generator(state: state)
        var r = ReferenceXoshiro(s: state)
        for i in 0..<10_000 {
            let (x, y) = (g.next(), r.next())
            if x != y {
                Issue.record("output \(i) differs: \(x) vs \(y)")
                return
            }
        }
        #expect([g.s0, g.s1, g.s2, g.s3] == r.s)
    }

    /// splitmix64 with seed 1234567: the vectors commonly published for it, and the reference.
    @Test func splitMixKnownAnswers() {
        var g = SplitMix64(seed: 1_234_567)
        let expected: [UInt64] = [
            6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
            4_593_380_528_125_082_431, 16_408_922_859_458_223_821,
        ]
        #expect((0..<5).map { _ in g.next() } == expected)
        var a = SplitMix64(seed: 42)
        var b = ReferenceSplitMix(x: 42)
        let ours = (0..<1_000).map { _ in a.next() }
        #expect(ours == (0..<1_000).map { _ in b.next() })
    }

    @Test func seedingGoesThroughSplitMix() {
        let g = Xoshiro256StarStar(seed: 99)
        var sm = ReferenceSplitMix(x: 99)
        #expect([g.s0, g.s1, g.s2, g.s3] == [sm.next(), sm.next(), sm.next(), sm.next()])
        // Different streams of one seed differ; the same stream of one seed is the same.
        var x = Xoshiro256StarStar(seed: 7, stream: streamKey("node-1"))
        var y = Xoshiro256StarStar(seed: 7, stream: streamKey("node-2"))
        var z = Xoshiro256StarStar(seed: 7, stream: streamKey("node-1"))
        let xs = (0..<8).map { _ in x.next() }
        #expect(xs != (0..<8).map { _ in y.next() })
        #expect(xs == (0..<8).map { _ in z.next() })
    }

    @Test func streamKeyIsFNV1a() {
        #expect(streamKey("") == 0xCBF2_9CE4_8422_2325)
        #expect(streamKey("a") == 0xAF63_DC4C_8601_EC8C)  // FNV-1a 64 test vector
        #expect(streamKey("foobar") == 0x8594_4171_F739_67E8)
    }

    /// Adding actors does not shift another actor's draws: streams are keyed by name.
    @Test func addingAnActorDoesNotChangeAnotherActorsDraws() {
        func draws(actorNames: [String], watched: String) -> ([UInt64], [SimInstant]) {
            var sim = Simulation<Tag>(seed: 2024)
            let ids = actorNames.map { sim.addActor(named: $0) }
            let w = ids[actorNames.firstIndex(of: watched)!]
            let peer = ids[actorNames.firstIndex(of: "peer")!]
            let own = (0..<20).map { _ in sim.rngs[Int(w.index)].next() }
            // Its network stream: the latencies of its messages.
            for i in 0..<20 { sim.send(from: w, to: peer, Tag(i)) }
            // Other actors send too, interleaved, with their own streams.
            for other in ids where other != w && other != peer { sim.send(from: other, to: peer, Tag(-1)) }
            let times = drain(&sim).filter { $0.from == w }.map(\.time)
            return (own, times)
        }
        let base = draws(actorNames: ["alice", "peer"], watched: "alice")
        let more = draws(actorNames: ["zed", "yan", "peer", "xavier", "alice", "bob"], watched: "alice")
        #expect(base.0 == more.0)
        #expect(base.1 == more.1)
        #expect(base.1.count == 20)
        let other = draws(actorNames: ["bob", "peer"], watched: "bob")
        #expect(other.0 != base.0)
    }

    @Test func nextBelowStaysInRangeAndIsUnbiased() {
        var g = Xoshiro256StarStar(seed: 5)
        #expect((0..<100).allSatisfy { _ in g.nextBelow(1) == 0 })
        // A bound of 3 * 2^62: a naive `next() % bound` would make [0, 2^62) twice as likely
        // as each of the two other quarters (probability 1/2 instead of 1/3).
        let bound: UInt64 = 3 << 62
        let n = 100_000
        var low = 0
        var inRange = true
        for _ in 0..<n {
            let x = g.nextBelow(bound)
            inRange = inRange && x < bound
            if x < 1 << 62 { low += 1 }
        }
        #expect(inRange)
        #expect(withinBinomial(low, n: n, p: 1.0 / 3.0), "\(low) of \(n) in the first third")
        // A small bound: every bucket within 4 sigma.
        var buckets = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { buckets[Int(g.nextBelow(7))] += 1 }
        for (i, c) in buckets.enumerated() {
            #expect(withinBinomial(c, n: 70_000, p: 1.0 / 7.0), "bucket \(i): \(c)")
        }
    }

    @Test func uniformIntegerRange() {
        var g = Xoshiro256StarStar(seed: 6)
        let n = 100_000
        var xs: [Double] = []
        var sawLow = false, sawHigh = false, inRange = true
        for _ in 0..<n {
            let x = g.uniform(-3...12)
            inRange = inRange && (-3...12).contains(x)
            sawLow = sawLow || x == -3
            sawHigh = sawHigh || x == 12
            xs.append(Double(x))
        }
        #expect(inRange)
        #expect(sawLow && sawHigh, "both ends of a closed range are reachable")
        let (mean, _) = meanAndVariance(xs)
        #expect(meanWithin(mean, expected: 4.5, sd: (255.0 / 12).squareRoot(), n: n))
        // The full 64-bit range does not trap.
        _ = g.uniform(Int64.min...Int64.max)
    }

    @Test func unitIntervalAndUniformDouble() {
        var g = Xoshiro256StarStar(seed: 7)
        let n = 200_000
        var us: [Double] = []
        var unitInRange = true
        for _ in 0..<n {
            let u = g.nextUnit()
            unitInRange = unitInRange && u >= 0 && u < 1
            us.append(g.uniform(2, 5))
        }
        #expect(unitInRange)
        let (mean, variance) = meanAndVariance(us)
        #expect(meanWithin(mean, expected: 3.5, sd: (9.0 / 12).squareRoot(), n: n))
        #expect(abs(variance - 0.75) < 0.02)
        #expect(us.allSatisfy { $0 >= 2 && $0 < 5 })
    }

    @Test func exponentialMean() {
        var g = Xoshiro256StarStar(seed: 8)
        let n = 200_000
        let xs = (0..<n).map { _ in g.exponential(mean: 2.5) }
        #expect(xs.allSatisfy { $0 >= 0 })
        let (mean, variance) = meanAndVariance(xs)
        #expect(meanWithin(mean, expected: 2.5, sd: 2.5, n: n), "mean \(mean)")
        #expect(abs(variance - 6.25) / 6.25 < 0.05, "variance \(variance)")
    }

    @Test func normalAndLogNormalMeans() {
        var g = Xoshiro256StarStar(seed: 9)
        let n = 200_000
        let zs = (0..<n).map { _ in g.standardNormal() }
        let (zm, zv) = meanAndVariance(zs)
        #expect(meanWithin(zm, expected: 0, sd: 1, n: n))
        #expect(abs(zv - 1) < 0.02)
        let mu = 0.3, sigma = 0.5
        let ls = (0..<n).map { _ in g.logNormal(mu: mu, sigma: sigma) }
        let expectedMean = exp(mu + sigma * sigma / 2)
        let expectedSD = ((exp(sigma * sigma) - 1) * exp(2 * mu + sigma * sigma)).squareRoot()
        let (lm, _) = meanAndVariance(ls)
        #expect(meanWithin(lm, expected: expectedMean, sd: expectedSD, n: n), "mean \(lm)")
        // The median of the lognormal is e^mu.
        let median = ls.sorted()[n / 2]
        #expect(abs(median - exp(mu)) < 0.01, "median \(median)")
    }

    @Test func bernoulliRateAndEdges() {
        var g = Xoshiro256StarStar(seed: 10)
        let n = 100_000
        var hits = 0
        for _ in 0..<n where g.bernoulli(0.3) { hits += 1 }
        #expect(withinBinomial(hits, n: n, p: 0.3))
        #expect((0..<1_000).allSatisfy { _ in !g.bernoulli(0) && g.bernoulli(1) })
        #expect((0..<1_000).allSatisfy { _ in !g.bernoulli(-1) && g.bernoulli(2) })
    }

    @Test func weightedIndexFrequencies() {
        var g = Xoshiro256StarStar(seed: 11)
        let weights: [Double] = [1, 2, 3, 0, 4]
        let n = 100_000
        var counts = [Int](repeating: 0, count: weights.count)
        for _ in 0..<n { counts[g.weightedIndex(weights)] += 1 }
        #expect(counts[3] == 0, "a zero weight is never drawn")
        for i in weights.indices where weights[i] > 0 {
            #expect(withinBinomial(counts[i], n: n, p: weights[i] / 10), "index \(i): \(counts[i])")
        }
        #expect((0..<100).allSatisfy { _ in g.weightedIndex([0, 0, 5]) == 2 })
    }

    @Test func durationDistributionsMeans() {
        var g = Xoshiro256StarStar(seed: 12)
        let n = 100_000
        #expect(DurationDistribution.constant(ms(42)).draw(&g) == ms(42))
        let u = (0..<n).map { _ in DurationDistribution.uniform(ms(10), ms(20)).draw(&g) }
        #expect(u.allSatisfy { $0 >= ms(10) && $0 <= ms(20) })
        let um = meanAndVariance(u.map { Double($0.nanoseconds) / 1e6 }).mean
        #expect(meanWithin(um, expected: 15, sd: 10 / 12.0.squareRoot(), n: n))
        let e = (0..<n).map { _ in Double(DurationDistribution.exponential(mean: ms(30)).draw(&g).nanoseconds) / 1e6 }
        #expect(meanWithin(meanAndVariance(e).mean, expected: 30, sd: 30, n: n))
        let l = (0..<n).map { _ in
            Double(DurationDistribution.logNormal(median: ms(50), sigma: 0.4).draw(&g).nanoseconds) / 1e6
        }
        #expect(abs(l.sorted()[n / 2] - 50) < 0.8, "median of the lognormal")
    }

    @Test func sameSeedSameDraws() {
        var a = Xoshiro256StarStar(seed: 123)
        var b = Xoshiro256StarStar(seed: 123)
        var c = Xoshiro256StarStar(seed: 124)
        let xs = (0..<100).map { _ in a.next() }
        #expect(xs == (0..<100).map { _ in b.next() })
        #expect(xs != (0..<100).map { _ in c.next() })
    }
}
