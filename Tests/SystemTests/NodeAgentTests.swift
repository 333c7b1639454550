import Testing

@testable import JobSystem

/// Drives one `NodeAgent` by hand: feed an input at a time, read the effects.
struct NodeAgentRig {
    static let t0 = Timestamp(unixSeconds: 1_700_000_000)
    static let seed = [UInt8](repeating: 7, count: 32)
    static let nodeID = NodeID(Identifier(high: 0xA, low: 0xB))
    static let config: JSONValue = [
        "fightLengthSeconds": 60, "targets": 1, "hastePercent": 0, "critChance": 0.1, "critMultiplier": 2,
        "abilities": [
            ["name": "bolt", "minDamage": 100, "maxDamage": 200, "cooldownMs": 0, "castTimeMs": 1500, "aoe": false],
            ["name": "nova", "minDamage": 300, "maxDamage": 400, "cooldownMs": 10_000, "castTimeMs": 0, "aoe": true],
        ],
    ]
    static var configHash: ConfigHash { ConfigHash.of(config, hasher: SodiumSHA256()) }

    var agent: NodeAgent
    var now = NodeAgentRig.t0

    init(
        durable: NodeAgent.Durable = .init(keySeed: NodeAgentRig.seed), cores: Int = 8, maxParallel: Int = 4,
        signs: Bool = true, profile: Profile = .fixed
    ) {
        let settings = NodeAgent.Settings(
            name: "box", totalCores: cores, maxParallel: maxParallel, platform: "linux", version: signs ? "2.0.0" : "1.4.2",
            signsRequests: signs, profile: profile)
        agent = NodeAgent(durable: durable, settings: settings, scheme: Ed25519(), hasher: SodiumSHA256())
    }

    /// A booted agent that already has its node id (no registration on boot).
    static func registered(cores: Int = 8, maxParallel: Int = 4, signs: Bool = true) -> NodeAgentRig {
        var rig = NodeAgentRig(
            durable: .init(keySeed: seed, nodeID: nodeID, claimCode: "ABC123"), cores: cores, maxParallel: maxParallel,
            signs: signs)
        _ = rig.feed(.boot)
        return rig
    }

    mutating func feed(_ input: NodeAgent.Input) -> [NodeAgent.Effect] {
        var effects: [NodeAgent.Effect] = []
        agent.handle(input, now: now, effects: &effects)
        return effects
    }

    static func sends(_ effects: [NodeAgent.Effect]) -> [(id: UInt64, request: APIRequest)] {
        effects.compactMap { if case .send(let id, let request) = $0 { return (id, request) } else { return nil } }
    }

    static func send(_ effects: [NodeAgent.Effect], path: String) -> (id: UInt64, request: APIRequest)? {
        sends(effects).first { $0.request.path == path }
    }

    static func orders(_ effects: [NodeAgent.Effect]) -> [ComputeOrderKey] {
        effects.compactMap {
            if case .startCompute(let order) = $0 {
                return ComputeOrderKey(chunk: order.assignment.chunkID, attempt: order.assignment.attempt)
            }
            return nil
        }
    }

    static func retryDelay(_ effects: [NodeAgent.Effect]) -> Interval? {
        effects.lazy.compactMap { if case .setTimer(.retry, let after) = $0 { return after } else { return nil } }.first
    }

    static func retryTimer(_ effects: [NodeAgent.Effect]) -> NodeTimer? {
        effects.lazy.compactMap { if case .setTimer(let t, _) = $0, case .retry = t { return t } else { return nil } }.first
    }

    static func assignment(_ n: UInt64, attempt: Int = 1, hash: ConfigHash = configHash) -> ChunkAssignment {
        ChunkAssignment(
            chunkID: ChunkID(Identifier(high: 1, low: n)), jobID: JobID(Identifier(high: 2, low: 1)), nodeID: nodeID,
            attempt: attempt, configHash: hash, iterations: 10, seedOffset: Int64(n) * 10, claimedAt: t0)
    }

