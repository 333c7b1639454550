/// RFC 8785 JSON Canonicalization Scheme (JCS), and the config hash built on it.
///
/// A config is identified by the SHA-256 of its canonical form, so the same config submitted
/// with a different key order, whitespace or number spelling (`1`, `1.0`, `1e0`) deduplicates to
/// one row. The canonical form is exactly what a JavaScript `JSON.stringify` of the same value
/// with sorted keys produces, which keeps the hash reproducible by the TypeScript portal.
extension JSONValue {
    /// The RFC 8785 canonical UTF-8 bytes: no insignificant whitespace, object members sorted by
    /// the UTF-16 code units of their keys, strings escaped minimally, numbers in ECMAScript
    /// `Number.prototype.toString` form.
    ///
    /// JCS treats non-finite numbers as an error; this serializer is total and writes them as
    /// `null` (what `JSON.stringify` does). The parser never produces them, so this only matters
    /// for values built in code.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        JCSWriter.write(self, into: &out)
        return out
    }

    /// `canonicalBytes` as a `String`.
    public var canonicalString: String {
        String(decoding: canonicalBytes, as: UTF8.self)
    }
}

enum JCSWriter {
    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number): writeNumber(number, into: &out)
        case .string(let text): writeString(text, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // Sorting makes the (unspecified) dictionary order irrelevant. Distinct dictionary
            // keys always have distinct UTF-16 sequences, so the order is total.
            let sorted = members.sorted { keyPrecedes($0.key, $1.key) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Whether `a` sorts before `b` by UTF-16 code units (RFC 8785 §3.2.3), without building
    /// the code-unit arrays. For ASCII keys (every key the system writes) UTF-8 byte order is
    /// the same order; otherwise the UTF-16 views are compared.
    static func keyPrecedes(_ a: String, _ b: String) -> Bool {
        var ascii = true
        let byBytes = a.utf8.lexicographicallyPrecedes(b.utf8) { x, y in
            if x >= 0x80 || y >= 0x80 { ascii = false }
            return x < y
        }
        // A non-ASCII byte past the first difference cannot change the answer, and one before it
        // would have been seen; so `ascii` covers every byte that decided the order.
        if ascii { return byBytes }
        return a.utf16.lexicographicallyPrecedes(b.utf16)
    }

    /// A number's ECMAScript form, appended without an intermediate `String` for the common
    /// case of an integer below 2^53 (exact in a double, so its shortest round-trip digits are
    /// its decimal digits and ECMAScript prints it plainly): the same bytes as `formatNumber`.
    static func writeNumber(_ value: Double, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxNumberLength) { buffer in
            let n = writeNumber(value, at: buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<n]))
        }
    }

    /// The most bytes `writeNumber(_:at:)` writes: a sign and a description of at most 32
    /// (`DescriptionBytes`' room; a double's is at most 24), or a re-laid out form of at most 24.
    static let maxNumberLength = 33

    /// `writeNumber`'s bytes written at `out` (room for `maxNumberLength`); returns how many.
    /// The one implementation: the array form above and `CanonicalJSONWriter.number` (which
    /// writes into its buffer's room, with no trimming and regrowing of the buffer) call it.
    static func writeNumber(_ value: Double, at out: UnsafeMutablePointer<UInt8>) -> Int {
        if value.isFinite, value.magnitude < 9_007_199_254_740_992, value == value.rounded(.towardZero) {
            // An integer below 2^53: the writer's decimal spelling (-0 prints as 0).
            let n = Int(value.magnitude)
            return CanonicalJSONWriter.writeDecimal(value < 0 ? -n : n, at: out)
        }
        return writeFormatted(value, at: out)
    }

    /// RFC 8785 §3.2.2.2: escape `"` and `\`, use the two-character forms for `\b \t \n \f \r`,
    /// `\u00xx` (lowercase hex) for the other C0 controls, and emit everything else as UTF-8.
    /// Whether a byte of a string's UTF-8 is written escaped (`writeString`): a C0 control,
    /// `"` or `\`. Every other byte, multi-byte sequences included, is copied as it is.
    @inline(__always)
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x22 || byte == 0x5C
    }

    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings (ids, names, codes) need no escape: copied in one block.
        let copied = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.contains(where: needsEscape) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if copied == true {
            out.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x00..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default:
                // Multi-byte sequences pass through unchanged: a Swift String is valid UTF-8.
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// ECMAScript Number::toString (ECMA-262 §6.1.6.1.20) for finite values.
    ///
    /// Takes the shortest round-trip decimal digits from `Double.description` (which, like
    /// ECMAScript, picks the shortest digit string and, among those, the one closest to the
    /// value) and re-lays them out by the ECMAScript rules: plain integers up to 21 digits, plain
    /// decimals down to 1e-6, exponent form (`1e+21`, `1.5e-7`) otherwise; `-0` prints as `0`.
    static func formatNumber(_ value: Double) -> String {
        var out: [UInt8] = []
        writeFormatted(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `formatNumber`, appended to `out` with no intermediate `String` or array: the
    /// description's characters arrive in a stack buffer (`DescriptionBytes`) and are copied
    /// as they are when they already have the ECMAScript layout (`123.25`: most values), or
    /// re-laid out in a second buffer (at most 24 bytes: `0.000001` and 17 digits) and appended
    /// at once.
    static func writeFormatted(_ value: Double, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxNumberLength) { buffer in
            let n = writeFormatted(value, at: buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<n]))
        }
    }

    /// `writeFormatted`'s bytes written at `out` (room for `maxNumberLength`); returns how many.
    static func writeFormatted(_ value: Double, at out: UnsafeMutablePointer<UInt8>) -> Int {
        guard value.isFinite else {
            out[0] = UInt8(ascii: "n")
            out[1] = UInt8(ascii: "u")
            out[2] = UInt8(ascii: "l")
            out[3] = UInt8(ascii: "l")
            return 4
        }
        if value == 0 {
            out[0] = UInt8(ascii: "0")
            return 1
        }
        var text = DescriptionBytes()
        value.magnitude.write(to: &text)
        let sign = value < 0 ? 1 : 0
        if value < 0 { out[0] = UInt8(ascii: "-") }
        let count = text.count
        let plain = text.isAlreadyECMAScript
        return withUnsafeBytes(of: text.storage) { raw in
            let description = UnsafeRawBufferPointer(rebasing: raw[..<count])
            if plain {
                UnsafeMutableRawPointer(out + sign).copyMemory(from: raw.baseAddress!, byteCount: count)
                return sign + count
            }
            return sign + layOut(description: description, into: UnsafeMutableRawBufferPointer(start: out + sign, count: maxNumberLength - 1))
        }
    }

    /// Re-lays out a positive value's `description` ("1.0", "0.001", "1e-07", "1.2345e+30")
    /// by the ECMAScript rules (see `formatNumber`); returns the number of bytes written.
    private static func layOut(description: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        // Decompose into digits (at most 17 significant, plus "0" before the point of "0.001")
        // and the position of the decimal point relative to the first digit.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &digits) { digits in
            var count = 0
            var integerDigits = 0
            var seenPoint = false
            var inExponent = false
            var exponent = 0
            var negativeExponent = false
            for byte in description {
                if inExponent {
                    if byte == UInt8(ascii: "-") {
                        negativeExponent = true
                    } else if byte != UInt8(ascii: "+") {
                        exponent = exponent * 10 + Int(byte &- UInt8(ascii: "0"))
                    }
                } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                    inExponent = true
                } else if byte == UInt8(ascii: ".") {
                    seenPoint = true
                } else if count < digits.count {
                    digits[count] = byte
                    count += 1
                    if !seenPoint { integerDigits += 1 }
                }
            }
            if negativeExponent { exponent = -exponent }
            // n: the value is 0.d1d2d3… × 10^n.
            var n = integerDigits + exponent
            var first = 0
            while first < count, digits[first] == UInt8(ascii: "0") {
                first += 1
                n -= 1
            }
            var end = count
            while end > first, digits[end - 1] == UInt8(ascii: "0") { end -= 1 }
            let k = end - first
            var o = 0
            func put(_ byte: UInt8) {
                out[o] = byte
                o += 1
            }
            func putDigits(_ from: Int, _ to: Int) {
                for i in from..<to { put(digits[first + i]) }
            }
            if k <= n && n <= 21 {
                putDigits(0, k)
                for _ in 0..<(n - k) { put(UInt8(ascii: "0")) }
            } else if 0 < n && n <= 21 {
                putDigits(0, n)
                put(UInt8(ascii: "."))
                putDigits(n, k)
            } else if -6 < n && n <= 0 {
                put(UInt8(ascii: "0"))
                put(UInt8(ascii: "."))
                for _ in 0..<(-n) { put(UInt8(ascii: "0")) }
                putDigits(0, k)
            } else {
                let e = n - 1
                putDigits(0, 1)
                if k > 1 {
                    put(UInt8(ascii: "."))
                    putDigits(1, k)
                }
                put(UInt8(ascii: "e"))
                put(e < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                let magnitude = abs(e)  // at most 324
                if magnitude >= 100 { put(UInt8(ascii: "0") &+ UInt8(magnitude / 100)) }
                if magnitude >= 10 { put(UInt8(ascii: "0") &+ UInt8(magnitude / 10 % 10)) }
                put(UInt8(ascii: "0") &+ UInt8(magnitude % 10))
            }
            return o
        }
    }
}

