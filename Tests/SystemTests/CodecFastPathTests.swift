import Testing

@testable import System

/// The fast paths of the request path (issue 11) against the general code they shortcut: each
/// must give exactly the same bytes or the same value, since digests and stored configs' hashes
/// depend on them.
@Suite struct CodecFastPathTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct Draws {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func integerNumbersAreWrittenAsTheGeneralFormatterWritesThem() {
        var draws = Draws(state: 1)
        var values: [Double] = [0, -0.0, 1, -1, 9, 10, 99, 100, 9_007_199_254_740_991, -9_007_199_254_740_991, 9_007_199_254_740_992, 1e15, 1e16, 1e21, 1e22, 0.5, -2.5]
        for _ in 0..<20_000 {
            let r = draws.next()
            switch r % 4 {
            case 0: values.append(Double(Int64(bitPattern: draws.next()) >> Int64(r >> 58)))  // integers of every size
            case 1: values.append(Double(Int64(bitPattern: draws.next()) % 1_000_000))
            case 2: values.append(Double(Int64(bitPattern: draws.next()) % 1_000_000) / 8)
            default:
                let d = Double(bitPattern: draws.next())
                if d.isFinite { values.append(d) }
            }
        }
        for value in values {
            var fast: [UInt8] = []
            JCSWriter.writeNumber(value, into: &fast)
            #expect(String(decoding: fast, as: UTF8.self) == JCSWriter.formatNumber(value), "\(value)")
        }
    }

    @Test func keysSortByUTF16CodeUnitsWithoutBuildingThem() {
        let alphabet: [String] = ["a", "b", "z", "A", "_", "0", "é", "\u{FF61}", "\u{E000}", "😀", "\u{10000}", "ab", ""]
        var draws = Draws(state: 2)
        var keys: [String] = alphabet
        for _ in 0..<3_000 {
            var key = ""
            for _ in 0..<Int(draws.next() % 4) { key += alphabet[Int(draws.next() % UInt64(alphabet.count))] }
            keys.append(key)
        }
        for i in 0..<(keys.count - 1) {
            for j in [i + 1, Int(draws.next() % UInt64(keys.count))] {
                let (a, b) = (keys[i], keys[j])
                let expected = Array(a.utf16).lexicographicallyPrecedes(Array(b.utf16))
                #expect(JCSWriter.keyPrecedes(a, b) == expected, "\(a) < \(b)")
            }
        }
    }

    @Test func numbersParseToWhatStrtodGives() throws {
        var draws = Draws(state: 3)
        var texts = ["0", "-0", "1", "-1", "123456789012345", "-123456789012345", "1234567890123456", "12345678901234567890", "1.5", "1e3", "-0.0", "10"]
        for _ in 0..<20_000 {
            let digits = Int(draws.next() % 20) + 1
            var text = draws.next() % 2 == 0 ? "-" : ""
            for k in 0..<digits { text += String(k == 0 && digits > 1 ? draws.next() % 9 + 1 : draws.next() % 10) }
            texts.append(text)
        }
        for text in texts {
            let parsed = try JSONValue.parse(text)
            let expected = Double(text)!
            guard case .number(let value) = parsed else {
                Issue.record("\(text) did not parse as a number")
                continue
            }
            #expect(value.bitPattern == expected.bitPattern, "\(text)")
        }
    }

    @Test func stringsParseTheSameWithAndWithoutEscapes() throws {
        let cases: [(String, String)] = [
            (#""plain ascii""#, "plain ascii"), (#""""#, ""), (#""tab\tquote\"""#, "tab\tquote\""),
            (#""caf\u00e9""#, "café"), ("\"café\"", "café"), (#""a\\b""#, "a\\b"), ("\"😀 x\"", "😀 x"),
        ]
        for (text, expected) in cases {
            #expect(try JSONValue.parse(text) == .string(expected), "\(text)")
        }
        #expect(throws: JSONError.self) { try JSONValue.parse("\"ctrl\u{1}\"") }
        #expect(throws: JSONError.self) { try JSONValue.parse("\"unterminated") }
        #expect(throws: JSONError.self) { try JSONValue.parse(#"{"a":1,"a":2}"#) }
    }

    @Test func quotientFastPathAgreesWithLongDivision() {
        var draws = Draws(state: 4)
        for _ in 0..<20_000 {
            // Operands of every width up to 128 bits (the fast path's domain) and some beyond.
            func operand() -> ExactUInt256 {
                let width = Int(draws.next() % 180) + 1
                var v = ExactUInt256(high: UInt128(draws.next()) << 64 | UInt128(draws.next()), low: UInt128(draws.next()) << 64 | UInt128(draws.next()))
                if width < 256 { v = ExactUInt256(high: width > 128 ? v.high >> UInt128(256 - width) : 0, low: width >= 128 ? v.low : v.low >> UInt128(128 - width)) }
                return v.isZero ? ExactUInt256(1) : v
            }
            let n = operand(), d = operand()
            let (a, b, k) = ExactUInt256.scaled(n, d)
            #expect(ExactUInt256.roundedQuotient(n, d) == ExactUInt256.bitwiseQuotient(a, b, k))
        }
    }
}
