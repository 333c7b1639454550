/// The input of a DPS simulation: one fight against `targets` identical targets, one caster.
///
/// Stored (as JSON) in `jobs_configs` under the hash of its canonical text and fetched by nodes
/// before they simulate a chunk. All fields are validated on construction (`SimLimits`), so an
/// existing `SimConfig` is always simulable.
public struct SimConfig: Equatable, Hashable, Sendable {
    public let fightLengthSeconds: Int
    public let targets: Int
    /// Shortens cast times and cooldowns by the factor `1 + hastePercent / 100`.
    public let hastePercent: Double
    /// Probability in [0, 1] that a cast crits.
    public let critChance: Double
    /// Damage factor of a crit (rounded to an integer per hit).
    public let critMultiplier: Double
    /// In default priority order (used when there is no rotation); names are unique.
    public let abilities: [Ability]
    /// The `Rotation` whose priority list replaces the abilities' order, if any.
    public let rotationId: String?

    public init(
        fightLengthSeconds: Int, targets: Int, hastePercent: Double, critChance: Double,
        critMultiplier: Double, abilities: [Ability], rotationId: String? = nil
    ) throws(ConfigError) {
        try ConfigFieldReader.requireIn(SimLimits.fightLengthSeconds, fightLengthSeconds, field: "fightLengthSeconds")
        try ConfigFieldReader.requireIn(SimLimits.targets, targets, field: "targets")
        try Self.requireFinite(hastePercent, field: "hastePercent")
        try ConfigFieldReader.requireIn(SimLimits.hastePercent, hastePercent, field: "hastePercent")
        try Self.requireFinite(critChance, field: "critChance")
        try ConfigFieldReader.requireIn(SimLimits.critChance, critChance, field: "critChance")
        try Self.requireFinite(critMultiplier, field: "critMultiplier")
        try ConfigFieldReader.requireIn(SimLimits.critMultiplier, critMultiplier, field: "critMultiplier")
        guard !abilities.isEmpty else { throw .emptyAbilities }
        guard abilities.count <= SimLimits.maxAbilities else {
            throw .tooManyAbilities(count: abilities.count, limit: SimLimits.maxAbilities)
        }
        // Pairwise check: at most 32 names, and no Set whose order could leak anywhere.
        for (i, a) in abilities.enumerated() where abilities[..<i].contains(where: { ExactText.same($0.name, a.name) }) {
            throw .duplicateAbilityName(a.name)
        }
        if let rotationId {
            try ConfigFieldReader.requireIn(SimLimits.rotationIdLength, rotationId.utf8.count, field: "rotationId")
        }
        self.fightLengthSeconds = fightLengthSeconds
        self.targets = targets
        self.hastePercent = hastePercent
        self.critChance = critChance
        self.critMultiplier = critMultiplier
        self.abilities = abilities
        self.rotationId = rotationId
    }

    /// Parses the stored JSON form. Unknown fields are ignored; `rotationId` may be absent or null.
    public init(json: JSONValue) throws(ConfigError) {
        let r = try ConfigFieldReader(json, path: "")
        let fight = try r.int("fightLengthSeconds")
        let targets = try r.int("targets")
        let haste = try r.double("hastePercent")
        let critChance = try r.double("critChance")
        let critMultiplier = try r.double("critMultiplier")
        let list = try r.array("abilities")
        // Check the count before parsing so a huge list is rejected cheaply.
        guard !list.isEmpty else { throw .emptyAbilities }
        guard list.count <= SimLimits.maxAbilities else {
            throw .tooManyAbilities(count: list.count, limit: SimLimits.maxAbilities)
        }
        var abilities: [Ability] = []
        abilities.reserveCapacity(list.count)
        for (i, value) in list.enumerated() {
            abilities.append(try Ability(json: value, path: "abilities[\(i)]"))
        }
        try self.init(
            fightLengthSeconds: fight, targets: targets, hastePercent: haste, critChance: critChance,
            critMultiplier: critMultiplier, abilities: abilities, rotationId: r.optionalString("rotationId"))
    }

    /// The inverse of `init(json:)`; `rotationId` is omitted when nil.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "fightLengthSeconds": .number(Double(fightLengthSeconds)),
            "targets": .number(Double(targets)),
            "hastePercent": .number(hastePercent),
            "critChance": .number(critChance),
            "critMultiplier": .number(critMultiplier),
            "abilities": .array(abilities.map(\.json)),
        ]
        if let rotationId { fields["rotationId"] = .string(rotationId) }
        return .object(fields)
    }

    /// The ability indices in priority order: the rotation's list, or the abilities' own order.
    ///
    /// Validates that `rotation` is exactly the one this config references and that it names
    /// only known abilities.
    public func priority(with rotation: Rotation?) throws(ConfigError) -> [Int] {
        switch (rotationId, rotation) {
        case (nil, nil):
            return Array(abilities.indices)
        case (let expected?, nil):
            throw .missingRotation(expected)
        case (let expected, let rotation?):
            guard ExactText.same(expected, rotation.id) else { throw .rotationMismatch(expected: expected, actual: rotation.id) }
            var order: [Int] = []
            order.reserveCapacity(rotation.abilityNames.count)
            for name in rotation.abilityNames {
                guard let index = abilities.firstIndex(where: { ExactText.same($0.name, name) }) else {
                    throw .unknownAbilityInRotation(rotation: rotation.id, ability: name)
                }
                order.append(index)
            }
            return order
        }
    }

    private static func requireFinite(_ value: Double, field: String) throws(ConfigError) {
        guard value.isFinite else { throw .wrongType(field: field, expected: "finite number") }
    }
}
