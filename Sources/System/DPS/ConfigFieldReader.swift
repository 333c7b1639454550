/// Reads typed fields out of a JSON object with path-qualified `ConfigError`s.
///
/// Matches on `JSONValue`'s cases directly rather than its convenience accessors so that the
/// integer rule (a number with no fractional part, within range) is stated here, once, and does
/// not depend on how the accessors round.
struct ConfigFieldReader {
    let fields: [String: JSONValue]
    /// JSON path of the object itself ("" for the root), used as the prefix of field paths.
    let path: String

    init(_ value: JSONValue, path: String) throws(ConfigError) {
        guard case .object(let fields) = value else {
            throw .wrongType(field: path.isEmpty ? "$" : path, expected: "object")
        }
        self.fields = fields
        self.path = path
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The field's value; `null` counts as absent.
    func optional(_ key: String) -> JSONValue? {
        guard let value = fields[key] else { return nil }
        if case .null = value { return nil }
        return value
    }

    func required(_ key: String) throws(ConfigError) -> JSONValue {
        guard let value = optional(key) else { throw .missingField(fieldPath(key)) }
        return value
    }

    func string(_ key: String) throws(ConfigError) -> String {
        guard case .string(let s) = try required(key) else {
            throw .wrongType(field: fieldPath(key), expected: "string")
        }
        return s
    }

    func optionalString(_ key: String) throws(ConfigError) -> String? {
        guard let value = optional(key) else { return nil }
        guard case .string(let s) = value else { throw .wrongType(field: fieldPath(key), expected: "string") }
        return s
    }

    func bool(_ key: String) throws(ConfigError) -> Bool {
        guard case .bool(let b) = try required(key) else {
            throw .wrongType(field: fieldPath(key), expected: "boolean")
        }
        return b
    }

    func double(_ key: String) throws(ConfigError) -> Double {
        guard case .number(let d) = try required(key), d.isFinite else {
            throw .wrongType(field: fieldPath(key), expected: "number")
        }
        return d
    }

    /// An integral number; fractional or beyond ±2^53 (where doubles stop being exact) is a type
    /// error, not a range error, because the value cannot be an exact integer at all.
    func int(_ key: String) throws(ConfigError) -> Int {
        guard case .number(let d) = try required(key), d.isFinite, d.rounded(.towardZero) == d,
            abs(d) <= 9_007_199_254_740_992
        else { throw .wrongType(field: fieldPath(key), expected: "integer") }
        return Int(d)
    }

    /// Throws `.outOfRange` naming `field` unless `value` lies in `range`.
    static func requireIn<T: Comparable>(_ range: ClosedRange<T>, _ value: T, field: String) throws(ConfigError) {
        guard range.contains(value) else {
            throw .outOfRange(field: field, allowed: "\(range.lowerBound)...\(range.upperBound)")
        }
    }

    func array(_ key: String) throws(ConfigError) -> [JSONValue] {
        guard case .array(let a) = try required(key) else {
            throw .wrongType(field: fieldPath(key), expected: "array")
        }
        return a
    }
}
