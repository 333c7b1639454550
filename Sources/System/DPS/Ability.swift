/// One castable ability of a `SimConfig`.
///
/// Validated on construction so that a `DPSModel` never has to defend against nonsense (negative
/// damage, zero-time abilities that would stall the timeline, values that could overflow the
/// exact accumulators); see `SimLimits`.
public struct Ability: Equatable, Hashable, Sendable {
    /// Unique within a config; rotations reference abilities by it.
    public let name: String
    /// Inclusive bounds of the uniform integer damage roll of one hit on one target.
    public let minDamage: Int
    public let maxDamage: Int
    /// Time from the start of a cast until the ability is ready again, before haste.
    public let cooldownMs: Int
    /// Time the caster is busy casting, before haste; damage lands when the cast completes.
    public let castTimeMs: Int
    /// Hits every target (damage × `targets`) instead of one.
    public let aoe: Bool

    public init(
        name: String, minDamage: Int, maxDamage: Int, cooldownMs: Int, castTimeMs: Int, aoe: Bool
    ) throws(ConfigError) {
        try self.init(
            name: name, minDamage: minDamage, maxDamage: maxDamage, cooldownMs: cooldownMs,
            castTimeMs: castTimeMs, aoe: aoe, path: "ability")
    }

    /// `path` prefixes the field names of the errors (`abilities[2]` when parsing a config).
    init(
        name: String, minDamage: Int, maxDamage: Int, cooldownMs: Int, castTimeMs: Int, aoe: Bool,
        path: String
    ) throws(ConfigError) {
        try ConfigFieldReader.requireIn(SimLimits.abilityNameLength, name.utf8.count, field: "\(path).name")
        try ConfigFieldReader.requireIn(SimLimits.damage, minDamage, field: "\(path).minDamage")
        try ConfigFieldReader.requireIn(SimLimits.damage, maxDamage, field: "\(path).maxDamage")
        guard minDamage <= maxDamage else {
            throw .invalidDamageRange(ability: name, minDamage: minDamage, maxDamage: maxDamage)
        }
        try ConfigFieldReader.requireIn(SimLimits.cooldownMs, cooldownMs, field: "\(path).cooldownMs")
        try ConfigFieldReader.requireIn(SimLimits.castTimeMs, castTimeMs, field: "\(path).castTimeMs")
        guard castTimeMs + cooldownMs >= SimLimits.minAbilityPeriodMs else {
            throw .outOfRange(
                field: "\(path).castTimeMs",
                allowed: "castTimeMs + cooldownMs >= \(SimLimits.minAbilityPeriodMs)")
        }
        self.name = name
        self.minDamage = minDamage
        self.maxDamage = maxDamage
        self.cooldownMs = cooldownMs
        self.castTimeMs = castTimeMs
        self.aoe = aoe
    }

    public init(json: JSONValue) throws(ConfigError) {
        try self.init(json: json, path: "ability")
    }

    init(json: JSONValue, path: String) throws(ConfigError) {
        let r = try ConfigFieldReader(json, path: path)
        try self.init(
            name: r.string("name"), minDamage: r.int("minDamage"), maxDamage: r.int("maxDamage"),
            cooldownMs: r.int("cooldownMs"), castTimeMs: r.int("castTimeMs"), aoe: r.bool("aoe"),
            path: path)
    }

    /// The inverse of `init(json:)`.
    public var json: JSONValue {
        .object([
            "name": .string(name),
            "minDamage": .number(Double(minDamage)),
            "maxDamage": .number(Double(maxDamage)),
            "cooldownMs": .number(Double(cooldownMs)),
            "castTimeMs": .number(Double(castTimeMs)),
            "aoe": .bool(aoe),
        ])
    }
}
