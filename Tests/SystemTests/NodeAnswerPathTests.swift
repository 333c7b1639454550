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

    /// A name drawn from pieces that exercise the writer's escapes (quotes, backslashes, C0
    /// controls, non-ASCII).
    static func text(_ g: inout SplitMix64, empty: Bool = false) -> String {
        let pieces = ["box", "\"", "\\", "\u{1}", "\n", "\t", "é", "😀", "a b", "/", "\u{7F}", "0"]
        let n = Int(g.next() % 5) + (empty ? 0 : 1)
        return (0..<n).map { _ in pieces[Int(g.next() % UInt64(pieces.count))] }.joined()
    }

    /// The registration body and the server's answer: the bytes of the trees they were built
    /// as.
    @Test func registrationBodyAndAnswerAreTheTreesCanonicalBytes() {
        var g = SplitMix64(seed: 21)
        let ints = [1, 2, 8, 1_024, 0, -3, 999_999_999_999_999, 1_000_000_000_000_000, 9_007_199_254_740_993]
        for _ in 0..<300 {
            let key = PublicKey(bytes: (0..<32).map { _ in UInt8(truncatingIfNeeded: g.next()) })!
            let name = Self.text(&g, empty: true), platform = Self.text(&g), version = Self.text(&g)
            let cores = ints[Int(g.next() % UInt64(ints.count))], parallel = ints[Int(g.next() % UInt64(ints.count))]
            let tree: JSONValue = [
                "publicKey": .string(key.base64), "name": .string(name), "totalCores": .number(Double(cores)),
                "maxParallel": .number(Double(parallel)), "platform": .string(platform), "version": .string(version),
            ]
            let body = NodeRequestBody.register(
                publicKey: key, name: name, totalCores: cores, maxParallel: parallel, platform: platform, version: version)
            #expect(body == tree.canonicalBytes)

            let id = NodeID(Identifier(high: g.next(), low: g.next()))
            let code = Self.text(&g, empty: true), claimed = g.next() & 1 == 0
            let answer: JSONValue = ["id": .string(id.uuidString), "claimCode": .string(code), "claimed": .bool(claimed)]
            let written = RequestHandlers.registrationAnswer(id: id, claimCode: code, claimed: claimed)
            #expect(written.status == 200 && written.body == answer.canonicalBytes)
            let read = RequestHandlers.readRegistrationAnswer(written.body)
            #expect(read?.id == id && read?.claimCode == code && read?.claimed == claimed)
        }
    }

    /// What the tree path reads of a registration answer: the id (nil: unreadable), the claim
    /// code and the claimed flag.
    static func treeReads(_ body: [UInt8]) -> (id: NodeID?, claimCode: String?, claimed: Bool?) {
        let json = try? JSONValue.parse(body)
        let id = json?["id"]?.stringValue.flatMap { NodeID(uuidString: $0) }
        return (id, json?["claimCode"]?.stringValue, json?["claimed"]?.boolValue)
    }

    /// Valid, re-spelled and corrupted registration answers through the agent: the node id,
    /// claim code and claimed flag it keeps, or the failure, are what the tree path reads.
    @Test func registrationAnswerReadAsTheTreeReadsIt() throws {
        var g = SplitMix64(seed: 31)
        let id = NodeID(Identifier(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210))
        let canonical = RequestHandlers.registrationAnswer(id: id, claimCode: "K7Q2", claimed: false).body
        let text = String(decoding: canonical, as: UTF8.self)
        var bodies: [[UInt8]] = [
            canonical,
            RequestHandlers.registrationAnswer(id: id, claimCode: "a\"b\\c\u{1}é", claimed: true).body,
            Array(text.uppercased().utf8),
            Array(text.replacingOccurrences(of: "89ab-cdef-fedc-ba98", with: "89AB-CDEF-FEDC-BA98").utf8),
            Array(text.replacingOccurrences(of: "false", with: "null").utf8),
            Array(text.replacingOccurrences(of: "\"K7Q2\"", with: "7").utf8),
            Array(text.replacingOccurrences(of: "K7Q2", with: "K7\\u0051").utf8),
            Array(text.replacingOccurrences(of: "-", with: "").utf8),
            Array(text.replacingOccurrences(of: ",", with: " , ").utf8),
            Array(#"{"id":"01234567-89ab-cdef-fedc-ba9876543210"}"#.utf8),
            Array(#"{"claimed":true,"id":"01234567-89ab-cdef-fedc-ba9876543210","claimCode":"Z"}"#.utf8),
            Array(#"{"claimCode":"Z","claimed":true,"id":"01234567-89ab-cdef-fedc-ba9876543210","x":1}"#.utf8),
            canonical + [0x20], canonical + [0x7D], Array(canonical.dropLast()), [], Array("null".utf8), [0xC3],
        ]
        for _ in 0..<60 {
            var bytes = canonical
            bytes[Int(g.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: g.next())
            bodies.append(bytes)
        }
        var fast = 0
        for body in bodies {
            var rig = Rig()
            let effects = rig.feed(.boot)
            let register = try #require(Rig.send(effects, path: "/node-register"))
            let answer = rig.feed(.response(requestID: register.id, APIResponse(status: 200, body: body)))
            let expected = Self.treeReads(body)
            let label = String(decoding: body, as: UTF8.self)
            if let expectedID = expected.id {
                #expect(rig.agent.durable.nodeID == expectedID, "\(label)")
                #expect(rig.agent.durable.claimCode == (expected.claimCode ?? NodeAgent.Durable(keySeed: Rig.seed).claimCode))
                #expect(rig.agent.isClaimed == expected.claimed, "\(label)")
                #expect(Rig.send(answer, path: "/node-heartbeat") != nil)
            } else {
                #expect(rig.agent.durable.nodeID == nil, "\(label)")
                #expect(rig.agent.counters.registrationsFailed == 1)
                #expect(Rig.retryTimer(answer) != nil)
            }
            if let read = RequestHandlers.readRegistrationAnswer(body) {
                fast += 1
                #expect(read.id == expected.id && read.claimCode == expected.claimCode && read.claimed == expected.claimed)
            }
        }
        #expect(fast >= 4)
    }

    /// The server's read of a registration body: for every body it takes, the fields the tree
    /// parser gives (so `nodeRegister`'s checks see the same values); it takes every body
    /// `register` writes, and leaves re-spelled and corrupted ones to the parser.
    @Test func registrationBodyReadAsTheParserReadsIt() {
        var g = SplitMix64(seed: 41)
        let key = PublicKey(bytes: [UInt8](repeating: 3, count: 32))!
        var bodies: [[UInt8]] = []
        for _ in 0..<200 {
            let cores = [1, 8, 1_024, 0, -7, 5_000, 1_000_000_000_000_000][Int(g.next() % 7)]
            let body = NodeRequestBody.register(
                publicKey: key, name: Self.text(&g, empty: true), totalCores: cores, maxParallel: Int(g.next() % 2_000),
                platform: Self.text(&g), version: Self.text(&g))
            #expect(NodeRequestBody.readRegisterFields(body) != nil)
            bodies.append(body)
            var corrupted = body
            corrupted[Int(g.next() % UInt64(body.count))] = UInt8(truncatingIfNeeded: g.next())
            bodies.append(corrupted)
        }
        let canonical = String(decoding: bodies[0], as: UTF8.self)
        for (from, to) in [
            ("\"maxParallel\":", "\"maxParallel\":1.5e0,\"x\":"), ("\"maxParallel\":", "\"maxParallel\":-0.25,\"y\":"),
            ("\"maxParallel\":", "\"maxParallel\": "), ("\"totalCores\":", "\"totalCores\":null,\"z\":"),
            ("\"totalCores\":", "\"totalCores\":1e400,\"w\":"), ("\"totalCores\":", "\"totalCores\":\"8\",\"v\":"),
            ("\"name\":\"", "\"name\":\"\\u00e9\\n"), ("\"name\":", "\"name\":null,\"q\":"),
            ("\"version\":", "\"version\":7,\"u\":"), ("{", "{\"a\":0,"), ("}", ",\"zz\":1}"), ("}", "} "),
        ] {
            bodies.append(Array(canonical.replacingOccurrences(of: from, with: to).utf8))
        }
        bodies += [[], Array("{}".utf8), Array("null".utf8), Array(canonical.utf8) + [0x7D]]
        // Numbers the layout holds but `register` never writes: read as the parser reads them.
        let fields: [String: JSONValue] = [
            "maxParallel": 1.5, "name": "n", "platform": "linux", "publicKey": .string(key.base64), "totalCores": 2, "version": "1",
        ]
        bodies.append(JSONValue.object(fields).canonicalBytes)
        bodies.append(Array(String(decoding: JSONValue.object(fields).canonicalBytes, as: UTF8.self)
            .replacingOccurrences(of: "1.5", with: "1E0").replacingOccurrences(of: ":2,", with: ":-0.0e-0,").utf8))
        var taken = 0
        for body in bodies {
            guard let fields = NodeRequestBody.readRegisterFields(body) else { continue }
            taken += 1
            let tree = try? JSONValue.parse(body)
            #expect(tree == .object(fields), "\(String(decoding: body, as: UTF8.self))")
        }
        #expect(taken > 200 && taken < bodies.count)
    }
    /// A heartbeat's answer is recognised in place (`IDTable.withValue(at:)`), at the inline
    /// entry or behind another operation: a 2xx of any body is taken (acknowledged, claim
    /// proved, operation gone) and anything else fails it, as the plain classification says;
    /// the other operation is untouched (its config answer still starts the chunk).
    @Test(arguments: [200, 204, 299, 300, 404, 503])
    func heartbeatAnswerTakenInPlaceWhereverItsOperationSits(status: Int) throws {
        for behindAFetch in [false, true] {
            var rig = Rig(
                durable: .init(keySeed: Rig.seed, nodeID: Rig.nodeID, claimCode: "ABC123"), cores: 1, maxParallel: 1, signs: true)
            // The boot's heartbeat: the only operation, the inline entry.
            var beat = try #require(Rig.send(rig.feed(.boot), path: "/node-heartbeat"))
            var fetch: (id: UInt64, request: APIRequest)?
            if behindAFetch {
                // The boot's heartbeat answered, a fetch out (index 0), then the next heartbeat.
                _ = rig.feed(.response(requestID: beat.id, Rig.okRaw("{}")))
                let sent = try #require(Rig.send(rig.feed(.channel(.assigned(Rig.assignment(1)))), path: "/config-fetch"))
                fetch = sent
                beat = try #require(Rig.send(rig.feed(.timer(.heartbeat)), path: "/node-heartbeat"))
                #expect(rig.agent.operations.index(of: rig.agent.operations.key(at: 1)) == 1)
                #expect(rig.agent.operations.withValue(at: 1) { $0.isHeartbeat })
                #expect(!rig.agent.operations.withValue(at: 0) { $0.isHeartbeat })
            }
            let before = rig.agent.counters
            let operations = rig.agent.operations.count
            let answer = rig.feed(.response(requestID: beat.id, Rig.raw(status, "not json")))
            let taken = (200..<300).contains(status)
            #expect(rig.agent.counters.heartbeatsAcknowledged == before.heartbeatsAcknowledged + (taken ? 1 : 0))
            #expect(rig.agent.counters.heartbeatsFailed == before.heartbeatsFailed + (taken ? 0 : 1))
            #expect(rig.agent.operations.count == operations - 1)
            if taken { #expect(rig.agent.isClaimed == true) }
            #expect(Rig.sends(answer).isEmpty && Rig.retryTimer(answer) == nil)
            if let fetch {
                let config = rig.feed(.response(requestID: fetch.id, Rig.okRaw(Rig.config.canonicalString)))
                #expect(Rig.orders(config).count == 1)
            }
        }
    }
}
