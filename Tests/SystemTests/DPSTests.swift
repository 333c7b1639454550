import PropertyBased
import JobSystem
import Testing

/// The DPS model and its input types: parsing, validation, determinism, and the model's
/// behaviour on hand-checkable fights.
@Suite("DPS model and config")
struct DPSTests {
    // MARK: Fixtures

    /// A valid config as JSON, to be broken one field at a time.
    static let baseJSON: JSONValue = [
        "fightLengthSeconds": 300,
        "targets": 3,
        "hastePercent": 20,
        "critChance": 0.25,
        "critMultiplier": 2,
        "abilities": [
            ["name": "Pyroblast", "minDamage": 900, "maxDamage": 1100, "cooldownMs": 12_000, "castTimeMs": 2_500, "aoe": false],
            ["name": "Flamestrike", "minDamage": 300, "maxDamage": 400, "cooldownMs": 8_000, "castTimeMs": 2_000, "aoe": true],
            ["name": "Fire Blast", "minDamage": 200, "maxDamage": 260, "cooldownMs": 6_000, "castTimeMs": 0, "aoe": false],
            ["name": "Scorch", "minDamage": 120, "maxDamage": 160, "cooldownMs": 0, "castTimeMs": 1_500, "aoe": false],
            ["name": "Living Bomb", "minDamage": 150, "maxDamage": 150, "cooldownMs": 15_000, "castTimeMs": 0, "aoe": true],
        ],
    ]

    static func ability(
        _ name: String, _ lo: Int, _ hi: Int, cooldownMs: Int = 0, castTimeMs: Int = 1_000, aoe: Bool = false
    ) -> Ability {
        try! Ability(name: name, minDamage: lo, maxDamage: hi, cooldownMs: cooldownMs, castTimeMs: castTimeMs, aoe: aoe)
    }

    static func config(
        fight: Int = 10, targets: Int = 1, haste: Double = 0, critChance: Double = 0, critMultiplier: Double = 2,
        _ abilities: [Ability], rotationId: String? = nil
    ) -> SimConfig {
        try! SimConfig(
            fightLengthSeconds: fight, targets: targets, hastePercent: haste, critChance: critChance,
            critMultiplier: critMultiplier, abilities: abilities, rotationId: rotationId)
    }

    /// `base` with `value` at `path` (object keys, or array indices as "[i]"); nil removes it.
    static func setting(_ base: JSONValue, _ path: [String], to value: JSONValue?) -> JSONValue {
        guard let key = path.first else { return value ?? .null }
        let rest = Array(path.dropFirst())
        switch base {
        case .object(var fields):
            if rest.isEmpty && value == nil {
                fields[key] = nil
            } else {
                fields[key] = setting(fields[key] ?? .null, rest, to: value)
            }
            return .object(fields)
        case .array(var items):
            let i = Int(key.dropFirst().dropLast())!
            items[i] = setting(items[i], rest, to: value)
            return .array(items)
        default:
            preconditionFailure("path \(path) does not exist")
        }
    }

