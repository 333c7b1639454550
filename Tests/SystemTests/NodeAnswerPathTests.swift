import Testing

@testable import JobSystem

/// The node's answers that are not heartbeats read without a `ResponseClass` tree, and the
/// config table's cheaper hashing: each compared with a reference computed independently of the
/// agent's code (the tree parser, `ConfigHash.of`, the hash's definition).
@Suite struct NodeAnswerPathTests {
    typealias Rig = NodeAgentRig

    /// Whether the plain path takes a config answer: parses as JSON, hashes (canonically) to
    /// what was asked for, and is a valid `SimConfig`.
    static func plainTakes(_ bytes: [UInt8], _ hash: ConfigHash) -> Bool {
        guard let json = try? JSONValue.parse(bytes) else { return false }
        return ConfigHash.of(json, hasher: SodiumSHA256()) == hash && (try? SimConfig(json: json)) != nil
    }

    /// Valid, re-spelled and corrupted config answers (all 2xx): taken exactly when the plain
    /// path takes them, refused as an invalid fetch (chunk dropped, no retry) otherwise.
    @Test func configAnswerTakenExactlyWhenThePlainPathTakesIt() throws {
        let canonical = Rig.config.canonicalString
        var bodies: [[UInt8]] = [
            Array(canonical.utf8),
            Array(#"{ "targets": 1, "fightLengthSeconds": 60.0, "hastePercent": 0, "critChance": 1e-1, "critMultiplier": 2, "abilities": [{"name":"bolt","minDamage":100,"maxDamage":200,"cooldownMs":0,"castTimeMs":1500,"aoe":false},{"name":"nova","minDamage":300,"maxDamage":400,"cooldownMs":10000,"castTimeMs":0,"aoe":true}] }"#.utf8),
            Array(canonical.utf8) + [0x20],
            Array(canonical.utf8) + [0x7D],
            Array(canonical.utf8.dropLast()),
            Array(canonical.replacingOccurrences(of: "\"targets\":1", with: "\"targets\":2").utf8),
            Array("null".utf8), Array("{}".utf8), Array("[]".utf8), [], [0xFF, 0xFE],
            Array(#"{"error":"x","message":"y"}"#.utf8),
        ]
        // Seeded single-byte corruptions of the canonical body.
        var generator = SplitMix64(seed: 11)
        for _ in 0..<40 {
            var bytes = Array(canonical.utf8)
            let at = Int(generator.next() % UInt64(bytes.count))
            bytes[at] = UInt8(truncatingIfNeeded: generator.next())
            bodies.append(bytes)
        }
        var taken = 0
        for body in bodies {
            var rig = Rig.registered(cores: 1, maxParallel: 1)
            let effects = rig.feed(.channel(.assigned(Rig.assignment(1))))
            let fetch = try #require(Rig.send(effects, path: "/config-fetch"))
            let answer = rig.feed(.response(requestID: fetch.id, APIResponse(status: 200, body: body)))
            let expected = Self.plainTakes(body, Rig.configHash)
            #expect(Rig.orders(answer).count == (expected ? 1 : 0), "\(String(decoding: body, as: UTF8.self))")
            #expect(rig.agent.counters.invalidFetches == (expected ? 0 : 1))
            #expect(rig.agent.counters.chunksAbandoned == (expected ? 0 : 1))
            #expect(Rig.retryTimer(answer) == nil)
            if expected { taken += 1 }
        }
        #expect(taken >= 2 && taken < bodies.count)
    }

    /// A refused or failed config fetch still goes through `ResponseClass`: a 5xx is retried, a
    /// definitive 4xx drops the chunk.
    @Test func configRefusalsStillClassified() throws {
        var rig = Rig.registered(cores: 1, maxParallel: 1)
        var effects = rig.feed(.channel(.assigned(Rig.assignment(1))))
        var fetch = try #require(Rig.send(effects, path: "/config-fetch"))
        effects = rig.feed(.response(requestID: fetch.id, Rig.raw(503, #"{"error":"unavailable","message":"later"}"#)))
        #expect(Rig.retryTimer(effects) != nil)
        #expect(rig.agent.counters.invalidFetches == 0 && rig.agent.counters.chunksAbandoned == 0)

        rig = Rig.registered(cores: 1, maxParallel: 1)
        effects = rig.feed(.channel(.assigned(Rig.assignment(1))))
        fetch = try #require(Rig.send(effects, path: "/config-fetch"))
        effects = rig.feed(.response(requestID: fetch.id, Rig.raw(404, #"{"error":"not_found","message":"no config"}"#)))
        #expect(Rig.retryTimer(effects) == nil && Rig.orders(effects).isEmpty)
        #expect(rig.agent.counters.chunksAbandoned == 1)
    }

    /// Seeded hashes: `hash(into:)` feeds the hasher the first 16 hex digits as two
    /// little-endian words (computed here from the digits), equal values hash equally, and a
    /// table tells apart hashes that share those 16 digits.
    @Test func configHashHashesItsFirstSixteenDigits() throws {
        var generator = SplitMix64(seed: 5)
        let digits = Array("0123456789abcdef".utf8)
        var hashes: [ConfigHash] = []
        for n in 0..<600 {
            var text = (0..<64).map { _ in digits[Int(generator.next() & 15)] }
            if n % 3 == 1, let previous = hashes.last { text.replaceSubrange(0..<16, with: Array(previous.hex.utf8.prefix(16))) }
            let hash = try #require(ConfigHash(hex: String(decoding: text, as: UTF8.self)))
            hashes.append(hash)
            var low: UInt64 = 0
            var high: UInt64 = 0
            for i in 0..<8 {
                low |= UInt64(text[i]) << (8 * UInt64(i))
                high |= UInt64(text[8 + i]) << (8 * UInt64(i))
            }
            var reference = Hasher()
            reference.combine(low)
            reference.combine(high)
            #expect(hash.hashValue == reference.finalize())
            #expect(ConfigHash.prefixWords(hash.hex) == (low, high))
            // The same value made another way (a fresh `String`, from the digest) hashes equally.
            let again = try #require(ConfigHash(hex: String(hash.hex.utf8.map { Character(UnicodeScalar($0)) })))
            #expect(again == hash && again.hashValue == hash.hashValue)
            #expect(ConfigHash(digest: try #require(Digest32(hex: hash.hex))).hashValue == hash.hashValue)
        }
        var table: [ConfigHash: Int] = [:]
        for (i, hash) in hashes.enumerated() { table[hash] = i }
        #expect(table.count == Set(hashes.map(\.hex)).count)
        for hash in hashes { #expect(hashes[table[hash]!] == hash) }
        #expect(ConfigHash.prefixWords("ab") == (0x6261, 0))
    }
}
