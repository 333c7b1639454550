/// How names in configs and rotations compare: as bytes of UTF-8.
///
/// Decision (issue 15): two configs that differ only in Unicode normalization (an ability
/// named "é" as U+00E9 or as "e" + U+0301) are *different* configs. The config hash is taken
/// over the canonical JSON bytes (RFC 8785 does not normalize, and today's config-upsert hashes
/// what it was given), and normalizing would tie every hash to one Unicode version's tables.
/// `String ==` is canonical equivalence, which would call those two configs equal while their
/// hashes differ, so `SimConfig`, `Ability` and `Rotation` compare and hash their text byte by
/// byte, and a rotation names an ability only with exactly its bytes.
enum ExactText {
    static func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    static func same(_ a: String?, _ b: String?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let x?, let y?): return same(x, y)
        default: return false
        }
    }

    static func hash(_ s: String, into hasher: inout Hasher) {
        hasher.combine(s.utf8.count)
        for byte in s.utf8 { hasher.combine(byte) }
    }
}

extension Ability {
    public static func == (a: Ability, b: Ability) -> Bool {
        ExactText.same(a.name, b.name) && a.minDamage == b.minDamage && a.maxDamage == b.maxDamage
            && a.cooldownMs == b.cooldownMs && a.castTimeMs == b.castTimeMs && a.aoe == b.aoe
    }

    public func hash(into hasher: inout Hasher) {
        ExactText.hash(name, into: &hasher)
        hasher.combine(minDamage)
        hasher.combine(maxDamage)
        hasher.combine(cooldownMs)
        hasher.combine(castTimeMs)
        hasher.combine(aoe)
    }
}

extension SimConfig {
    public static func == (a: SimConfig, b: SimConfig) -> Bool {
        a.fightLengthSeconds == b.fightLengthSeconds && a.targets == b.targets && a.hastePercent == b.hastePercent
            && a.critChance == b.critChance && a.critMultiplier == b.critMultiplier && a.abilities == b.abilities
            && ExactText.same(a.rotationId, b.rotationId)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(fightLengthSeconds)
        hasher.combine(targets)
        hasher.combine(hastePercent)
        hasher.combine(critChance)
        hasher.combine(critMultiplier)
        hasher.combine(abilities)
        hasher.combine(rotationId == nil)
        if let rotationId { ExactText.hash(rotationId, into: &hasher) }
    }
}

extension Rotation {
    public static func == (a: Rotation, b: Rotation) -> Bool {
        ExactText.same(a.id, b.id) && a.abilityNames.count == b.abilityNames.count
            && zip(a.abilityNames, b.abilityNames).allSatisfy { ExactText.same($0, $1) }
    }

    public func hash(into hasher: inout Hasher) {
        ExactText.hash(id, into: &hasher)
        hasher.combine(abilityNames.count)
        for name in abilityNames { ExactText.hash(name, into: &hasher) }
    }
}