    static func ok(_ json: JSONValue) -> APIResponse { APIResponse(status: 200, body: json.canonicalBytes) }
    static func okRaw(_ text: String) -> APIResponse { APIResponse(status: 200, body: Array(text.utf8)) }
    /// What the server sends for `error`: its status and `{error, message}`, nothing typed.
    static func refused(_ error: APIError) -> APIResponse { APIResponse.rejection(error) }
    /// A raw answer, as any server (or proxy) might send it.
    static func raw(_ status: Int, _ body: String) -> APIResponse { APIResponse(status: status, body: Array(body.utf8)) }

    static func result(iterations: Int = 10) -> ChunkResult {
        try! DPSModel(config: SimConfig(json: config)).run(seedOffset: 0, iterations: iterations)
    }
}

struct ComputeOrderKey: Equatable {
    var chunk: ChunkID
    var attempt: Int
}

@Suite("NodeAgent")
struct NodeAgentTests {
    typealias Rig = NodeAgentRig

    @Test func registersThenHeartbeatsWhileUnclaimed() throws {
        var rig = Rig()
        var effects = rig.feed(.boot)
        #expect(effects.first == .persist(NodeAgent.Durable(keySeed: Rig.seed, incarnation: 1)))
        let register = try #require(Rig.send(effects, path: "/node-register"))
        #expect(register.request.method == "POST")
        let body = try JSONValue.parse(register.request.body)
        #expect(body == [
            "publicKey": .string(rig.agent.publicKey.base64), "name": "box", "totalCores": 8, "maxParallel": 4,
            "platform": "linux", "version": "2.0.0",
        ])
        #expect(effects.contains(.setTimer(.requestTimeout(register.id), after: .seconds(10))))

        // Answered: the id and code are persisted, the first heartbeat goes at once.
        rig.now = rig.now + .milliseconds(80)
        effects = rig.feed(.response(requestID: register.id, Rig.ok(["id": .string(Rig.nodeID.uuidString), "claimCode": "ABC123", "claimed": false])))
        #expect(effects.contains(.cancelTimer(.requestTimeout(register.id))))
        #expect(effects.contains(.persist(NodeAgent.Durable(keySeed: Rig.seed, nodeID: Rig.nodeID, claimCode: "ABC123", incarnation: 1))))
        let beat = try #require(Rig.send(effects, path: "/node-heartbeat"))
        #expect(try JSONValue.parse(beat.request.body) == [:])
        #expect(effects.contains(.setTimer(.heartbeat, after: .seconds(15))))
        #expect(rig.agent.isClaimed == false)

        // Unclaimed: refused, which is normal; no retry, the next heartbeat comes on schedule.
        effects = rig.feed(.response(requestID: beat.id, Rig.refused(.store(.nodeNotClaimed(Rig.nodeID)))))
        #expect(Rig.retryTimer(effects) == nil)
        #expect(rig.agent.counters.heartbeatsFailed == 1)
        #expect(rig.agent.isClaimed == false)

        rig.now = rig.now + .seconds(15)
        effects = rig.feed(.timer(.heartbeat))
        let second = try #require(Rig.send(effects, path: "/node-heartbeat"))
        #expect(effects.contains(.setTimer(.heartbeat, after: .seconds(15))))
        _ = rig.feed(.response(requestID: second.id, Rig.ok(["id": .string(Rig.nodeID.uuidString), "name": "box", "maxParallel": 4, "status": "online"])))
        #expect(rig.agent.isClaimed == true)
        #expect(rig.agent.counters.heartbeatsSent == 2)
        #expect(rig.agent.counters.heartbeatsAcknowledged == 1)
    }

    @Test func registrationRetriesWithBackoffUntilItWorks() throws {
        var rig = Rig()
        var effects = rig.feed(.boot)
        var delays: [Interval] = []
        for failure in 1...5 {
            let register = try #require(Rig.send(effects, path: "/node-register"))
            // Alternate lost requests and server errors: both are retried.
            effects = failure % 2 == 1
                ? rig.feed(.timer(.requestTimeout(register.id)))
                : rig.feed(.response(requestID: register.id, Rig.refused(.store(.connectionLost))))
            let delay = try #require(Rig.retryDelay(effects))
            let cap = Interval.seconds(1 << Int64(failure - 1))
            #expect(delay.micros >= cap.micros / 2 && delay <= cap)
            delays.append(delay)
            rig.now = rig.now + delay
            effects = rig.feed(.timer(try #require(Rig.retryTimer(effects))))
        }
        #expect(delays == delays.sorted())
        #expect(rig.agent.counters.registrationsSent == 6)
        #expect(rig.agent.isRegistered == false)
        let register = try #require(Rig.send(effects, path: "/node-register"))
        _ = rig.feed(.response(requestID: register.id, Rig.ok(["id": .string(Rig.nodeID.uuidString), "claimCode": "ABC123", "claimed": true])))
        #expect(rig.agent.durable.nodeID == Rig.nodeID)
    }

    @Test func newVersionsSignVerifiably() throws {
        var rig = Rig.registered()
        let verifier = RequestVerifier(scheme: Ed25519(), hasher: SodiumSHA256())
        var effects = rig.feed(.timer(.heartbeat))
        effects += rig.feed(.channel(.assigned(Rig.assignment(1))))
        let requests = Rig.sends(effects).map(\.request)
        #expect(requests.map(\.path) == ["/node-heartbeat", "/config-fetch"])
        for request in requests {
            #expect(request.headers.names.sorted() == ["X-Node-Key", "X-Node-Sig", "X-Node-Ts"])
            // Today's verifier signs the URL's pathname only: the message it rebuilds, by hand.
            let todays = Array("\(rig.now.unixSeconds)\u{0}\(request.method)\u{0}\(request.path)\u{0}".utf8)
                + Array(SodiumSHA256().sha256(request.body).hex.utf8)
            let keyText = try #require(request.headers["X-Node-Key"])
            let signatureText = try #require(request.headers["X-Node-Sig"])
            let key = try #require(PublicKey(base64: keyText))
            let signature = try #require(Signature(base64: signatureText))
            #expect(Ed25519().verify(signature, message: todays, publicKey: key))
            let verified = try verifier.verify(
                headers: request.headers, method: request.method, path: request.path, body: request.body,
                nowUnixSeconds: rig.now.unixSeconds)
            #expect(verified.publicKey == rig.agent.publicKey)
            #expect(verified.timestamp == rig.now.unixSeconds)
        }
        #expect(requests[1].query == ["hash": Rig.configHash.hex])
        // The query is not part of what is signed (today's message): the pathname is.
        #expect(throws: SignatureError.badSignature) {
            try verifier.verify(
                headers: requests[1].headers, method: "GET", path: "/rotation-fetch", body: [],
                nowUnixSeconds: rig.now.unixSeconds)
        }
    }

    @Test func oldVersionsSendNoHeadersAndNameThemselvesInTheBody() throws {
        var rig = Rig.registered(signs: false)
        var effects = rig.feed(.timer(.heartbeat))
        let beat = try #require(Rig.send(effects, path: "/node-heartbeat"))
        #expect(beat.request.headers.isEmpty)
        #expect(try JSONValue.parse(beat.request.body) == ["publicKey": .string(rig.agent.publicKey.base64)])

        effects = rig.feed(.channel(.assigned(Rig.assignment(1))))
        let fetch = try #require(Rig.send(effects, path: "/config-fetch"))
        #expect(fetch.request.headers.isEmpty)
        effects = rig.feed(.response(requestID: fetch.id, Rig.okRaw(Rig.config.canonicalString)))
        #expect(Rig.orders(effects).count == 1)
        effects = rig.feed(.computeFinished(chunkID: Rig.assignment(1).chunkID, attempt: 1, result: Rig.result()))
        let complete = try #require(Rig.send(effects, path: "/chunk-complete"))
        #expect(complete.request.headers.isEmpty)
        let body = try JSONValue.parse(complete.request.body)
        #expect(body["publicKey"] == .string(rig.agent.publicKey.base64))
        #expect(body["attempt"] == nil)  // today's nodes send no claim
        #expect(body["chunkId"] == .string(Rig.assignment(1).chunkID.uuidString))
    }

    @Test func workerSlotsLimitAndFIFOQueue() throws {
        // min(maxParallel 4, totalCores 2) = 2 slots.
        var rig = Rig.registered(cores: 2, maxParallel: 4)
        var effects: [NodeAgent.Effect] = []
        for n in 1...4 { effects += rig.feed(.channel(.assigned(Rig.assignment(UInt64(n))))) }
        let fetches = Rig.sends(effects).filter { $0.request.path == "/config-fetch" }
        #expect(fetches.count == 1)  // one fetch for four chunks of one config
        #expect(Rig.orders(effects).isEmpty)

        effects = rig.feed(.response(requestID: fetches[0].id, Rig.okRaw(Rig.config.canonicalString)))
        let key = { (n: UInt64) in ComputeOrderKey(chunk: Rig.assignment(n).chunkID, attempt: 1) }
        #expect(Rig.orders(effects) == [key(1), key(2)])
        #expect(rig.agent.runningChunks.map(\.chunkID) == [1, 2].map { Rig.assignment($0).chunkID })
        #expect(rig.agent.queuedChunks.map(\.chunkID) == [3, 4].map { Rig.assignment($0).chunkID })

        // A second push of a claim it has is ignored; a new attempt is new work.
        #expect(rig.feed(.channel(.assigned(Rig.assignment(2)))).isEmpty)
        #expect(rig.agent.counters.duplicateAssignments == 1)

        effects = rig.feed(.computeFinished(chunkID: Rig.assignment(2).chunkID, attempt: 1, result: Rig.result()))
        #expect(Rig.orders(effects) == [key(3)])
        #expect(Rig.send(effects, path: "/chunk-complete") != nil)
        effects = rig.feed(.computeFinished(chunkID: Rig.assignment(1).chunkID, attempt: 1, result: Rig.result()))
        #expect(Rig.orders(effects) == [key(4)])
        #expect(rig.agent.runningChunks.count == 2 && rig.agent.queuedChunks.isEmpty)
        #expect(rig.agent.counters.computationsStarted == 4 && rig.agent.counters.computationsFinished == 2)

        // A result for work it does not run (a stale driver) is ignored.
        #expect(rig.feed(.computeFinished(chunkID: Rig.assignment(9).chunkID, attempt: 1, result: Rig.result())).isEmpty)
    }

    @Test func configFetchedOnceThenCached() throws {
        var rig = Rig.registered(cores: 1, maxParallel: 1)
        var effects = rig.feed(.channel(.assigned(Rig.assignment(1))))
        let fetch = try #require(Rig.send(effects, path: "/config-fetch"))
        effects = rig.feed(.response(requestID: fetch.id, Rig.okRaw(Rig.config.canonicalString)))
        #expect(Rig.orders(effects).count == 1)
        _ = rig.feed(.computeFinished(chunkID: Rig.assignment(1).chunkID, attempt: 1, result: Rig.result()))
        effects = rig.feed(.channel(.assigned(Rig.assignment(2))))
        #expect(Rig.sends(effects).isEmpty)
        #expect(Rig.orders(effects).count == 1)
        #expect(rig.agent.counters.configFetchesSent == 1)
    }

    @Test func configMustMatchItsHashAndRotationIsFetched() throws {
        var rig = Rig.registered()
        // A body that does not hash to what was asked for is refused; the chunk is dropped.
        var effects = rig.feed(.channel(.assigned(Rig.assignment(1))))
        var fetch = try #require(Rig.send(effects, path: "/config-fetch"))
        var tampered = Rig.config
        if case .object(var fields) = tampered { fields["targets"] = 20; tampered = .object(fields) }
        effects = rig.feed(.response(requestID: fetch.id, Rig.okRaw(tampered.canonicalString)))
        #expect(Rig.orders(effects).isEmpty)
        #expect(rig.agent.counters.invalidFetches == 1 && rig.agent.counters.chunksAbandoned == 1)

        // A config naming a rotation: the rotation is fetched, then the chunk runs with it.
        var withRotation = Rig.config
        if case .object(var fields) = withRotation { fields["rotationId"] = "opener"; withRotation = .object(fields) }
        let hash = ConfigHash.of(withRotation, hasher: SodiumSHA256())
        effects = rig.feed(.channel(.assigned(Rig.assignment(2, hash: hash))))
        fetch = try #require(Rig.send(effects, path: "/config-fetch"))
        effects = rig.feed(.response(requestID: fetch.id, Rig.okRaw(withRotation.canonicalString)))
        let rotationFetch = try #require(Rig.send(effects, path: "/rotation-fetch"))
        #expect(rotationFetch.request.query == ["id": "opener"])
        effects = rig.feed(.response(requestID: rotationFetch.id, Rig.okRaw(#"{"id":"opener","priority":["nova","bolt"]}"#)))
        let order = try #require(effects.lazy.compactMap { if case .startCompute(let o) = $0 { return o } else { return nil } }.first)
        #expect(order.rotation?.abilityNames == ["nova", "bolt"])
        #expect(order.config.rotationId == "opener")
    }

    @Test func completionRetriedWithGrowingBackoffThenStoppedByDefinitiveRefusal() throws {
        var rig = Rig.registered()
        var effects = rig.feed(.channel(.assigned(Rig.assignment(1))))
        let fetch = try #require(Rig.send(effects, path: "/config-fetch"))
        _ = rig.feed(.response(requestID: fetch.id, Rig.okRaw(Rig.config.canonicalString)))
        effects = rig.feed(.computeFinished(chunkID: Rig.assignment(1).chunkID, attempt: 1, result: Rig.result()))
        let first = try #require(Rig.send(effects, path: "/chunk-complete"))
        #expect(try JSONValue.parse(first.request.body) == [
            "chunkId": .string(Rig.assignment(1).chunkID.uuidString), "attempt": 1, "result": Rig.result().json,
        ])

        var sent = first
        var delays: [Interval] = []
        for failure in 1...8 {
            rig.now = rig.now + .seconds(10)
            effects = rig.feed(.timer(.requestTimeout(sent.id)))  // lost
            let delay = try #require(Rig.retryDelay(effects))
            let cap = min(Interval.seconds(1 << Int64(failure - 1)), .seconds(60))
            #expect(delay.micros >= cap.micros / 2 && delay <= cap)
            delays.append(delay)
            rig.now = rig.now + delay
            effects = rig.feed(.timer(try #require(Rig.retryTimer(effects))))
            sent = try #require(Rig.send(effects, path: "/chunk-complete"))
            #expect(sent.request.body == first.request.body)
        }
        // Growing while the cap doubles (1, 2, 4, … 32 s); then anywhere in [30 s, 60 s].
        #expect(Array(delays[..<6]) == delays[..<6].sorted())
        #expect(delays[6...].allSatisfy { $0 >= .seconds(30) && $0 <= .seconds(60) })
        #expect(rig.agent.counters.completionsSent == 9 && rig.agent.counters.retries == 8)

        // A late answer to an abandoned request is ignored.
        #expect(rig.feed(.response(requestID: first.id, Rig.ok(["success": true]))).isEmpty)
        #expect(rig.agent.counters.lateResponses == 1)

        // The chunk was reaped and reassigned meanwhile: 409, drop it, no more retries.
        effects = rig.feed(.response(requestID: sent.id, Rig.refused(.staleClaim(Rig.assignment(1).chunkID))))
        #expect(Rig.retryTimer(effects) == nil && Rig.sends(effects).isEmpty)
        #expect(rig.agent.counters.completionsRejected == 1 && rig.agent.pendingCompletions == 0)
        // ...and a late re-push of that claim is not rerun.
        #expect(rig.feed(.channel(.assigned(Rig.assignment(1)))).isEmpty)
    }

    @Test func transientRefusalsAreRetriedAndSuccessCounted() throws {
        var rig = Rig.registered()
        var effects = rig.feed(.channel(.assigned(Rig.assignment(1))))
        _ = rig.feed(.response(requestID: try #require(Rig.send(effects, path: "/config-fetch")).id, Rig.okRaw(Rig.config.canonicalString)))
        effects = rig.feed(.computeFinished(chunkID: Rig.assignment(1).chunkID, attempt: 1, result: Rig.result()))
        // Same body in the same second: identical Ed25519 signature, refused as a replay; retried.
        var sent = try #require(Rig.send(effects, path: "/chunk-complete"))
        effects = rig.feed(.response(requestID: sent.id, Rig.refused(.signature(.replayed))))
        let timer = try #require(Rig.retryTimer(effects))
        rig.now = rig.now + .seconds(1)
        effects = rig.feed(.timer(timer))
        sent = try #require(Rig.send(effects, path: "/chunk-complete"))
        effects = rig.feed(.response(requestID: sent.id, Rig.ok(["success": true, "jobComplete": false, "duplicate": true])))
        #expect(Rig.retryTimer(effects) == nil)
        #expect(rig.agent.counters.completionsAccepted == 1 && rig.agent.counters.completionsDuplicate == 1)
        #expect(rig.agent.pendingCompletions == 0)
    }

    @Test func crashRestartKeepsKeyAndNodeID() throws {
        var rig = Rig()
        var effects = rig.feed(.boot)
        let register = try #require(Rig.send(effects, path: "/node-register"))
        effects = rig.feed(.response(requestID: register.id, Rig.ok(["id": .string(Rig.nodeID.uuidString), "claimCode": "ABC123", "claimed": true])))
        let persisted = try #require(effects.lazy.compactMap { if case .persist(let d) = $0 { return d } else { return nil } }.last)
        let oldBeat = try #require(Rig.send(effects, path: "/node-heartbeat"))
        _ = rig.feed(.channel(.assigned(Rig.assignment(1))))
        let key = rig.agent.publicKey

        // Crash: everything but the persisted state is gone.
        var restarted = Rig(durable: persisted)
        #expect(restarted.agent.publicKey == key)
        effects = restarted.feed(.boot)
        #expect(effects.first == .persist(NodeAgent.Durable(keySeed: Rig.seed, nodeID: Rig.nodeID, claimCode: "ABC123", incarnation: 2)))
        #expect(Rig.send(effects, path: "/node-register") == nil)  // known: straight to heartbeats
        let beat = try #require(Rig.send(effects, path: "/node-heartbeat"))
        #expect(beat.id != oldBeat.id)
        #expect(restarted.agent.runningChunks.isEmpty && restarted.agent.queuedChunks.isEmpty)
        // An answer addressed to the previous life is not mistaken for one of this life.
        #expect(restarted.feed(.response(requestID: oldBeat.id, Rig.ok([:]))).isEmpty)
        // Re-pushed after the crash (the claim survived in the store): the work starts again.
        effects = restarted.feed(.channel(.assigned(Rig.assignment(1))))
        #expect(Rig.send(effects, path: "/config-fetch") != nil)
    }

    @Test func unknownKeyRegistersAgain() throws {
        var rig = Rig.registered()
        var effects = rig.feed(.timer(.heartbeat))
        let beat = try #require(Rig.send(effects, path: "/node-heartbeat"))
        // The hourly cleanup deleted the unclaimed node: register again, same key, no heartbeats meanwhile.
        effects = rig.feed(.response(requestID: beat.id, Rig.refused(.signature(.unknownNode))))
        #expect(effects.contains(.cancelTimer(.heartbeat)))
        #expect(Rig.send(effects, path: "/node-register") != nil)
        #expect(rig.agent.durable.nodeID == nil && rig.agent.counters.reRegistrations == 1)
        #expect(rig.feed(.timer(.heartbeat)).isEmpty)
    }

    @Test func backoffIsDeterministicPerSeedAndIncarnation() {
        let backoff = Backoff(base: .seconds(1), max: .seconds(60))
        func delays(_ seed: UInt8, _ incarnation: UInt64) -> [Interval] {
            var source = JitterSource(keySeed: [UInt8](repeating: seed, count: 32), incarnation: incarnation, hasher: SodiumSHA256())
            return (1...10).map { backoff.delay(failures: $0, using: &source) }
        }
        #expect(delays(1, 1) == delays(1, 1))
        #expect(delays(1, 1) != delays(2, 1))
        #expect(delays(1, 1) != delays(1, 2))
        #expect(backoff.ceiling(failures: 100) == .seconds(60))
    }
}
