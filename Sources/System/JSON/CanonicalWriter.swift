/// Writes canonical JSON (RFC 8785, as `JSONValue.canonicalBytes`) straight into bytes, for the
/// bodies of the hot routes whose keys are known: no `JSONValue` tree, no dictionary, no sort,
/// no per-value allocation. The caller writes an object's members in canonical key order (by
/// UTF-16 code units; for the ASCII keys used here, byte order); tests pin each body's bytes to
/// the tree's `canonicalBytes`.
///
/// Commas follow from the last byte written: canonical JSON has no whitespace, so a member or
/// element needs one unless it opens its container (`{`, `[`) or is the value after a key (`:`).
///
/// How it writes: the bytes live in `buffer[0..<count]`, with zeroed room after them; each
/// value is written through one pointer into that room (`write(reserving:)`: one uniqueness
/// and one capacity check per value), where an `Array.append` per byte cost about 25
/// instructions each (a heartbeat's answer took about 3,000 instructions to write, now under
/// 1,000). `bytes` trims the room off and returns the array itself (no copy).
struct CanonicalJSONWriter {
    /// The written bytes, then zeroed room for the next values.
    private var buffer: [UInt8]
    /// How many bytes of `buffer` are written.
    private var count = 0

    init(capacity: Int = 128) {
        buffer = [UInt8](repeating: 0, count: max(capacity, 16))
    }

    /// The bytes written so far. Trims the room off `buffer` (so the array returned is the
    /// buffer itself, not a copy); writing more afterwards grows it again.
    var bytes: [UInt8] {
        mutating get {
            if buffer.count > count { buffer.removeSubrange(count...) }
            return buffer
        }
    }

    /// Writes at most `maximum` bytes through `body`, which returns how many it wrote; with
    /// `separated`, a comma first when the value needs one (see the type's comment).
    @inline(__always)
    private mutating func write(
        reserving maximum: Int, separated: Bool, _ body: (UnsafeMutablePointer<UInt8>) -> Int
    ) {
        let needed = count &+ maximum &+ 1
        if needed > buffer.count { grow(to: needed) }
        let start = count
        count = buffer.withUnsafeMutableBufferPointer { all -> Int in
            var at = all.baseAddress! + start
            if separated && start > 0 {
                let last = at[-1]
                if last != UInt8(ascii: "{") && last != UInt8(ascii: "[") && last != UInt8(ascii: ":") {
                    at.pointee = UInt8(ascii: ",")
                    at += 1
                }
            }
            return at - all.baseAddress! + body(at)
        }
    }

    /// More zeroed room: at least `needed` bytes in all, at least doubling.
    private mutating func grow(to needed: Int) {
        buffer.append(contentsOf: repeatElement(0, count: max(needed, 2 * buffer.count) - buffer.count))
    }

    /// Appends what a general writer (`JCSWriter`, which appends to an array) writes: the room
    /// is trimmed off first, so it appends right after the written bytes.
    private mutating func appendGeneral(_ body: (inout [UInt8]) -> Void) {
        if buffer.count > count { buffer.removeSubrange(count...) }
        body(&buffer)
        count = buffer.count
    }

    /// One byte, with no separator.
    private mutating func byte(_ b: UInt8) {
        write(reserving: 1, separated: false) { out in
            out.pointee = b
            return 1
        }
    }

    /// A separator if needed, then `b`.
    private mutating func separatedByte(_ b: UInt8) {
        write(reserving: 1, separated: true) { out in
            out.pointee = b
            return 1
        }
    }

    mutating func beginObject() { separatedByte(UInt8(ascii: "{")) }

    mutating func endObject() { byte(UInt8(ascii: "}")) }

    mutating func beginArray() { separatedByte(UInt8(ascii: "[")) }

    mutating func endArray() { byte(UInt8(ascii: "]")) }

    /// A member's key (plain ASCII, nothing to escape) and its colon; its value follows.
    mutating func key(_ name: StaticString) {
        let n = name.utf8CodeUnitCount
        let start = name.utf8Start
        write(reserving: n + 3, separated: true) { out in
            out[0] = UInt8(ascii: "\"")
            (out + 1).update(from: start, count: n)
            out[n + 1] = UInt8(ascii: "\"")
            out[n + 2] = UInt8(ascii: ":")
            return n + 3
        }
    }