/// The characters of a `Double`'s `description`, collected on the stack: `Double.write(to:)`
/// formats its shortest round-trip digits (the same text as `description`) into a buffer of its
/// own and hands it to the stream's `_writeASCII` in one piece, so no `String` is created.
/// `write(_:)` is the standard protocol route, taken only if a standard library passes a
/// `String` instead (same characters, slower); the tests pin the result to `description`.
/// A double's description has at most 24 characters (`2.2250738585072014e-308`); more are
/// dropped, which the tests would show.
struct DescriptionBytes: TextOutputStream {
    var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    var count = 0

    mutating func write(_ string: String) {
        for byte in string.utf8 { append(byte) }
    }

    /// The standard library's route for a `Double`: its characters in one block, copied at once.
    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        let n = Swift.min(buffer.count, 32 - count)
        guard n > 0 else { return }
        let at = count
        withUnsafeMutableBytes(of: &storage) { room in
            (room.baseAddress! + at).copyMemory(from: buffer.baseAddress!, byteCount: n)
        }
        count += n
    }

    /// Whether these characters are already the ECMAScript form, so `writeFormatted` copies
    /// them: plain digits with a point and no exponent (`123.25`, `0.001`), not an integer's
    /// `.0`, at most 21 digits before the point and, below 1, fewer than six zeros after it.
    /// Such a text is the shortest digits with the point where ECMAScript puts it (plain
    /// layout for 1e-6 <= v < 1e21): the general layout would write the same bytes.
    var isAlreadyECMAScript: Bool {
        withUnsafeBytes(of: storage) { text in
            guard count >= 3, count <= 32 else { return false }
            var point = -1
            for i in 0..<count {
                let c = text[i]
                if c == UInt8(ascii: ".") {
                    guard point < 0 else { return false }
                    point = i
                } else if c < UInt8(ascii: "0") || c > UInt8(ascii: "9") {
                    return false  // an exponent (`e`, `+`, `-`) or anything unexpected
                }
            }
            guard point > 0, point <= 21, point < count - 1 else { return false }
            if text[count - 1] == UInt8(ascii: "0") { return false }  // `1.0`, or a trailing zero
            if text[0] == UInt8(ascii: "0") {
                // `0.000123`: plain in ECMAScript down to 1e-6 (n > -6: at most five zeros).
                guard point == 1 else { return false }
                var zeros = 0
                while point + 1 + zeros < count, text[point + 1 + zeros] == UInt8(ascii: "0") { zeros += 1 }
                return zeros <= 5
            }
            return true
        }
    }

    private mutating func append(_ byte: UInt8) {
        guard count < 32 else { return }
        withUnsafeMutableBytes(of: &storage) { $0[count] = byte }
        count += 1
    }
}

