/// The header fields of an `APIRequest` or `APIResponse`: a short list of name/value pairs in
/// the order they were added, looked up by name ASCII-case-insensitively, as HTTP field names
/// are (RFC 9110 §5.1).
///
/// Why not `[String: String]`: a request carries at most a few fields (a node's three signature
/// headers; a rejection's `Retry-After`), and a dictionary hashed every name on each insert and
/// lookup and allocated a hash table per request, about 3,700 instructions per request in
/// `bench fleet`. Here a lookup is a scan over those few entries comparing names, which are
/// usually the very same `RequestSigning` constants (equal at the first comparison). A node's
/// three signature headers are not a list at all but its signer's reused text buffer
/// (`init(nodeSigned:)`, `NodeSignedHeaderText`): a heartbeat's headers allocate nothing.
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

    /// How the fields are held: a list of name/value strings, or a node's three signature
    /// headers as text in the node's buffer (`NodeSignedHeaderText`, made by
    /// `init(nodeSigned:)`), which reads as exactly the three fields `X-Node-Key`, `X-Node-Sig`,
    /// `X-Node-Ts` in that order. Any change to the fields turns the second form into the first.
    enum Storage: Sendable {
        case fields([Field])
        case nodeSigned(NodeSignedHeaderText)
    }

    private(set) var storage: Storage

    /// The fields in order. For a node's signed headers they are made from its text (three
    /// `String`s, the signature's allocated): hot paths switch on `storage` instead.
    var fields: [Field] {
        switch storage {
        case .fields(let fields): return fields
        case .nodeSigned(let text):
            return [
                Field(name: RequestSigning.keyHeader, value: text.key),
                Field(name: RequestSigning.signatureHeader, value: text.signatureText),
                Field(name: RequestSigning.timestampHeader, value: text.timestampText),
            ]
        }
    }

    /// Where a node's signed headers' text buffer and key text lie
    /// (`NodeSignedHeaderText.textAddress`, `keyTextAddress`), for prefetch hints; nil for a
    /// list of fields.
    public var nodeSignedTextAddresses: (buffer: UnsafeRawPointer, key: UnsafeRawPointer?)? {
        if case .nodeSigned(let text) = storage { return (text.textAddress, text.keyTextAddress) }
        return nil
    }

    public init() { storage = .fields([]) }

    /// These fields, in this order (repeats kept). An array literal of `Field`s is built in
    /// place, one allocation.
    public init(fields: [Field]) { storage = .fields(fields) }

    /// A node's signature headers, read from its text buffer (no copy): the fields
    /// `X-Node-Key`, `X-Node-Sig`, `X-Node-Ts`, in that order, with the buffer's values.
    public init(nodeSigned text: NodeSignedHeaderText) { storage = .nodeSigned(text) }

    /// The fields in the order given, each appended (repeats kept).
    public init<S: Sequence>(_ fields: S) where S.Element == (String, String) {
        storage = .fields(fields.map { Field(name: $0.0, value: $0.1) })
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        storage = .fields(elements.map { Field(name: $0.0, value: $0.1) })
    }

    /// The node's text buffer, if these are a node's signature headers as it made them.
    public var nodeSignedText: NodeSignedHeaderText? {
        if case .nodeSigned(let text) = storage { return text }
        return nil
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case .fields(let fields): return fields.count
        case .nodeSigned: return 3
        }
    }

    public subscript(position: Int) -> Element {
        switch storage {
        case .fields(let fields):
            let field = fields[position]
            return (name: field.name, value: field.value)
        case .nodeSigned(let text):
            switch position {
            case 0: return (name: RequestSigning.keyHeader, value: text.key)
            case 1: return (name: RequestSigning.signatureHeader, value: text.signatureText)
            case 2: return (name: RequestSigning.timestampHeader, value: text.timestampText)
            default: preconditionFailure("APIHeaders index \(position) out of range")
            }
        }
    }

    /// The field names in order (repeats included).
    public var names: [String] { fields.map(\.name) }

    /// The UTF-8 bytes of every name and value together (the request's header size limit),
    /// counted in place.
    public var byteCount: Int {
        switch storage {
        case .fields(let fields):
            var total = 0
            for i in fields.indices { total += fields[i].name.utf8.count + fields[i].value.utf8.count }
            return total
        case .nodeSigned(let text):
            return RequestSigning.keyHeader.utf8.count + RequestSigning.signatureHeader.utf8.count
                + RequestSigning.timestampHeader.utf8.count + text.valueBytes
        }
    }

    /// The first field named `name` (ASCII-case-insensitively); setting replaces it (see the
    /// type's rules).
    public subscript(name: String) -> String? {
        get {
            switch storage {
            case .fields(let fields):
                for field in fields where Self.sameName(field.name, name) { return field.value }
                return nil
            case .nodeSigned(let text):
                // The key first and without a copy of its text: the observer asks for it on
                // every accepted heartbeat.
                if Self.sameName(RequestSigning.keyHeader, name) { return text.key }
                if Self.sameName(RequestSigning.signatureHeader, name) { return text.signatureText }
                if Self.sameName(RequestSigning.timestampHeader, name) { return text.timestampText }
                return nil
            }
        }
        set {
            withFields { fields in
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
    }

    /// `body` of the UTF-8 bytes of the value `self[RequestSigning.keyHeader]` gives, nil
    /// when that is nil. Why: the observer reads the key of every accepted heartbeat only to
    /// compare its bytes; the subscript hands out the key's `String` (44 characters, a heap
    /// object), a retain and a release, two atomic operations a heartbeat on a line that is
    /// cold at 10,000 nodes. A node's signed headers give the bytes in place
    /// (`NodeSignedHeaderText.withKeyText`); a list of fields, the subscript's value's bytes.
    public func withNodeKeyText(_ body: (UnsafeBufferPointer<UInt8>) -> Int) -> Int? {
        switch storage {
        case .nodeSigned(let text):
            // Read in place while `self` (holding the buffer, which holds the key) is borrowed.
            if let bytes = text.keyTextInPlace() { return body(bytes) }
            return text.withKeyText(body)
        case .fields:
            guard var value = self[RequestSigning.keyHeader] else { return nil }
            return value.withUTF8(body)
        }
    }

    /// `body` with the fields as a list, mutable in place (a node's signed headers are turned
    /// into the list first); the result is kept as the list.
    private mutating func withFields<R>(_ body: (inout [Field]) -> R) -> R {
        var fields = self.fields
        storage = .fields([])  // drop this reference, so that `fields` is unique
        defer { storage = .fields(fields) }
        return body(&fields)
    }

    /// Adds a field after the others, even if one of that name is present.
    public mutating func append(name: String, value: String) {
        withFields { $0.append(Field(name: name, value: value)) }
    }

    public mutating func reserveCapacity(_ n: Int) { withFields { $0.reserveCapacity(n) } }

    /// Whether some field is named `name` (ASCII-case-insensitively).
    public func contains(name: String) -> Bool {
        switch storage {
        case .fields(let fields): return fields.contains { Self.sameName($0.name, name) }
        case .nodeSigned:
            return Self.sameName(RequestSigning.keyHeader, name) || Self.sameName(RequestSigning.signatureHeader, name)
                || Self.sameName(RequestSigning.timestampHeader, name)
        }
    }

    public static func == (a: APIHeaders, b: APIHeaders) -> Bool {
        if let x = a.nodeSignedText, let y = b.nodeSignedText, x === y { return true }
        let a = a.fields, b = b.fields  // made once (a node's signed headers as strings)
        guard a.count == b.count else { return false }
        func same(_ x: Field, _ y: Field) -> Bool { x.value == y.value && sameName(x.name, y.name) }
        // A multiset comparison, quadratic in a handful of fields: each field occurs as often in
        // `b` as in `a` (counts equal, so nothing of `b` is left over).
        for field in a {
            let inA = a.reduce(0) { same($1, field) ? $0 + 1 : $0 }
            let inB = b.reduce(0) { same($1, field) ? $0 + 1 : $0 }
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
