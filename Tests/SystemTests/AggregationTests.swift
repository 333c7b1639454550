import PropertyBased
import JobSystem
import Testing

/// Aggregation of chunk results: exact, order-independent, bit-identical to running all
/// iterations at once; the Chan merge as a floating-point cross-check; the jsonb form.
@Suite("Chunk aggregation")
struct AggregationTests {
    // MARK: Generators

    /// A valid ability: cast + cooldown is lifted to the 100 ms minimum when needed.
    static let abilityGen = zip(
        Gen.int(in: 0...2_000), Gen.int(in: 0...2_000), Gen.int(in: 0...20_000), Gen.int(in: 0...3_000), Gen.bool
    ).map { t in
        (minDamage: t.0, span: t.1, cooldownMs: t.2, castTimeMs: t.2 + t.3 < 100 ? 100 : t.3, aoe: t.4)
    }

    /// A valid config (short fights keep the debug-build property test quick) and maybe a
    /// rotation listing the abilities in reverse.
    static let configGen = zip(
        Gen.int(in: 1...120), Gen.int(in: 1...20), Gen.double(in: 0...200), Gen.double(in: 0...1),
        Gen.double(in: 1...10), abilityGen.array(of: 1...6), Gen.bool
    ).map { t -> Setup in
        let abilities = t.5.enumerated().map { i, a in
            try! Ability(
                name: "a\(i)", minDamage: a.minDamage, maxDamage: a.minDamage + a.span, cooldownMs: a.cooldownMs,
                castTimeMs: a.castTimeMs, aoe: a.aoe)
        }
        let rotation = t.6 ? try! Rotation(id: "rot", abilityNames: abilities.map(\.name).reversed()) : nil
        let config = try! SimConfig(
            fightLengthSeconds: t.0, targets: t.1, hastePercent: t.2, critChance: t.3, critMultiplier: t.4,
            abilities: abilities, rotationId: rotation?.id)
        return Setup(config: config, rotation: rotation)
    }

    struct Setup: Sendable, CustomStringConvertible {
        var config: SimConfig
        var rotation: Rotation?
        var description: String { "\(config.json) \(rotation.map { "\($0.json)" } ?? "no rotation")" }
    }

    /// Chunk sizes (their sum is the job's iteration count).
    static let chunkSizesGen = Gen.int(in: 1...700).array(of: 1...8)

