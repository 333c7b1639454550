import Testing

@testable import JobSystem

/// `SignedHeaders.eightDigits`, the eight-at-a-time step of reading `X-Node-Ts`: against a
/// digit-by-digit reference, for every byte value at every position of seeded digit words, and
/// for seeded words of digits (the parse as a whole is `SigningPathTests`'
/// `timestampIsCanonicalDecimalAtEveryLength`).
@Suite struct TimestampDigitsTests {
    static func reference(_ bytes: [UInt8]) -> UInt64? {
        var value: UInt64 = 0
        for byte in bytes {
            guard (0x30...0x39).contains(byte) else { return nil }
            value = value * 10 + UInt64(byte - 0x30)
        }
        return value
    }

    static func word(_ bytes: [UInt8]) -> UInt64 {
        bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    @Test func everyByteAtEveryPosition() {
        var rng = SystemTestRNG(state: 8)
        var mismatches = 0, accepted = 0, refused = 0
        var words: [[UInt8]] = [Array("00000000".utf8), Array("99999999".utf8), Array("12345678".utf8)]
        for _ in 0..<20 { words.append((0..<8).map { _ in UInt8(0x30 + rng.next() % 10) }) }
        for digits in words {
            for position in 0..<8 {
                for byte in 0...255 {
                    var bytes = digits
                    bytes[position] = UInt8(byte)
                    let expected = Self.reference(bytes)
                    if SignedHeaders.eightDigits(Self.word(bytes)) != expected { mismatches += 1 }
                    if expected == nil { refused += 1 } else { accepted += 1 }
                }
            }
        }
        #expect(mismatches == 0)
        #expect(accepted > 0 && refused > 0)
    }

    @Test func seededDigitWordsAndPairsOfBadBytes() {
        var rng = SystemTestRNG(state: 88)
        var mismatches = 0
        for round in 0..<20_000 {
            var bytes = (0..<8).map { _ in UInt8(0x30 + rng.next() % 10) }
            if round % 2 == 1 {
                for _ in 0..<2 { bytes[Int(rng.next() % 8)] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            if SignedHeaders.eightDigits(Self.word(bytes)) != Self.reference(bytes) { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
}
