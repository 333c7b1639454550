import Testing
@testable import JobSystem

/// The sentinel's planner and state machine, driven by hand.
@Suite("Sentinel")
struct SentinelTests {
    static func id(_ n: UInt64) -> Identifier { Identifier(high: 0, low: n) }
    static let owner = UserID(id(100)), other = UserID(id(200)), friend = UserID(id(300))

    static func node(_ n: UInt64, user: UserID? = owner, capacity: Int = 4, running: Int = 0,
                     discord: String? = nil, permitted: [UserID] = []) -> AssignmentSnapshot.Node {
        AssignmentSnapshot.Node(id: NodeID(id(n)), userID: user, ownerDiscordID: discord, capacity: capacity,
                                running: running, permittedUsers: permitted.sorted())
    }

    static func snapshot(chunks: Int, job: AssignmentSnapshot.Job, nodes: [AssignmentSnapshot.Node]) -> AssignmentSnapshot {
        AssignmentSnapshot(
            chunks: (0..<chunks).map { AssignmentSnapshot.Chunk(id: ChunkID(id(1_000 + UInt64($0))), jobID: job.id, pendingSeq: Int64($0)) },
            nodes: nodes.sorted { $0.id < $1.id }, jobs: [job], morePending: false)
    }

    static func job(_ access: AccessType, user: UserID = other, guild: String? = nil) -> AssignmentSnapshot.Job {
        AssignmentSnapshot.Job(id: JobID(id(9)), userID: user, accessType: access, discordServerID: guild)
    }

    @Test func mostFreeSlotsFirstTiesToLowestID() {
        let s = Self.snapshot(chunks: 5, job: Self.job(.public), nodes: [
            Self.node(3, running: 1), Self.node(1, running: 2), Self.node(2, running: 0)])
        let plan = AssignmentPlanner.plan(s, guilds: GuildDirectory())
        // free: n1 2, n2 4, n3 3 → n2 (4), n2 (3, tie with n3 → lower id), n3 (3), then all
        // three have 2 free → n1, then n2 and n3 tie at 2 → n2.
        #expect(plan.map(\.nodeID.raw.low) == [2, 2, 3, 1, 2])
    }

    /// A chunk whose claim was reaped avoids its previous node while another has room, and
    /// goes back to it only when nothing else can take it.
    @Test func aReapedChunkAvoidsItsPreviousNode() {
        let job = Self.job(.public)
        let hung = NodeID(Self.id(1))
        var s = Self.snapshot(chunks: 1, job: job, nodes: [Self.node(1), Self.node(2, running: 1)])
        s.chunks[0].lastNodeID = hung
        #expect(AssignmentPlanner.plan(s, guilds: GuildDirectory()).map(\.nodeID) == [NodeID(Self.id(2))])
        var only = Self.snapshot(chunks: 1, job: job, nodes: [Self.node(1), Self.node(2, running: 4)])
        only.chunks[0].lastNodeID = hung
        #expect(AssignmentPlanner.plan(only, guilds: GuildDirectory()).map(\.nodeID) == [hung])
        // The same for a restricted job (the scanning path).
        var restricted = Self.snapshot(chunks: 1, job: Self.job(.user), nodes: [
            Self.node(1, user: Self.friend, permitted: [Self.other]), Self.node(2, user: Self.other, running: 3)])
        restricted.chunks[0].lastNodeID = hung
        #expect(AssignmentPlanner.plan(restricted, guilds: GuildDirectory()).map(\.nodeID) == [NodeID(Self.id(2))])
    }

    @Test func capacityIsNeverExceeded() {
        let s = Self.snapshot(chunks: 20, job: Self.job(.public), nodes: [
            Self.node(1, capacity: 2), Self.node(2, capacity: 3, running: 1)])
        let plan = AssignmentPlanner.plan(s, guilds: GuildDirectory())
        #expect(plan.count == 4)
        #expect(plan.filter { $0.nodeID.raw.low == 1 }.count == 2)
        #expect(plan.filter { $0.nodeID.raw.low == 2 }.count == 2)
    }

    @Test func eachAccessType() {
        var guilds = GuildDirectory()
        guilds.apply(.members(guild: "g", members: [555]))
        let nodes = [
            Self.node(1, user: Self.owner),                              // the job owner's? no: owner is `other` below
            Self.node(2, user: Self.friend, permitted: [Self.other]),    // shared with the job's owner
            Self.node(3, user: Self.friend, discord: "555"),             // owner in the guild
            Self.node(4, user: Self.other),                              // the job owner's own node
        ]
        func targets(_ access: AccessType) -> Set<UInt64> {
            let s = Self.snapshot(chunks: 16, job: Self.job(access, guild: "g"), nodes: nodes)
            return Set(AssignmentPlanner.plan(s, guilds: guilds).map(\.nodeID.raw.low))
        }
        #expect(targets(.private) == [4])
        #expect(targets(.user) == [2, 4])
        #expect(targets(.discord) == [3, 4])
        #expect(targets(.public) == [1, 2, 3, 4])
    }

