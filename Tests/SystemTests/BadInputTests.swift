import Testing

@testable import JobSystem

/// Hardening (issue 15): oversized, extreme and malformed input is refused with a status, a
/// stable code and a reason, and leaves the store as it was.
@Suite("Bad input")
struct BadInputTests {
    typealias F = StoreFixtures

    // MARK: Sizes

    /// A 5 MB node-register was accepted: every route now has a body limit, checked before
    /// the body is parsed or its signature verified.
    @Test func everyRouteHasABodyLimit() throws {
        var bench = HandlerBench()
        let limit = bench.profile.limits.maxBodyBytes
        var fields = HandlerBench.registration(bench.key(1)).objectValue!
        fields["padding"] = .string(String(repeating: "x", count: 5_000_000))
        let huge = bench.node(1, "POST", "/node-register", .object(fields))
        #expect(huge.status == 413 && huge.error == .bodyTooLarge(bytes: JSONValue.object(fields).canonicalBytes.count, limit: limit))
        #expect(huge.json?["error"] == "body_too_large")
        #expect(bench.store.node(publicKey: bench.key(1)) == nil)
        for path in ["/node-heartbeat", "/chunk-complete", "/node-claim", "/config-fetch", "/rotation-fetch", "/jobs", "/jobs/x", "/nope"] {
            let request = APIRequest(method: "POST", path: path, body: [UInt8](repeating: 0x20, count: limit + 1), user: F.user(1))
            #expect(bench.call(request).error == .bodyTooLarge(bytes: limit + 1, limit: limit), "\(path)")
        }
        // At the limit the body is parsed (and here refused for what it is, not its size).
        let atLimit = APIRequest(method: "POST", path: "/node-claim", body: [UInt8](repeating: 0x20, count: limit), user: F.user(1))
        guard case .invalidJSON = bench.call(atLimit).error else { Issue.record("a body at the limit is read"); return }
    }

    @Test func pathQueryAndHeadersHaveLimits() {
        var bench = HandlerBench()
        let limits = bench.profile.limits
        let longPath = "/jobs/" + String(repeating: "a", count: limits.maxTargetBytes)
        let uri = bench.call(APIRequest(method: "GET", path: longPath))
        #expect(uri.status == 414 && uri.json?["error"] == "uri_too_long")
        let query = bench.call(APIRequest(method: "GET", path: "/config-fetch", query: ["hash": String(repeating: "0", count: limits.maxTargetBytes)]))
        #expect(query.status == 414)
        let headers = bench.call(APIRequest(method: "GET", path: "/jobs", headers: ["X-Pad": String(repeating: "h", count: limits.maxHeaderBytes)], user: F.user(1)))
        #expect(headers.status == 431 && headers.json?["error"] == "headers_too_large")
    }