    /// Bytes written as they are, with no separator: punctuation and keys run together
    /// (`,"damageSum":`) where a body's layout is fixed. One block copy where `key` plus the
    /// comma logic of the next value cost about 110 instructions per member.
    mutating func raw(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        let start = text.utf8Start
        write(reserving: n, separated: false) { out in
            out.update(from: start, count: n)
            return n
        }
    }

    /// A string (`JCSWriter.writeString`'s bytes): one block copy when nothing in it needs an
    /// escape, the general writer otherwise.
    mutating func string(_ text: String) {
        var text = text
        let copied = text.withUTF8 { utf8 -> Bool in
            guard !utf8.contains(where: JCSWriter.needsEscape) else { return false }
            let n = utf8.count
            write(reserving: n + 2, separated: true) { out in
                out[0] = UInt8(ascii: "\"")
                if n > 0 { (out + 1).update(from: utf8.baseAddress!, count: n) }
                out[n + 1] = UInt8(ascii: "\"")
                return n + 2
            }
            return true
        }
        if !copied {
            write(reserving: 0, separated: true) { _ in 0 }
            appendGeneral { JCSWriter.writeString(text, into: &$0) }
        }
    }

    /// A number (`JCSWriter.writeNumber`'s bytes), written into the room like every other
    /// value: appending it to the trimmed buffer made the next value regrow the room, a block of
    /// zeros as long as the body (six times in a completion's result).
    mutating func number(_ value: Double) {
        write(reserving: JCSWriter.maxNumberLength, separated: true) { out in JCSWriter.writeNumber(value, at: out) }
    }

    /// An integer. Below 10^15 in magnitude it is exact in a double and JCS prints a double
    /// that is an integer below 10^21 as its plain digits, so the digits are written directly
    /// (no float formatting); beyond that, as the double it is.
    mutating func int(_ value: Int) {
        guard value > -1_000_000_000_000_000 && value < 1_000_000_000_000_000 else {
            number(Double(value))
            return
        }
        write(reserving: 16, separated: true) { out in Self.writeDecimal(value, at: out) }
    }

    /// Bytes of `value` in decimal (with its sign).
    @inline(__always)
    static func decimalLength(_ value: Int) -> Int {
        var digits = 1
        var rest = value.magnitude / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return value < 0 ? digits + 1 : digits
    }

