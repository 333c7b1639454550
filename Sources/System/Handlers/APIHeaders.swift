/// The header fields of an `APIRequest` or `APIResponse`: a short list of name/value pairs in
/// the order they were added, looked up by name ASCII-case-insensitively, as HTTP field names
/// are (RFC 9110 §5.1).
///
/// Why not `[String: String]`: a request carries at most a few fields (a node's three signature
/// headers; a rejection's `Retry-After`), and a dictionary hashed every name on each insert and
/// lookup and allocated a hash table per request, about 3,700 instructions per request in
/// `bench fleet`. Here a lookup is a scan over those few entries comparing names, which are
/// usually the very same `RequestSigning` constants (equal at the first comparison); building
/// the node's three headers is one array of exactly three entries.
///
/// Rules (what the handlers and adapters rely on):
/// - `self[name]` reads the first field whose name matches case-insensitively, nil if none.
/// - Setting `self[name] = value` replaces the first matching field in place (name spelled as
///   given) and drops any later field of the same name; absent, the field is appended. Setting
///   nil removes every field of that name.
/// - `append(name:value:)` and a dictionary literal add a field even if its name is present (a
///   client may send two spellings of one name; the signature verifier rejects them when their
///   values differ, `SignedHeaders(headers:)`). The real HTTP adapter never produces repeats: it
///   joins a repeated field's values with ", " under one lower-case name (`HTTPMapping.head`).
/// - Equality ignores order, like a dictionary's: the same fields (name case-insensitively,
///   value exactly), each as many times. Iteration is in insertion order (deterministic, never
///   hash order).
public struct APIHeaders: Sendable, Equatable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    public typealias Element = (name: String, value: String)

    /// One field. Stored as a struct rather than as `Element`'s tuple: an array of tuples is
    /// destroyed through the runtime's generic tuple witness, an array of structs through the
    /// struct's own.
    public struct Field: Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The fields in order (read directly by the signature check's common case).
    private(set) var fields: [Field]

    public init() { fields = [] }

    /// These fields, in this order (repeats kept). An array literal of `Field`s is built in
    /// place, one allocation: the node's signature headers take this way.
    public init(fields: [Field]) { self.fields = fields }

    /// The fields in the order given, each appended (repeats kept).
    public init<S: Sequence>(_ fields: S) where S.Element == (String, String) {
        self.fields = fields.map { Field(name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { Field(name: $0.0, value: $0.1) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { fields.count }
    public subscript(position: Int) -> Element {
        let field = fields[position]
        return (name: field.name, value: field.value)
    }

    /// The field names in order (repeats included).
    public var names: [String] { fields.map(\.name) }

    /// The first field named `name` (ASCII-case-insensitively); setting replaces it (see the
    /// type's rules).
    public subscript(name: String) -> String? {
        get {
            for field in fields where Self.sameName(field.name, name) { return field.value }
            return nil
        }
        set {
            guard let first = fields.firstIndex(where: { Self.sameName($0.name, name) }) else {
                if let newValue { fields.append(Field(name: name, value: newValue)) }
                return
            }
            if let newValue {
                fields[first] = Field(name: name, value: newValue)
                if fields[(first + 1)...].contains(where: { Self.sameName($0.name, name) }) {
                    var index = first + 1
                    while index < fields.count {
                        if Self.sameName(fields[index].name, name) { fields.remove(at: index) } else { index += 1 }
                    }
                }
            } else {
                fields.removeAll { Self.sameName($0.name, name) }
            }
        }
    }

    /// Adds a field after the others, even if one of that name is present.
    public mutating func append(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    public mutating func reserveCapacity(_ n: Int) { fields.reserveCapacity(n) }

    /// Whether some field is named `name` (ASCII-case-insensitively).
    public func contains(name: String) -> Bool {
        fields.contains { Self.sameName($0.name, name) }
    }

    public static func == (a: APIHeaders, b: APIHeaders) -> Bool {
        guard a.fields.count == b.fields.count else { return false }
        func same(_ x: Field, _ y: Field) -> Bool { x.value == y.value && sameName(x.name, y.name) }
        // A multiset comparison, quadratic in a handful of fields: each field occurs as often in
        // `b` as in `a` (counts equal, so nothing of `b` is left over).
        for field in a.fields {
            let inA = a.fields.reduce(0) { same($1, field) ? $0 + 1 : $0 }
            let inB = b.fields.reduce(0) { same($1, field) ? $0 + 1 : $0 }
            guard inA == inB else { return false }
        }
        return true
    }

    /// ASCII case-insensitive equality of two field names, without allocating. Identical
    /// spellings (the common case: the same constant) are equal at the first comparison.
    @inline(__always)
    static func sameName(_ a: String, _ b: String) -> Bool {
        a == b || asciiCaseInsensitiveEqual(a, b)
    }

    /// Bytes equal once ASCII `A`–`Z` are lowered; other bytes (UTF-8 included) exactly.
    public static func asciiCaseInsensitiveEqual(_ a: String, _ b: String) -> Bool {
        let a = a.utf8, b = b.utf8
        guard a.count == b.count else { return false }
        return a.elementsEqual(b) { lower($0) == lower($1) }
    }

    @inline(__always)
    private static func lower(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }
}
