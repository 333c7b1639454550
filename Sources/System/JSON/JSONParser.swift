/// Why a JSON text was rejected, and where.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The reasons a text is rejected. The parser is strict on purpose: configs are hashed by
    /// their canonical form, so anything whose meaning is ambiguous (duplicate keys, lone
    /// surrogates, numbers that are not finite doubles) must be refused rather than guessed at.
    public enum Reason: Equatable, Sendable {
        /// The text ended in the middle of a value (or was empty).
        case unexpectedEnd
        /// A byte that cannot start or continue the value at this point.
        case unexpectedByte(UInt8)
        /// Something that started like `true`, `false` or `null` but was not.
        case invalidLiteral
        /// A number not matching the RFC 8259 grammar (leading zeros, `+`, `.5`, `1.`, `1e`, …).
        case invalidNumber
        /// A well-formed number whose value is not a finite double (e.g. `1e400`).
        case numberOutOfRange
        /// A backslash followed by something other than `" \ / b f n r t u`.
        case invalidEscape
        /// `\u` not followed by four hex digits.
        case invalidUnicodeEscape
        /// A `\uD800`–`\uDFFF` escape that is not part of a high-low surrogate pair.
        case loneSurrogate
        /// An unescaped U+0000–U+001F inside a string.
        case controlCharacterInString
        /// Bytes that are not well-formed UTF-8 (overlong forms, encoded surrogates, > U+10FFFF…).
        case invalidUTF8
        /// An object that names the same key twice (Swift `String` equality).
        case duplicateKey(String)
        /// Non-whitespace after the top-level value.
        case trailingData
        /// Arrays/objects nested deeper than the parser's limit.
        case nestingTooDeep(limit: Int)
        /// An object key that is not a string.
        case expectedKey
        /// An object key not followed by `:`.
        case expectedColon
        /// An array or object element not followed by `,` or its closing bracket.
        case expectedCommaOrClose
    }

    /// Byte offset into the input where the problem was detected.
    public var offset: Int
    public var reason: Reason

    public init(offset: Int, reason: Reason) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        let what: String
        switch reason {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedByte(let byte):
            what = "unexpected byte 0x\(Hex.encode([byte]))"
        case .invalidLiteral: what = "invalid literal (expected true, false or null)"
        case .invalidNumber: what = "malformed number"
        case .numberOutOfRange: what = "number is not a finite double"
        case .invalidEscape: what = "invalid escape sequence"
        case .invalidUnicodeEscape: what = "\\u must be followed by four hex digits"
        case .loneSurrogate: what = "unpaired UTF-16 surrogate escape"
        case .controlCharacterInString: what = "unescaped control character in string"
        case .invalidUTF8: what = "invalid UTF-8"
        case .duplicateKey(let key): what = "duplicate object key \"\(key)\""
        case .trailingData: what = "unexpected data after the JSON value"
        case .nestingTooDeep(let limit): what = "nesting deeper than \(limit) levels"
        case .expectedKey: what = "expected a string object key"
        case .expectedColon: what = "expected ':' after object key"
        case .expectedCommaOrClose: what = "expected ',' or a closing bracket"
        }
        return "invalid JSON at byte \(offset): \(what)"
    }
}

extension JSONValue {
    /// Default limit on array/object nesting: far beyond any real config, small enough that
    /// hostile input cannot exhaust the stack of the recursive parser.
    public static let defaultMaxDepth = 64

    /// Parses one RFC 8259 JSON text (any value at top level, surrounded by optional whitespace).
    ///
    /// Strict: rejects duplicate keys, lone surrogate escapes, invalid UTF-8, unescaped control
    /// characters, trailing data, numbers that are not finite doubles, a byte-order mark, and
    /// nesting deeper than `maxDepth`.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    /// Parses the UTF-8 encoding of `text`; offsets in errors are UTF-8 byte offsets.
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }
}

