import Testing

@testable import JobSystem

/// The byte-level scalars of the canonical reader and writer (`quotedIdentifier`,
/// `quotedDecimal`, `identifier`, `int`) against the general code they replace: the same
/// value or the same bytes, and nil (the general path) for every other spelling.
@Suite struct CanonicalScalarFastPathTests {
    static func ids(_ count: Int) -> [Identifier] {
        var rng = SplitMix64(seed: 21)
        return (0..<count).map { _ in Identifier.random(using: &rng) }
            + [Identifier(high: 0, low: 0), Identifier(high: .max, low: .max)]
    }

    @Test func identifiersWriteAsTheirStringAndReadBack() {
        for id in Self.ids(300) {
            var fast = CanonicalJSONWriter()
            fast.identifier(id)
            var slow = CanonicalJSONWriter()
            slow.string(id.uuidString)
            #expect(fast.bytes == slow.bytes)
            var reader = CanonicalJSONReader(fast.bytes)
            #expect(reader.quotedIdentifier() == id && reader.atEnd)
            // Upper case reads as `Identifier(uuidString:)` reads it.
            var upper = CanonicalJSONReader(Array("\"\(id.uuidString.uppercased())\"".utf8))
            #expect(upper.quotedIdentifier() == Identifier(uuidString: id.uuidString.uppercased()))
        }
    }

    @Test func identifierReaderRefusesEverythingElse() {
        let good = "0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"
        let bad = [
            "", "\"\"", "\"\(good)", "\(good)\"", "\"\(good.dropLast())\"", "\"\(good)0\"",
            "\"0a1b2c3d4e5f-4a6b-8c7d-8e9fa0b1c2d3-\"", "\"0a1b2c3g-4e5f-4a6b-8c7d-8e9fa0b1c2d3\"",
            "\"\\u0030a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2\"", "\"0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d\\u0033\"",
        ]
        for text in bad {
            var reader = CanonicalJSONReader(Array(text.utf8))
            #expect(reader.quotedIdentifier() == nil, "\(text)")
        }
    }

    /// Every byte of a quoted id replaced, one at a time and at random, by a byte from a set
    /// that straddles each class's edges (digits, both cases' letters, the dash, the quote,
    /// bytes beside them, bytes that case-fold onto letters): the reader answers exactly what
    /// `Identifier(uuidString:)` answers for the inner 36 bytes, consumes the 38 bytes when
    /// it answers, and nothing otherwise.
    @Test func identifierReaderMatchesTheStrictParserOnMutatedSpellings() {
        let alphabet: [UInt8] = Array("0123456789abcdefABCDEF-\"/:@`gGzZ{ \\".utf8) + [0x00, 0x1F, 0x2F, 0x3A, 0x40, 0x47, 0x60, 0x67, 0x7F, 0x80, 0xC1, 0xE6, 0xFF]
        var rng = SplitMix64(seed: 77)
        var accepted = 0, refused = 0
        for id in Self.ids(400) {
            var bytes = Array("\"\(id.uuidString)\"".utf8)
            // Half the ids in mixed case (still ids), then one to three bytes replaced.
            if rng.next() % 2 == 0 {
                for i in bytes.indices where rng.next() % 2 == 0 && bytes[i] >= UInt8(ascii: "a") { bytes[i] -= 0x20 }
            }
            var mutated = bytes
            for _ in 0..<Int(rng.next() % 4) {
                mutated[Int(rng.next() % 38)] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
            }
            for candidate in [bytes, mutated] {
                let inner = candidate[1..<37]
                let quoted = candidate[0] == UInt8(ascii: "\"") && candidate[37] == UInt8(ascii: "\"")
                let expected = quoted ? String(validating: inner, as: UTF8.self).flatMap { Identifier(uuidString: $0) } : nil
                var reader = CanonicalJSONReader(candidate + Array(",1".utf8))
                #expect(reader.quotedIdentifier() == expected, "\(candidate)")
                #expect(reader.literal(expected == nil ? "\"" : ",1") || (expected == nil && !quoted))
                if expected == nil { refused += 1 } else { accepted += 1 }
            }
        }
        #expect(accepted > 400 && refused > 200)
    }

