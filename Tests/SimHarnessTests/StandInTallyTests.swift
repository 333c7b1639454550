import Engine
import JobSystem
import Testing

@testable import SimHarness

/// The stand-in compute's summed tally (`ComputeModel.standInTally`: wrapping sums, one
/// full-width multiply per square) against the plain design: each iteration's damage added to a
/// `DamageTally` one by one with its checked arithmetic, over seeded (config key, seed offset,
/// iteration count, mean, spread), including the bounds the summed loop states.
@Suite("Stand-in tally")
struct StandInTallyTests {
    static func config(fight: Int) -> SimConfig {
        try! SimConfig(
            fightLengthSeconds: fight, targets: 1, hastePercent: 0, critChance: 0, critMultiplier: 2,
            abilities: [try! Ability(name: "Bolt", minDamage: 10, maxDamage: 20, cooldownMs: 0, castTimeMs: 1_000, aoe: false)],
            rotationId: nil)
    }

    /// What the summed loop must equal: the damages, added one at a time.
    static func reference(
        fight: Int, configKey: UInt64, seedOffset: Int64, iterations: Int, mean: UInt64, spread: UInt64
    ) -> DamageTally {
        let damages = (0..<Int64(iterations)).map { i in
            mean - spread + SplitMix64.mix(configKey ^ UInt64(bitPattern: seedOffset &+ i)) % (2 * spread + 1)
        }
        return DamageTally(fightLengthSeconds: fight, iterationDamages: damages)
    }

    @Test func summedTallyEqualsOneByOne() {
        var random = SplitMix64(seed: 0x7A11)
        // Means from 1 to the largest `estimatedDamage` gives (10^15), spreads as `result` picks
        // them (max(1, mean / 10)) and a few others, including the loop's limit.
        var cases: [(mean: UInt64, spread: UInt64)] = [
            (1, 1), (2, 1), (9, 1), (10, 1), (11, 1), (1_000, 100), (1_000_000_000_000_000, 100_000_000_000_000),
            ((1 << 50) - 2, 1), ((1 << 49), (1 << 49) - 1), (12_345, 0), (12_345, 12_345),
        ]
        for _ in 0..<200 {
            let mean = 1 + random.next() % (1 << UInt64(1 + random.next() % 48))
            let spread = random.next() % 3 == 0 ? random.next() % (mean + 1) : max(1, mean / 10)
            cases.append((mean, spread))
        }
        var checked = 0
        for (k, c) in cases.enumerated() {
            let fight = [1, 30, 300, 3_600][k % 4]
            let key = random.next()
            let offset = Int64(bitPattern: random.next() >> UInt64(k % 3 == 0 ? 0 : 20))
            let iterations = [1, 2, 7, 1_000, 1 + Int(random.next() % 3_000)][k % 5]
            let summed = ComputeModel.standInTally(
                Self.config(fight: fight), configKey: key, seedOffset: offset, iterations: iterations, mean: c.mean,
                spread: c.spread)
            let expected = Self.reference(
                fight: fight, configKey: key, seedOffset: offset, iterations: iterations, mean: c.mean, spread: c.spread)
            #expect(summed == expected, "mean \(c.mean) spread \(c.spread) iterations \(iterations)")
            if summed != nil { checked += 1 }
        }
        #expect(checked == cases.count)
    }