/// Recursive-descent parser over bytes. Recursion depth is bounded by `maxDepth`.
struct JSONParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var position = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard position == bytes.count else { throw fail(.trailingData) }
        return value
    }

    private func fail(_ reason: JSONError.Reason, at offset: Int? = nil) -> JSONError {
        JSONError(offset: offset ?? position, reason: reason)
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        guard position < bytes.count else { throw fail(.unexpectedEnd) }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case let byte: throw fail(.unexpectedByte(byte))
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let start = position
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for byte in expected {
            guard position < bytes.count else { throw fail(.unexpectedEnd) }
            guard bytes[position] == byte else { throw fail(.invalidLiteral, at: start) }
            position += 1
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= maxDepth else { throw fail(.nestingTooDeep(limit: maxDepth)) }
        position += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard position < bytes.count else { throw fail(.unexpectedEnd) }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return .array(elements)
            default: throw fail(.expectedCommaOrClose)
            }
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= maxDepth else { throw fail(.nestingTooDeep(limit: maxDepth)) }
        position += 1  // {
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count else { throw fail(.unexpectedEnd) }
            guard bytes[position] == UInt8(ascii: "\"") else { throw fail(.expectedKey) }
            let keyOffset = position
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count else { throw fail(.unexpectedEnd) }
            guard bytes[position] == UInt8(ascii: ":") else { throw fail(.expectedColon) }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            guard members.updateValue(value, forKey: key) == nil else {
                throw fail(.duplicateKey(key), at: keyOffset)
            }
            skipWhitespace()
            guard position < bytes.count else { throw fail(.unexpectedEnd) }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return .object(members)
            default: throw fail(.expectedCommaOrClose)
            }
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, converted with the standard
    /// library's correctly rounded decimal-to-double conversion.
    mutating func parseNumber() throws(JSONError) -> Double {
        let start = try scanNumber().start
        return try numberValue(from: start)
    }

    /// Checks a number exactly as `parseNumber` does (the same grammar, the same refusal of a
    /// value that is not a finite double) without converting it when its magnitude alone shows
    /// that it is finite: for numbers a reader ignores (the Double fields of a chunk result).
    /// Anything near the edges of the double range is converted, so the answer is always
    /// `parseNumber`'s.
    mutating func skipNumber() throws(JSONError) {
        let (start, hasExponent) = try scanNumber()
        // Without an exponent, at most 300 bytes: zero, or between 1e-300 and 1e300.
        if !hasExponent && position - start <= 300 { return }
        if isPlainlyFinite(start..<position) { return }
        _ = try numberValue(from: start)
    }

    /// Consumes one number's grammar and returns where it started and whether it has an
    /// exponent part; the errors are the parser's.
    private mutating func scanNumber() throws(JSONError) -> (start: Int, hasExponent: Bool) {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count else { throw fail(.unexpectedEnd) }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if position < bytes.count, isDigit(bytes[position]) { throw fail(.invalidNumber, at: start) }
        } else if isDigit(bytes[position]) {
            skipDigits()
        } else {
            throw fail(.invalidNumber, at: start)
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw fail(.invalidNumber, at: start) }
            skipDigits()
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw fail(.invalidNumber, at: start) }
            skipDigits()
            return (start, true)
        }
        return (start, false)
    }

    /// The value of the number scanned from `start` to `position`.
    private func numberValue(from start: Int) throws(JSONError) -> Double {
        // An integer of at most 15 digits is exact in a double: converted directly, it is the
        // same value `Double(text)` gives (correct rounding of an exact value is that value).
        let negative = bytes[start] == UInt8(ascii: "-")
        let digitsStart = negative ? start + 1 : start
        if position - digitsStart <= 15 {
            var n: Int64 = 0
            var integral = true
            for i in digitsStart..<position {
                let byte = bytes[i]
                guard isDigit(byte) else { integral = false; break }
                n = n * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            if integral { return negative ? -Double(n) : Double(n) }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw fail(.numberOutOfRange, at: start) }
        return value
    }

    /// Whether the well-formed number in `range` is certainly a finite double, read from its
    /// decimal magnitude alone: a nonzero value in [10^(n-1), 10^n) with -300 <= n <= 308 lies
    /// between 1e-301 and 1e308, inside the normal doubles (2.2e-308 ... 1.8e308), so the
    /// conversion neither overflows to infinity nor underflows. False (convert it) for zero with
    /// an exponent, a magnitude outside that window, an exponent of more than four digits or a
    /// number longer than 64 bytes: those take `numberValue`, whose answer is the parser's.
    private func isPlainlyFinite(_ range: Range<Int>) -> Bool {
        guard range.count <= 64 else { return false }
        var i = range.lowerBound
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        // n counts the digits from the first nonzero one to the decimal point (negative: zeros
        // after the point before the first nonzero digit).
        var n = 0
        var seenNonzero = false
        while i < range.upperBound, isDigit(bytes[i]) {
            if seenNonzero || bytes[i] != UInt8(ascii: "0") {
                seenNonzero = true
                n += 1
            }
            i += 1
        }
        if i < range.upperBound, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < range.upperBound, isDigit(bytes[i]) {
                if !seenNonzero {
                    if bytes[i] != UInt8(ascii: "0") { seenNonzero = true } else { n -= 1 }
                }
                i += 1
            }
        }
        var exponent = 0
        if i < range.upperBound {  // e or E, sign, digits (the grammar was checked)
            guard seenNonzero else { return false }
            i += 1
            let negative = bytes[i] == UInt8(ascii: "-")
            if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
            guard range.upperBound - i <= 4 else { return false }
            while i < range.upperBound {
                exponent = exponent * 10 + Int(bytes[i] - UInt8(ascii: "0"))
                i += 1
            }
            if negative { exponent = -exponent }
        }
        guard seenNonzero else { return true }  // 0, -0, 0.000: zero, no exponent
        n += exponent
        return n >= -300 && n <= 308
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while position < bytes.count, isDigit(bytes[position]) { position += 1 }
    }

    /// Parses a string starting at the opening quote; returns its decoded contents.
    mutating func parseString() throws(JSONError) -> String {
        position += 1  // opening quote
        // Fast path: printable ASCII up to the closing quote, no escape: the bytes are the string.
        var end = position
        while end < bytes.count {
            let byte = bytes[end]
            guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { break }
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: bytes[position..<end], as: UTF8.self)
                position = end + 1
                return text
            }
            end += 1
        }
        var utf8: [UInt8] = []
        while true {
            guard position < bytes.count else { throw fail(.unexpectedEnd) }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                // Every byte appended was validated (or produced from a valid scalar).
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &utf8)
            case 0x00..<0x20:
                throw fail(.controlCharacterInString)
            case 0x20..<0x80:
                utf8.append(byte)
                position += 1
            default:
                let length = try validatedUTF8SequenceLength()
                utf8.append(contentsOf: bytes[position..<position + length])
                position += length
            }
        }
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONError) {
        let start = position
        position += 1  // backslash
        guard position < bytes.count else { throw fail(.unexpectedEnd) }
        let escaped = bytes[position]
        position += 1
        switch escaped {
        case UInt8(ascii: "\""): utf8.append(0x22)
        case UInt8(ascii: "\\"): utf8.append(0x5C)
        case UInt8(ascii: "/"): utf8.append(0x2F)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try parseHex4()
            let scalarValue: UInt32
            switch unit {
            case 0xD800...0xDBFF:
                // A high surrogate must be followed immediately by an escaped low surrogate.
                guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                else { throw fail(.loneSurrogate, at: start) }
                position += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw fail(.loneSurrogate, at: start) }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            case 0xDC00...0xDFFF:
                throw fail(.loneSurrogate, at: start)
            default:
                scalarValue = UInt32(unit)
            }
            // Cannot fail: surrogates were excluded above.
            let scalar = Unicode.Scalar(scalarValue)!
            utf8.append(contentsOf: UTF8.encode(scalar)!)
        default:
            throw fail(.invalidEscape, at: start)
        }
    }

    private mutating func parseHex4() throws(JSONError) -> UInt16 {
        let start = position - 2  // the backslash of "\u"
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard position < bytes.count else { throw fail(.unexpectedEnd) }
            let byte = bytes[position]
            let digit: UInt16
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt16(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt16(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt16(byte - UInt8(ascii: "A") + 10)
            default: throw fail(.invalidUnicodeEscape, at: start)
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// Length of the well-formed multi-byte UTF-8 sequence at `position` (Unicode Table 3-7:
    /// no overlong forms, no encoded surrogates, nothing above U+10FFFF).
    private func validatedUTF8SequenceLength() throws(JSONError) -> Int {
        let lead = bytes[position]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw fail(.invalidUTF8)
        }
        guard position + length <= bytes.count else {
            // Distinguish a truncated document from a bad sequence followed by more text.
            for offset in 1..<(bytes.count - position) where !(0x80...0xBF).contains(bytes[position + offset]) {
                throw fail(.invalidUTF8)
            }
            throw fail(.unexpectedEnd)
        }
        guard secondRange.contains(bytes[position + 1]) else { throw fail(.invalidUTF8) }
        for offset in 2..<length where !(0x80...0xBF).contains(bytes[position + offset]) {
            throw fail(.invalidUTF8)
        }
        return length
    }
}
