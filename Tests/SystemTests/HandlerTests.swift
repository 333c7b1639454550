import Testing

@testable import JobSystem

/// A store, the handlers of one profile, and node keys that sign like real nodes.
struct HandlerBench {
    typealias F = StoreFixtures
    var store: EmbeddedStore
    var handlers: RequestHandlers
    var now = StoreFixtures.t0
    let signers: [any Signer]

    init(_ profile: Profile = .fixed, trigger: Bool = true) {
        store = EmbeddedStore(seed: 11, triggerInstalled: trigger)
        handlers = RequestHandlers(profile: profile, hasher: SodiumSHA256(), scheme: Ed25519())
        signers = (1...3).map { n in Ed25519().makeSigner(seed: [UInt8](repeating: UInt8(n), count: 32)) }
    }

    var profile: Profile { handlers.profile }

    static let config: JSONValue = [
        "fightLengthSeconds": 300, "targets": 1, "hastePercent": 10, "critChance": 0.2, "critMultiplier": 2,
        "abilities": [
            ["name": "bolt", "minDamage": 100, "maxDamage": 200, "cooldownMs": 0, "castTimeMs": 1500, "aoe": false],
            ["name": "nova", "minDamage": 300, "maxDamage": 400, "cooldownMs": 10_000, "castTimeMs": 0, "aoe": true],
        ],
    ]

    static var configHash: ConfigHash { ConfigHash.of(config, hasher: SodiumSHA256()) }

    /// Iteration damage of the bench's default results: within what `config` can deal (its
    /// `maxIterationDamage` is 114,000), which chunk-complete checks.
    static let resultBase: UInt64 = 50_000

    /// The request at `now`, on the handler's clock and the store's alike (same host).
    mutating func call(_ request: APIRequest) -> HandlerOutcome {
        store.now = now
        return handlers.handle(request, store: &store, now: now)
    }

    /// A portal request by `user`.
    mutating func portal(_ path: String, _ body: JSONValue, user: UserID? = StoreFixtures.user(1)) -> HandlerOutcome {
        call(APIRequest(method: "POST", path: path, body: body.canonicalBytes, user: user))
    }

    /// A node request signed by node `n` at `ts` (default now); in the unsigned profile the body
    /// carries the key instead.
    mutating func node(
        _ n: Int, _ method: String, _ path: String, _ body: JSONValue? = nil, query: [String: String] = [:],
        ts: Timestamp? = nil, sign: Bool = true
    ) -> HandlerOutcome {
        call(nodeRequest(n, method, path, body, query: query, ts: ts, sign: sign))
    }

    func nodeRequest(
        _ n: Int, _ method: String, _ path: String, _ body: JSONValue? = nil, query: [String: String] = [:],
        ts: Timestamp? = nil, sign: Bool = true
    ) -> APIRequest {
        var fields = body?.objectValue ?? [:]
        if profile.has(.unsignedNodes) && method == "POST" { fields["publicKey"] = .string(key(n).base64) }
        let bytes = method == "GET" ? [] : JSONValue.object(fields).canonicalBytes
        var headers: APIHeaders = [:]
        if sign && !profile.has(.unsignedNodes) {
            let signed = RequestSigner(signer: signers[n - 1], hasher: SodiumSHA256()).sign(
                method: method, path: RequestHandlers.signedPath(path: path, query: query), body: bytes,
                unixSeconds: (ts ?? now).unixSeconds)
            for (name, value) in signed.headers { headers[name] = value }
        }
        return APIRequest(method: method, path: path, query: query, headers: headers, body: bytes)
    }

    func key(_ n: Int) -> PublicKey { signers[n - 1].publicKey }

    static func registration(_ key: PublicKey, platform: String = "linux") -> JSONValue {
        ["publicKey": .string(key.base64), "name": "box", "totalCores": 8, "maxParallel": 4, "platform": .string(platform), "version": "1.2.0"]
    }

    /// Registers node `n`, claims it for `owner` and heartbeats it; returns its id.
    mutating func onlineNode(_ n: Int, owner: UserID = StoreFixtures.user(1)) throws -> NodeID {
        let registered = node(n, "POST", "/node-register", Self.registration(key(n)))
        let code = try #require(registered.json?["claimCode"]?.stringValue)
        #expect(portal("/node-claim", ["claimCode": .string(code)], user: owner).status == 200)
        #expect(node(n, "POST", "/node-heartbeat", [:]).status == 200)
        return try #require(store.node(publicKey: key(n))?.id)
    }

