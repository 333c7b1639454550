import Testing
@testable import JobSystem

@Suite("Identifiers and timestamps")
struct IdentifierTests {
    @Test func uuidStringIsCanonicalAndRoundTrips() throws {
        let id = Identifier(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        #expect(id.uuidString == "01234567-89ab-cdef-fedc-ba9876543210")
        #expect(Identifier(uuidString: id.uuidString) == id)
        #expect(Identifier(uuidString: "01234567-89AB-CDEF-FEDC-BA9876543210") == id)
        #expect(Identifier(high: 0, low: 0).uuidString == "00000000-0000-0000-0000-000000000000")
        #expect(Identifier(uuidString: "0123456789abcdeffedcba9876543210") == nil)
        #expect(Identifier(uuidString: "01234567-89ab-cdef-fedc-ba987654321g") == nil)
    }

    @Test func randomIdentifiersAreVersion4() {
        var rng = SystemTestRNG(state: 42)
        for _ in 0..<100 {
            let s = Identifier.random(using: &rng).uuidString
            let chars = Array(s)
            #expect(chars[14] == "4")
            #expect("89ab".contains(chars[19]))
            #expect(Identifier(uuidString: s)?.uuidString == s)
        }
    }

    @Test func timestampsPrintAsUTC() {
        #expect(Timestamp(unixSeconds: 1_767_225_600).description == "2026-01-01T00:00:00.000000Z")
        #expect(Timestamp(micros: -1).description == "1969-12-31T23:59:59.999999Z")
        #expect(Timestamp(micros: -1).unixSeconds == -1)
        #expect(Timestamp(micros: 1_500_000).unixSeconds == 1)
    }
}

/// A fixed-seed generator for tests (SplitMix64).
struct SystemTestRNG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` bytes, each the low byte of one draw (seeded messages for hashing tests).
    mutating func bytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}