    /// The AVX-512 path (`vectorTally`, taken when the CPU has it) against the same reference:
    /// widths from its lower limit (2^16) up, iteration counts below one vector (8), around it,
    /// and past one block of a lane's 64-bit sums (32,768), offsets that wrap. On a CPU without
    /// AVX-512 this test is reported as skipped (not passed) and `vectorTallyDeclinesWithoutAVX512`
    /// runs instead: the path must then decline (nil), never answer.
    @Test(.enabled(if: ComputeModel.vectorTallyAvailable, "needs a CPU with AVX-512 F and DQ"))
    func vectorTallyEqualsOneByOne() {
        var compared = 0
        for c in Self.vectorCases() {
            let vector = ComputeModel.vectorTally(
                Self.config(fight: c.fight), configKey: c.key, seedOffset: c.offset, iterations: c.iterations,
                lowestDamage: c.lowest, width: c.width)
            let expected = Self.reference(
                fight: c.fight, configKey: c.key, seedOffset: c.offset, iterations: c.iterations, mean: c.lowest + c.spread,
                spread: c.spread)
            #expect(vector == expected, "width \(c.width) iterations \(c.iterations)")
            compared += 1
        }
        #expect(compared == 300)
        // Widths below its limit: always declined (the Swift loop runs).
        #expect(ComputeModel.vectorTally(Self.config(fight: 300), configKey: 1, seedOffset: 0, iterations: 1_000, lowestDamage: 10, width: (1 << 16) - 1) == nil)
    }

    /// Without AVX-512 the vector path declines every case (the Swift loop computes them).
    @Test(.enabled(if: !ComputeModel.vectorTallyAvailable, "this CPU has AVX-512: vectorTallyEqualsOneByOne runs"))
    func vectorTallyDeclinesWithoutAVX512() {
        for c in Self.vectorCases() {
            #expect(ComputeModel.vectorTally(
                Self.config(fight: c.fight), configKey: c.key, seedOffset: c.offset, iterations: c.iterations,
                lowestDamage: c.lowest, width: c.width) == nil)
        }
    }

    /// The 300 seeded cases of the two tests above.
    private static func vectorCases() -> [(spread: UInt64, width: UInt64, lowest: UInt64, fight: Int, iterations: Int, key: UInt64, offset: Int64)] {
        var random = SplitMix64(seed: 0x5EC7)
        var cases: [(spread: UInt64, width: UInt64, lowest: UInt64, fight: Int, iterations: Int, key: UInt64, offset: Int64)] = []
        for k in 0..<300 {
            let spread: UInt64 = [32_768, 32_769, 100_000, 1 << 40, (1 << 48) + 17][k % 5] + random.next() % 1_000
            let width = 2 * spread + 1
            let lowest = random.next() % ((1 << 50) - width)
            let fight = [1, 300, 3_600][k % 3]
            let iterations = [1, 7, 8, 9, 15, 1_000, 1 + Int(random.next() % 2_000), 32_768 + 8 * 3 + 5, 70_001][k % 9]
            let key = random.next()
            let offset = k % 4 == 0 ? Int64.max - Int64(random.next() % 50) : Int64(bitPattern: random.next())
            cases.append((spread, width, lowest, fight, iterations, key, offset))
        }
        return cases
    }

    /// Outside the bounds under which the wrapping sums cannot wrap, the summed loop declines
    /// (the caller then adds one by one).
    @Test func declinesOutsideItsBounds() {
        let config = Self.config(fight: 300)
        #expect(ComputeModel.standInTally(config, configKey: 1, seedOffset: 0, iterations: 0, mean: 10, spread: 1) == nil)
        #expect(ComputeModel.standInTally(config, configKey: 1, seedOffset: 0, iterations: 1 << 28, mean: 10, spread: 1) == nil)
        #expect(ComputeModel.standInTally(config, configKey: 1, seedOffset: 0, iterations: 10, mean: 1 << 50, spread: 1) == nil)
        #expect(ComputeModel.standInTally(config, configKey: 1, seedOffset: 0, iterations: 10, mean: (1 << 50) - 1, spread: 1) == nil)
        #expect(ComputeModel.standInTally(config, configKey: 1, seedOffset: 0, iterations: 10, mean: 5, spread: 6) == nil)
        #expect(ComputeModel.standInTally(config, configKey: 1, seedOffset: 0, iterations: 10, mean: (1 << 50) - 2, spread: 1) != nil)
    }
}