    /// Creates a job through the handlers (both the fixed and the two-call flow).
    mutating func createJob(iterations: Int, access: String = "public", user: UserID = StoreFixtures.user(1)) throws -> JobID {
        var body: [String: JSONValue] = ["iterations": .number(Double(iterations)), "accessType": .string(access)]
        if profile.has(.racyConfigUpsert) {
            #expect(portal("/config-upsert", ["config": Self.config], user: user).status == 200)
            body["configHash"] = .string(Self.configHash.hex)
        } else {
            body["config"] = Self.config
        }
        let response = portal("/job-create", .object(body), user: user)
        #expect(response.status == 200, "\(response.error.map { "\($0)" } ?? "")")
        return try #require(response.json?["jobId"]?.stringValue.flatMap(JobID.init(uuidString:)))
    }

    /// Assigns every pending chunk of the job to the node (guarded unless the profile says not).
    mutating func assignAll(_ job: JobID, to node: NodeID) throws -> [ChunkAssignment] {
        let plan = store.chunks(ofJob: job).filter { $0.status == .pending }.map { PlannedAssignment(chunkID: $0.id, nodeID: node) }
        return try store.applyAssignments(plan, guarded: !profile.has(.unguardedAssignment), now: now)
    }

    mutating func complete(_ n: Int, _ assignment: ChunkAssignment, attempt: Int? = nil, result: ChunkResult? = nil) -> HandlerOutcome {
        node(n, "POST", "/chunk-complete", [
            "chunkId": .string(assignment.chunkID.uuidString), "attempt": .number(Double(attempt ?? assignment.attempt)),
            "result": (result ?? StoreFixtures.result(iterations: assignment.iterations, base: Self.resultBase)).json,
        ])
    }
}

@Suite("Request handlers")
struct HandlerTests {
    typealias F = StoreFixtures

    // MARK: Routing

    @Test func routingRejections() {
        var bench = HandlerBench()
        #expect(bench.call(APIRequest(method: "GET", path: "/nope")).error == .routeNotFound("/nope"))
        let wrong = bench.call(APIRequest(method: "GET", path: "/config-upsert", user: F.user(1)))
        #expect(wrong.status == 405 && wrong.error == .methodNotAllowed(method: "GET", path: "/config-upsert"))
        #expect(wrong.json?["error"] == "method_not_allowed")
    }

    // MARK: config-upsert

    @Test func configUpsertHashesCanonicalJSON() throws {
        var bench = HandlerBench()
        let response = bench.portal("/config-upsert", ["config": HandlerBench.config])
        #expect(response.status == 200)
        #expect(response.json == ["success": true, "hash": .string(HandlerBench.configHash.hex)])
        let row = try #require(bench.store.config(HandlerBench.configHash))
        #expect(row.canonicalJSON == HandlerBench.config.canonicalString)
        // Key order and whitespace do not change the hash.
        let spaced = Array("{ \"config\" :\n \(HandlerBench.config.canonicalString) }".utf8)
        let again = bench.call(APIRequest(method: "POST", path: "/config-upsert", body: spaced, user: F.user(2)))
        #expect(again.json?["hash"] == .string(HandlerBench.configHash.hex))
    }