    @Test func guildRemovalRebuildsTheFilter() {
        var guilds = GuildDirectory()
        guilds.apply(.members(guild: "g", members: [1, 2, 3]))
        #expect(guilds.mightContain(guild: "g", member: "2"))
        guilds.apply(.memberLeft(guild: "g", member: 2))
        #expect(!guilds.contains(guild: "g", member: "2"))
        #expect(guilds.rebuilds == 2)
        guilds.apply(.memberJoined(guild: "g", member: 7))
        #expect(guilds.mightContain(guild: "g", member: "7"))
    }

    // MARK: The loop

    func drive(_ s: inout Sentinel, _ input: Sentinel.Input, at seconds: Int64 = 0) -> [Sentinel.Effect] {
        var effects: [Sentinel.Effect] = []
        s.handle(input, now: Timestamp(unixSeconds: 1_000 + seconds), effects: &effects)
        return effects
    }

    @Test func listensAndFallsBackEvery30Seconds() {
        var s = Sentinel(profile: .fixed)
        #expect(drive(&s, .start) == [.listen(channel: "pending_chunk"), .setWakeTimer(after: .seconds(30))])
        #expect(s.mode == .periodic)
    }

    @Test func notificationDebouncesThenPasses() {
        var s = Sentinel(profile: .fixed)
        _ = drive(&s, .start)
        _ = drive(&s, .listening)  // arms a debounce pass (notifications may have been missed)
        _ = drive(&s, .notification(StoreNotification(channel: "pending_chunk", payload: "x")))
        #expect(s.mode == .debounce)
        // Notifications during the debounce are ignored.
        #expect(drive(&s, .notification(StoreNotification(channel: "pending_chunk", payload: "y"))).isEmpty)
        let effects = drive(&s, .wakeTimer)
        guard case .call(let id, .snapshot(let limit, _)) = effects.first else {
            Issue.record("expected a snapshot call, got \(effects)")
            return
        }
        #expect(limit == 100)
        // An empty snapshot ends the pass (no gauges: it was not the fallback pass).
        let empty = AssignmentSnapshot(chunks: [], nodes: [], jobs: [], morePending: false)
        #expect(drive(&s, .storeReply(callID: id, .snapshot(empty))) == [.setWakeTimer(after: .seconds(30))])
        #expect(s.metrics.passes == 1)
        #expect(s.isReady)
    }