    /// `hexWord` (eight digits at once) against a per-byte reference (a table of the 22 digit
    /// characters, checked once against `UInt32(_:radix:)`): every byte value at every position
    /// among random digits of both cases, then random words of digits and near-digits. The same
    /// value, or nil for both. (The reference read each byte through `String` and
    /// `UInt32(_:radix:)`, which took 18 s in a debug build.)
    @Test func hexWordMatchesTheByteByByteReading() {
        var digitValue = [UInt32?](repeating: nil, count: 256)
        for (text, value) in zip(Array("0123456789abcdef"), 0...15) { digitValue[Int(text.asciiValue!)] = UInt32(value) }
        for (text, value) in zip(Array("ABCDEF"), 10...15) { digitValue[Int(text.asciiValue!)] = UInt32(value) }
        for byte in 0...255 {
            #expect(digitValue[byte] == UInt32(String(Character(Unicode.Scalar(UInt8(byte)))), radix: 16), "\(byte)")
        }
        func reference(_ bytes: [UInt8]) -> UInt32? {
            var value: UInt32 = 0
            for b in bytes {
                guard let d = digitValue[Int(b)] else { return nil }
                value = value << 4 | d
            }
            return value
        }
        func word(_ bytes: [UInt8]) -> UInt64 { bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        let digits = Array("0123456789abcdefABCDEF".utf8)
        let near = digits + Array("/:@G`g\u{0}\u{7F}".utf8) + [0x80, 0xB0, 0xC1, 0xE6, 0xFF]
        var rng = SplitMix64(seed: 1_611)
        var accepted = 0, refused = 0
        for position in 0..<8 {
            for byte in 0...255 {
                var bytes = (0..<8).map { _ in digits[Int(rng.next() % UInt64(digits.count))] }
                bytes[position] = UInt8(byte)
                #expect(CanonicalJSONReader.hexWord(word(bytes)) == reference(bytes), "\(bytes)")
            }
        }
        for _ in 0..<20_000 {
            let bytes = (0..<8).map { _ in rng.next() % 4 == 0 ? near[Int(rng.next() % UInt64(near.count))] : digits[Int(rng.next() % 22)] }
            let expected = reference(bytes)
            #expect(CanonicalJSONReader.hexWord(word(bytes)) == expected, "\(bytes)")
            if expected == nil { refused += 1 } else { accepted += 1 }
        }
        #expect(accepted > 1_000 && refused > 1_000)
    }

    @Test func decimalsReadAsTheStringParserReadsThem() {
        let texts = [
            "0", "1", "9", "10", "18446744073709551615", "18446744073709551616",
            "340282366920938463463374607431768211455", "340282366920938463463374607431768211456",
            "01", "00", "", "-1", "+1", "1.0", "1e3", " 1", "1 ", "\\u0031",
        ]
        for text in texts {
            let quoted = Array("\"\(text)\"".utf8)
            let digitsOnly = !text.isEmpty && text.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } && (text.first != "0" || text.count == 1)
            var r64 = CanonicalJSONReader(quoted)
            #expect(r64.quotedDecimal(UInt64.self) == (digitsOnly ? UInt64(text) : nil), "\(text)")
            var r128 = CanonicalJSONReader(quoted)
            #expect(r128.quotedDecimal(UInt128.self) == (digitsOnly ? UInt128(text) : nil), "\(text)")
        }
        var unterminated = CanonicalJSONReader(Array("\"12".utf8))
        #expect(unterminated.quotedDecimal(UInt64.self) == nil)
    }

    @Test func integersWriteAsTheirDoubleDoes() {
        var values: [Int] = [0, 1, -1, 9, 10, -10, 4, 99, 100, 256, 1_000, 123_456_789]
        var power = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -(power - 1), -power]
        }
        values += [Int.max, Int.min + 1, Int.min, 999_999_999_999_999, -999_999_999_999_999]
        var rng = SplitMix64(seed: 4)
        for _ in 0..<500 { values.append(Int(truncatingIfNeeded: rng.next()) >> Int(rng.next() % 63)) }
        for value in values {
            var fast = CanonicalJSONWriter()
            fast.int(value)
            var slow = CanonicalJSONWriter()
            slow.number(Double(value))
            #expect(fast.bytes == slow.bytes, "\(value)")
        }
    }
}
