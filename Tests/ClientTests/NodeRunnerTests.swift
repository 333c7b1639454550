import Foundation
import Logging
import Testing

@testable import ClientRuntime
@testable import JobSystem

/// The production node and portal runners against the real handlers (in process): the node
/// registers and persists its identity, is claimed, receives pushed assignments on its channel,
/// computes them on worker threads and reports them; the portal submits and follows the job.
@Suite struct NodeRunnerTests {
    static let user = UserID(Identifier(high: 5, low: 5))
    static let config: JSONValue = [
        "fightLengthSeconds": 30, "targets": 2, "hastePercent": 10, "critChance": 0.25, "critMultiplier": 2,
        "abilities": [
            ["name": "Bolt", "minDamage": 100, "maxDamage": 150, "cooldownMs": 0, "castTimeMs": 1500, "aoe": false],
            ["name": "Nova", "minDamage": 300, "maxDamage": 400, "cooldownMs": 8000, "castTimeMs": 500, "aoe": true],
        ],
    ]

    func temporaryPath() -> String {
        NSTemporaryDirectory() + "client-tests-\(UInt64.random(in: 0...UInt64.max))/seed.json"
    }

    func makeRunner(
        server: InProcessServer, channel: (any ChannelTransport)?, seedPath: String, requestTimeout: Interval = .seconds(10)
    ) throws -> NodeRunner {
        try FileManager.default.createDirectory(
            atPath: (seedPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let (durable, created) = try SeedFile(path: seedPath).loadOrCreate()
        #expect(created)
        var settings = NodeAgent.Settings(
            name: "test-node", totalCores: 2, maxParallel: 2, platform: "linux", version: "1.0.0", signsRequests: true,
            profile: .fixed, requestTimeout: requestTimeout)
        // Signatures have one-second resolution: two heartbeats in one second would be the same
        // signed message, refused as a replay. One a second is the fastest a node may beat.
        settings.heartbeatInterval = .seconds(1)
        let agent = NodeAgent(durable: durable, settings: settings, scheme: Ed25519(), hasher: SodiumSHA256())
        return NodeRunner(
            agent: agent, transport: InProcessTransport(server: server), channel: channel, pool: WorkerPool(threads: 2),
            seedFile: SeedFile(path: seedPath), logger: Logger(label: "test-node"))
    }

    @Test func registersIsClaimedComputesAndReportsAJobThePortalFollows() async throws {
        let server = InProcessServer()
        try await server.addUser(Self.user)
        let channel = PushChannel(server: server)
        let seedPath = temporaryPath()
        let runner = try makeRunner(server: server, channel: channel, seedPath: seedPath)
        await runner.start()

        // Registered: the claim code is known and persisted with the node id.
        #expect(await eventually { await runner.agent.durable.claimCode != nil })
        let durable = await runner.agent.durable
        let code = try #require(durable.claimCode)
        let nodeID = try #require(durable.nodeID)
        #expect(try SeedFile(path: seedPath).load() == durable)

        // The owner claims it; its heartbeats are then accepted.
        let claim = await server.handle(
            APIRequest(method: "POST", path: "/node-claim", body: JSONValue.object(["claimCode": .string(code)]).canonicalBytes, user: Self.user))
        #expect(claim.status == 200)
        #expect(await eventually { await runner.agent.isClaimed == true })
        #expect(try await server.node(nodeID)?.status == .online)

        // The portal submits 2,500 iterations (three chunks) and follows the job.
        let portal = PortalRunner(
            submission: Self.config, iterations: 2_500, accessType: .private, discordServerID: nil,
            transport: InProcessTransport(server: server, user: Self.user), pollInterval: .milliseconds(50),
            logger: Logger(label: "test-portal"), onReading: { _ in })
        let followed = Task { await portal.run() }
        var jobID: JobID?
        #expect(await eventually { jobID = await portal.user.jobs[0].jobID; return jobID != nil })
        let job = try #require(jobID)

        // The channel was opened through the handlers once the node had its id.
        #expect(await eventually { await runner.agent.counters.subscriptionsConfirmed >= 1 })
        // A scheduler's assignments, pushed on the channel as the server would: the node has
        // two slots, so the guarded apply gives it two chunks, then the third once one is done.
        let scheduler = Task {
            var pushed = 0
            while pushed < 3, !Task.isCancelled {
                for a in (try? await server.assignAll(of: job, to: nodeID)) ?? [] {
                    channel.push(String(decoding: AssignmentChannelMessage.assigned(a).bytes, as: UTF8.self))
                    pushed += 1
                }
                try? await Task.sleep(nanoseconds: 20_000_000)
            }
        }
        #expect(await eventually(seconds: 60) { await portal.user.isDone })
        followed.cancel()
        scheduler.cancel()
        let record = await portal.user.jobs[0]
        #expect(record.anomalies.isEmpty)
        let result = try SimulationResult(json: try #require(record.result))
        // The job's result is exactly the model's over all iterations at once.
        let expected = try DPSModel.simulate(config: SimConfig(json: Self.config), seedOffset: 0, iterations: 2_500)
        #expect(result.tally == expected.tally)
        #expect(try await server.job(job)?.completedIterations == 2_500)
        let counters = await runner.agent.counters
        #expect(counters.computationsFinished == 3)
        #expect(counters.completionsAccepted == 3)
        await runner.stop()
    }

    @Test func aRequestWithoutAnAnswerIsRetriedAtOnceNotAfterItsTimeout() async throws {
        let server = InProcessServer()
        await server.injectFailures(2)
        // A ten-minute request timeout: registering within the test's wait is only possible if
        // the runner reports the unanswered requests as lost at once.
        let runner = try makeRunner(server: server, channel: nil, seedPath: temporaryPath(), requestTimeout: .minutes(10))
        await runner.start()
        // Two retries after backoffs of at most 1 s and 2 s: a few seconds on a quiet machine.
        // The wait is long because, with both cores saturated by other test processes, this
        // runner's threads were once starved past 20 s; a pass returns as soon as it registers.
        #expect(await eventually(seconds: 90) { await runner.agent.isRegistered })
        #expect(await server.failuresInjected == 2)
        let counters = await runner.agent.counters
        #expect(counters.requestTimeouts == 2)
        #expect(counters.registrationsFailed == 2)
        await runner.stop()
    }

    @Test func unreadableMessagesAndOtherNodesAssignmentsAreIgnored() async throws {
        let server = InProcessServer()
        let channel = PushChannel(server: server)
        let runner = try makeRunner(server: server, channel: channel, seedPath: temporaryPath())
        await runner.start()
        #expect(await eventually { await runner.agent.counters.subscriptionsConfirmed == 1 })
        let other = ChunkAssignment(
            chunkID: ChunkID(Identifier(high: 1, low: 1)), jobID: JobID(Identifier(high: 2, low: 2)),
            nodeID: NodeID(Identifier(high: 3, low: 3)), attempt: 1,
            configHash: ConfigHash(hex: String(repeating: "a", count: 64))!, iterations: 1_000, seedOffset: 0,
            claimedAt: Timestamp(micros: 0))
        channel.push("not json")
        channel.push(#"{"type":"assigned","chunk":{"iterations":0}}"#)
        channel.push(String(repeating: "[", count: 100_000))
        channel.push(String(decoding: AssignmentChannelMessage.assigned(other).bytes, as: UTF8.self))
        // The last message is read (for another node) once everything before it was.
        #expect(await eventually { await runner.agent.counters.unexpectedChannelMessages == 1 })
        #expect(await runner.agent.counters.assignmentsReceived == 0)
        await runner.stop()
    }

    @Test func aDroppedChannelIsReopenedAndItsFirstMessageRecoversHeldChunks() async throws {
        let server = InProcessServer()
        try await server.addUser(Self.user)
        let runner = try makeRunner(server: server, channel: DroppingChannel(server: server), seedPath: temporaryPath())
        await runner.start()
        #expect(await eventually { await runner.agent.durable.claimCode != nil })
        let durable = await runner.agent.durable
        let nodeID = try #require(durable.nodeID)
        let code = try #require(durable.claimCode)
        _ = await server.handle(
            APIRequest(method: "POST", path: "/node-claim", body: JSONValue.object(["claimCode": .string(code)]).canonicalBytes, user: Self.user))
        let body: JSONValue = ["config": Self.config, "iterations": 1_000, "accessType": "private"]
        let created = await server.handle(APIRequest(method: "POST", path: "/job-create", body: body.canonicalBytes, user: Self.user))
        let job = try #require(created.json?["jobId"]?.stringValue.flatMap(JobID.init(uuidString:)))
        #expect(await eventually { await runner.agent.isClaimed == true })
        // Assigned while the channel is down (every connection drops after its first message):
        // the next subscription's `held` list brings it to the node, which computes it.
        #expect(try await server.assignAll(of: job, to: nodeID).count == 1)
        #expect(try await eventually(seconds: 60) { try await server.job(job)?.status == .completed })
        let counters = await runner.agent.counters
        #expect(counters.heldChunksRecovered == 1)
        #expect(counters.channelLosses >= 1)
        await runner.stop()
    }

    /// The runner keeps one effect list, and an input fed while another's effects are performed
    /// (`perform` feeding the agent again) gets a list of its own: the effects of both are all
    /// carried out, the nested input's where it happened, and the runner's list comes back empty
    /// and is reused by the next input.
    ///
    /// A node that already has an id boots: a heartbeat (the request, its timeout, the next
    /// beat) and a subscription (the open, its timeout). Without a channel transport the open
    /// is reported closed at once, from inside `perform`: `.channelClosed` is handled before
    /// the open's timeout is armed, and arms the resubscription.
    @Test func anInputFedWhileEffectsArePerformedKeepsEveryEffectAndTheRunnersList() async throws {
        var settings = NodeAgent.Settings(
            name: "test-node", totalCores: 2, maxParallel: 2, platform: "linux", version: "1.0.0", signsRequests: true,
            profile: .fixed)
        settings.heartbeatInterval = .seconds(30)
        let durable = NodeAgent.Durable(
            keySeed: Array(repeating: 7, count: 32), nodeID: NodeID(Identifier(high: 9, low: 9)), claimCode: "ABCD-2345")
        let agent = NodeAgent(durable: durable, settings: settings, scheme: Ed25519(), hasher: SodiumSHA256())
        let runner = NodeRunner(
            agent: agent, transport: UnansweredTransport(), channel: nil, pool: WorkerPool(threads: 1), seedFile: nil,
            logger: Logger(label: "test-node"))

        let boot = await runner.feedAndReport(nil)
        #expect(boot.counters.heartbeatsSent == 1)
        #expect(boot.counters.subscriptionsOpened == 1)
        #expect(boot.counters.channelLosses == 1)
        #expect(boot.inFlight.count == 1)
        let request = try #require(boot.inFlight.first)
        // The boot's own timers (the open's timeout armed after the nested input was handled:
        // its cancel came first, when nothing was armed) and the nested input's resubscription.
        #expect(boot.armed == [.heartbeat, .requestTimeout(request), .channelOpenTimeout, .resubscribe])
        #expect(boot.listCount == 0)
        #expect(boot.listCapacity >= 6)  // the boot's six effects
        #expect(boot.listBase != 0)

        // The next input appends to the same storage: no list of its own.
        let beat = await runner.feedAndReport(.timer(.heartbeat))
        #expect(beat.counters.heartbeatsSent == 2)
        #expect(beat.inFlight.count == 2)
        #expect(beat.listCount == 0)
        #expect(beat.listBase == boot.listBase)
        #expect(beat.listCapacity == boot.listCapacity)
        await runner.stop()
    }
}

/// A transport whose requests are never answered within a test (each waits an hour).
struct UnansweredTransport: APITransport {
    func send(_ request: APIRequest) async throws -> APIResponse {
        try await Task.sleep(for: .seconds(3_600))
        throw CancellationError()
    }
}

extension NodeRunner {
    struct FeedReport: Sendable {
        var counters: NodeAgent.Counters
        var inFlight: Set<UInt64>
        /// Which of the timers the tests look at are armed, in a fixed order.
        var armed: [NodeTimer]
        var listCount: Int
        var listCapacity: Int
        var listBase: UInt
    }

    /// Feeds `input` (nil: starts the runner) and reports what it left, in the same turn of the
    /// actor: no answer, timer or other input can come in between.
    func feedAndReport(_ input: NodeAgent.Input?) -> FeedReport {
        if let input { feed(input) } else { start() }
        var candidates: [NodeTimer] = [.heartbeat]
        candidates += inFlight.keys.sorted().map { .requestTimeout($0) }
        candidates += [.channelOpenTimeout, .resubscribe]
        return FeedReport(
            counters: agent.counters, inFlight: Set(inFlight.keys), armed: candidates.filter { timers.isArmed($0) },
            listCount: effects.count, listCapacity: effects.capacity,
            listBase: UInt(bitPattern: effects.base))
    }
}
