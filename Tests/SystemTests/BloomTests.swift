import Foundation
import PropertyBased
import Testing

@testable import JobSystem

@Suite struct BloomTests {
    let sha = SodiumSHA256()

    /// Deterministic, snowflake-sized member ids (no randomness needed for the measurement).
    static func memberIDs(count: Int, salt: UInt64) -> [UInt64] {
        (0..<UInt64(count)).map { 80_000_000_000_000_000 &+ salt &* 1_000_003 &+ $0 &* 7_919_000_011 }
    }

    @Test func sizingMatchesTheFormula() {
        // Recompute with libm rather than the implementation's constants.
        for n in [0, 1, 2, 3, 10, 100, 1_000, 10_000, 123_457] {
            let nn = Double(max(n, 1))
            let bits = Int((-nn * log(0.001) / (log(2.0) * log(2.0))).rounded(.up))
            let m = (bits + 7) / 8 * 8
            let k = max(1, Int((Double(m) / nn * log(2.0)).rounded()))
            #expect(GuildBloomFilter.optimalBitCount(forMembers: n) == bits)
            #expect(GuildBloomFilter.bitCount(forMembers: n) == m)
            #expect(GuildBloomFilter.byteCount(forMembers: n) * 8 == m)
            #expect(GuildBloomFilter.hashCount(forMembers: n) == k)
        }
        #expect(GuildBloomFilter.lnFalsePositiveRate == log(0.001))
        #expect(GuildBloomFilter.ln2 == log(2.0))
        // Known values.
        #expect(GuildBloomFilter.bitCount(forMembers: 1) == 16)
        #expect(GuildBloomFilter.hashCount(forMembers: 1) == 11)
        #expect(GuildBloomFilter.bitCount(forMembers: 10_000) == 143_776)
        #expect(GuildBloomFilter.hashCount(forMembers: 10_000) == 10)
    }

    /// Fixed vector, computed independently (Python: hashlib + the formula) so that any change
    /// of hashing, position arithmetic or bit order is caught.
    @Test func fixedVector() throws {
        let members: [UInt64] = [80_351_110_224_678_912, 175_928_847_299_117_063, 1]
        let filter = GuildBloomFilter(members: members, hasher: sha)
        #expect(filter.bitCount == 48)
        #expect(filter.hashCount == 11)
        #expect(Hex.encode(filter.serialized) == "c293edec2a3a")
        #expect(filter.base64 == "wpPt7Co6")

        // Hand computation for the first id, not using the filter's helper.
        let digest = sha.sha256(Array("80351110224678912".utf8)).bytes
        #expect(Hex.encode(Array(digest[0..<16])) == "3b707f3e07d25e7c9e6a72c799845602")
        var h1: UInt64 = 0
        var h2: UInt64 = 0
        for i in 0..<8 {
            h1 |= UInt64(digest[i]) << (8 * UInt64(i))
            h2 |= UInt64(digest[8 + i]) << (8 * UInt64(i))
        }
        #expect(h1 == 8_961_831_237_069_008_955)
        #expect(h2 == 168_467_832_083_999_390)
        let positions = (0..<UInt64(11)).map { Int((h1 &+ $0 &* h2) % 48) }
        #expect(positions == [27, 41, 7, 21, 35, 1, 15, 29, 43, 9, 23])
        var single = [UInt8](repeating: 0, count: 6)
        for p in positions { single[p / 8] |= UInt8(1) << UInt8(p % 8) }
        let alone = try #require(GuildBloomFilter(bytes: [UInt8](repeating: 0, count: 6), memberCount: 3, hasher: sha))
        var inserted = alone
        inserted.insert(80_351_110_224_678_912)
        #expect(inserted.serialized == single)
        #expect(GuildBloomFilter.positions(of: "80351110224678912", bitCount: 48, hashCount: 11, hasher: sha) == positions)
    }

    @Test func noFalseNegativesAndFalsePositiveRateAtDesignSize() {
        let members = Self.memberIDs(count: 10_000, salt: 1)
        let filter = GuildBloomFilter(members: members, hasher: sha)
        for member in members { #expect(filter.mightContain(member)) }

        let memberSet = Set(members)
        var probes = 0
        var falsePositives = 0
        for candidate in Self.memberIDs(count: 200_000, salt: 977) where !memberSet.contains(candidate) {
            probes += 1
            if filter.mightContain(candidate) { falsePositives += 1 }
        }
        let rate = Double(falsePositives) / Double(probes)
        #expect(probes > 190_000)
        #expect(rate < 0.002, "false-positive rate \(rate)")
        #expect(rate > 0.0003, "suspiciously low false-positive rate \(rate)")
    }

    @Test func roundTripsThroughBytesAndBase64() throws {
        let members = Self.memberIDs(count: 500, salt: 5)
        let filter = GuildBloomFilter(members: members, hasher: sha)
        let fromBytes = try #require(GuildBloomFilter(bytes: filter.serialized, memberCount: 500, hasher: sha))
        #expect(fromBytes == filter)
        let fromText = try #require(GuildBloomFilter(base64: filter.base64, memberCount: 500, hasher: sha))
        #expect(fromText == filter)
        for member in members { #expect(fromText.mightContain(member)) }
        // Wrong member count (a different size) or bad text is refused.
        #expect(GuildBloomFilter(bytes: filter.serialized, memberCount: 600, hasher: sha) == nil)
        #expect(GuildBloomFilter(bytes: filter.serialized, memberCount: -1, hasher: sha) == nil)
        #expect(GuildBloomFilter(base64: "not base64", memberCount: 500, hasher: sha) == nil)
    }

    @Test func insertAndRebuild() {
        let members = Self.memberIDs(count: 100, salt: 9)
        var filter = GuildBloomFilter(members: Array(members.dropLast()), hasher: sha)
        let last = members.last!
        filter.insert(last)
        for member in members { #expect(filter.mightContain(member)) }
        // Insertion keeps size and k (both sides of the wire must agree on them).
        #expect(filter.sizingMemberCount == 99)
        #expect(filter.bitCount == GuildBloomFilter.bitCount(forMembers: 99))

        let remaining = Array(members.dropFirst())
        let rebuilt = GuildBloomFilter.rebuilt(members: remaining, hasher: sha)
        #expect(rebuilt == GuildBloomFilter(members: remaining, hasher: sha))
        for member in remaining { #expect(rebuilt.mightContain(member)) }
        #expect(!rebuilt.mightContain(members[0]))  // not a false positive for this fixed set
    }

    @Test func emptyFilterAndStringIDs() {
        let empty = GuildBloomFilter(members: [], hasher: sha)
        #expect(empty.bitCount == 16)
        #expect(!empty.mightContain(42))
        let byString = GuildBloomFilter(memberIDs: ["42", "7"], hasher: sha)
        #expect(byString == GuildBloomFilter(members: [42, 7], hasher: sha))
        #expect(byString.mightContain(memberID: "42"))
    }

    @Test func membersAreAlwaysFound() async {
        await propertyCheck(count: 50, input: Gen.uint64().array(of: 0...200)) { ids in
            let filter = GuildBloomFilter(members: ids, hasher: sha)
            for id in ids { #expect(filter.mightContain(id)) }
        }
    }
}
