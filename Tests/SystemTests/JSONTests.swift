import PropertyBased
import Testing

@testable import JobSystem

@Suite struct JSONTests {
    let sha = SodiumSHA256()

    // MARK: Parsing

    @Test func parsesAllValueKinds() throws {
        let value = try JSONValue.parse(
            #" { "a" : [1, -2.5, 3e2, true, false, null, "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"], "b": {} , "c": [] } "#)
        #expect(value["a"]?[0]?.intValue == 1)
        #expect(value["a"]?[1]?.doubleValue == -2.5)
        #expect(value["a"]?[1]?.intValue == nil)
        #expect(value["a"]?[2]?.intValue == 300)
        #expect(value["a"]?[3]?.boolValue == true)
        #expect(value["a"]?[4]?.boolValue == false)
        #expect(value["a"]?[5]?.isNull == true)
        #expect(value["a"]?[6]?.stringValue == "x\"\\/\u{8}\u{c}\n\r\té😀")
        #expect(value["b"]?.objectValue?.isEmpty == true)
        #expect(value["c"]?.arrayValue?.isEmpty == true)
        #expect(value["missing"] == nil)
        #expect(value["a"]?[99] == nil)
        #expect(try JSONValue.parse("42") == .number(42))
        #expect(try JSONValue.parse(#""top""#) == .string("top"))
        #expect(try JSONValue.parse(Array("[\"é\"]".utf8)) == ["é"])
    }

    @Test func intValueOnlyForExactIntegers() {
        #expect(JSONValue.number(3.0).intValue == 3)
        #expect(JSONValue.number(-0.0).intValue == 0)
        #expect(JSONValue.number(3.5).intValue == nil)
        #expect(JSONValue.number(1e300).intValue == nil)
        #expect(JSONValue.string("3").intValue == nil)
    }

    struct Malformed: Sendable, CustomStringConvertible {
        var input: [UInt8]
        var offset: Int
        var reason: JSONError.Reason
        init(_ text: String, _ offset: Int, _ reason: JSONError.Reason) {
            self.input = Array(text.utf8)
            self.offset = offset
            self.reason = reason
        }
        init(bytes: [UInt8], _ offset: Int, _ reason: JSONError.Reason) {
            self.input = bytes
            self.offset = offset
            self.reason = reason
        }
        var description: String { String(decoding: input, as: UTF8.self) }
    }

    static let malformed: [Malformed] = [
        Malformed("", 0, .unexpectedEnd),
        Malformed("   ", 3, .unexpectedEnd),
        Malformed(#"{"a":1,"a":2}"#, 7, .duplicateKey("a")),
        Malformed(#"{"a":{"b":1,"c":2,"b":3}}"#, 18, .duplicateKey("b")),
        Malformed(#""\ud800""#, 1, .loneSurrogate),
        Malformed(#""\udc00""#, 1, .loneSurrogate),
        Malformed(#""\ud800\u0041""#, 1, .loneSurrogate),
        Malformed(#""\ud800x""#, 1, .loneSurrogate),
        Malformed("[1] x", 4, .trailingData),
        Malformed("1 2", 2, .trailingData),
        Malformed("1e400", 0, .numberOutOfRange),
        Malformed("[-1e400]", 1, .numberOutOfRange),
        Malformed("NaN", 0, .unexpectedByte(UInt8(ascii: "N"))),
        Malformed("Infinity", 0, .unexpectedByte(UInt8(ascii: "I"))),
        Malformed("-Infinity", 0, .invalidNumber),
        Malformed("01", 0, .invalidNumber),
        Malformed("-01", 0, .invalidNumber),
        Malformed("1.", 0, .invalidNumber),
        Malformed("1.e5", 0, .invalidNumber),
        Malformed("1e", 0, .invalidNumber),
        Malformed("1e+", 0, .invalidNumber),
        Malformed(".5", 0, .unexpectedByte(UInt8(ascii: "."))),
        Malformed("+1", 0, .unexpectedByte(UInt8(ascii: "+"))),
        Malformed("-", 1, .unexpectedEnd),
        Malformed("tru", 3, .unexpectedEnd),
        Malformed("trux", 0, .invalidLiteral),
        Malformed("nul", 3, .unexpectedEnd),
        Malformed("[1,]", 3, .unexpectedByte(UInt8(ascii: "]"))),
        Malformed(#"{"a":1,}"#, 7, .expectedKey),
        Malformed(#"{"a" 1}"#, 5, .expectedColon),
        Malformed("{1:2}", 1, .expectedKey),
        Malformed("[1 2]", 3, .expectedCommaOrClose),
        Malformed("[1", 2, .unexpectedEnd),
        Malformed("\"a\u{01}\"", 2, .controlCharacterInString),
        Malformed("\"a\nb\"", 2, .controlCharacterInString),
        Malformed(#""\x""#, 1, .invalidEscape),
        Malformed(#""\'""#, 1, .invalidEscape),
        Malformed(#""\u12G4""#, 1, .invalidUnicodeEscape),
        Malformed(#""abc"#, 4, .unexpectedEnd),
        Malformed(bytes: [0x22, 0xC0, 0xAF, 0x22], 1, .invalidUTF8),  // overlong "/"
        Malformed(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], 1, .invalidUTF8),  // encoded surrogate
        Malformed(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1, .invalidUTF8),  // > U+10FFFF
        Malformed(bytes: [0x22, 0xC3, 0x22], 1, .invalidUTF8),  // truncated sequence
        Malformed(bytes: [0x22, 0xFF, 0x22], 1, .invalidUTF8),
        Malformed(bytes: [0xEF, 0xBB, 0xBF, 0x31], 0, .unexpectedByte(0xEF)),  // BOM
        Malformed(String(repeating: "[", count: 65) + String(repeating: "]", count: 65), 64, .nestingTooDeep(limit: 64)),
        Malformed(String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65), 320, .nestingTooDeep(limit: 64)),
    ]

    @Test(arguments: malformed)
    func rejectsMalformed(_ testCase: Malformed) {
        #expect(throws: JSONError(offset: testCase.offset, reason: testCase.reason)) {
            try JSONValue.parse(testCase.input)
        }
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let deep = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try JSONValue.parse(deep)
        #expect(throws: JSONError(offset: 3, reason: .nestingTooDeep(limit: 3))) {
            try JSONValue.parse("[[[[]]]]", maxDepth: 3)
        }
    }

    @Test func errorsDescribeThemselves() {
        let error = JSONError(offset: 7, reason: .duplicateKey("a"))
        #expect(error.description == #"invalid JSON at byte 7: duplicate object key "a""#)
    }

    // MARK: Canonical form (RFC 8785)

    /// RFC 8785 §3.2.2 example.
    @Test func jcsSection322Example() throws {
        let input = #"""
            {
              "numbers": [333333333.33333329, 1E30, 4.50,
                          2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """#
        let expected = #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        #expect(try JSONValue.parse(input).canonicalString == expected)
    }

    /// RFC 8785 §3.2.3 example: sorting by UTF-16 code units (U+1F600 as D83D DE00 sorts
    /// before U+FB33).
    @Test func jcsSection323SortingExample() throws {
        let input = #"""
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """#
        let expected =
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\","
            + "\"€\":\"Euro Sign\",\"\u{1F600}\":\"Emoji: Grinning Face\",\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        let canonical = try JSONValue.parse(input).canonicalBytes
        #expect(canonical == Array(expected.utf8))
    }

    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their ECMAScript spelling.
    @Test(arguments: [
        (0x0000_0000_0000_0000, "0"),
        (0x8000_0000_0000_0000, "0"),
        (0x0000_0000_0000_0001, "5e-324"),
        (0x8000_0000_0000_0001, "-5e-324"),
        (0x7FEF_FFFF_FFFF_FFFF, "1.7976931348623157e+308"),
        (0xFFEF_FFFF_FFFF_FFFF, "-1.7976931348623157e+308"),
        (0x4340_0000_0000_0000, "9007199254740992"),
        (0xC340_0000_0000_0000, "-9007199254740992"),
        (0x4430_0000_0000_0000, "295147905179352830000"),
        (0x44B5_2D02_C7E1_4AF5, "9.999999999999997e+22"),
        (0x44B5_2D02_C7E1_4AF6, "1e+23"),
        (0x44B5_2D02_C7E1_4AF7, "1.0000000000000001e+23"),
        (0x444B_1AE4_D6E2_EF4E, "999999999999999700000"),
        (0x444B_1AE4_D6E2_EF4F, "999999999999999900000"),
        (0x444B_1AE4_D6E2_EF50, "1e+21"),
        (0x3EB0_C6F7_A0B5_ED8C, "9.999999999999997e-7"),
        (0x3EB0_C6F7_A0B5_ED8D, "0.000001"),
        (0x41B3_DE43_5555_5553, "333333333.3333332"),
        (0x41B3_DE43_5555_5554, "333333333.33333325"),
        (0x41B3_DE43_5555_5555, "333333333.3333333"),
        (0x41B3_DE43_5555_5556, "333333333.3333334"),
        (0x41B3_DE43_5555_5557, "333333333.33333343"),
        (0xBECB_F647_612F_3696, "-0.0000033333333333333333"),
        (0x4314_3FF3_C1CB_0959, "1424953923781206.2"),
    ] as [(UInt64, String)])
    func jcsAppendixBNumbers(_ bits: UInt64, _ expected: String) {
        #expect(JSONValue.number(Double(bitPattern: bits)).canonicalString == expected)
    }

    @Test(arguments: [
        (1.0, "1"), (-1.0, "-1"), (0.1, "0.1"), (100.0, "100"), (1e20, "100000000000000000000"),
        (1e21, "1e+21"), (1.5e21, "1.5e+21"), (1e-6, "0.000001"), (1e-7, "1e-7"), (1.5e-7, "1.5e-7"),
        (123e-20, "1.23e-18"), (0.000123, "0.000123"), (123456789.0, "123456789"), (-0.0, "0"),
        (4.5, "4.5"), (1e16, "10000000000000000"), (12.34e5, "1234000"),
    ] as [(Double, String)])
    func ecmaScriptNumberSpelling(_ value: Double, _ expected: String) {
        #expect(JCSWriter.formatNumber(value) == expected)
    }

    @Test func nonFiniteNumbersSerializeAsNull() {
        #expect(JSONValue.array([.number(.nan), .number(.infinity), .number(-.infinity)]).canonicalString == "[null,null,null]")
    }

    @Test func stringEscaping() {
        let text = "\u{0}\u{1f}\u{7f}\u{2028}\"\\/\u{8}\u{9}\u{a}\u{c}\u{d}é"
        #expect(JSONValue.string(text).canonicalString == "\"\\u0000\\u001f\u{7f}\u{2028}\\\"\\\\/\\b\\t\\n\\f\\r\u{e9}\"")
    }

    @Test func canonicalNumbersRoundTrip() async {
        let doubles = Gen.uint64().map { Double(bitPattern: $0) }.filter { $0.isFinite }
        await propertyCheck(count: 2000, input: doubles) { value in
            let text = JCSWriter.formatNumber(value)
            let reparsed = try JSONValue.parse(text)
            #expect(reparsed == .number(value), "\(value) → \(text)")
        }
    }

    @Test func canonicalFormIsAFixedPoint() async throws {
        let input = #"{"z":[1.50,{"b":null,"a":"\u00e9"}],"a":-0.0,"m":{"y":1E3,"x":true}}"#
        let canonical = try JSONValue.parse(input).canonicalString
        #expect(canonical == #"{"a":0,"m":{"x":true,"y":1000},"z":[1.5,{"a":"é","b":null}]}"#)
        #expect(try JSONValue.parse(canonical).canonicalString == canonical)
    }

    // MARK: Config hash

    @Test func configHashIsStableAcrossSpellings() throws {
        let spellings = [
            #"{"iterations": 1, "name": "x", "opts": {"b": [1, 2], "a": false}}"#,
            #"{"opts":{"a":false,"b":[1.0,2.0]},"name":"x","iterations":1.0}"#,
            #"{"name":"\u0078","iterations":1e0,"opts":{"b":[10E-1,0.2e1],"a":false}}"#,
            "{\n\t\"opts\" : { \"a\" : false , \"b\" : [ 100e-2 , 2 ] } ,\r\n \"iterations\" : 10E-1 , \"name\" : \"x\" }",
        ]
        let hashes = try spellings.map { ConfigHash.of(try JSONValue.parse($0), hasher: sha) }
        #expect(Set(hashes).count == 1)
        let expected = sha.sha256(Array(#"{"iterations":1,"name":"x","opts":{"a":false,"b":[1,2]}}"#.utf8)).hex
        #expect(hashes[0].hex == expected)
        #expect(hashes[0].hex.count == 64)
        #expect(ConfigHash(hex: hashes[0].hex) == hashes[0])

        let different = ConfigHash.of(try JSONValue.parse(#"{"iterations":2,"name":"x","opts":{"a":false,"b":[1,2]}}"#), hasher: sha)
        #expect(different != hashes[0])
    }

    @Test func configHashOfScalarsAndOrdering() throws {
        let one = ConfigHash.of(.number(1), hasher: sha)
        #expect(one.hex == sha.sha256(Array("1".utf8)).hex)
        for spelling in ["1", "1.0", "1e0", "10E-1", "0.1e1", "1.000"] {
            #expect(ConfigHash.of(try JSONValue.parse(spelling), hasher: sha) == one)
        }
        #expect(ConfigHash(hex: one.hex.uppercased()) == nil)
        #expect(ConfigHash(hex: String(one.hex.dropLast())) == nil)
        let a = try #require(ConfigHash(hex: String(repeating: "0", count: 64)))
        let b = try #require(ConfigHash(hex: String(repeating: "a", count: 64)))
        #expect(a < b)
    }
}