    /// Length limits count bytes of UTF-8: 64 "é" are 64 characters but 128 bytes.
    @Test func lengthLimitsCountBytes() throws {
        var bench = HandlerBench()
        var fields = HandlerBench.registration(bench.key(1)).objectValue!
        fields["name"] = .string(String(repeating: "é", count: 64))
        #expect(bench.node(1, "POST", "/node-register", .object(fields)).error
            == .invalidField(field: "name", expected: "a string of 1 to 64 bytes of UTF-8"))
        fields["name"] = .string(String(repeating: "é", count: 32))
        // 17 combining accents: one character, 34 bytes.
        fields["version"] = .string(String(repeating: "\u{301}", count: 17))
        #expect(bench.node(1, "POST", "/node-register", .object(fields)).error
            == .invalidField(field: "version", expected: "a string of 1 to 32 bytes of UTF-8"))
        #expect(bench.store.node(publicKey: bench.key(1)) == nil)
        // An ability name of 64 characters but 128 bytes is out of range too.
        var config = HandlerBench.config.objectValue!
        var abilities = config["abilities"]!.arrayValue!
        var first = abilities[0].objectValue!
        first["name"] = .string(String(repeating: "é", count: 64))
        abilities[0] = .object(first)
        config["abilities"] = .array(abilities)
        #expect(bench.portal("/config-upsert", ["config": .object(config)]).error
            == .invalidConfig(.outOfRange(field: "abilities[0].name", allowed: "1...64")))
    }

    // MARK: Cost

    /// The audit's config: 32 instant abilities at the minimum period, 200 % haste, a one-hour
    /// fight (about 3 KB, about 2 s of CPU per iteration).
    static var costlyConfig: JSONValue {
        var config = HandlerBench.config.objectValue!
        config["fightLengthSeconds"] = 3600
        config["hastePercent"] = 200
        config["abilities"] = .array((0..<32).map { i in
            ["name": .string("a\(i)"), "minDamage": 1, "maxDamage": 2, "cooldownMs": 100, "castTimeMs": 0, "aoe": false]
        })
        return .object(config)
    }

    @Test func costlyIterationIsRefusedAtValidation() throws {
        var bench = HandlerBench()
        let casts = try SimConfig(json: Self.costlyConfig).castsPerFightBound
        #expect(casts == 32 * ((3_600_000 - 1) / 33 + 1))
        let limit = bench.profile.limits.maxCastsPerFight
        let upsert = bench.portal("/config-upsert", ["config": Self.costlyConfig])
        #expect(upsert.status == 422 && upsert.error == .iterationTooCostly(casts: casts, limit: limit))
        #expect(upsert.json?["error"] == "iteration_too_costly")
        let create = bench.portal("/job-create", ["config": Self.costlyConfig, "iterations": 1, "accessType": "public"])
        #expect(create.error == .iterationTooCostly(casts: casts, limit: limit))
        #expect(bench.store.jobs(ofUser: F.user(1)).isEmpty)
    }

    @Test func costlyJobIsRefusedAtValidation() throws {
        var profile = Profile.fixed
        let casts = try SimConfig(json: HandlerBench.config).castsPerFightBound
        profile.limits.maxCastsPerJob = casts * 1_000
        var bench = HandlerBench(profile)
        let over = bench.portal("/job-create", ["config": HandlerBench.config, "iterations": 1_001, "accessType": "public"])
        #expect(over.status == 422 && over.error == .jobTooCostly(casts: casts * 1_001, limit: casts * 1_000))
        #expect(over.json?["error"] == "job_too_costly")
        #expect(bench.store.jobs(ofUser: F.user(1)).isEmpty)
        let at = bench.portal("/job-create", ["config": HandlerBench.config, "iterations": 1_000, "accessType": "public"])
        #expect(at.status == 200)
        // The two-call flow checks the stored config's cost too.
        var racy = Profile.fixed(with: .racyConfigUpsert)
        racy.limits.maxCastsPerJob = casts * 1_000
        var two = HandlerBench(racy)
        #expect(two.portal("/config-upsert", ["config": HandlerBench.config]).status == 200)
        let byHash = two.portal("/job-create", [
            "configHash": .string(HandlerBench.configHash.hex), "iterations": 1_001, "accessType": "public",
        ])
        #expect(byHash.error == .jobTooCostly(casts: casts * 1_001, limit: casts * 1_000))
    }

    /// The bounds are upper bounds of what the model does, and exact for a config where every
    /// cast is the same: one instant ability every 10 s of a 100 s fight that always crits.
    @Test func configBoundsHoldForTheModel() throws {
        let exact: JSONValue = [
            "fightLengthSeconds": 100, "targets": 3, "hastePercent": 0, "critChance": 1, "critMultiplier": 1.5,
            "abilities": [["name": "x", "minDamage": 7, "maxDamage": 7, "cooldownMs": 10_000, "castTimeMs": 0, "aoe": true]],
        ]
        let config = try SimConfig(json: exact)
        #expect(config.castsPerFightBound == 10)
        #expect(config.maxIterationDamage == 10 * 11 * 3)  // 7 × 1.5 = 10.5, rounded away from zero
        #expect(try DPSModel(config: config).run(seedOffset: 0, iterations: 3).tally.maxDamage == 330)
        for json in [HandlerBench.config, DPSTests.baseJSON] {
            let c = try SimConfig(json: json)
            let result = try DPSModel(config: c).run(seedOffset: 0, iterations: 200)
            #expect(result.tally.maxDamage <= c.maxIterationDamage)
            #expect(result.tally.maxDamage * 2 > c.maxIterationDamage / 2, "a bound, but not a wild one")
        }
    }

    // MARK: Results

    /// A result no iteration of its config can produce is refused and changes nothing.
    @Test func resultAboveWhatTheConfigAllowsIsRefused() throws {
        var bench = HandlerBench()
        let nodeID = try bench.onlineNode(1)
        let job = try bench.createJob(iterations: 1_000)
        let assignment = try #require(try bench.assignAll(job, to: nodeID).first)
        let most = try SimConfig(json: HandlerBench.config).maxIterationDamage
        let forged = ChunkResult(tally: DamageTally(fightLengthSeconds: 300, iterationDamages: [most + 1] + Array(repeating: 1, count: 999)))
        let response = bench.complete(1, assignment, result: forged)
        #expect(response.status == 400 && response.json?["error"] == "result_mismatch")
        #expect(response.error == .resultMismatch("an iteration dealt \(most + 1) damage, the config allows at most \(most)"))
        #expect(bench.store.chunk(assignment.chunkID)?.status == .running)
        let honest = ChunkResult(tally: DamageTally(fightLengthSeconds: 300, iterationDamages: Array(repeating: most, count: 1_000)))
        #expect(bench.complete(1, assignment, result: honest).status == 200)
    }

    /// Two individually valid tallies whose exact sums overflow 128 bits: the job used to
    /// become completed with a null result. The store now refuses the completion whole.
    @Test func aggregationOverflowNeverCompletesAJobWithoutResult() throws {
        var profile = Profile.fixed
        profile.chunkIterations = 1
        var bench = HandlerBench(profile)
        let nodeID = try bench.onlineNode(1)
        let job = try bench.createJob(iterations: 2)
        let assignments = try bench.assignAll(job, to: nodeID)
        try #require(assignments.count == 2)
        let extreme = ChunkResult(tally: DamageTally(fightLengthSeconds: 300, iterationDamages: [UInt64.max]))
        let rules = bench.handlers.completionRules
        func complete(_ a: ChunkAssignment) throws(StoreError) -> CompletionOutcome {
            try bench.store.completeChunk(
                Completion(nodeID: nodeID, chunkID: a.chunkID, attempt: a.attempt, result: extreme), rules: rules, now: bench.now)
        }
        guard case .accepted(_, false) = try complete(assignments[0]) else { Issue.record("first completion"); return }
        #expect(throws: StoreError.self) { try complete(assignments[1]) }
        #expect(bench.store.job(job)?.status == .running)
        #expect(bench.store.job(job)?.result == nil)
        #expect(bench.store.chunk(assignments[1].chunkID)?.status == .running)
        // Through the handler the extreme result is refused before it reaches the store.
        #expect(bench.complete(1, assignments[1], result: extreme).error?.code == "result_mismatch")
    }

    // MARK: Text

    /// Methods match ASCII-only, as they are signed: "poſt" (long s upper-cases to S) is not POST.
    @Test func methodsMatchASCIIOnly() {
        var bench = HandlerBench()
        let body = JSONValue.object(["config": HandlerBench.config]).canonicalBytes
        let unicode = bench.call(APIRequest(method: "po\u{17F}t", path: "/config-upsert", body: body, user: F.user(1)))
        #expect(unicode.status == 405 && unicode.json?["error"] == "method_not_allowed")
        #expect(bench.store.config(HandlerBench.configHash) == nil)
        #expect(bench.call(APIRequest(method: "\u{130}", path: "/jobs", user: F.user(1))).status == 405)  // İ
        #expect(bench.call(APIRequest(method: "pOsT", path: "/config-upsert", body: body, user: F.user(1))).status == 200)
    }

    /// Configs that differ only in Unicode normalization are different configs: different
    /// hashes, and (agreeing with the hashes) unequal `SimConfig`s.
    @Test func normalizationVariantsAreDifferentConfigs() throws {
        func named(_ name: String) -> JSONValue {
            var config = HandlerBench.config.objectValue!
            var abilities = config["abilities"]!.arrayValue!
            var first = abilities[0].objectValue!
            first["name"] = .string(name)
            abilities[0] = .object(first)
            config["abilities"] = .array(abilities)
            return .object(config)
        }
        let composed = named("\u{E9}clair"), decomposed = named("e\u{301}clair")
        var bench = HandlerBench()
        let a = bench.portal("/config-upsert", ["config": composed]).json?["hash"]
        let b = bench.portal("/config-upsert", ["config": decomposed]).json?["hash"]
        #expect(a != nil && b != nil && a != b)
        let ca = try SimConfig(json: composed), cb = try SimConfig(json: decomposed)
        #expect(ca != cb)
        #expect(Set([ca, cb]).count == 2)
        #expect(ca == (try SimConfig(json: composed)))
        // A rotation names an ability by its exact bytes.
        let rotation = try Rotation(id: "r", abilityNames: ["e\u{301}clair"])
        let rotated = try SimConfig(
            fightLengthSeconds: 10, targets: 1, hastePercent: 0, critChance: 0, critMultiplier: 1,
            abilities: [try Ability(name: "\u{E9}clair", minDamage: 1, maxDamage: 1, cooldownMs: 0, castTimeMs: 1_000, aoe: false)],
            rotationId: "r")
        #expect(throws: ConfigError.unknownAbilityInRotation(rotation: "r", ability: "e\u{301}clair")) { try rotated.priority(with: rotation) }
        // Two abilities whose names are canonically equivalent are two abilities.
        let both = try SimConfig(
            fightLengthSeconds: 10, targets: 1, hastePercent: 0, critChance: 0, critMultiplier: 1,
            abilities: [
                try Ability(name: "\u{E9}", minDamage: 1, maxDamage: 1, cooldownMs: 0, castTimeMs: 1_000, aoe: false),
                try Ability(name: "e\u{301}", minDamage: 1, maxDamage: 1, cooldownMs: 0, castTimeMs: 1_000, aoe: false),
            ])
        #expect(both.abilities.count == 2)
    }

    @Test func whitespaceOnlyDiscordIdsAreRefused() {
        var bench = HandlerBench()
        for id: JSONValue in [" ", "\t\n", "\u{A0}", "\u{3000}"] {
            let r = bench.portal("/job-create", ["config": HandlerBench.config, "iterations": 10, "accessType": "discord", "discordServerId": id])
            #expect(r.error == .discordServerRequired, "\(id)")
        }
        for id: JSONValue in ["guild 1", " 123", "12\u{0}3", .string(String(repeating: "9", count: 65))] {
            let r = bench.portal("/job-create", ["config": HandlerBench.config, "iterations": 10, "accessType": "discord", "discordServerId": id])
            #expect(r.status == 400 && r.json?["error"] == "invalid_field", "\(id)")
        }
        #expect(bench.store.jobs(ofUser: F.user(1)).isEmpty)
        let ok = bench.portal("/job-create", ["config": HandlerBench.config, "iterations": 10, "accessType": "discord", "discordServerId": "123456789012345678"])
        #expect(ok.status == 200)
    }

    @Test func uuidsParseStrictly() {
        let id = "01234567-89ab-cdef-fedc-ba9876543210"
        #expect(Identifier(uuidString: id) != nil)
        for bad in [
            "0123456789abcdef-fedc-ba98765432-10", "----0123456789abcdeffedcba9876543210", "01234567-89ab-cdef-fedcba98-76543210",
            "0123456789abcdeffedcba9876543210----", "01234567-89ab-cdef-fedc-ba987654321", "01234567-89ab-cdef-fedc-ba98765432100",
            "01234567-89ab-cdef-fedc-ba987654321\u{FF10}", "{1234567-89ab-cdef-fedc-ba9876543210}", "",
        ] {
            #expect(Identifier(uuidString: bad) == nil, "\(bad)")
        }
        var bench = HandlerBench()
        #expect(bench.call(APIRequest(method: "GET", path: "/jobs/----0123456789abcdeffedcba9876543210")).error?.code == "job_not_found")
    }

    // MARK: Retries

    /// A retry is re-signed strictly after its previous attempt, even within the same second,
    /// so the server can never refuse it as a replay of that attempt.
    @Test func retriesAreSignedWithAFreshTimestamp() throws {
        typealias Rig = NodeAgentRig
        var rig = Rig.registered()
        var effects = rig.feed(.channel(.assigned(Rig.assignment(1))))
        _ = rig.feed(.response(requestID: try #require(Rig.send(effects, path: "/config-fetch")).id, Rig.okRaw(Rig.config.canonicalString)))
        effects = rig.feed(.computeFinished(chunkID: Rig.assignment(1).chunkID, attempt: 1, result: Rig.result()))
        var timestamps: [Int64] = []
        var signatures: Set<String> = []
        for _ in 0..<3 {
            let sent = try #require(Rig.send(effects, path: "/chunk-complete"))
            timestamps.append(try #require(sent.request.headers[RequestSigning.timestampHeader].flatMap { Int64($0) }))
            signatures.insert(try #require(sent.request.headers[RequestSigning.signatureHeader]))
            // A fast failure (the store's connection dropped), retried within the same second.
            effects = rig.feed(.response(requestID: sent.id, Rig.refused(.store(.connectionLost))))
            effects = rig.feed(.timer(try #require(Rig.retryTimer(effects))))
        }
        #expect(timestamps == [timestamps[0], timestamps[0] + 1, timestamps[0] + 2])
        #expect(signatures.count == 3)
    }

    /// Answers are read as they cross HTTP: the typed error is never looked at.
    @Test func responsesAreClassifiedByWhatCrossesTheWire() {
        func wire(_ error: APIError) -> APIResponse { APIResponse.rejection(error) }
        guard case .transient = ResponseClass(wire(.signature(.replayed))) else { Issue.record("replayed is transient"); return }
        #expect(ResponseClass(wire(.signature(.unknownNode))) == .unknownNode)
        guard case .definitive = ResponseClass(wire(.signature(.badSignature))) else { Issue.record("forged is definitive"); return }
        #expect(APIResponse.rejection(.signature(.replayed)).json?["error"] == "replayed_request")
        #expect(APIResponse.rejection(.signature(.unknownNode)).json?["error"] == "unknown_node")
        #expect(APIResponse.rejection(.signature(.badSignature)).json?["error"] == "bad_node_authentication")
        #expect(APIResponse.rejection(.signature(.replayed)).status == 401)
    }

    /// A replay of a chunk-complete that took effect is answered with its original outcome
    /// (the network's copy of a request whose answer was lost); one that did not is refused.
    @Test func replayOfAnAppliedCompletionGetsItsOutcome() throws {
        var bench = HandlerBench()
        let nodeID = try bench.onlineNode(1)
        let job = try bench.createJob(iterations: 2_000)
        let assignments = try bench.assignAll(job, to: nodeID)
        let result = F.result(iterations: 1_000, base: HandlerBench.resultBase)
        func request(_ a: ChunkAssignment, attempt: Int) -> APIRequest {
            bench.nodeRequest(1, "POST", "/chunk-complete", [
                "chunkId": .string(a.chunkID.uuidString), "attempt": .number(Double(attempt)), "result": result.json,
            ])
        }
        let first = request(assignments[0], attempt: assignments[0].attempt)
        #expect(bench.call(first).json == ["success": true, "jobComplete": false, "duplicate": false])
        let replay = bench.call(first)
        #expect(replay.status == 200 && replay.json == ["success": true, "jobComplete": false, "duplicate": true])
        // A replay of a request that did not take effect (a stale attempt) stays refused.
        let stale = request(assignments[1], attempt: assignments[1].attempt + 1)
        #expect(bench.call(stale).error == .staleClaim(assignments[1].chunkID))
        let again = bench.call(stale)
        #expect(again.status == 401 && again.json?["error"] == "replayed_request")
        #expect(bench.store.chunk(assignments[1].chunkID)?.status == .running)
        // Another node's captured completion, replayed: refused, nothing changes.
        _ = try bench.onlineNode(2)
        let other = bench.nodeRequest(2, "POST", "/chunk-complete", [
            "chunkId": .string(assignments[0].chunkID.uuidString), "attempt": 1, "result": result.json,
        ])
        #expect(bench.call(other).error == .chunkAlreadyCompleted(assignments[0].chunkID))
        #expect(bench.call(other).error == .signature(.replayed))
    }

    // MARK: Replay cache

    /// Bounded in entries: when full the earliest-expiring signature is forgotten, and every
    /// signature expiring no later than it is refused from then on, so no replay gets through.
    @Test func replayCacheIsBoundedAndFailsClosed() throws {
        var store = EmbeddedStore(seed: 1)
        store.replayCacheCapacity = 3
        let t0 = F.t0
        let sigs = (1...6).map { Signature(bytes: [UInt8](repeating: UInt8($0), count: 64))! }
        for (i, sig) in sigs.prefix(3).enumerated() {
            #expect(try store.rememberSignature(sig, expiresAt: t0 + .seconds(Int64(10 * (i + 1))), now: t0))
        }
        #expect(store.rememberedSignatureCount == 3)
        // Full: remembering a fourth forgets sigs[0] (expiring at +10 s)...
        #expect(try store.rememberSignature(sigs[3], expiresAt: t0 + .seconds(40), now: t0))
        #expect(store.rememberedSignatureCount == 3)
        // ...which is still refused (it might be a replay), as is anything expiring by +10 s.
        #expect(try !store.rememberSignature(sigs[0], expiresAt: t0 + .seconds(10), now: t0))
        #expect(try !store.rememberSignature(sigs[4], expiresAt: t0 + .seconds(5), now: t0))
        // A new signature that would expire first is accepted and forgotten at once (the floor
        // rises to it); the remembered ones stay.
        #expect(try store.rememberSignature(sigs[4], expiresAt: t0 + .seconds(11), now: t0))
        #expect(try !store.rememberSignature(sigs[4], expiresAt: t0 + .seconds(11), now: t0))
        #expect(try !store.rememberSignature(sigs[1], expiresAt: t0 + .seconds(20), now: t0))
        #expect(store.rememberedSignatureCount == 3)
        // Once expired entries go, there is room again without forgetting anything early.
        #expect(try store.rememberSignature(sigs[5], expiresAt: t0 + .seconds(100), now: t0 + .seconds(25)))
        #expect(store.rememberedSignatureCount == 3)
        // 20,000 signatures in one second never hold more than the capacity.
        var big = EmbeddedStore(seed: 1)
        big.replayCacheCapacity = 1_000
        for i in 0..<20_000 {
            var bytes = [UInt8](repeating: 0, count: 64)
            bytes[0] = UInt8(i & 0xFF)
            bytes[1] = UInt8(i >> 8)
            _ = try big.rememberSignature(Signature(bytes: bytes)!, expiresAt: t0 + .seconds(300), now: t0)
            #expect(big.rememberedSignatureCount <= 1_000)
        }
    }

    /// node-register needs no replay entry (idempotent per key), so fresh keys cannot fill the cache.
    @Test func registrationsDoNotFillTheReplayCache() throws {
        var bench = HandlerBench()
        let request = bench.nodeRequest(1, "POST", "/node-register", HandlerBench.registration(bench.key(1)))
        let first = bench.call(request)
        let replay = bench.call(request)
        #expect(first.status == 200 && replay.status == 200 && first.json?["id"] == replay.json?["id"])
        #expect(bench.store.rememberedSignatureCount == 0)
    }

    // MARK: Rates

    @Test func jobCreationIsLimitedPerUser() throws {
        var profile = Profile.fixed
        profile.limits.maxUnfinishedJobsPerUser = 2
        var bench = HandlerBench(profile)
        _ = try bench.createJob(iterations: 10)
        _ = try bench.createJob(iterations: 10)
        let third = bench.portal("/job-create", ["config": HandlerBench.config, "iterations": 10, "accessType": "public"])
        #expect(third.status == 429 && third.json?["error"] == "rate_limited" && third.json?["retryAfterSeconds"] == 60)
        #expect(bench.store.jobs(ofUser: F.user(1)).count == 2)
        _ = try bench.createJob(iterations: 10, user: F.user(2))  // another user is not affected

        var hourly = Profile.fixed
        hourly.limits.maxJobsPerUserPerHour = 3
        var h = HandlerBench(hourly)
        for _ in 0..<3 {
            _ = try h.createJob(iterations: 10)
            h.now = h.now + .minutes(10)
        }
        // The first job was created 30 minutes ago: a slot frees in 30 minutes.
        let fourth = h.portal("/job-create", ["config": HandlerBench.config, "iterations": 10, "accessType": "public"])
        #expect(fourth.status == 429 && fourth.json?["retryAfterSeconds"] == 1_800)
        h.now = h.now + .minutes(30) + .seconds(1)
        #expect(h.portal("/job-create", ["config": HandlerBench.config, "iterations": 10, "accessType": "public"]).status == 200)
    }

    /// Failed claims are limited per user (guessing 30-bit codes is slow); a success is free.
    @Test func failedClaimsAreLimitedPerUser() throws {
        var profile = Profile.fixed
        profile.limits.failedClaimsPerUser = RateLimiter.Rate(burst: 2, perHour: 30)
        var bench = HandlerBench(profile)
        var limiter = RateLimiter()
        func claim(_ code: String, user: UserID = F.user(1)) -> HandlerOutcome {
            let request = APIRequest(
                method: "POST", path: "/node-claim", body: JSONValue.object(["claimCode": .string(code)]).canonicalBytes, user: user)
            return bench.handlers.handle(request, store: &bench.store, limiter: &limiter, now: bench.now)
        }
        let registered = bench.node(1, "POST", "/node-register", HandlerBench.registration(bench.key(1)))
        let code = try #require(registered.json?["claimCode"]?.stringValue)
        let wrong = code == "000000" ? "000001" : "000000"
        #expect(claim(wrong).status == 404)
        #expect(claim(wrong).status == 404)
        let limited = claim(wrong)
        #expect(limited.status == 429 && limited.json?["error"] == "rate_limited" && limited.json?["retryAfterSeconds"] == 120)
        #expect(claim(code).status == 429, "even the right code waits: guessing must not go on")
        #expect(claim(wrong, user: F.user(2)).status == 404, "per user")
        bench.now = bench.now + .seconds(120)
        #expect(claim(code).status == 200)
        #expect(claim(wrong).status == 404, "the successful claim gave its token back")
    }

    /// New keys register at a bounded rate (all callers); a known key re-registers freely.
    @Test func registrationsOfNewKeysAreRateLimited() throws {
        var profile = Profile.fixed
        profile.limits.nodeRegistrations = RateLimiter.Rate(burst: 1, perHour: 3_600)
        var bench = HandlerBench(profile)
        var limiter = RateLimiter()
        func register(_ n: Int) -> HandlerOutcome {
            bench.handlers.handle(
                bench.nodeRequest(n, "POST", "/node-register", HandlerBench.registration(bench.key(n))), store: &bench.store,
                limiter: &limiter, now: bench.now)
        }
        #expect(register(1).status == 200)
        let second = register(2)
        #expect(second.status == 429 && second.json?["retryAfterSeconds"] == 1)
        #expect(bench.store.node(publicKey: bench.key(2)) == nil)
        bench.now = bench.now + .seconds(1)
        #expect(register(1).status == 200)  // known key: no token needed
        #expect(register(2).status == 200)
    }

    @Test func rateLimiterMemoryIsBounded() {
        var limiter = RateLimiter(capacity: 100)
        let rate = RateLimiter.Rate(burst: 1, perHour: 1)
        for i in 0..<10_000 { _ = limiter.take("k\(i)", rate: rate, now: F.t0) }
        #expect(limiter.trackedKeys == 100)
        #expect(limiter.take("k9999", rate: rate, now: F.t0) != nil, "a recent key is remembered")
        #expect(limiter.take("k0", rate: rate, now: F.t0) == nil, "the first keys were forgotten (forgiven)")
    }
}
