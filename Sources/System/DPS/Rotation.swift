/// A named priority list of ability names, stored separately from configs (`rotations`) so that
/// many configs can share one; a config references it by `rotationId`.
///
/// Whether its names exist is checked against a config (`SimConfig.priority(with:)`), since a
/// rotation alone does not know the abilities.
public struct Rotation: Equatable, Hashable, Sendable {
    public let id: String
    /// Highest priority first; names are unique.
    public let abilityNames: [String]

    public init(id: String, abilityNames: [String]) throws(ConfigError) {
        try ConfigFieldReader.requireIn(SimLimits.rotationIdLength, id.utf8.count, field: "id")
        guard !abilityNames.isEmpty else { throw .emptyRotation(id) }
        guard abilityNames.count <= SimLimits.maxAbilities else {
            throw .tooManyAbilities(count: abilityNames.count, limit: SimLimits.maxAbilities)
        }
        for (i, name) in abilityNames.enumerated() where abilityNames[..<i].contains(where: { ExactText.same($0, name) }) {
            throw .duplicateAbilityName(name)
        }
        self.id = id
        self.abilityNames = abilityNames
    }

    /// Parses `{"id": "...", "priority": ["name", ...]}`; unknown fields are ignored.
    public init(json: JSONValue) throws(ConfigError) {
        let r = try ConfigFieldReader(json, path: "")
        let id = try r.string("id")
        var names: [String] = []
        for (i, value) in try r.array("priority").enumerated() {
            guard case .string(let name) = value else {
                throw .wrongType(field: "priority[\(i)]", expected: "string")
            }
            names.append(name)
        }
        try self.init(id: id, abilityNames: names)
    }

    /// The inverse of `init(json:)`.
    public var json: JSONValue {
        .object(["id": .string(id), "priority": .array(abilityNames.map { .string($0) })])
    }
}