    /// Writes `value` in decimal at `out` (`int`'s spelling below 10^15; the heartbeat answer's
    /// direct writer uses it too); returns the bytes written.
    @inline(__always)
    static func writeDecimal(_ value: Int, at out: UnsafeMutablePointer<UInt8>) -> Int {
        let length = decimalLength(value)
        if value < 0 { out[0] = UInt8(ascii: "-") }
        var magnitude = value.magnitude
        var at = length
        repeat {
            at -= 1
            out[at] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        return length
    }

    /// An identifier as its lowercase 8-4-4-4-12 string (what `string(id.uuidString)` writes:
    /// nothing in it needs escaping), without building the `String`: each group of hex digits
    /// is spelled eight at a time (`Hex.spell`).
    mutating func identifier(_ id: Identifier) {
        write(reserving: 38, separated: true) { out in
            Self.spellQuoted(id, at: UnsafeMutableRawPointer(out))
            return 38
        }
    }

    /// Writes `id` quoted, 38 bytes at `raw` (what `identifier` writes; the heartbeat's direct
    /// answer writes it too).
    @inline(__always)
    static func spellQuoted(_ id: Identifier, at raw: UnsafeMutableRawPointer) {
        raw.storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
        // 8-4-4-4-12: the high word's 16 digits, then the low word's.
        // Each `spell` holds eight digits in memory order (little-endian), split in two
        // groups of four around a dash where the layout has one.
        raw.storeBytes(of: Hex.spell(UInt32(truncatingIfNeeded: id.high >> 32)).littleEndian, toByteOffset: 1, as: UInt64.self)
        let middle = Hex.spell(UInt32(truncatingIfNeeded: id.high))
        raw.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 9, as: UInt8.self)
        raw.storeBytes(of: UInt32(truncatingIfNeeded: middle).littleEndian, toByteOffset: 10, as: UInt32.self)
        raw.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 14, as: UInt8.self)
        raw.storeBytes(of: UInt32(truncatingIfNeeded: middle >> 32).littleEndian, toByteOffset: 15, as: UInt32.self)
        let low = Hex.spell(UInt32(truncatingIfNeeded: id.low >> 32))
        raw.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 19, as: UInt8.self)
        raw.storeBytes(of: UInt32(truncatingIfNeeded: low).littleEndian, toByteOffset: 20, as: UInt32.self)
        raw.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 24, as: UInt8.self)
        raw.storeBytes(of: UInt32(truncatingIfNeeded: low >> 32).littleEndian, toByteOffset: 25, as: UInt32.self)
        raw.storeBytes(of: Hex.spell(UInt32(truncatingIfNeeded: id.low)).littleEndian, toByteOffset: 29, as: UInt64.self)
        raw.storeBytes(of: UInt8(ascii: "\""), toByteOffset: 37, as: UInt8.self)
    }

    mutating func bool(_ flag: Bool) {
        write(reserving: 5, separated: true) { out in
            let text: StaticString = flag ? "true" : "false"
            out.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
            return text.utf8CodeUnitCount
        }
    }

    /// An unsigned integer as a decimal string (the exact accumulators of results).
    /// The digits of `String(value)`, written backwards on the stack without the `String`: a
    /// value wider than 64 bits is cut into 19-digit pieces (one wide division each), each
    /// piece written with 64-bit arithmetic.
    mutating func decimalString<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        let capacity = T.bitWidth / 3 + 4  // log10(2) < 1/3: the digits and two quotes
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            var start = capacity - 1
            buffer[start] = UInt8(ascii: "\"")
            var rest = value
            while true {
                let last = T.bitWidth <= 64 || rest <= T(truncatingIfNeeded: UInt64.max)
                var piece: UInt64
                if last {
                    piece = UInt64(truncatingIfNeeded: rest)
                } else {
                    let (quotient, remainder) = rest.quotientAndRemainder(dividingBy: T(10_000_000_000_000_000_000 as UInt64))
                    piece = UInt64(truncatingIfNeeded: remainder)
                    rest = quotient
                }
                // A lower piece has exactly 19 digits (leading zeros included); the last, its own.
                var written = 0
                repeat {
                    start -= 1
                    buffer[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: piece % 10)
                    piece /= 10
                    written += 1
                } while piece > 0 || (!last && written < 19)
                if last { break }
            }
            start -= 1
            buffer[start] = UInt8(ascii: "\"")
            let n = capacity - start
            write(reserving: n, separated: true) { out in
                out.update(from: buffer.baseAddress! + start, count: n)
                return n
            }
        }
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
    ///
    /// Inlined: at each call the literal's length is a constant, so the comparison is one to
    /// four word loads and no loop. Called, it cost about 47 instructions (the call, the
    /// `StaticString`'s flags, the loop's bounds): 23 literals a completion on the server, 4
    /// on the node's reading of its answer, 0.5 % of a fleet run's instructions in all.
    @inline(__always)
    mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        let position = parser.position
        guard parser.bytes.count - position >= count else { return false }
        guard count > 0 else { return true }
        let expected = UnsafeRawPointer(text.utf8Start)
        // Eight bytes at a time (the keys are 10 to 30 bytes long), the last eight overlapping
        // the words before them: no byte loop for the tail (15 literals a completion).
        let equal = parser.bytes.withUnsafeBytes { raw -> Bool in
            let here = raw.baseAddress! + position
            var k = 0
            while k + 8 <= count {
                guard here.loadUnaligned(fromByteOffset: k, as: UInt64.self) == expected.loadUnaligned(fromByteOffset: k, as: UInt64.self)
                else { return false }
                k += 8
            }
            if k < count && count >= 8 {
                return here.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                    == expected.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            }
            while k < count {
                guard here.load(fromByteOffset: k, as: UInt8.self) == expected.load(fromByteOffset: k, as: UInt8.self) else { return false }
                k += 1
            }
            return true
        }
        guard equal else { return false }
        parser.position = position + count
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

    /// Checks and consumes a number whose value the reader ignores: accepts and refuses exactly
    /// what `number()` does (`JSONParser.skipNumber`), without the decimal conversion.
    mutating func skipNumber() -> Bool {
        guard parser.position < parser.bytes.count else { return false }
        let b = parser.bytes[parser.position]
        guard b == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) else { return false }
        do {
            try parser.skipNumber()
            return true
        } catch {
            return false
        }
    }

    /// A number that is exactly an `Int` (`JSONValue.intValue`).
    mutating func int() -> Int? {
        number().flatMap { Int(exactly: $0) }
    }
}

