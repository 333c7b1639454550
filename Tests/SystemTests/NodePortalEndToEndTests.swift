import Testing

@testable import JobSystem

/// A tiny synchronous world, no Engine: one node, one portal user, the real handlers over the
/// embedded store, a scheduler pass every second, zero network latency and a fixed compute
/// time. Just enough to show the state machines work against the real server code.
struct TinyWorld {
    enum Due {
        case node(NodeTimer)
        case portal(PortalTimer)
        case computed(ChunkID, attempt: Int, ChunkResult)
        case schedulerPass
    }

    static let user = UserID(Identifier(high: 77, low: 77))
    let profile = Profile.fixed
    var now = Timestamp(unixSeconds: 1_700_000_000)
    var store = EmbeddedStore(seed: 3)
    let handlers: RequestHandlers
    var node: NodeAgent
    var portal: PortalUser
    var timers: [(at: Timestamp, seq: Int, due: Due)] = []
    var seq = 0
    var claimed = false
    var assignmentsPushed = 0

    init(submission: JobSubmission) {
        handlers = RequestHandlers(profile: profile, hasher: SodiumSHA256(), scheme: Ed25519())
        let settings = NodeAgent.Settings(
            name: "tiny", totalCores: 2, maxParallel: 2, platform: "linux", version: "2.0.0", signsRequests: true,
            profile: profile)
        node = NodeAgent(
            durable: .init(keySeed: [UInt8](repeating: 9, count: 32)), settings: settings, scheme: Ed25519(),
            hasher: SodiumSHA256())
        portal = PortalUser(settings: PortalUser.Settings(userID: Self.user, profile: profile), submissions: [submission])
        try! store.upsertUser(UserRow(id: Self.user, discordID: nil))
    }

    mutating func schedule(_ due: Due, after: Interval) {
        seq += 1
        timers.append((now + after, seq, due))
    }

    mutating func cancel(where matches: (Due) -> Bool) {
        timers.removeAll { matches($0.due) }
    }

    mutating func feedNode(_ first: NodeAgent.Input) {
        var inputs = [first]
        while !inputs.isEmpty {
            var effects: [NodeAgent.Effect] = []
            node.handle(inputs.removeFirst(), now: now, effects: &effects)
            for effect in effects {
                switch effect {
                case .send(let id, let request):
                    inputs.append(.response(requestID: id, handlers.handle(request, store: &store, now: now).response))
                case .setTimer(let timer, let after):
                    cancel { if case .node(timer) = $0 { return true } else { return false } }
                    schedule(.node(timer), after: after)
                case .cancelTimer(let timer):
                    cancel { if case .node(timer) = $0 { return true } else { return false } }
                case .startCompute(let order):
                    let a = order.assignment
                    let result = try! DPSModel(config: order.config, rotation: order.rotation)
                        .run(seedOffset: a.seedOffset, iterations: a.iterations)
                    schedule(.computed(a.chunkID, attempt: a.attempt, result), after: .seconds(2))
                case .persist(let durable):
                    claimIfNeeded(durable)
                case .openChannel(let request):
                    switch handlers.openAssignmentChannel(request, store: &store, now: now) {
                    case .opened(let message): inputs.append(.channel(message))
                    case .refused(let outcome): inputs.append(.channelClosed(refusal: outcome.response))
                    }
                case .closeChannel:
                    break
                }
            }
        }
    }

    /// The owner types the node's claim code into the portal.
    mutating func claimIfNeeded(_ durable: NodeAgent.Durable) {
        guard !claimed, let code = durable.claimCode else { return }
        let body: JSONValue = ["claimCode": .string(code)]
        let response = handlers.handle(
            APIRequest(method: "POST", path: "/node-claim", body: body.canonicalBytes, user: Self.user), store: &store, now: now)
        claimed = response.status == 200
    }

