import Testing

@testable import JobSystem

/// The two number fast paths of the completion route (issue 11) against the general code:
/// `JSONParser.skipNumber` must accept and refuse exactly what `parseNumber` does (same error,
/// same end), and `JCSWriter.writeFormatted`, which takes `Double.description`'s characters
/// without building the `String`, must write exactly the bytes of the `description`-based
/// reference formatter.
@Suite struct NumberFastPathTests {
    typealias Draws = CodecFastPathTests.Draws

    // MARK: Reading

    /// What `parseNumber` and `skipNumber` do with `text` (followed by `tail`): the error, or
    /// where the number ended.
    static func outcomes(_ text: String, tail: String = "") -> (general: Result<Int, JSONError>, fast: Result<Int, JSONError>) {
        let bytes = Array((text + tail).utf8)
        var general = JSONParser(bytes: bytes, maxDepth: 8)
        var fast = JSONParser(bytes: bytes, maxDepth: 8)
        let g: Result<Int, JSONError>
        do { _ = try general.parseNumber(); g = .success(general.position) } catch { g = .failure(error) }
        let f: Result<Int, JSONError>
        do { try fast.skipNumber(); f = .success(fast.position) } catch { f = .failure(error) }
        return (g, f)
    }

    /// The parser's edge cases: grammar errors, overflow to infinity (refused), underflow to
    /// zero or a subnormal (accepted), zeros with exponents, the largest finite double and the
    /// first decimal that rounds past it, long mantissas and long exponents.
    static let edgeCases: [String] = [
        "0", "-0", "0.0", "-0.0", "0e0", "0E+0", "-0e-0", "0e400", "0e-400", "-0e99999", "0.000e999",
        "1", "-1", "1.5", "1e3", "1E3", "1e+3", "1e-3", "10", "123456789012345", "1234567890123456",
        "1e308", "-1e308", "9.999e308", "1e309", "-1e309", "1e400", "-1e400", "1e99999", "1e999999999999",
        "1.7976931348623157e308", "-1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
        "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368",
        "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792",
        "0.1e310", "0.01e310", "100e306", "1000e306", "0.000001e314", "12345678901234567890123456789e280",
        "1e-300", "1e-301", "1e-307", "2.2250738585072014e-308", "2.2250738585072011e-308", "1e-320", "4.9e-324",
        "5e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "2e-324", "1e-400", "-1e-400", "1e-99999",
        "0.0000000000000000000000000000000000000000000000000000000000000001", "1.00000000000000000000000000000000000000000000000000000000000000000001",
        "1e0001", "1e00001", "1e-0300", "1e-00300",
        // Refused by the grammar.
        "", "-", "+1", "01", "-01", "00", "1.", "1.e5", ".5", "-.5", "1e", "1e+", "1e-", "1E", "--1", "-a", "1x",
        "0x10", "Infinity", "-Infinity", "NaN", "1.5e3.2", "١",
    ]

    @Test func skippingANumberGivesTheParsersAnswerOnItsEdgeCases() {
        for text in Self.edgeCases {
            for tail in ["", ",", "}", " ", "e", ".", "-"] where !text.isEmpty || tail != "" {
                let (general, fast) = Self.outcomes(text, tail: tail)
                #expect(general == fast, "\(text)\(tail)")
            }
        }
        // The answers themselves, not only their agreement.
        #expect(Self.outcomes("1e309").general == .failure(JSONError(offset: 0, reason: .numberOutOfRange)))
        #expect(Self.outcomes("1e-400").fast == .success(6))
        #expect(Self.outcomes("01").fast == .failure(JSONError(offset: 0, reason: .invalidNumber)))
    }