extension CanonicalJSONReader {
    /// A string holding exactly a UUID in 8-4-4-4-12 form (hex digits of either case, as
    /// `Identifier(uuidString:)` accepts), read from the bytes without building a `String`.
    /// Nil (nothing consumed) for anything else, including escapes, which the general path reads.
    ///
    /// Read through one pointer, eight digits at a time (`hexWord`, no loop per digit): the
    /// byte loop before it (one digit's value at a time, about 420 instructions an id) was 0.9 %
    /// of a fleet run's samples at 10,000 nodes (every completion's chunk id, every id of a
    /// busy node's heartbeat). The four groups are read as four words of eight digits: the
    /// first eight, the two 4-digit groups after it side by side, the 4-digit group and the
    /// first four of the last group, then its last eight.
    mutating func quotedIdentifier() -> Identifier? {
        let start = parser.position
        guard parser.bytes.count - start >= 38 else { return nil }
        let id = parser.bytes.withUnsafeBytes { all -> Identifier? in
            let b = all.baseAddress! + start
            @inline(__always) func byte(_ i: Int) -> UInt8 { b.load(fromByteOffset: i, as: UInt8.self) }
            guard byte(0) == UInt8(ascii: "\""), byte(37) == UInt8(ascii: "\""), byte(9) == UInt8(ascii: "-"),
                byte(14) == UInt8(ascii: "-"), byte(19) == UInt8(ascii: "-"), byte(24) == UInt8(ascii: "-")
            else { return nil }
            @inline(__always) func word(_ i: Int) -> UInt64 { UInt64(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt64.self)) }
            @inline(__always) func half(_ i: Int) -> UInt64 {
                UInt64(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt32.self)))
            }
            guard let h0 = Self.hexWord(word(1)), let h1 = Self.hexWord(half(10) | half(15) << 32),
                let l0 = Self.hexWord(half(20) | half(25) << 32), let l1 = Self.hexWord(word(29))
            else { return nil }
            return Identifier(high: UInt64(h0) << 32 | UInt64(h1), low: UInt64(l0) << 32 | UInt64(l1))
        }
        guard let id else { return nil }
        parser.position = start + 38
        return id
    }

    /// The value of eight hexadecimal digits of either case (the first byte, the word's lowest,
    /// is the most significant digit), or nil if any byte is not one (`0`-`9`, `a`-`f`, `A`-`F`),
    /// eight bytes at once (SWAR). Each byte below 0x80 is compared with a bound by adding
    /// `0x80 - bound`, which sets its top bit exactly when it is at least the bound and carries
    /// into no other byte; setting bit 5 maps `A`-`F` onto `a`-`f` and no other byte onto
    /// them. A digit's value is its low nibble, a letter's its low nibble plus 9.
    @inline(__always)
    static func hexWord(_ x: UInt64) -> UInt32? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high = ones &* 0x80
        guard x & high == 0 else { return nil }
        let digit = (x &+ ones &* (0x80 - 0x30)) & ~(x &+ ones &* (0x80 - 0x3A)) & high
        let lower = x | ones &* 0x20
        let letter = (lower &+ ones &* (0x80 - 0x61)) & ~(lower &+ ones &* (0x80 - 0x67)) & high
        guard digit | letter == high else { return nil }
        let values = (x & (ones &* 0x0F)) &+ (letter >> 7) &* 9
        // Pairs of digits into bytes (the earlier digit high), then the four bytes side by side
        // in memory order, then reversed: the first digit most significant.
        let pairs = (values & 0x000F_000F_000F_000F) << 4 | (values >> 8) & 0x000F_000F_000F_000F
        let quads = (pairs | pairs >> 8) & 0x0000_FFFF_0000_FFFF
        return UInt32(truncatingIfNeeded: quads | quads >> 16).byteSwapped
    }

    /// A string holding a canonical unsigned decimal (digits only, no leading zero but for
    /// "0") that fits `T`, read from the bytes without building a `String`. Nil (nothing
    /// consumed) for anything else, including escapes, which the general path reads.
    mutating func quotedDecimal<T: FixedWidthInteger & UnsignedInteger>(_: T.Type = T.self) -> T? {
        let start = parser.position
        guard start < parser.bytes.count, parser.bytes[start] == UInt8(ascii: "\"") else { return nil }
        var position = start + 1
        var value: T = 0
        while position < parser.bytes.count {
            let c = parser.bytes[position]
            if c == UInt8(ascii: "\"") {
                let count = position - start - 1
                guard count > 0, count == 1 || parser.bytes[start + 1] != UInt8(ascii: "0") else { return nil }
                parser.position = position + 1
                return value
            }
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(T(c &- UInt8(ascii: "0")))
            guard !o1, !o2 else { return nil }
            value = sum
            position += 1
        }
        return nil
    }
}
