import Testing

@testable import JobSystem

/// The node reads the server only through what HTTP carries: raw statuses and bodies, as any
/// server, proxy or load balancer could send them. Each case that needs its own behaviour has
/// its own code; everything else follows the status.
@Suite("NodeAgent on the wire")
struct NodeWireTests {
    typealias Rig = NodeAgentRig

    /// A registered node with one computed chunk whose completion is out; returns its request.
    static func reporting(_ rig: inout Rig) throws -> (id: UInt64, request: APIRequest) {
        var effects = rig.feed(.channel(.assigned(Rig.assignment(1))))
        _ = rig.feed(.response(requestID: try #require(Rig.send(effects, path: "/config-fetch")).id, Rig.okRaw(Rig.config.canonicalString)))
        effects = rig.feed(.computeFinished(chunkID: Rig.assignment(1).chunkID, attempt: 1, result: Rig.result()))
        return try #require(Rig.send(effects, path: "/chunk-complete"))
    }

    @Test func unknownNodeCodeRegistersAgain() throws {
        var rig = Rig.registered()
        let beat = try #require(Rig.send(rig.feed(.timer(.heartbeat)), path: "/node-heartbeat"))
        let effects = rig.feed(.response(requestID: beat.id, Rig.raw(401, #"{"error":"unknown_node","message":"no such key"}"#)))
        #expect(Rig.send(effects, path: "/node-register") != nil)
        #expect(effects.contains(.closeChannel))  // the channel was subscribed under the old id
        #expect(rig.agent.durable.nodeID == nil && rig.agent.counters.reRegistrations == 1)
    }

    @Test func otherAuthenticationFailuresGiveUp() throws {
        var rig = Rig.registered()
        let sent = try Self.reporting(&rig)
        // A 401 with any other code: the node cannot fix its signature by retrying.
        let effects = rig.feed(.response(requestID: sent.id, Rig.raw(401, #"{"error":"bad_node_authentication","message":"bad signature"}"#)))
        #expect(Rig.retryTimer(effects) == nil && Rig.sends(effects).isEmpty)
        #expect(rig.agent.counters.completionsRejected == 1 && rig.agent.pendingCompletions == 0)
        #expect(rig.agent.counters.reRegistrations == 0)
    }

    @Test func replayedRequestCodeIsRetriedReSigned() throws {
        var rig = Rig.registered()
        let sent = try Self.reporting(&rig)
        var effects = rig.feed(.response(requestID: sent.id, Rig.raw(401, #"{"error":"replayed_request","message":"seen"}"#)))
        let timer = try #require(Rig.retryTimer(effects))
        effects = rig.feed(.timer(timer))
        let retry = try #require(Rig.send(effects, path: "/chunk-complete"))
        #expect(retry.request.body == sent.request.body)
        #expect(retry.request.headers["X-Node-Ts"] != sent.request.headers["X-Node-Ts"])
        #expect(rig.agent.counters.reRegistrations == 0)
    }

    @Test func serverErrorsAndUnreadableBodiesAreRetried() throws {
        for answer in [
            Rig.raw(503, #"{"error":"store_error","message":"connection to the store lost; nothing was committed"}"#),
            Rig.raw(502, "<html>Bad Gateway</html>"),  // a proxy's page: no JSON at all
            Rig.raw(429, #"{"error":"rate_limited","message":"slow down","retryAfterSeconds":3}"#),
            Rig.raw(401, #"{"error":"replayed_request"}"#),
        ] {
            var rig = Rig.registered()
            let sent = try Self.reporting(&rig)
            let effects = rig.feed(.response(requestID: sent.id, answer))
            #expect(Rig.retryTimer(effects) != nil, "\(answer.status) is retried")
            #expect(rig.agent.pendingCompletions == 1)
        }
    }

    @Test func definitiveRefusalsGiveUp() throws {
        for answer in [
            Rig.raw(409, #"{"error":"stale_claim","message":"reassigned"}"#),
            Rig.raw(400, "not json at all"),
            Rig.raw(404, #"{"error":"chunk_not_found","message":"no chunk"}"#),
            Rig.raw(403, #"{"error":"chunk_not_held","message":"not yours"}"#),
        ] {
            var rig = Rig.registered()
            let sent = try Self.reporting(&rig)
            let effects = rig.feed(.response(requestID: sent.id, answer))
            #expect(Rig.retryTimer(effects) == nil, "\(answer.status) is final")
            #expect(rig.agent.pendingCompletions == 0 && rig.agent.counters.completionsRejected == 1)
        }
    }

    /// The heartbeat's "not claimed yet" is told by its code, not its status.
    @Test func notClaimedIsReadFromTheCode() throws {
        var rig = Rig.registered()
        var beat = try #require(Rig.send(rig.feed(.timer(.heartbeat)), path: "/node-heartbeat"))
        _ = rig.feed(.response(requestID: beat.id, Rig.raw(403, #"{"error":"node_not_claimed","message":"wait"}"#)))
        #expect(rig.agent.isClaimed == false)
        var other = Rig.registered()
        beat = try #require(Rig.send(other.feed(.timer(.heartbeat)), path: "/node-heartbeat"))
        _ = other.feed(.response(requestID: beat.id, Rig.raw(403, #"{"error":"forbidden","message":"a proxy's refusal"}"#)))
        #expect(other.agent.isClaimed == nil)
    }

    /// What the handlers answer is exactly what the client then reads: each typed error's
    /// wire form classifies as the node must act on it.
    @Test func everyCodeTheNodeActsOnIsDistinct() {
        #expect(ResponseClass(.rejection(.signature(.unknownNode))) == .unknownNode)
        guard case .transient = ResponseClass(.rejection(.signature(.replayed))) else { Issue.record("replayed"); return }
        guard case .transient = ResponseClass(.rejection(.store(.connectionLost))) else { Issue.record("store"); return }
        guard case .definitive = ResponseClass(.rejection(.staleClaim(Rig.assignment(1).chunkID))) else { Issue.record("stale"); return }
        #expect(APIResponse.rejection(.store(.nodeNotClaimed(Rig.nodeID))).errorCode == "node_not_claimed")
        #expect(APIResponse.rejection(.store(.configNotFound(Rig.configHash))).errorCode == "config_not_found")
        #expect(APIResponse.rejection(.store(.connectionLost)).errorCode == "store_error")
        let limited = APIResponse.rejection(.rateLimited(what: "registrations", retryAfterSeconds: 7))
        #expect(limited.status == 429 && limited.headers == ["Retry-After": "7"] && limited.json?["retryAfterSeconds"] == 7)
    }
}

/// The assignment channel as the node's own effect.
@Suite("NodeAgent assignment channel")
struct NodeChannelTests {
    typealias Rig = NodeAgentRig

    static func opens(_ effects: [NodeAgent.Effect]) -> [APIRequest] {
        effects.compactMap { if case .openChannel(let r) = $0 { return r } else { return nil } }
    }

    static func resubscribeDelay(_ effects: [NodeAgent.Effect]) -> Interval? {
        effects.lazy.compactMap { if case .setTimer(.resubscribe, let after) = $0 { return after } else { return nil } }.first
    }

    @Test func subscribesOnceItHasAnIDSigned() throws {
        var rig = Rig()
        var effects = rig.feed(.boot)
        #expect(Self.opens(effects).isEmpty)  // no id yet
        let register = try #require(Rig.send(effects, path: "/node-register"))
        effects = rig.feed(.response(requestID: register.id, Rig.ok(["id": .string(Rig.nodeID.uuidString), "claimCode": "ABC123"])))
        let open = try #require(Self.opens(effects).first)
        #expect(open.method == "GET" && open.path == AssignmentChannel.path && open.query.isEmpty)
        #expect(open.headers.names.sorted() == ["X-Node-Key", "X-Node-Sig", "X-Node-Ts"])
        #expect(effects.contains(.setTimer(.channelOpenTimeout, after: .seconds(10))))

        // Booting with an id subscribes at once.
        var known = Rig(durable: .init(keySeed: Rig.seed, nodeID: Rig.nodeID))
        #expect(Self.opens(known.feed(.boot)).count == 1)
    }

    @Test func heldChunksAreRecoveredOnSubscribe() throws {
        var rig = Rig.registered()
        // Chunk 1 arrives by push; chunks 1 and 2 are what the store says the node holds.
        _ = rig.feed(.channel(.assigned(Rig.assignment(1))))
        let effects = rig.feed(.channel(.subscribed(nodeID: Rig.nodeID, held: [Rig.assignment(1), Rig.assignment(2)])))
        #expect(effects.contains(.cancelTimer(.channelOpenTimeout)))
        #expect(rig.agent.isSubscribed)
        #expect(rig.agent.counters.heldChunksRecovered == 1 && rig.agent.counters.duplicateAssignments == 0)
        #expect(rig.agent.queuedChunks.map(\.chunkID) == [1, 2].map { Rig.assignment($0).chunkID })
    }

    @Test func aLostChannelIsReopenedWithBackoffAndAFreshSignature() throws {
        var rig = Rig(durable: .init(keySeed: Rig.seed, nodeID: Rig.nodeID))
        var lastTs = try #require(Self.opens(rig.feed(.boot)).first?.headers["X-Node-Ts"])
        var effects = rig.feed(.channel(.subscribed(nodeID: Rig.nodeID, held: [])))
        var delays: [Interval] = []
        for failure in 1...4 {
            effects = rig.feed(.channelClosed(refusal: nil))
            #expect(!rig.agent.isSubscribed)
            let delay = try #require(Self.resubscribeDelay(effects))
            let cap = Interval.seconds(1 << Int64(failure - 1))
            #expect(delay.micros >= cap.micros / 2 && delay <= cap)
            delays.append(delay)
            effects = rig.feed(.timer(.resubscribe))
            let open = try #require(Self.opens(effects).first)
            let ts = try #require(open.headers["X-Node-Ts"])
            #expect(ts != lastTs)  // the same second twice would be a replayed signature
            lastTs = ts
        }
        #expect(delays == delays.sorted())
        // A confirmed subscription resets the backoff.
        _ = rig.feed(.channel(.subscribed(nodeID: Rig.nodeID, held: [])))
        effects = rig.feed(.channelClosed(refusal: nil))
        #expect(try #require(Self.resubscribeDelay(effects)) <= .seconds(1))
        #expect(rig.agent.counters.channelLosses == 5 && rig.agent.counters.subscriptionsConfirmed == 2)
    }

    @Test func anUnansweredOpenIsGivenUp() throws {
        var rig = Rig.registered()
        let effects = rig.feed(.timer(.channelOpenTimeout))
        #expect(effects.contains(.closeChannel))
        #expect(Self.resubscribeDelay(effects) != nil)
        // The close that follows from the driver is not counted twice.
        #expect(rig.feed(.channelClosed(refusal: nil)).isEmpty)
    }

    @Test func refusedOpensFollowTheCode() throws {
        var rig = Rig.registered()
        var effects = rig.feed(.channelClosed(refusal: Rig.raw(401, #"{"error":"unknown_node","message":"?"}"#)))
        #expect(Rig.send(effects, path: "/node-register") != nil && Self.resubscribeDelay(effects) == nil)
        var other = Rig.registered()
        effects = other.feed(.channelClosed(refusal: Rig.raw(503, #"{"error":"store_error"}"#)))
        #expect(Self.resubscribeDelay(effects) != nil && Rig.send(effects, path: "/node-register") == nil)
    }

    @Test func messagesForAnotherNodeAreIgnored() {
        var rig = Rig.registered()
        let stranger = NodeID(Identifier(high: 9, low: 9))
        var foreign = Rig.assignment(1)
        foreign.nodeID = stranger
        #expect(rig.feed(.channel(.assigned(foreign))).isEmpty)
        #expect(rig.feed(.channel(.subscribed(nodeID: stranger, held: [Rig.assignment(2)]))).isEmpty)
        #expect(rig.agent.counters.unexpectedChannelMessages == 2 && rig.agent.queuedChunks.isEmpty)
    }

    @Test func todaysNodesNameThemselvesAndIgnoreTheHeldList() throws {
        var rig = NodeAgentRig(durable: .init(keySeed: Rig.seed, nodeID: Rig.nodeID), signs: false)
        let open = try #require(Self.opens(rig.feed(.boot)).first)
        #expect(open.headers.isEmpty && open.query == ["nodeId": Rig.nodeID.uuidString])
        _ = rig.feed(.channel(.subscribed(nodeID: Rig.nodeID, held: [Rig.assignment(1)])))
        #expect(rig.agent.isSubscribed && rig.agent.queuedChunks.isEmpty)
    }
}

@Suite("Assignment channel messages")
struct AssignmentChannelMessageTests {
    @Test func roundTripsThroughJSON() throws {
        let a = NodeAgentRig.assignment(3, attempt: 2)
        for message in [AssignmentChannelMessage.subscribed(nodeID: NodeAgentRig.nodeID, held: [a, NodeAgentRig.assignment(4)]), .assigned(a), .subscribed(nodeID: NodeAgentRig.nodeID, held: [])] {
            #expect(try AssignmentChannelMessage(bytes: message.bytes) == message)
        }
        // The documented shape, by hand.
        let text = #"{"chunk":{"attempt":2,"chunkId":"\#(a.chunkID)","claimedAtMicros":\#(a.claimedAt.micros),"configHash":"\#(a.configHash.hex)","iterations":10,"jobId":"\#(a.jobID)","nodeId":"\#(a.nodeID)","seedOffset":30},"type":"assigned"}"#
        #expect(String(decoding: AssignmentChannelMessage.assigned(a).bytes, as: UTF8.self) == text)
    }

    @Test func badMessagesAreErrorsNotCrashes() {
        for text in [
            "", "[]", "{}", #"{"type":"nope"}"#, #"{"type":"assigned"}"#, #"{"type":"assigned","chunk":{}}"#,
            #"{"type":"subscribed","nodeId":"x","held":[]}"#, #"{"type":"subscribed","nodeId":"00000000-0000-0000-0000-000000000001"}"#,
            #"{"type":"assigned","chunk":{"attempt":1.5,"chunkId":"00000000-0000-0000-0000-000000000001","claimedAtMicros":0,"configHash":"00","iterations":1,"jobId":"00000000-0000-0000-0000-000000000001","nodeId":"00000000-0000-0000-0000-000000000001","seedOffset":0}}"#,
            "\u{FF}\u{FE}",
        ] {
            #expect(throws: ChannelDecodingError.self, "\(text)") { try AssignmentChannelMessage(bytes: Array(text.utf8)) }
        }
    }
}

/// The portal reads answers by status and code too: a 5xx on a submission is a lost answer.
@Suite("PortalUser on the wire")
struct PortalWireTests {
    typealias Rig = PortalUserRig

    @Test func aServerErrorOnJobCreateIsResentOnceAfterTheTimeout() throws {
        var rig = Rig()
        _ = rig.feed(.start)
        rig.now = Rig.t0 + .seconds(5)
        let create = try Rig.only(rig.feed(.timer(.submit)))
        // 503 store_error: nothing re-sent at once (the store is likely still down)...
        #expect(rig.feed(.response(requestID: create.id, NodeAgentRig.raw(503, #"{"error":"store_error","message":"lost"}"#))).isEmpty)
        #expect(rig.portal.submissionFailures.isEmpty)
        // ...but when the request's timeout fires, as after a loss.
        rig.now = rig.now + .seconds(10)
        let resent = try Rig.only(rig.feed(.timer(.requestTimeout(create.id))))
        #expect(resent.request.body == create.request.body && resent.id != create.id)
        // A second 503 is final: reported with its status and code.
        _ = rig.feed(.response(requestID: resent.id, NodeAgentRig.raw(503, #"{"error":"store_error","message":"lost"}"#)))
        let failure = try #require(rig.portal.submissionFailures.first)
        #expect(failure.status == 503 && failure.code == "store_error")
    }

    @Test func aRefusalIsFinalAtOnce() throws {
        var rig = Rig()
        _ = rig.feed(.start)
        rig.now = Rig.t0 + .seconds(5)
        let create = try Rig.only(rig.feed(.timer(.submit)))
        _ = rig.feed(.response(requestID: create.id, NodeAgentRig.raw(422, #"{"error":"job_too_costly","message":"fewer"}"#)))
        #expect(rig.portal.submissionFailures.first?.code == "job_too_costly")
    }
}
