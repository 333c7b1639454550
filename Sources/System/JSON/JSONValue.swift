/// A JSON document as plain data.
///
/// Numbers are `Double` because that is what every JSON producer in the system (browser,
/// edge functions) means by a number, and what RFC 8785 canonicalization is defined over.
/// Objects are unordered (`[String: JSONValue]`); anything that needs an order (serialization,
/// hashing) sorts keys explicitly, so dictionary iteration order never reaches behaviour.
///
/// Equality caveat: `String` equality is Unicode canonical equivalence, so two values whose
/// strings differ only in normalization compare equal here although their canonical bytes (and
/// hence their `ConfigHash`) differ. Compare hashes when byte identity matters.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

// MARK: - Accessors

extension JSONValue {
    /// The member named `key` if this is an object that has one; `nil` otherwise.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    /// The element at `index` if this is an array and the index is in range; `nil` otherwise.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var stringValue: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    public var doubleValue: Double? {
        guard case .number(let value) = self else { return nil }
        return value
    }

    /// The number as an `Int` only if it is exactly an integer representable as `Int`
    /// (`3`, `3.0`, `3e0` yes; `3.5`, `1e300` no), so counts and ids are never silently
    /// truncated. Note that integers beyond 2^53 already lost precision when parsed as `Double`.
    public var intValue: Int? {
        guard case .number(let value) = self else { return nil }
        return Int(exactly: value)
    }

    public var boolValue: Bool? {
        guard case .bool(let value) = self else { return nil }
        return value
    }

    public var arrayValue: [JSONValue]? {
        guard case .array(let value) = self else { return nil }
        return value
    }

    public var objectValue: [String: JSONValue]? {
        guard case .object(let value) = self else { return nil }
        return value
    }
}

// MARK: - Literals (convenient in tests and fixtures)

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

    /// - Precondition: keys are distinct (a literal with a duplicate key is a programming error).
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(uniqueKeysWithValues: elements))
    }
}

extension JSONValue: CustomStringConvertible {
    /// The canonical (RFC 8785) text.
    public var description: String { canonicalString }
}
