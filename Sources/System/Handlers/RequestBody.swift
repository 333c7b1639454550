/// Typed access to a request's JSON object body, turning every shape problem into the
/// `APIError` that names the field. Strict: integers must be exact, strings must be strings.
struct RequestBody {
    let fields: [String: JSONValue]

    /// Parses the body as a JSON object (the strict parser: no duplicate keys, valid UTF-8).
    init(_ bytes: [UInt8]) throws(APIError) {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw .invalidJSON(error) }
        guard case .object(let fields) = value else { throw .bodyNotObject }
        self.fields = fields
    }

    /// The fields a parse gave (`NodeRequestBody.readRegisterFields`: one layout read without
    /// the general parser).
    init(fields: [String: JSONValue]) {
        self.fields = fields
    }

    /// The field, with `null` counted as absent.
    func optional(_ key: String) -> JSONValue? {
        guard let value = fields[key], !value.isNull else { return nil }
        return value
    }

    func required(_ key: String) throws(APIError) -> JSONValue {
        guard let value = optional(key) else { throw .missingField(key) }
        return value
    }

    func string(_ key: String) throws(APIError) -> String {
        guard let text = try required(key).stringValue else { throw .invalidField(field: key, expected: "a string") }
        return text
    }

    func optionalString(_ key: String) throws(APIError) -> String? {
        guard let value = optional(key) else { return nil }
        guard let text = value.stringValue else { throw .invalidField(field: key, expected: "a string") }
        return text
    }

    /// A string of `range` bytes of UTF-8 (bytes, not characters: a limit on characters lets a
    /// 64-"character" name of combining marks be kilobytes long).
    func string(_ key: String, length range: ClosedRange<Int>) throws(APIError) -> String {
        let text = try string(key)
        guard range.contains(text.utf8.count) else {
            throw .invalidField(field: key, expected: "a string of \(range.lowerBound) to \(range.upperBound) bytes of UTF-8")
        }
        return text
    }

    func int(_ key: String) throws(APIError) -> Int {
        guard let number = try required(key).intValue else { throw .invalidField(field: key, expected: "an integer") }
        return number
    }

    func optionalInt(_ key: String) throws(APIError) -> Int? {
        guard let value = optional(key) else { return nil }
        guard let number = value.intValue else { throw .invalidField(field: key, expected: "an integer") }
        return number
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(APIError) -> Int {
        let number = try int(key)
        guard range.contains(number) else {
            throw .invalidField(field: key, expected: "an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func object(_ key: String) throws(APIError) -> JSONValue {
        let value = try required(key)
        guard case .object = value else { throw .invalidField(field: key, expected: "an object") }
        return value
    }

    func publicKey(_ key: String) throws(APIError) -> PublicKey {
        guard let parsed = PublicKey(base64: try string(key)) else {
            throw .invalidField(field: key, expected: "standard base64 of a 32-byte public key")
        }
        return parsed
    }

    func uuid<Tag>(_ key: String, as _: Tag.Type) throws(APIError) -> TypedID<Tag> {
        guard let id = TypedID<Tag>(uuidString: try string(key)) else {
            throw .invalidField(field: key, expected: "a UUID")
        }
        return id
    }
}