    @Test func skippingANumberGivesTheParsersAnswerOnGeneratedNumbers() {
        var draws = Draws(state: 11)
        var accepted = 0
        var refused = 0
        for round in 0..<40_000 {
            var text = draws.next() % 3 == 0 ? "-" : ""
            // Integer part: a zero, or up to 30 digits (now and then a leading zero: refused).
            let integerDigits = Int(draws.next() % 31)
            if integerDigits == 0 || draws.next() % 50 == 0 { text += "0" }
            for k in 0..<integerDigits where integerDigits > 0 {
                text += String(k == 0 ? draws.next() % 9 + 1 : draws.next() % 10)
            }
            if draws.next() % 2 == 0 {
                text += "."
                // Fraction: leading zeros (small magnitudes), then digits (now and then none: refused).
                for _ in 0..<Int(draws.next() % 4 == 0 ? draws.next() % 40 : 0) { text += "0" }
                for _ in 0..<Int(draws.next() % 20 + (draws.next() % 60 == 0 ? 0 : 1)) { text += String(draws.next() % 10) }
            }
            if draws.next() % 2 == 0 {
                text += draws.next() % 2 == 0 ? "e" : "E"
                switch draws.next() % 3 {
                case 0: text += "-"
                case 1: text += "+"
                default: break
                }
                // Exponents around the edges of the double range, some with extra zeros or too long.
                let exponent = draws.next() % 4 == 0 ? draws.next() % 100_000 : 280 + draws.next() % 60
                text += String(repeating: "0", count: Int(draws.next() % 8 == 0 ? draws.next() % 3 : 0))
                if draws.next() % 80 != 0 { text += String(exponent) }
            }
            let tail = ["", ",", "}", "]"][round % 4]
            let (general, fast) = Self.outcomes(text, tail: tail)
            #expect(general == fast, "\(text)")
            if case .success = general { accepted += 1 } else { refused += 1 }
        }
        // The generator reaches both answers often (not a test of one side only).
        #expect(accepted > 10_000 && refused > 3_000, "accepted \(accepted), refused \(refused)")
    }

    @Test func theCanonicalReaderSkipsWhatItWouldRead() {
        var draws = Draws(state: 12)
        var texts = Self.edgeCases
        for _ in 0..<10_000 {
            let value = Double(bitPattern: draws.next())
            texts.append(value.isFinite ? JCSWriter.formatNumber(value) : "1e400")
        }
        for text in texts {
            let bytes = Array((text + ",").utf8)
            var general = CanonicalJSONReader(bytes)
            var fast = CanonicalJSONReader(bytes)
            let read = general.number() != nil
            #expect(fast.skipNumber() == read, "\(text)")
            // Both stopped at the same byte (the comma, or what follows "1" in "1x").
            #expect(fast.literal(",") == general.literal(",") && fast.atEnd == general.atEnd, "\(text)")
        }
    }

    /// A completion whose ignored Double fields carry any number text: the fast reader takes it
    /// exactly when the general path accepts it, with the same result; otherwise the general
    /// path answers (its error is the request's).
    @Test func completionsWithAnyNumberInTheirDoubleFieldsAreDecidedAsTheGeneralPathDecides() throws {
        var draws = Draws(state: 13)
        let fields = ["m2", "maxDps", "meanDps", "minDps", "stddev", "variance"]
        var taken = 0
        for round in 0..<3_000 {
            let id = ChunkID(Identifier(high: draws.next(), low: draws.next()))
            let tally = DamageTally(fightLengthSeconds: 300, iterationDamages: (0..<5).map { _ in draws.next() % 1_000_000 })
            let body = NodeRequestBody.chunkComplete(chunkID: id, attempt: round % 7, result: ChunkResult(tally: tally), publicKey: nil)
            var text = String(decoding: body, as: UTF8.self)
            let field = fields[round % fields.count]
            let replacement = round % 3 == 0 ? Self.edgeCases[Int(draws.next() % UInt64(Self.edgeCases.count))] : JCSWriter.formatNumber(Double(bitPattern: draws.next()))
            // Replace that field's value (up to the next comma or brace) with the text.
            let key = "\"\(field)\":"
            let start = text.range(of: key)!.upperBound
            let end = text[start...].firstIndex(where: { $0 == "," || $0 == "}" })!
            text.replaceSubrange(start..<end, with: replacement)
            let mutated = Array(text.utf8)
            let general = try? RequestHandlers.chunkCompleteBody(mutated)
            let fast = NodeRequestBody.readChunkComplete(mutated)
            #expect((fast != nil) == (general != nil), "\(text)")
            if let fast, let general {
                taken += 1
                #expect(fast.chunkID == general.chunkID && fast.attempt == general.attempt && fast.result == general.result)
            }
        }
        #expect(taken > 1_000)
    }

