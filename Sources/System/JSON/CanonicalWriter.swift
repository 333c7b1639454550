/// Writes canonical JSON (RFC 8785, as `JSONValue.canonicalBytes`) straight into bytes, for the
/// bodies of the hot routes whose keys are known: no `JSONValue` tree, no dictionary, no sort,
/// no per-value allocation. The caller writes an object's members in canonical key order (by
/// UTF-16 code units; for the ASCII keys used here, byte order); tests pin each body's bytes to
/// the tree's `canonicalBytes`.
///
/// Commas follow from the last byte written: canonical JSON has no whitespace, so a member or
/// element needs one unless it opens its container (`{`, `[`) or is the value after a key (`:`).
struct CanonicalJSONWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 128) {
        bytes.reserveCapacity(capacity)
    }

    private mutating func separate() {
        guard let last = bytes.last else { return }
        if last != UInt8(ascii: "{") && last != UInt8(ascii: "[") && last != UInt8(ascii: ":") {
            bytes.append(UInt8(ascii: ","))
        }
    }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
    }

    mutating func endObject() { bytes.append(UInt8(ascii: "}")) }

    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
    }

    mutating func endArray() { bytes.append(UInt8(ascii: "]")) }

    /// A member's key (plain ASCII, nothing to escape) and its colon; its value follows.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ text: String) {
        separate()
        JCSWriter.writeString(text, into: &bytes)
    }

    mutating func number(_ value: Double) {
        separate()
        JCSWriter.writeNumber(value, into: &bytes)
    }

    mutating func int(_ value: Int) { number(Double(value)) }

    mutating func bool(_ flag: Bool) {
        separate()
        bytes.append(contentsOf: (flag ? "true" : "false").utf8)
    }

    /// An unsigned integer as a decimal string (the exact accumulators of results).
    mutating func decimalString<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: String(value).utf8)
        bytes.append(UInt8(ascii: "\""))
    }
}

/// Reads one expected canonical layout with the strict parser's own scanners, for the hot
/// routes' bodies: it either reads exactly the layout (every value checked by the same code the
/// general parser uses, no duplicate key possible, nothing after the end) or gives up (nil),
/// and the caller then takes the general path, which produces the same values for any input
/// this reader accepts and the precise error for any other.
struct CanonicalJSONReader {
    private var parser: JSONParser

    init(_ bytes: [UInt8]) {
        parser = JSONParser(bytes: bytes, maxDepth: JSONValue.defaultMaxDepth)
    }

    var atEnd: Bool { parser.position == parser.bytes.count }

    /// Consumes exactly these bytes (punctuation and keys: `{"attempt":`), or returns false.
    mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard parser.bytes.count - parser.position >= count else { return false }
        let expected = UnsafeBufferPointer(start: text.utf8Start, count: count)
        for k in 0..<count where parser.bytes[parser.position + k] != expected[k] { return false }
        parser.position += count
        return true
    }

    /// Whether the next byte is `byte` (not consumed).
    func peek(_ byte: UInt8) -> Bool {
        parser.position < parser.bytes.count && parser.bytes[parser.position] == byte
    }

    mutating func string() -> String? {
        guard peek(UInt8(ascii: "\"")) else { return nil }
        return try? parser.parseString()
    }

    mutating func number() -> Double? {
        guard parser.position < parser.bytes.count else { return nil }
        let b = parser.bytes[parser.position]
        guard b == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) else { return nil }
        return try? parser.parseNumber()
    }

    /// A number that is exactly an `Int` (`JSONValue.intValue`).
    mutating func int() -> Int? {
        number().flatMap { Int(exactly: $0) }
    }
}