/// Identity of a config: lowercase hex SHA-256 of its RFC 8785 canonical bytes.
///
/// Ordered by `hex`, which (fixed length, lowercase) is also the order of the digest bytes.
public struct ConfigHash: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// 64 lowercase hex digits. Set only by the initialisers, which ensure that spelling (so
    /// that `hash(into:)` may read bytes).
    public private(set) var hex: String

    /// Accepts exactly 64 lowercase hex digits, the only spelling `of` produces, so that two
    /// spellings of one hash can never become two keys.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64,
            utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
        else { return nil }
        self.hex = hex
    }

    public init(digest: Digest32) {
        self.hex = digest.hex
    }

    /// Hashes the canonical bytes of `value`.
    public static func of(_ value: JSONValue, hasher: some SHA256Hashing) -> ConfigHash {
        ConfigHash(digest: hasher.sha256(value.canonicalBytes))
    }

    public var description: String { hex }

    public static func < (lhs: ConfigHash, rhs: ConfigHash) -> Bool { lhs.hex < rhs.hex }

    /// The first 16 hex digits, as two words. `String`'s own hashing of all 64 (about 600
    /// instructions a lookup) was most of a node's config-table lookups, several per chunk. A
    /// digest's digits are uniform, so 64 bits tell configs apart as well as all 256. Agrees
    /// with the synthesized `==` (the `String`'s): every value is 64 ASCII hex digits, so equal
    /// values have equal bytes.
    public func hash(into hasher: inout Hasher) {
        let words = hex.utf8.withContiguousStorageIfAvailable { bytes -> (UInt64, UInt64)? in
            guard bytes.count >= 16, let base = UnsafeRawPointer(bytes.baseAddress) else { return nil }
            return (
                UInt64(littleEndian: base.loadUnaligned(as: UInt64.self)),
                UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            )
        } ?? nil
        let (low, high) = words ?? Self.prefixWords(hex)
        hasher.combine(low)
        hasher.combine(high)
    }

    /// The same two words read byte by byte (a `String` without contiguous UTF-8, or too
    /// short): bytes 0-7 and 8-15, little-endian, zero beyond the end.
    static func prefixWords(_ text: String) -> (UInt64, UInt64) {
        var low: UInt64 = 0
        var high: UInt64 = 0
        for (i, byte) in text.utf8.prefix(16).enumerated() {
            if i < 8 { low |= UInt64(byte) << (8 * i) } else { high |= UInt64(byte) << (8 * (i - 8)) }
        }
        return (low, high)
    }
}