    // MARK: Writing

    /// Seeded doubles of every kind: random bit patterns (subnormals included), subnormals and
    /// the normal boundary, integers near 2^53 and 10^21, powers of ten around the ECMAScript
    /// layout switches (1e-7, 1e21), negative zero, and values shaped like a result's statistics.
    static func generatedDoubles(seed: UInt64, count: Int) -> [Double] {
        var draws = Draws(state: seed)
        var values: [Double] = [
            0, -0.0, 1, -1, 0.1, 0.5, 1e-6, 1e-7, 1.5e-7, 9.999999e-7, 1e20, 1e21, 1.5e21, 1e22, 1.2345678901234568e20,
            .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, .leastNormalMagnitude.nextDown,
            .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 9_007_199_254_740_992, Double(9_007_199_254_740_992).nextUp, .pi, 1 / 3,
        ]
        for k in -324...308 {
            let p = Double("1e\(k)")!
            values += [p, p.nextUp, p.nextDown, -p]
        }
        while values.count < count {
            let r = draws.next()
            switch r % 6 {
            case 0:
                let d = Double(bitPattern: draws.next())
                if d.isFinite { values.append(d) }
            case 1: values.append(Double(bitPattern: draws.next() & 0x800F_FFFF_FFFF_FFFF))  // subnormal (or ±0)
            case 2: values.append(Double(Int64(bitPattern: draws.next()) >> Int64(r >> 58)))  // integers of every size
            case 3: values.append(Double(draws.next() % 1_000_000_000) / Double(draws.next() % 1_000 + 1))  // DPS-like
            case 4: values.append(Double(draws.next() >> 11) * 0x1p-53 * Double(sign: .plus, exponent: Int(draws.next() % 140) - 70, significand: 1))
            default: values.append(Double(Int64(bitPattern: draws.next()) % 10_000_000) * 1e-3)
            }
        }
        return values
    }

    @Test func numbersAreWrittenAsTheDescriptionBasedFormatterWritesThem() {
        var copied = 0
        var laidOut = 0
        for value in Self.generatedDoubles(seed: 14, count: 60_000) {
            var fast: [UInt8] = []
            JCSWriter.writeFormatted(value, into: &fast)
            #expect(String(decoding: fast, as: UTF8.self) == CodecFastPathTests.referenceFormat(value), "\(value)")
            var text = DescriptionBytes()
            value.magnitude.write(to: &text)
            if text.isAlreadyECMAScript { copied += 1 } else { laidOut += 1 }
        }
        // Both ways (the description copied as it is, and re-laid out) are exercised.
        #expect(copied > 10_000 && laidOut > 10_000, "copied \(copied), laid out \(laidOut)")
    }

    @Test func descriptionBytesAreTheDescription() {
        for value in Self.generatedDoubles(seed: 15, count: 20_000) {
            var text = DescriptionBytes()
            value.write(to: &text)
            let bytes = withUnsafeBytes(of: text.storage) { Array($0[..<text.count]) }
            #expect(bytes == Array(value.description.utf8), "\(value)")
        }
    }

    /// The exact accumulators' decimal strings are `String(value)`'s digits, quoted.
    @Test func decimalStringsAreTheStandardLibrarysDigits() {
        var draws = Draws(state: 17)
        var wide: [UInt128] = [0, 1, 9, 10, UInt128(UInt64.max), UInt128(UInt64.max) + 1, .max, .max - 1]
        var narrow: [UInt64] = [0, 1, 9, 10, .max, .max - 1, 9_999_999_999_999_999_999, 10_000_000_000_000_000_000]
        var p: UInt128 = 1
        for _ in 0..<38 {
            p *= 10
            wide += [p - 1, p, p + 1]
        }
        for _ in 0..<20_000 {
            let shift = UInt128(draws.next() % 128)
            wide.append((UInt128(draws.next()) << 64 | UInt128(draws.next())) >> shift)
            narrow.append(draws.next() >> (draws.next() % 64))
        }
        for value in wide {
            var w = CanonicalJSONWriter()
            w.decimalString(value)
            #expect(w.bytes == Array("\"\(value)\"".utf8), "\(value)")
        }
        for value in narrow {
            var w = CanonicalJSONWriter()
            w.decimalString(value)
            #expect(w.bytes == Array("\"\(value)\"".utf8), "\(value)")
        }
    }