    /// Fisher–Yates with a local SplitMix64, so a completion order is reproducible from a seed.
    static func shuffled<T>(_ items: [T], seed: UInt64) -> [T] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var items = items
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, Int(next() % UInt64(i + 1)))
        }
        return items
    }

    /// Runs each chunk at its seed offset (the sum of the sizes before it).
    static func runChunks(_ model: DPSModel, sizes: [Int]) -> [ChunkResult] {
        var offset: Int64 = 0
        return sizes.map { size in
            defer { offset += Int64(size) }
            return model.run(seedOffset: offset, iterations: size)
        }
    }

    static func bits(_ r: some DPSStatistics) -> [UInt64] {
        [r.meanDPS, r.m2, r.variance, r.stddev, r.minDPS, r.maxDPS].map(\.bitPattern)
    }

    static func relativeError(_ a: Double, _ b: Double) -> Double {
        a == b ? 0 : abs(a - b) / max(abs(a), abs(b))
    }

    // MARK: Properties

    @Test func aggregateIsBitIdenticalToAllAtOnceInAnyChunkingAndOrder() async {
        await propertyCheck(count: 40, input: Self.configGen, Self.chunkSizesGen, Gen.uint64()) { setup, sizes, orderSeed in
            let model = try DPSModel(config: setup.config, rotation: setup.rotation)
            let total = sizes.reduce(0, +)
            let whole = SimulationResult(model.run(seedOffset: 0, iterations: total))
            let chunks = Self.runChunks(model, sizes: sizes)

            let inOrder = try #require(SimulationResult.aggregate(chunks))
            let completed = try #require(SimulationResult.aggregate(Self.shuffled(chunks, seed: orderSeed)))
            #expect(inOrder == whole)
            #expect(completed == whole)
            #expect(Self.bits(completed) == Self.bits(whole))
            #expect(completed.iterations == total)

            // Any grouping: merge random pairs until one tally is left.
            var pending = Self.shuffled(chunks.map(\.tally), seed: orderSeed ^ 0xA5A5)
            while pending.count > 1 {
                let a = pending.removeLast()
                let b = pending.removeLast()
                let merged = try #require(b.merged(with: a))
                pending.insert(merged, at: Int(orderSeed % UInt64(pending.count + 1)))
            }
            #expect(SimulationResult(tally: pending[0]) == whole)
        }
    }

    @Test func chanMergeAgreesWithinTolerance() async {
        await propertyCheck(count: 40, input: Self.configGen, Self.chunkSizesGen, Gen.uint64()) { setup, sizes, orderSeed in
            let model = try DPSModel(config: setup.config, rotation: setup.rotation)
            let chunks = Self.shuffled(Self.runChunks(model, sizes: sizes), seed: orderSeed)
            let exact = try #require(SimulationResult.aggregate(chunks))
            let chan = try #require(SimulationResult.mergedChan(chunks))
            #expect(chan.iterations == exact.iterations)
            #expect(Self.relativeError(chan.mean, exact.meanDPS) <= 1e-12)
            // M2 can be tiny next to mean² (e.g. equal damage every iteration), so also allow an
            // absolute error relative to the scale of the data.
            let scale = exact.meanDPS * exact.meanDPS * Double(exact.iterations)
            #expect(abs(chan.m2 - exact.m2) <= 1e-9 * max(exact.m2, 0) + 1e-12 * scale)
            #expect(chan.min == exact.minDPS && chan.max == exact.maxDPS)
            // The pairwise form agrees too.
            if chunks.count >= 2 {
                let pair = chunks[0].mergedChan(with: chunks[1])
                let pairExact = try #require(SimulationResult.aggregate(Array(chunks[0...1])))
                #expect(Self.relativeError(pair.mean, pairExact.meanDPS) <= 1e-12)
            }
        }
    }

    /// With small integers the exact ratios are themselves representable, so the single final
    /// rounding must match IEEE division (which is correctly rounded) bit for bit.
    @Test func statisticsAreCorrectlyRoundedRatios() async {
        await propertyCheck(
            count: 200, input: Gen.uint64(in: 0...1_000_000).array(of: 1...50), Gen.int(in: 1...3600)
        ) { damages, length in
            let r = SimulationResult(tally: DamageTally(fightLengthSeconds: length, iterationDamages: damages))
            let n = UInt64(damages.count)
            let sum = damages.reduce(0, +)
            let squares = damages.reduce(UInt64(0)) { $0 + $1 * $1 }
            let l = UInt64(length)
            #expect(r.meanDPS == Double(sum) / Double(n * l))
            let spread = n * squares - sum * sum  // < 2^53 for these sizes? checked below
            if spread < 1 << 53 && n * l * l < 1 << 53 {
                #expect(r.m2 == Double(spread) / Double(n * l * l))
                if n > 1 && n * (n - 1) * l * l < 1 << 53 {
                    #expect(r.variance == Double(spread) / Double(n * (n - 1) * l * l))
                }
            }
            #expect(r.minDPS == Double(damages.min()!) / Double(length))
            #expect(r.maxDPS == Double(damages.max()!) / Double(length))
        }
    }

    // MARK: Edge cases

    @Test func aggregateRejectsEmptyAndMixedFightLengths() throws {
        #expect(SimulationResult.aggregate([]) == nil)
        #expect(SimulationResult.mergedChan([]) == nil)
        let a = ChunkResult(tally: DamageTally(fightLengthSeconds: 10, iterationDamages: [1, 2]))
        let b = ChunkResult(tally: DamageTally(fightLengthSeconds: 20, iterationDamages: [3]))
        #expect(SimulationResult.aggregate([a, b]) == nil)
        #expect(SimulationResult.aggregate([a]) == SimulationResult(a))
    }

    @Test func singleIterationHasZeroVariance() {
        let r = ChunkResult(tally: DamageTally(fightLengthSeconds: 7, iterationDamages: [700]))
        #expect(r.meanDPS == 100 && r.m2 == 0 && r.variance == 0 && r.stddev == 0)
        #expect(r.minDPS == 100 && r.maxDPS == 100)
    }

    @Test func hugeSumsStayExact() throws {
        // Near the model's worst case: 10^7 iterations of ~7·10^14 damage each, far past where
        // Double sums would lose units.
        var t = DamageTally(fightLengthSeconds: 3600)
        t.add(700_000_000_000_001)
        t.add(700_000_000_000_000)
        var big = t
        for _ in 0..<22 { big = try #require(big.merged(with: big)) }  // 2^23 ≈ 8.4·10^6 iterations
        let r = SimulationResult(tally: big)
        #expect(r.iterations == 1 << 23)
        #expect(r.damageSum == UInt128(1_400_000_000_000_001) << 22)
        // Half the iterations are one unit above the other half: M2 = n/4 · (1/L)².
        #expect(r.m2 == Double(1 << 23) / 4 / (3600.0 * 3600.0))
        #expect(r.minDamage == 700_000_000_000_000 && r.maxDamage == 700_000_000_000_001)
    }

    // MARK: JSON

    @Test func resultJSONRoundTrips() async {
        await propertyCheck(count: 100, input: Gen.uint64(in: 0...UInt64(1) << 50).array(of: 1...20), Gen.int(in: 1...3600)) {
            (damages: [UInt64], length: Int) throws in
            let chunk = ChunkResult(tally: DamageTally(fightLengthSeconds: length, iterationDamages: damages))
            #expect(try ChunkResult(json: chunk.json) == chunk)
            #expect(try ChunkResult(json: JSONValue.parse(chunk.json.canonicalString)) == chunk)
            let sim = SimulationResult(chunk)
            #expect(try SimulationResult(json: JSONValue.parse(sim.json.canonicalString)) == sim)
        }
    }

    @Test func resultJSONShape() throws {
        let r = ChunkResult(tally: DamageTally(fightLengthSeconds: 10, iterationDamages: [100, 300]))
        let json = r.json
        #expect(json["iterations"] == 2)
        #expect(json["fightLengthSeconds"] == 10)
        #expect(json["damageSum"] == "400")
        #expect(json["damageSquaresSum"] == "100000")
        #expect(json["minDamage"] == "100" && json["maxDamage"] == "300")
        #expect(json["meanDps"] == 20 && json["minDps"] == 10 && json["maxDps"] == 30)
        #expect(json["m2"] == 200 && json["variance"] == 200)
        // Beyond 2^64: still exact decimal text.
        var big = DamageTally(fightLengthSeconds: 1)
        big.add(UInt64.max / 2)
        big.add(UInt64.max / 2)
        #expect(ChunkResult(tally: big).json["damageSum"] == .string(String(UInt128(UInt64.max / 2) * 2)))
    }

    @Test func resultDecodingRejectsBadRecords() {
        let good = ChunkResult(tally: DamageTally(fightLengthSeconds: 10, iterationDamages: [100, 300])).json
        func error(_ key: String, _ value: JSONValue?) -> ResultDecodingError? {
            guard case .object(var fields) = good else { return nil }
            fields[key] = value
            do { _ = try ChunkResult(json: .object(fields)); return nil } catch { return error }
        }
        #expect(error("meanDps", 12345) == nil)  // informational, recomputed
        #expect(error("damageSum", nil) == .missingField("damageSum"))
        #expect(error("iterations", "2") == .wrongType(field: "iterations", expected: "integer"))
        for bad: JSONValue in [400, "0400", "-400", "+400", "4e2", "", "400 "] {
            #expect(error("damageSum", bad) != nil, "\(bad)")
        }
        #expect(error("damageSum", "340282366920938463463374607431768211456") != nil)  // 2^128
        #expect(error("iterations", 0) == .inconsistent("iterations must be at least 1"))
        #expect(error("damageSum", "700") == .inconsistent("damageSum outside [n·minDamage, n·maxDamage]"))
        #expect(error("minDamage", "301") == .inconsistent("minDamage above maxDamage"))
        #expect(error("damageSquaresSum", "79999") == .inconsistent("damageSquaresSum below damageSum² / iterations"))
        #expect(error("fightLengthSeconds", 0) != nil)
    }
}
