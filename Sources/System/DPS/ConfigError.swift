/// Why a `SimConfig`, `Ability` or `Rotation` was rejected.
///
/// Configs arrive from users and are stored by hash, so every rejection names the offending field
/// by its JSON path (e.g. `abilities[2].cooldownMs`) and the rule it broke: the portal can show it
/// verbatim and tests can match the exact case.
public enum ConfigError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// A required field is absent (or `null`).
    case missingField(String)
    /// A field is present but of the wrong JSON type (`expected` is e.g. "integer", "string").
    case wrongType(field: String, expected: String)
    /// A field has the right type but a value outside `allowed` (a human-readable rule).
    case outOfRange(field: String, allowed: String)
    /// The config lists no abilities: nothing could ever be cast.
    case emptyAbilities
    /// More abilities than `limit`: keeps a decision point's priority scan bounded.
    case tooManyAbilities(count: Int, limit: Int)
    /// Two abilities share a name, so a rotation naming it would be ambiguous.
    case duplicateAbilityName(String)
    /// An ability whose `minDamage` exceeds its `maxDamage`.
    case invalidDamageRange(ability: String, minDamage: Int, maxDamage: Int)
    /// A rotation lists a name that is not one of the config's abilities.
    case unknownAbilityInRotation(rotation: String, ability: String)
    /// A rotation lists no abilities.
    case emptyRotation(String)
    /// The config references `rotationId` but no rotation was supplied.
    case missingRotation(String)
    /// The supplied rotation is not the one the config references (`expected` is nil when the
    /// config references none).
    case rotationMismatch(expected: String?, actual: String)

    public var description: String {
        switch self {
        case .missingField(let field): "missing field '\(field)'"
        case .wrongType(let field, let expected): "field '\(field)' must be \(expected)"
        case .outOfRange(let field, let allowed): "field '\(field)' out of range: \(allowed)"
        case .emptyAbilities: "config has no abilities"
        case .tooManyAbilities(let count, let limit): "config has \(count) abilities, at most \(limit) allowed"
        case .duplicateAbilityName(let name): "ability name '\(name)' is used more than once"
        case .invalidDamageRange(let ability, let lo, let hi):
            "ability '\(ability)' has minDamage \(lo) above maxDamage \(hi)"
        case .unknownAbilityInRotation(let rotation, let ability):
            "rotation '\(rotation)' names unknown ability '\(ability)'"
        case .emptyRotation(let id): "rotation '\(id)' lists no abilities"
        case .missingRotation(let id): "config references rotation '\(id)' but none was supplied"
        case .rotationMismatch(let expected, let actual):
            "rotation '\(actual)' supplied, config references \(expected.map { "'\($0)'" } ?? "none")"
        }
    }
}