    /// The reader's literal match, eight bytes at a time, against a byte-by-byte comparison.
    @Test func literalsMatchExactlyTheirBytes() {
        var draws = Draws(state: 18)
        // Every length class of the word loop and its overlapping last word: 1, 2, 6, 8, 9, 11,
        // 14, 15, 16, 17, 22, 30 bytes.
        let literals: [StaticString] = [
            "{", "{\"chunkId\":", ",\"result\":{\"damageSquaresSum\":", ",\"fightLengthSeconds\":", "}}", "{\"computing\":[",
            ",\"m2\":", "abcdefgh", "abcdefghi", ",\"iterations\":", "abcdefghijklmnop", "abcdefghijklmnopq", "0123456789abcde",
        ]
        for _ in 0..<20_000 {
            let literal = literals[Int(draws.next() % UInt64(literals.count))]
            var text = Array(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
            // Change one byte now and then, cut it short now and then, add a tail.
            if draws.next() % 3 == 0 { text[Int(draws.next() % UInt64(text.count))] ^= UInt8(1 << (draws.next() % 8)) }
            if draws.next() % 5 == 0 { text.removeLast(Int(draws.next() % UInt64(text.count))) }
            let prefix = Int(draws.next() % 3)
            let body = [UInt8](repeating: UInt8(ascii: "x"), count: prefix) + text + Array("tail".utf8).prefix(Int(draws.next() % 5))
            var r = CanonicalJSONReader(body)
            for _ in 0..<prefix { _ = r.literal("x") }
            let expected = body.count - prefix >= literal.utf8CodeUnitCount
                && Array(body[prefix..<(prefix + literal.utf8CodeUnitCount)]) == Array(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
            #expect(r.literal(literal) == expected)
            // Consumed exactly when matched: what follows is the tail.
            if expected { #expect(r.literal("") && (body.count == prefix + literal.utf8CodeUnitCount) == r.atEnd) }
        }
    }

    /// Numbers written by the direct writer into its room, one after another (a completion's
    /// result writes six in a body), are the reference formatter's bytes: every kind of double,
    /// the longest spellings (24 characters with the sign) and non-finite ones (`null`) included.
    @Test func writerNumbersInARowAreTheReferenceFormat() {
        var values = Self.generatedDoubles(seed: 19, count: 20_000)
        values += [-2.2250738585072014e-308, -.greatestFiniteMagnitude, -1.2345678901234567e-7, -0.0000012345678901234567,
                   -1.2345678901234568e20, .infinity, -.infinity, .nan, -0.0, -9_007_199_254_740_991]
        var start = 0
        while start < values.count {
            let group = values[start..<min(start + 13, values.count)]
            var w = CanonicalJSONWriter(capacity: 16)
            w.beginArray()
            for value in group { w.number(value) }
            w.endArray()
            let expected = "[" + group.map(CodecFastPathTests.referenceFormat).joined(separator: ",") + "]"
            #expect(String(decoding: w.bytes, as: UTF8.self) == expected)
            start += 13
        }
    }

    /// A result's body written field by field is the tree's canonical bytes, and the reader
    /// takes it back, over results whose statistics are arbitrary doubles.
    @Test func resultBodiesWithArbitraryStatisticsAreTheTreesCanonicalBytes() {
        var draws = Draws(state: 16)
        for _ in 0..<3_000 {
            let n = Int(draws.next() % 50) + 1
            let damages = (0..<n).map { _ in (draws.next() >> 8) >> (draws.next() % 56) }
            let result = ChunkResult(tally: DamageTally(fightLengthSeconds: Int(draws.next() % 900) + 1, iterationDamages: damages))
            var w = CanonicalJSONWriter()
            DPSResultJSON.write(result, into: &w)
            #expect(w.bytes == DPSResultJSON.encode(result).canonicalBytes)
        }
    }
}
