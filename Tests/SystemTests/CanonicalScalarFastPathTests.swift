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