    static func parseError(_ json: JSONValue) -> ConfigError? {
        do {
            _ = try SimConfig(json: json)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Parsing

    @Test func baseConfigParsesAndRoundTrips() throws {
        let config = try SimConfig(json: Self.baseJSON)
        #expect(config.abilities.map(\.name) == ["Pyroblast", "Flamestrike", "Fire Blast", "Scorch", "Living Bomb"])
        #expect(config.rotationId == nil)
        #expect(config.json == Self.baseJSON)
        #expect(try SimConfig(json: config.json) == config)
        // Through canonical text as stored in jobs_configs.
        #expect(try SimConfig(json: JSONValue.parse(config.json.canonicalString)) == config)

        let withRotation = try SimConfig(json: Self.setting(Self.baseJSON, ["rotationId"], to: "fire-st"))
        #expect(withRotation.rotationId == "fire-st")
        #expect(try SimConfig(json: withRotation.json) == withRotation)
        // null rotationId means none.
        #expect(try SimConfig(json: Self.setting(Self.baseJSON, ["rotationId"], to: .null)).rotationId == nil)
    }

    static let malformed: [(String, [String], JSONValue?, ConfigError)] = [
        ("missing top-level", ["targets"], nil, .missingField("targets")),
        ("missing nested", ["abilities", "[1]", "castTimeMs"], nil, .missingField("abilities[1].castTimeMs")),
        ("null is missing", ["critChance"], .null, .missingField("critChance")),
        ("string for integer", ["targets"], "3", .wrongType(field: "targets", expected: "integer")),
        ("fraction for integer", ["fightLengthSeconds"], 2.5, .wrongType(field: "fightLengthSeconds", expected: "integer")),
        ("string for number", ["hastePercent"], "20", .wrongType(field: "hastePercent", expected: "number")),
        ("number for bool", ["abilities", "[0]", "aoe"], 1, .wrongType(field: "abilities[0].aoe", expected: "boolean")),
        ("number for name", ["abilities", "[2]", "name"], 7, .wrongType(field: "abilities[2].name", expected: "string")),
        ("object for abilities", ["abilities"], [:], .wrongType(field: "abilities", expected: "array")),
        ("number for ability", ["abilities", "[0]"], 5, .wrongType(field: "abilities[0]", expected: "object")),
        ("number for rotationId", ["rotationId"], 5, .wrongType(field: "rotationId", expected: "string")),
        ("fight 0", ["fightLengthSeconds"], 0, .outOfRange(field: "fightLengthSeconds", allowed: "1...3600")),
        ("fight 3601", ["fightLengthSeconds"], 3601, .outOfRange(field: "fightLengthSeconds", allowed: "1...3600")),
        ("targets 0", ["targets"], 0, .outOfRange(field: "targets", allowed: "1...20")),
        ("targets 21", ["targets"], 21, .outOfRange(field: "targets", allowed: "1...20")),
        ("haste -1", ["hastePercent"], -1, .outOfRange(field: "hastePercent", allowed: "0.0...200.0")),
        ("haste 201", ["hastePercent"], 201, .outOfRange(field: "hastePercent", allowed: "0.0...200.0")),
        ("crit chance 1.01", ["critChance"], 1.01, .outOfRange(field: "critChance", allowed: "0.0...1.0")),
        ("crit multiplier 0.9", ["critMultiplier"], 0.9, .outOfRange(field: "critMultiplier", allowed: "1.0...10.0")),
        ("negative damage", ["abilities", "[0]", "minDamage"], -1, .outOfRange(field: "abilities[0].minDamage", allowed: "0...1000000")),
        ("negative cooldown", ["abilities", "[3]", "cooldownMs"], -5, .outOfRange(field: "abilities[3].cooldownMs", allowed: "0...3600000")),
        ("zero-time ability", ["abilities", "[2]", "cooldownMs"], 50,
         .outOfRange(field: "abilities[2].castTimeMs", allowed: "castTimeMs + cooldownMs >= 100")),
        ("empty name", ["abilities", "[0]", "name"], "", .outOfRange(field: "abilities[0].name", allowed: "1...64")),
        ("empty rotationId", ["rotationId"], "", .outOfRange(field: "rotationId", allowed: "1...128")),
        ("min above max", ["abilities", "[0]", "minDamage"], 1200, .invalidDamageRange(ability: "Pyroblast", minDamage: 1200, maxDamage: 1100)),
        ("duplicate name", ["abilities", "[4]", "name"], "Scorch", .duplicateAbilityName("Scorch")),
        ("empty abilities", ["abilities"], [], .emptyAbilities),
    ]

    @Test(arguments: 0..<malformed.count)
    func rejectsMalformedConfig(_ index: Int) {
        let (label, path, value, expected) = Self.malformed[index]
        let error = Self.parseError(Self.setting(Self.baseJSON, path, to: value))
        #expect(error == expected, "\(label)")
    }

    @Test func rejectsNonObjectAndTooManyAbilities() {
        #expect(Self.parseError([1, 2]) == .wrongType(field: "$", expected: "object"))
        let one: JSONValue = ["name": "x", "minDamage": 1, "maxDamage": 2, "cooldownMs": 0, "castTimeMs": 1000, "aoe": false]
        let many = JSONValue.array((0..<33).map { i in Self.setting(one, ["name"], to: .string("a\(i)")) })
        #expect(Self.parseError(Self.setting(Self.baseJSON, ["abilities"], to: many)) == .tooManyAbilities(count: 33, limit: 32))
        let max = JSONValue.array((0..<32).map { i in Self.setting(one, ["name"], to: .string("a\(i)")) })
        #expect(Self.parseError(Self.setting(Self.baseJSON, ["abilities"], to: max)) == nil)
    }

    @Test func rotationParsingAndValidation() throws {
        let json: JSONValue = ["id": "fire-st", "priority": ["Fire Blast", "Pyroblast", "Scorch"]]
        let rotation = try Rotation(json: json)
        #expect(rotation.abilityNames == ["Fire Blast", "Pyroblast", "Scorch"])
        #expect(rotation.json == json)
        #expect(try Rotation(json: rotation.json) == rotation)

        func rotationError(_ json: JSONValue) -> ConfigError? {
            do { _ = try Rotation(json: json); return nil } catch { return error }
        }
        #expect(rotationError(["priority": ["a"]]) == .missingField("id"))
        #expect(rotationError(["id": "r", "priority": "a"]) == .wrongType(field: "priority", expected: "array"))
        #expect(rotationError(["id": "r", "priority": ["a", 3]]) == .wrongType(field: "priority[1]", expected: "string"))
        #expect(rotationError(["id": "r", "priority": []]) == .emptyRotation("r"))
        #expect(rotationError(["id": "r", "priority": ["a", "b", "a"]]) == .duplicateAbilityName("a"))
        #expect(rotationError(["id": "", "priority": ["a"]]) == .outOfRange(field: "id", allowed: "1...128"))

        // Against a config.
        let plain = try SimConfig(json: Self.baseJSON)
        let referencing = try SimConfig(json: Self.setting(Self.baseJSON, ["rotationId"], to: "fire-st"))
        func modelError(_ config: SimConfig, _ rotation: Rotation?) -> ConfigError? {
            do { _ = try DPSModel(config: config, rotation: rotation); return nil } catch { return error }
        }
        #expect(modelError(referencing, rotation) == nil)
        #expect(modelError(plain, nil) == nil)
        #expect(modelError(referencing, nil) == .missingRotation("fire-st"))
        #expect(modelError(plain, rotation) == .rotationMismatch(expected: nil, actual: "fire-st"))
        let other = try Rotation(id: "other", abilityNames: ["Scorch"])
        #expect(modelError(referencing, other) == .rotationMismatch(expected: "fire-st", actual: "other"))
        let unknown = try Rotation(id: "fire-st", abilityNames: ["Scorch", "Frostbolt"])
        #expect(modelError(referencing, unknown) == .unknownAbilityInRotation(rotation: "fire-st", ability: "Frostbolt"))
    }

    @Test func errorsDescribeThemselves() {
        #expect(ConfigError.missingField("targets").description == "missing field 'targets'")
        #expect("\(ConfigError.tooManyAbilities(count: 33, limit: 32))" == "config has 33 abilities, at most 32 allowed")
    }

    // MARK: The model on hand-checkable fights

    @Test func handCheckedTimelines() throws {
        // One 1 s cast, no cooldown, 10 s: 10 casts.
        let filler = Self.ability("Filler", 100, 100)
        #expect(try DPSModel(config: Self.config([filler])).iterationDamages(seedOffset: 0, iterations: 3) == [1000, 1000, 1000])
        // Cooldown from cast start: casts at 0, 2.5, 5, 7.5 s (the one at 10 s is past the end).
        let slow = Self.ability("Slow", 100, 100, cooldownMs: 2_500)
        #expect(try DPSModel.simulate(config: Self.config([slow]), seedOffset: 0, iterations: 1).damageSum == 400)
        // Instants: one cast per cooldown, at 0, 1, ..., 9 s.
        let instant = Self.ability("Instant", 7, 7, cooldownMs: 1_000, castTimeMs: 0)
        #expect(try DPSModel.simulate(config: Self.config([instant]), seedOffset: 0, iterations: 1).damageSum == 70)
        // A cast that would end after the fight deals nothing: 3 s casts in 10 s → 3 land.
        let long = Self.ability("Long", 10, 10, castTimeMs: 3_000)
        #expect(try DPSModel.simulate(config: Self.config([long]), seedOffset: 0, iterations: 1).damageSum == 30)
        // Haste 100 % halves cast times: 20 casts.
        #expect(try DPSModel.simulate(config: Self.config(haste: 100, [filler]), seedOffset: 0, iterations: 1).damageSum == 2000)
        // The DPS of an iteration is damage / fight length.
        let result = try DPSModel.simulate(config: Self.config([filler]), seedOffset: 0, iterations: 5)
        #expect(result.meanDPS == 100 && result.minDPS == 100 && result.maxDPS == 100 && result.m2 == 0)
    }

    @Test func priorityAndRotation() throws {
        let big = Self.ability("Big", 1000, 1000, cooldownMs: 5_000)
        let small = Self.ability("Small", 10, 10)
        // Default priority = abilities' order: Big at 0 and 5 s, Small in between.
        #expect(try DPSModel.simulate(config: Self.config([big, small]), seedOffset: 0, iterations: 1).damageSum == 2080)
        // A rotation that puts Small first starves Big.
        let config = Self.config([big, small], rotationId: "r")
        let smallFirst = try Rotation(id: "r", abilityNames: ["Small", "Big"])
        #expect(try DPSModel.simulate(config: config, rotation: smallFirst, seedOffset: 0, iterations: 1).damageSum == 100)
        // Abilities missing from the rotation are never cast.
        let bigOnly = try Rotation(id: "r", abilityNames: ["Big"])
        #expect(try DPSModel.simulate(config: config, rotation: bigOnly, seedOffset: 0, iterations: 1).damageSum == 2000)
    }

    @Test func critOneWithMultiplierTwoDoublesEveryHit() throws {
        let base = try SimConfig(json: Self.baseJSON)
        func damages(critChance: Double) throws -> [UInt64] {
            let c = Self.config(
                fight: base.fightLengthSeconds, targets: base.targets, haste: base.hastePercent,
                critChance: critChance, critMultiplier: 2, base.abilities)
            return try DPSModel(config: c).iterationDamages(seedOffset: 77, iterations: 200)
        }
        let never = try damages(critChance: 0)
        let always = try damages(critChance: 1)
        #expect(always == never.map { $0 * 2 })
        let sometimes = try damages(critChance: 0.5)
        #expect(zip(sometimes, never).allSatisfy { $0 > $1 } && zip(sometimes, always).allSatisfy { $0 < $1 })
    }

    @Test func moreTargetsMoreDPSWithAoe() throws {
        let aoe = Self.ability("Blizzard", 100, 200, cooldownMs: 3_000, aoe: true)
        let single = Self.ability("Frostbolt", 150, 250)
        func mean(_ targets: Int, _ abilities: [Ability]) throws -> Double {
            try DPSModel.simulate(config: Self.config(fight: 120, targets: targets, abilities), seedOffset: 0, iterations: 500).meanDPS
        }
        #expect(try mean(5, [aoe, single]) > mean(1, [aoe, single]))
        #expect(try mean(20, [aoe, single]) > mean(5, [aoe, single]))
        // Only aoe: the draws are identical, so damage scales exactly with the target count.
        let one = try DPSModel(config: Self.config(targets: 1, [aoe])).iterationDamages(seedOffset: 0, iterations: 50)
        let seven = try DPSModel(config: Self.config(targets: 7, [aoe])).iterationDamages(seedOffset: 0, iterations: 50)
        #expect(seven == one.map { $0 * 7 })
        // Without aoe abilities targets change nothing.
        #expect(try mean(1, [single]) == mean(9, [single]))
    }

    @Test func hasteIncreasesDPS() throws {
        let base = try SimConfig(json: Self.baseJSON)
        func mean(_ haste: Double) throws -> Double {
            let c = Self.config(
                fight: 300, targets: base.targets, haste: haste, critChance: base.critChance,
                critMultiplier: base.critMultiplier, base.abilities)
            return try DPSModel.simulate(config: c, seedOffset: 0, iterations: 300).meanDPS
        }
        let dps = try [0.0, 25, 50, 100, 200].map(mean)
        #expect(zip(dps, dps.dropFirst()).allSatisfy { $0 < $1 }, "\(dps)")
    }

    // MARK: Determinism and chunking

    @Test func deterministicAndSeedSensitive() throws {
        let model = try DPSModel(config: SimConfig(json: Self.baseJSON))
        let a = model.run(seedOffset: 4_000, iterations: 1_000)
        let b = try DPSModel(config: SimConfig(json: Self.baseJSON)).run(seedOffset: 4_000, iterations: 1_000)
        #expect(a == b)
        #expect(a.meanDPS.bitPattern == b.meanDPS.bitPattern)
        let c = model.run(seedOffset: 5_000, iterations: 1_000)
        #expect(a != c)
        #expect(a.meanDPS != c.meanDPS)
        // Iterations differ from each other (the damage actually depends on the stream).
        #expect(a.minDamage < a.maxDamage)
        // Overlapping ranges agree on their overlap.
        let head = model.iterationDamages(seedOffset: 4_000, iterations: 10)
        let shifted = model.iterationDamages(seedOffset: 4_005, iterations: 10)
        #expect(Array(head[5...]) == Array(shifted[..<5]))
    }

    @Test func chunksOfAThousandAreSlicesOfTheWholeRun() throws {
        let model = try DPSModel(config: SimConfig(json: Self.baseJSON))
        let whole = model.iterationDamages(seedOffset: 0, iterations: 5_000)
        let sliced = stride(from: 0, to: 5_000, by: 1_000).flatMap {
            model.iterationDamages(seedOffset: Int64($0), iterations: 1_000)
        }
        #expect(sliced == whole)
        let chunks = stride(from: 0, to: 5_000, by: 1_000).map { model.run(seedOffset: Int64($0), iterations: 1_000) }
        #expect(SimulationResult.aggregate(chunks) == SimulationResult(model.run(seedOffset: 0, iterations: 5_000)))
    }

    /// A full 1,000-iteration chunk of a 300 s, 5-ability fight (the size every job's chunks
    /// have) is exactly its slice of the job: the tally of iterations 1,000..<2,000 of the
    /// all-at-once damage sequence.
    /// (Speed is measured by `simharness bench`, not asserted in tests.)
    @Test func fullChunkIsItsSliceOfTheJob() throws {
        let config = try SimConfig(json: Self.baseJSON)
        let model = try DPSModel(config: config)
        let chunk = model.run(seedOffset: 1_000, iterations: 1_000)
        let all = model.iterationDamages(seedOffset: 0, iterations: 2_000)
        let expected = DamageTally(fightLengthSeconds: 300, iterationDamages: all[1_000...])
        #expect(chunk.tally == expected)
        #expect(chunk.tally.iterations == 1_000)
        #expect(chunk.tally.minDamage > 0 && chunk.tally.minDamage < chunk.tally.maxDamage)
        // The same chunk again is the same result (a rerun after a reap is indistinguishable).
        #expect(model.run(seedOffset: 1_000, iterations: 1_000) == chunk)
        // And the first two chunks merge into the all-at-once result.
        let merged = model.run(seedOffset: 0, iterations: 1_000).tally.merged(with: chunk.tally)
        #expect(merged == DamageTally(fightLengthSeconds: 300, iterationDamages: all))
    }
}