    @Test func configUpsertRejections() throws {
        var bench = HandlerBench()
        #expect(bench.portal("/config-upsert", ["config": HandlerBench.config], user: nil).error == .unauthenticated)
        #expect(bench.portal("/config-upsert", ["config": HandlerBench.config], user: nil).status == 401)
        let notJSON = bench.call(APIRequest(method: "POST", path: "/config-upsert", body: Array("{".utf8), user: F.user(1)))
        #expect(notJSON.status == 400)
        guard case .invalidJSON = notJSON.error else { Issue.record("expected invalidJSON, got \(String(describing: notJSON.error))"); return }
        #expect(bench.portal("/config-upsert", [1, 2]).error == .bodyNotObject)
        #expect(bench.portal("/config-upsert", ["cfg": 1]).error == .missingField("config"))
        #expect(bench.portal("/config-upsert", ["config": 1]).error == .invalidField(field: "config", expected: "an object"))
        var broken = HandlerBench.config.objectValue!
        broken["targets"] = nil
        #expect(bench.portal("/config-upsert", ["config": .object(broken)]).error == .invalidConfig(.missingField("targets")))
        var rotated = HandlerBench.config.objectValue!
        rotated["rotationId"] = "opener"
        #expect(bench.portal("/config-upsert", ["config": .object(rotated)]).error == .unknownRotation("opener"))
        #expect(bench.portal("/config-upsert", ["config": .object(rotated)]).status == 422)
        try bench.store.upsertRotation(RotationRow(id: "opener", canonicalJSON: #"{"id":"opener","priority":["nova","zap"]}"#, createdAt: F.t0))
        #expect(bench.portal("/config-upsert", ["config": .object(rotated)]).error
            == .invalidConfig(.unknownAbilityInRotation(rotation: "opener", ability: "zap")))
        try bench.store.upsertRotation(RotationRow(id: "opener", canonicalJSON: #"{"id":"opener","priority":["nova","bolt"]}"#, createdAt: F.t0))
        #expect(bench.portal("/config-upsert", ["config": .object(rotated)]).status == 200)

        var small = Profile.fixed
        small.maxConfigBytes = 100
        var tight = HandlerBench(small)
        let size = HandlerBench.config.canonicalBytes.count
        let big = tight.portal("/config-upsert", ["config": HandlerBench.config])
        #expect(big.error == .configTooLarge(bytes: size, limit: 100) && big.status == 413)
        #expect(tight.store.config(HandlerBench.configHash) == nil)
    }

    // MARK: job-create

    @Test func jobCreateMergedCall() throws {
        var bench = HandlerBench()
        let response = bench.portal("/job-create", ["config": HandlerBench.config, "iterations": 2_500, "accessType": "private"])
        #expect(response.status == 200)
        let id = try #require(response.json?["jobId"]?.stringValue.flatMap(JobID.init(uuidString:)))
        #expect(response.json == ["jobId": .string(id.uuidString), "chunks": 3, "queued": true])
        let job = try #require(bench.store.job(id))
        #expect(job.userID == F.user(1) && job.accessType == .private && job.totalIterations == 2_500)
        #expect(job.configHash == HandlerBench.configHash && bench.store.config(job.configHash) != nil)
        #expect(bench.store.takeNotifications().count == 3)
    }

    @Test func jobCreateRejections() {
        var bench = HandlerBench()
        let max = bench.profile.maxJobIterations
        func body(_ iterations: JSONValue, _ access: JSONValue = "public", discord: JSONValue? = nil) -> JSONValue {
            var fields: [String: JSONValue] = ["config": HandlerBench.config, "iterations": iterations, "accessType": access]
            if let discord { fields["discordServerId"] = discord }
            return .object(fields)
        }
        #expect(bench.portal("/job-create", body(0)).error == .invalidIterations(0, limit: max))
        #expect(bench.portal("/job-create", body(.number(Double(max + 1)))).error == .invalidIterations(max + 1, limit: max))
        #expect(bench.portal("/job-create", body(1.5)).error == .invalidField(field: "iterations", expected: "an integer"))
        #expect(bench.portal("/job-create", body(10, "everyone")).error
            == .invalidField(field: "accessType", expected: "one of private, public, user, discord"))
        #expect(bench.portal("/job-create", body(10, "discord")).error == .discordServerRequired)
        #expect(bench.portal("/job-create", body(10, "discord", discord: "")).error == .discordServerRequired)
        #expect(bench.portal("/job-create", ["iterations": 10, "accessType": "public"]).error == .missingField("config"))
        #expect(bench.portal("/job-create", body(10), user: nil).error == .unauthenticated)
        #expect(bench.store.allJobs.isEmpty && bench.store.config(HandlerBench.configHash) == nil)
        let ok = bench.portal("/job-create", body(10, "discord", discord: "123456789"))
        #expect(ok.status == 200)
        #expect(bench.store.allJobs.first?.discordServerID == "123456789")
    }

    /// racyConfigUpsert: job-create is today's second call; the config can vanish in between.
    @Test func defectRacyConfigUpsert() throws {
        var racy = HandlerBench(.fixed(with: .racyConfigUpsert))
        #expect(racy.portal("/job-create", ["config": HandlerBench.config, "iterations": 10, "accessType": "public"]).error
            == .missingField("configHash"))
        let unknown = racy.portal("/job-create", ["configHash": .string(HandlerBench.configHash.hex), "iterations": 10, "accessType": "public"])
        #expect(unknown.error == .store(.configNotFound(HandlerBench.configHash)) && unknown.status == 404)
        // The config was first submitted eight days ago and never run. Today's upsert ignores
        // the duplicate, so its last_used_at stays old, and the hourly cleanup that runs between
        // the portal's two calls deletes it.
        racy.now = F.t0 - .days(8)
        #expect(racy.portal("/config-upsert", ["config": HandlerBench.config]).status == 200)
        racy.now = F.t0
        #expect(racy.portal("/config-upsert", ["config": HandlerBench.config]).status == 200)
        _ = try racy.store.cleanupStaleData(
            unclaimedBefore: F.t0, offlineBefore: F.t0, unusedConfigBefore: F.t0 - .days(7), now: F.t0)
        let lost = racy.portal("/job-create", ["configHash": .string(HandlerBench.configHash.hex), "iterations": 10, "accessType": "public"])
        #expect(lost.error == .store(.configNotFound(HandlerBench.configHash)))
        #expect(racy.portal("/job-create", ["configHash": "XYZ", "iterations": 10, "accessType": "public"]).error
            == .invalidField(field: "configHash", expected: "64 lowercase hex digits"))

        // Fixed: the same history loses nothing, since the upsert and the job are one call.
        var fixed = HandlerBench()
        #expect(fixed.portal("/job-create", ["configHash": .string(HandlerBench.configHash.hex), "iterations": 10, "accessType": "public"]).error
            == .missingField("config"))
        fixed.now = F.t0 - .days(8)
        #expect(fixed.portal("/config-upsert", ["config": HandlerBench.config]).status == 200)
        fixed.now = F.t0
        _ = try fixed.store.cleanupStaleData(
            unclaimedBefore: F.t0, offlineBefore: F.t0, unusedConfigBefore: F.t0 - .days(7), now: F.t0)
        _ = try fixed.createJob(iterations: 10)
        #expect(fixed.store.config(HandlerBench.configHash)?.lastUsedAt == F.t0)
    }

    // MARK: Nodes

    @Test func claimCodeDerivation() {
        struct FixedHasher: SHA256Hashing {
            var first: [UInt8]
            func sha256(_ data: [UInt8]) -> Digest32 { Digest32(bytes: first + [UInt8](repeating: 0xAA, count: 32 - first.count))! }
        }
        let key = F.key(1)
        #expect(ClaimCode.derive(from: key, hasher: FixedHasher(first: [0, 0, 0, 0])) == "000000")
        #expect(ClaimCode.derive(from: key, hasher: FixedHasher(first: [0xFF, 0xFF, 0xFF, 0xFF])) == "ZZZZZZ")
        // 0x08 0x86 0x42 0x00 → bits 00001 00010 00011 00100 00100 00000 (30 bits) → 1 2 3 4 4 0.
        #expect(ClaimCode.derive(from: key, hasher: FixedHasher(first: [0x08, 0x86, 0x42, 0x00])) == "123440")
        let real = ClaimCode.derive(from: key, hasher: SodiumSHA256())
        #expect(real.count == 6 && real.allSatisfy { ClaimCode.alphabet.contains($0) })
        #expect(ClaimCode.normalize("ab-c o1l") == "ABC011")
    }

    @Test func nodeRegisterClaimHeartbeat() throws {
        var bench = HandlerBench()
        let registered = bench.node(1, "POST", "/node-register", HandlerBench.registration(bench.key(1)))
        #expect(registered.status == 200)
        let code = ClaimCode.derive(from: bench.key(1), hasher: SodiumSHA256())
        let id = try #require(bench.store.node(publicKey: bench.key(1))?.id)
        #expect(registered.json == ["id": .string(id.uuidString), "claimCode": .string(code), "claimed": false])
        // Idempotent (a fresh signature: a retry of the same request would be a replay).
        bench.now = bench.now + .seconds(1)
        #expect(bench.node(1, "POST", "/node-register", HandlerBench.registration(bench.key(1))).json?["id"] == .string(id.uuidString))

        let early = bench.node(1, "POST", "/node-heartbeat", [:])
        #expect(early.error == .store(.nodeNotClaimed(id)) && early.status == 403)
        #expect(bench.portal("/node-claim", ["claimCode": .string(code)], user: nil).error == .unauthenticated)
        #expect(bench.portal("/node-claim", ["claimCode": "0000"]).error == .invalidField(field: "claimCode", expected: "6 characters"))
        let other = code == "000000" ? "000001" : "000000"
        #expect(bench.portal("/node-claim", ["claimCode": .string(other)]).error == .store(.claimCodeNotFound(other)))
        let claimed = bench.portal("/node-claim", ["claimCode": .string(code.lowercased())])
        #expect(claimed.json == ["id": .string(id.uuidString)])
        #expect(bench.portal("/node-claim", ["claimCode": .string(code)], user: F.user(2)).error == .store(.nodeAlreadyClaimed(id)))

        bench.now = bench.now + .seconds(1)
        let beat = bench.node(1, "POST", "/node-heartbeat", [:])
        #expect(beat.json == ["id": .string(id.uuidString), "name": "box", "maxParallel": 4, "status": "online", "renewed": 0])
        #expect(bench.store.node(id)?.lastSeenAt == bench.now)
        // `computing` names chunks whose claims to renew: ids only, a bounded list.
        let expected = "an array of at most \(RequestHandlers.maxComputingChunks) chunk ids"
        for bad: JSONValue in ["x", [1], ["not-a-uuid"], .array(Array(repeating: .string(id.uuidString), count: 257))] {
            bench.now = bench.now + .seconds(1)
            let r = bench.node(1, "POST", "/node-heartbeat", ["computing": bad])
            #expect(r.error == .invalidField(field: "computing", expected: expected) && r.status == 400)
        }
        bench.now = bench.now + .seconds(1)
        #expect(bench.node(1, "POST", "/node-heartbeat", ["computing": [.string(id.uuidString)]]).json?["renewed"] == 0)
        bench.now = bench.now + .seconds(1)
        #expect(bench.node(1, "POST", "/node-register", HandlerBench.registration(bench.key(1))).json?["claimed"] == true)
    }

    @Test func nodeRegisterRejections() {
        var bench = HandlerBench()
        #expect(bench.node(1, "POST", "/node-register", HandlerBench.registration(bench.key(2))).error == .keyMismatch)
        #expect(bench.node(1, "POST", "/node-register", HandlerBench.registration(bench.key(1)), sign: false).error == .signature(.unsigned))
        bench.now = bench.now + .seconds(1)
        #expect(bench.node(1, "POST", "/node-register", HandlerBench.registration(bench.key(1), platform: "beos")).error
            == .invalidField(field: "platform", expected: "one of windows, linux, macos"))
        bench.now = bench.now + .seconds(1)
        var zeroCores = HandlerBench.registration(bench.key(1)).objectValue!
        zeroCores["totalCores"] = 0
        #expect(bench.node(1, "POST", "/node-register", .object(zeroCores)).error
            == .invalidField(field: "totalCores", expected: "an integer from 1 to 1024"))
        #expect(bench.store.allNodes.isEmpty)
    }

    // MARK: Signatures (fixed profile)

    @Test func forgedStaleReplayedAndUnknownRejected() throws {
        var bench = HandlerBench()
        _ = try bench.onlineNode(1)
        bench.now = bench.now + .seconds(10)

        // Forged: node 2's signature presented under node 1's key.
        var forged = bench.nodeRequest(2, "POST", "/node-heartbeat", [:])
        forged.headers[RequestSigning.keyHeader] = bench.key(1).base64
        #expect(bench.call(forged).error == .signature(.badSignature))
        // Tampered body.
        var tampered = bench.nodeRequest(1, "POST", "/node-heartbeat", [:])
        tampered.body = Array(#"{"x":1}"#.utf8)
        #expect(bench.call(tampered).error == .signature(.badSignature))
        // Re-aimed query: the query is not signed (today's message signs the pathname only),
        // so a re-aimed fetch authenticates; once the original was used, its signature is spent.
        let original = bench.nodeRequest(1, "GET", "/config-fetch", query: ["hash": String(repeating: "a", count: 64)])
        var reaimed = original
        reaimed.query["hash"] = String(repeating: "b", count: 64)
        #expect(bench.call(original).status == 404)
        #expect(bench.call(reaimed).error == .signature(.replayed))
        // Stale and future timestamps.
        let window = bench.profile.signatureWindow.micros / 1_000_000
        #expect(bench.node(1, "POST", "/node-heartbeat", [:], ts: bench.now - .seconds(window + 1)).error
            == .signature(.outsideWindow(skewSeconds: -(window + 1))))
        #expect(bench.node(1, "POST", "/node-heartbeat", [:], ts: bench.now + .seconds(window + 5)).error
            == .signature(.outsideWindow(skewSeconds: window + 5)))
        // A missing header, no headers, an unregistered key.
        var partial = bench.nodeRequest(1, "POST", "/node-heartbeat", [:])
        partial.headers[RequestSigning.timestampHeader] = nil
        #expect(bench.call(partial).error == .signature(.missingHeader(RequestSigning.timestampHeader)))
        #expect(bench.node(1, "POST", "/node-heartbeat", [:], sign: false).error == .signature(.unsigned))
        #expect(bench.node(3, "POST", "/node-heartbeat", [:]).error == .signature(.unknownNode))
        #expect(bench.node(3, "POST", "/node-heartbeat", [:]).status == 401)

        // Replayed: the same signed request twice, also when it first failed after authenticating.
        let request = bench.nodeRequest(1, "POST", "/node-heartbeat", [:])
        #expect(bench.call(request).status == 200)
        #expect(bench.call(request).error == .signature(.replayed))
        bench.now = bench.now + .seconds(window)
        #expect(bench.call(request).error == .signature(.replayed))  // still inside the window
        bench.now = bench.now + .seconds(1)
        #expect(bench.call(request).error == .signature(.outsideWindow(skewSeconds: -(window + 1))))
    }

    /// replayableSignatures: only the window is checked, so a captured request replays.
    @Test func defectReplayableSignatures() throws {
        var bench = HandlerBench(.fixed(with: .replayableSignatures))
        _ = try bench.onlineNode(1)
        let request = bench.nodeRequest(1, "POST", "/node-heartbeat", [:])
        #expect(bench.call(request).status == 200)
        #expect(bench.call(request).status == 200)
        #expect(bench.store.rememberedSignatureCount == 0)
        // Still no forgery.
        var forged = bench.nodeRequest(2, "POST", "/node-heartbeat", [:])
        forged.headers[RequestSigning.keyHeader] = bench.key(1).base64
        #expect(bench.call(forged).error == .signature(.badSignature))
    }

    /// unsignedNodes: no verification; the body's publicKey names the caller, so anyone can act
    /// as any node, and chunk-complete checks no claim.
    @Test func defectUnsignedNodes() throws {
        var bench = HandlerBench(.fixed(with: .unsignedNodes))
        let victim = try bench.onlineNode(1)
        let job = try bench.createJob(iterations: 1_000)
        let assignment = try #require(try bench.assignAll(job, to: victim).first)
        // An attacker with nothing but the victim's public key heartbeats for it…
        bench.now = bench.now + .minutes(1)
        let impersonated = bench.call(APIRequest(
            method: "POST", path: "/node-heartbeat",
            body: JSONValue.object(["publicKey": .string(bench.key(1).base64)]).canonicalBytes))
        #expect(impersonated.status == 200)
        #expect(bench.store.node(victim)?.lastSeenAt == bench.now)
        // …and completes the victim's chunk with a result of its choosing, without any claim.
        let fake = F.result(iterations: 1_000, base: 1)
        let body: JSONValue = [
            "publicKey": .string(bench.key(1).base64), "chunkId": .string(assignment.chunkID.uuidString),
            "result": fake.json,
        ]
        #expect(bench.call(APIRequest(method: "POST", path: "/chunk-complete", body: body.canonicalBytes)).status == 200)
        #expect(bench.store.chunk(assignment.chunkID)?.result == fake)
        // Today's guard holds for a node that names itself: a chunk running elsewhere is 403.
        _ = try bench.onlineNode(2)
        let job2 = try bench.createJob(iterations: 1_000)
        let other = try #require(try bench.assignAll(job2, to: victim).first)
        let refused = bench.complete(2, other)
        #expect(refused.status == 403 && refused.error == .chunkNotHeld(other.chunkID))
        // Fetches need no identity at all.
        #expect(bench.call(APIRequest(method: "GET", path: "/config-fetch", query: ["hash": HandlerBench.configHash.hex])).status == 200)
        // Only an unknown key is refused.
        #expect(bench.node(3, "POST", "/node-heartbeat", [:]).error == .signature(.unknownNode))

        // The fixed profile refuses the same impersonation.
        var fixed = HandlerBench()
        _ = try fixed.onlineNode(1)
        let attempt = fixed.call(APIRequest(
            method: "POST", path: "/node-heartbeat",
            body: JSONValue.object(["publicKey": .string(fixed.key(1).base64)]).canonicalBytes))
        #expect(attempt.error == .signature(.unsigned))
    }

    // MARK: chunk-complete

    @Test func chunkCompleteOutcomes() throws {
        var bench = HandlerBench()
        let n1 = try bench.onlineNode(1)
        let n2 = try bench.onlineNode(2)
        let job = try bench.createJob(iterations: 2_000)
        let assignments = try bench.assignAll(job, to: n1)
        bench.now = bench.now + .minutes(1)

        let first = bench.complete(1, assignments[0])
        #expect(first.json == ["success": true, "jobComplete": false, "duplicate": false])
        bench.now = bench.now + .seconds(1)
        #expect(bench.complete(1, assignments[0]).json == ["success": true, "jobComplete": false, "duplicate": true])
        bench.now = bench.now + .seconds(1)
        let someoneElse = bench.complete(2, assignments[0])
        #expect(someoneElse.error == .chunkAlreadyCompleted(assignments[0].chunkID) && someoneElse.status == 409)
        bench.now = bench.now + .seconds(1)
        let stale = bench.complete(2, assignments[1])
        #expect(stale.error == .staleClaim(assignments[1].chunkID) && stale.status == 409)
        bench.now = bench.now + .seconds(1)
        #expect(bench.complete(1, assignments[1], attempt: 5).error == .staleClaim(assignments[1].chunkID))
        #expect(bench.store.job(job)?.status == .running && bench.store.job(job)?.completedIterations == 1_000)
        bench.now = bench.now + .seconds(1)
        let last = bench.complete(1, assignments[1])
        #expect(last.json == ["success": true, "jobComplete": true, "duplicate": false])
        let row = try #require(bench.store.job(job))
        #expect(row.status == .completed && row.completedIterations == 2_000 && row.result?.iterations == 2_000)
        bench.now = bench.now + .seconds(1)
        #expect(bench.complete(1, assignments[1]).json == ["success": true, "jobComplete": true, "duplicate": true])
        _ = n2
        #expect(bench.store.checkConsistency().isEmpty)
    }

    @Test func chunkCompleteRejectsBadResults() throws {
        var bench = HandlerBench()
        let n1 = try bench.onlineNode(1)
        let job = try bench.createJob(iterations: 1_000)
        let assignment = try #require(try bench.assignAll(job, to: n1).first)
        func send(_ body: JSONValue) -> APIError? {
            bench.now = bench.now + .seconds(1)
            return bench.node(1, "POST", "/chunk-complete", body).error
        }
        let id = JSONValue.string(assignment.chunkID.uuidString)
        #expect(send(["chunkId": id, "attempt": 1, "result": F.result(iterations: 999).json])
            == .resultMismatch("999 iterations reported, the chunk has 1000"))
        #expect(send(["chunkId": id, "attempt": 1, "result": F.result(iterations: 1_000, fight: 120).json])
            == .resultMismatch("fight length 120 s reported, the config's is 300 s"))
        var forged = F.result(iterations: 1_000).json.objectValue!
        forged["minDamage"] = "999999999999"
        guard case .invalidResult = send(["chunkId": id, "attempt": 1, "result": .object(forged)]) else {
            Issue.record("an impossible tally must be refused")
            return
        }
        #expect(send(["chunkId": id, "attempt": 1, "result": 5]) == .invalidField(field: "result", expected: "an object"))
        #expect(send(["chunkId": "nope", "attempt": 1, "result": F.result(iterations: 1_000).json])
            == .invalidField(field: "chunkId", expected: "a UUID"))
        let ghost = ChunkID(Identifier(high: 1, low: 1))
        #expect(send(["chunkId": .string(ghost.uuidString), "attempt": 1, "result": F.result(iterations: 1_000).json])
            == .store(.chunkNotFound(ghost)))
        #expect(bench.store.chunk(assignment.chunkID)?.status == .running)
    }

    /// resultsNeverAggregated: the job completes with no result.
    @Test(arguments: [false, true])
    func defectResultsNeverAggregated(defect: Bool) throws {
        var bench = HandlerBench(defect ? .fixed(with: .resultsNeverAggregated) : .fixed)
        let n1 = try bench.onlineNode(1)
        let job = try bench.createJob(iterations: 1_500)
        for assignment in try bench.assignAll(job, to: n1) {
            bench.now = bench.now + .seconds(1)
            #expect(bench.complete(1, assignment).status == 200)
        }
        let row = try #require(bench.store.job(job))
        #expect(row.status == .completed)
        #expect((row.result == nil) == defect)
        let read = bench.call(APIRequest(method: "GET", path: "/jobs/\(job.uuidString)", user: F.user(1)))
        #expect((read.json?["result"] == .null) == defect)
    }

    /// progressNeverCounted: completed_iterations stays 0.
    @Test(arguments: [false, true])
    func defectProgressNeverCounted(defect: Bool) throws {
        var bench = HandlerBench(defect ? .fixed(with: .progressNeverCounted) : .fixed)
        let n1 = try bench.onlineNode(1)
        let job = try bench.createJob(iterations: 2_000)
        let assignment = try #require(try bench.assignAll(job, to: n1).first)
        bench.now = bench.now + .seconds(1)
        #expect(bench.complete(1, assignment).status == 200)
        #expect(bench.store.job(job)?.completedIterations == (defect ? 0 : 1_000))
        #expect(bench.store.job(job)?.status == .running)
    }

    /// unguardedAssignment: two sentinels' passes over one snapshot give a chunk to two nodes.
    @Test(arguments: [false, true])
    func defectUnguardedAssignment(defect: Bool) throws {
        var bench = HandlerBench(defect ? .fixed(with: .unguardedAssignment) : .fixed)
        let n1 = try bench.onlineNode(1)
        let n2 = try bench.onlineNode(2)
        let job = try bench.createJob(iterations: 1_000)
        let guarded = !bench.profile.has(.unguardedAssignment)
        let snapshot = bench.store.assignmentSnapshot(limit: 100, onlineSince: bench.now - bench.profile.sentinelOnlineWindow)
        let chunk = try #require(snapshot.chunks.first?.id)
        let a = try bench.store.applyAssignments([PlannedAssignment(chunkID: chunk, nodeID: n1)], guarded: guarded, now: bench.now)
        let b = try bench.store.applyAssignments([PlannedAssignment(chunkID: chunk, nodeID: n2)], guarded: guarded, now: bench.now)
        #expect(a.count == 1)
        #expect(b.count == (defect ? 1 : 0))
        // The first node's result is then stale under the fixed completion rules.
        bench.now = bench.now + .seconds(1)
        let first = bench.complete(1, a[0])
        #expect(first.status == (defect ? 409 : 200))
        _ = job
    }

    /// missingTrigger: job-create's chunks notify nobody.
    @Test(arguments: [false, true])
    func defectMissingTrigger(defect: Bool) throws {
        let profile: Profile = defect ? .fixed(with: .missingTrigger) : .fixed
        var bench = HandlerBench(profile, trigger: !profile.has(.missingTrigger))
        _ = try bench.createJob(iterations: 3_000)
        #expect(bench.store.takeNotifications().count == (defect ? 0 : 3))
    }

    // MARK: Fetches

    @Test func configAndRotationFetch() throws {
        var bench = HandlerBench()
        _ = try bench.onlineNode(1)
        _ = try bench.createJob(iterations: 10)
        try bench.store.upsertRotation(RotationRow(id: "r1", canonicalJSON: #"{"id":"r1","priority":["bolt"]}"#, createdAt: F.t0))
        let hash = HandlerBench.configHash.hex
        let config = bench.node(1, "GET", "/config-fetch", query: ["hash": hash])
        #expect(config.status == 200 && config.body == HandlerBench.config.canonicalBytes)
        #expect(SodiumSHA256().sha256(config.body).hex == hash)
        bench.now = bench.now + .seconds(1)
        let rotation = bench.node(1, "GET", "/rotation-fetch", query: ["id": "r1"])
        #expect(rotation.status == 200 && String(decoding: rotation.body, as: UTF8.self) == #"{"id":"r1","priority":["bolt"]}"#)
        bench.now = bench.now + .seconds(1)
        #expect(bench.node(1, "GET", "/config-fetch", query: ["hash": "abc"]).error
            == .invalidQuery(parameter: "hash", expected: "64 lowercase hex digits"))
        bench.now = bench.now + .seconds(1)
        let missing = String(repeating: "0", count: 64)
        #expect(bench.node(1, "GET", "/config-fetch", query: ["hash": missing]).error == .store(.configNotFound(ConfigHash(hex: missing)!)))
        bench.now = bench.now + .seconds(1)
        #expect(bench.node(1, "GET", "/rotation-fetch", query: ["id": "zz"]).error == .store(.rotationNotFound("zz")))
        bench.now = bench.now + .seconds(1)
        #expect(bench.node(1, "GET", "/rotation-fetch").error == .invalidQuery(parameter: "id", expected: "a rotation id"))
        #expect(bench.node(1, "GET", "/config-fetch", query: ["hash": hash], sign: false).error == .signature(.unsigned))
        #expect(bench.node(2, "GET", "/config-fetch", query: ["hash": hash]).error == .signature(.unknownNode))
    }

    // MARK: Job reads

    @Test func jobReadsHonourAccess() throws {
        var bench = HandlerBench()
        let mine = try bench.createJob(iterations: 10, access: "private")
        bench.now = bench.now + .seconds(1)
        let shared = try bench.createJob(iterations: 10, access: "public")
        bench.now = bench.now + .seconds(1)
        let theirs = try bench.createJob(iterations: 10, access: "user", user: F.user(2))

        let own = bench.call(APIRequest(method: "GET", path: "/jobs/\(mine.uuidString)", user: F.user(1)))
        #expect(own.status == 200 && own.json?["id"] == .string(mine.uuidString) && own.json?["status"] == "pending")
        #expect(own.json?["totalIterations"] == 10 && own.json?["completedIterations"] == 0 && own.json?["result"] == .null)
        for (id, user) in [(mine, F.user(2)), (theirs, F.user(1))] {
            let hidden = bench.call(APIRequest(method: "GET", path: "/jobs/\(id.uuidString)", user: user))
            #expect(hidden.status == 404 && hidden.error == .jobNotFound(id.uuidString))
        }
        #expect(bench.call(APIRequest(method: "GET", path: "/jobs/\(mine.uuidString)")).status == 404)
        #expect(bench.call(APIRequest(method: "GET", path: "/jobs/\(shared.uuidString)")).status == 200)
        #expect(bench.call(APIRequest(method: "GET", path: "/jobs/\(shared.uuidString)", user: F.user(2))).status == 200)
        #expect(bench.call(APIRequest(method: "GET", path: "/jobs/not-a-uuid", user: F.user(1))).error == .jobNotFound("not-a-uuid"))

        let list = bench.call(APIRequest(method: "GET", path: "/jobs", user: F.user(1)))
        #expect(list.json?["jobs"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [shared.uuidString, mine.uuidString])
        #expect(bench.call(APIRequest(method: "GET", path: "/jobs")).error == .unauthenticated)
    }
}