    /// The 30 s fallback pass: after its (empty) assignment part, today's sentinel reclaims the
    /// chunks of nodes silent for 60 s, the fixed one does not; both then read the gauges over
    /// the scheduler's online window and record them, and the reclaimed count, in the metrics.
    @Test func fallbackPassRecordsGaugesAndReclaimsOnlyInTodaysProfile() throws {
        for profile in [Profile.fixed, Profile.legacy] {
            var s = Sentinel(profile: profile)
            _ = drive(&s, .start)
            let wake = drive(&s, .wakeTimer, at: 30)
            guard case .call(let snap, .snapshot) = try #require(wake.first) else { Issue.record("no snapshot: \(wake)"); continue }
            let empty = AssignmentSnapshot(chunks: [], nodes: [], jobs: [], morePending: false)
            var next = drive(&s, .storeReply(callID: snap, .snapshot(empty)), at: 30)
            if profile.has(.competingReclaim) {
                // Each store call arms the 10 s abandon timer.
                #expect(next == [
                    .call(id: snap + 1, .reclaimSilent(silence: profile.legacyReclaimSilence)),
                    .setWakeTimer(after: .seconds(10)),
                ])
                let reclaimed = [ChunkID(Self.id(7)), ChunkID(Self.id(8))]
                next = drive(&s, .storeReply(callID: snap + 1, .reclaimed(reclaimed)), at: 30)
                #expect(s.metrics.chunksReclaimed == 2)
            }
            let gaugesCall = try #require(next.first)
            guard case .call(let gid, .gauges(let onlineWindow)) = gaugesCall else { Issue.record("no gauges: \(next)"); continue }
            #expect(next.dropFirst() == [.setWakeTimer(after: .seconds(10))], "only the gauges call: \(next)")
            #expect(onlineWindow == profile.sentinelOnlineWindow)
            #expect(s.metrics.gauges == nil && s.metrics.passes == 0)
            let g = StoreGauges(pendingChunks: 3, runningChunks: 5, onlineNodes: 2)
            let end = drive(&s, .storeReply(callID: gid, .gauges(g)), at: 31)
            #expect(s.metrics.gauges == g)
            #expect(s.metrics.passes == 1 && s.metrics.lastPassAt == Timestamp(unixSeconds: 1_031))
            #expect(s.metrics.chunksReclaimed == (profile.has(.competingReclaim) ? 2 : 0))
            #expect(end.contains(.setWakeTimer(after: profile.fallbackPeriod)))
        }
    }

    @Test func morePendingRewakesAndANotificationDuringAPassIsNotLost() {
        var s = Sentinel(profile: .fixed)
        _ = drive(&s, .start)
        _ = drive(&s, .listening)
        _ = drive(&s, .notification(StoreNotification(channel: "pending_chunk", payload: "a")))
        guard case .call(let id, _) = drive(&s, .wakeTimer).first else { Issue.record("no call"); return }
        _ = drive(&s, .notification(StoreNotification(channel: "pending_chunk", payload: "b")))
        let empty = AssignmentSnapshot(chunks: [], nodes: [], jobs: [], morePending: false)
        #expect(drive(&s, .storeReply(callID: id, .snapshot(empty))) == [.setWakeTimer(after: .milliseconds(50))])
        guard case .call(let id2, _) = drive(&s, .wakeTimer).first else { Issue.record("no call"); return }
        let more = AssignmentSnapshot(chunks: [], nodes: [], jobs: [], morePending: true)
        #expect(drive(&s, .storeReply(callID: id2, .snapshot(more))) == [.setWakeTimer(after: .milliseconds(50))])
        #expect(s.mode == .rewake)
    }

    @Test func aLostListenIsAskedForAgainUntilAcknowledged() {
        var s = Sentinel(profile: .fixed)
        _ = drive(&s, .start)
        _ = drive(&s, .listening)
        #expect(drive(&s, .listenLost) == [.listen(channel: "pending_chunk")])
        // That LISTEN went to a store that was down: the next pass asks again.
        guard case .call(let id, _) = drive(&s, .wakeTimer).first else { Issue.record("no call"); return }
        let empty = AssignmentSnapshot(chunks: [], nodes: [], jobs: [], morePending: false)
        let effects = drive(&s, .storeReply(callID: id, .snapshot(empty)))
        #expect(effects.contains(.listen(channel: "pending_chunk")))
        _ = drive(&s, .listening)
        #expect(s.isListening)
    }

    @Test func anUnansweredCallIsAbandonedAndALateReplyIgnored() {
        var s = Sentinel(profile: .fixed)
        _ = drive(&s, .start)
        _ = drive(&s, .listening)
        guard case .call(let id, _) = drive(&s, .wakeTimer).first else { Issue.record("no call"); return }
        #expect(s.mode == .awaitingStore)
        #expect(drive(&s, .wakeTimer, at: 10) == [.setWakeTimer(after: .seconds(30))])
        #expect(s.metrics.abandonedCalls == 1)
        let empty = AssignmentSnapshot(chunks: [], nodes: [], jobs: [], morePending: false)
        #expect(drive(&s, .storeReply(callID: id, .snapshot(empty)), at: 11).isEmpty)
    }

    /// Two sentinels plan from the same snapshot and apply one after the other: guarded, the
    /// store gives each chunk once; unguarded (today), the second apply claims them again.
    @Test func twoSentinelsNeverDoubleAssignWhenGuarded() throws {
        for guarded in [true, false] {
            var store = EmbeddedStore(seed: 3)
            let now = Timestamp(unixSeconds: 2_000)
            let user = UserID(Self.id(1))
            var nodes: [NodeID] = []
            for n in 0..<2 {
                let key = try #require(PublicKey(bytes: [UInt8](repeating: UInt8(n + 1), count: 32)))
                let reg = try store.registerNode(NodeRegistration(
                    publicKey: key, claimCode: "CODE\(n)", name: "n\(n)", totalCores: 4, maxParallel: 4,
                    platform: "linux", version: "2"), now: now)
                _ = try store.claimNode(claimCode: "CODE\(n)", by: user, now: now)
                _ = try store.heartbeat(reg.node.id, now: now)
                nodes.append(reg.node.id)
            }
            let hash = try #require(ConfigHash(hex: String(repeating: "a", count: 64)))
            _ = try store.createJob(
                NewJob(userID: user, configHash: hash, totalIterations: 3_000, chunkIterations: 1_000,
                       accessType: .public, discordServerID: nil),
                upserting: NewConfig(hash: hash, canonicalJSON: "{}", rotationID: nil), now: now)
            let snap = store.assignmentSnapshot(limit: 100, onlineSince: now - .seconds(45))
            let planA = AssignmentPlanner.plan(snap, guilds: GuildDirectory())
            // The second sentinel saw node 1 first (another moment, another order of free slots).
            let planB = planA.map { PlannedAssignment(chunkID: $0.chunkID, nodeID: $0.nodeID == nodes[0] ? nodes[1] : nodes[0]) }
            let a = try store.applyAssignments(planA, guarded: guarded, now: now)
            let b = try store.applyAssignments(planB, guarded: guarded, now: now)
            #expect(a.count == 3)
            if guarded {
                #expect(b.isEmpty)
            } else {
                #expect(b.count == 3)
                let changes = store.takeChanges().compactMap { c -> ChunkChange? in if case .chunk(let x) = c { return x } else { return nil } }
                #expect(changes.contains { $0.from == .running && $0.to == .running })
            }
            #expect(store.checkConsistency().isEmpty)
        }
    }
}