    mutating func feedPortal(_ first: PortalUser.Input) {
        var inputs = [first]
        while !inputs.isEmpty {
            var effects: [PortalUser.Effect] = []
            portal.handle(inputs.removeFirst(), now: now, effects: &effects)
            for effect in effects {
                switch effect {
                case .send(let id, let request):
                    inputs.append(.response(requestID: id, handlers.handle(request, store: &store, now: now).response))
                case .setTimer(let timer, let after):
                    cancel { if case .portal(timer) = $0 { return true } else { return false } }
                    schedule(.portal(timer), after: after)
                case .cancelTimer(let timer):
                    cancel { if case .portal(timer) = $0 { return true } else { return false } }
                }
            }
        }
    }

    /// What the sentinel does on each pass, without its timer modes.
    mutating func schedulerPass() {
        let snapshot = store.assignmentSnapshot(limit: profile.assignmentBatch, onlineSince: now - profile.sentinelOnlineWindow)
        let plan = AssignmentPlanner.plan(snapshot, guilds: GuildDirectory())
        let assigned = (try? store.applyAssignments(plan, guarded: true, now: now)) ?? []
        _ = store.takeNotifications()
        for assignment in assigned where assignment.nodeID == node.durable.nodeID {
            assignmentsPushed += 1
            feedNode(.channel(.assigned(assignment)))
        }
        schedule(.schedulerPass, after: .seconds(1))
    }

    /// Runs until the portal user has seen every submission settled, or `limit` passes.
    mutating func run(limit: Interval) {
        let end = now + limit
        feedNode(.boot)
        feedPortal(.start)
        schedule(.schedulerPass, after: .seconds(1))
        while !portal.isDone, let next = timers.indices.min(by: { (timers[$0].at, timers[$0].seq) < (timers[$1].at, timers[$1].seq) }) {
            let (at, _, due) = timers.remove(at: next)
            guard at <= end else { return }
            now = at
            switch due {
            case .node(let timer): feedNode(.timer(timer))
            case .portal(let timer): feedPortal(.timer(timer))
            case .computed(let chunk, let attempt, let result):
                feedNode(.computeFinished(chunkID: chunk, attempt: attempt, result: result))
            case .schedulerPass: schedulerPass()
            }
        }
    }
}

@Suite("NodeAgent and PortalUser end to end")
struct NodeAgentPortalUserEndToEndTests {
    @Test func oneJobRunsToCompletionWithRealModelAndSignatures() throws {
        let t0 = Timestamp(unixSeconds: 1_700_000_000)
        let config = NodeAgentRig.config
        var world = TinyWorld(
            submission: JobSubmission(config: config, iterations: 5_000, accessType: .private, at: t0 + .seconds(20)))
        world.run(limit: .minutes(10))

        let record = world.portal.jobs[0]
        let jobID = try #require(record.jobID)
        let completedAt = try #require(record.completedAt)
        #expect(completedAt < t0 + .minutes(2))
        #expect(world.portal.anomalies.isEmpty && world.portal.submissionFailures.isEmpty)
        #expect(record.observations.last?.completedIterations == 5_000)
        #expect(record.observations.map(\.completedIterations) == record.observations.map(\.completedIterations).sorted())

        // The aggregate the user reads is exactly the all-at-once run.
        let expected = try DPSModel(config: SimConfig(json: config)).run(seedOffset: 0, iterations: 5_000)
        #expect(try SimulationResult(json: try #require(record.result)) == SimulationResult(expected))
        #expect(world.store.job(jobID)?.status == .completed)

        let counters = world.node.counters
        #expect(world.claimed && world.node.isClaimed == true)
        #expect(counters.computationsStarted == 5 && counters.completionsAccepted == 5)
        #expect(counters.completionsRejected == 0 && counters.retries == 0)
        #expect(counters.configFetchesSent == 1)
        // The owner claims at the registration's `persist`, before the first heartbeat goes out.
        #expect(counters.heartbeatsFailed == 0 && counters.heartbeatsAcknowledged >= 2)
        #expect(world.assignmentsPushed == 5)
    }
}
