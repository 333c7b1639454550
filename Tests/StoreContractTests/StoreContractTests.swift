import Testing

@testable import JobSystem

/// One contract, two stores: every test runs against the embedded store and against
/// PostgreSQL (through `PostgresStore`), and both must give the same results, errors and
/// notifications. Identifiers and instants differ between the stores (seeded vs
/// `gen_random_uuid()`, a set clock vs `now()`), so the tests compare what the contract
/// promises: shapes, orders, relations between instants, and rows by the ids returned.
/// Serialized: the PostgreSQL cases share one database.
@Suite("Store contract", .serialized)
struct StoreContractTests {
    // MARK: Jobs and chunks

    @Test(arguments: StoreKind.allCases)
    func createJobChunksAndNotifies(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let created = try h.store.createJob(F.newJob(iterations: 2_500), upserting: F.config(1))
        #expect(created.chunks == 3 && created.configInserted)
        let job = try #require(try h.store.job(created.jobID))
        #expect(job.status == .pending && job.totalIterations == 2_500 && job.completedIterations == 0)
        #expect(job.chunkCount == 3 && job.result == nil && job.completedAt == nil)
        let chunks = try h.store.chunks(ofJob: created.jobID)
        #expect(chunks.map(\.iterations) == [1_000, 1_000, 500])
        #expect(chunks.map(\.seedOffset) == [0, 1_000, 2_000])
        #expect(chunks.map(\.index) == [0, 1, 2])
        #expect(chunks.allSatisfy { $0.status == .pending && $0.nodeID == nil && $0.attempt == 0 && $0.createdAt == job.createdAt })
        #expect(chunks.map(\.pendingSeq) == chunks.map(\.pendingSeq).sorted() && Set(chunks.map(\.pendingSeq)).count == 3)
        #expect(try h.notifications() == F.pending(chunks.map(\.id)))
        #expect(try h.notifications().isEmpty)
        #expect(try h.store.pendingChunkCount() == 3)
        #expect(try h.store.chunk(chunks[1].id) == chunks[1])
        #expect(try h.store.job(JobID(Identifier(high: 5, low: 5))) == nil)
        #expect(try h.store.chunks(ofJob: JobID(Identifier(high: 5, low: 5))).isEmpty)
        #expect(h.problems.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func noNotificationsWithoutTrigger(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind, trigger: false)
        #expect(try !(h.store as! any PendingTrigger).pendingTriggerInstalled())
        let created = try h.store.createJob(F.newJob(iterations: 2_000), upserting: F.config(1))
        let node = try F.onlineNode(&h.store, 1)
        let chunk = try h.store.chunks(ofJob: created.jobID)[0]
        _ = try h.store.applyAssignments([PlannedAssignment(chunkID: chunk.id, nodeID: node)], guarded: true)
        try h.advance(.minutes(6))
        #expect(try h.store.reapStaleChunks(claimTimeout: .minutes(5)) == [chunk.id])
        #expect(try h.store.chunk(chunk.id)?.status == .pending)
        #expect(try h.notifications().isEmpty)
        let installed = try StoreHarness.make(kind)
        #expect(try (installed.store as! any PendingTrigger).pendingTriggerInstalled())
    }

    @Test(arguments: StoreKind.allCases)
    func createJobWithoutConfigFailsAndChangesNothing(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        #expect(throws: StoreError.configNotFound(F.config(9).hash)) {
            try h.store.createJob(F.newJob(config: F.config(9), iterations: 10), upserting: nil)
        }
        #expect(try h.store.jobs(ofUser: F.user(1)).isEmpty)
        #expect(try h.store.pendingChunkCount() == 0)
        #expect(try h.notifications().isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func configUpsertInsertsThenTouches(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        #expect(try h.store.upsertConfig(F.config(1), checkThenInsert: false))
        try h.advance(.hours(1))
        #expect(try !h.store.upsertConfig(F.config(1), checkThenInsert: false))
        let row = try #require(try h.store.config(F.config(1).hash))
        #expect(row.lastUsedAt - row.createdAt >= .hours(1))
        #expect(row.canonicalJSON == F.config(1).canonicalJSON)
        // Today's racy upsert's INSERT (its SELECT is a separate statement of the caller's): a
        // hash that exists is PostgreSQL's unique violation, and last_used_at is not refreshed.
        try h.advance(.hours(1))
        #expect(throws: StoreError.uniqueViolation("jobs_configs_pkey")) {
            try h.store.upsertConfig(F.config(1), checkThenInsert: true)
        }
        let untouched = try #require(try h.store.config(F.config(1).hash))
        #expect(untouched.lastUsedAt - untouched.createdAt == row.lastUsedAt - row.createdAt)
        #expect(try h.store.upsertConfig(F.config(2), checkThenInsert: true))
        // The two-call path: the job needs the config to exist, and does not re-insert it.
        let created = try h.store.createJob(F.newJob(config: F.config(2), iterations: 5), upserting: nil)
        #expect(!created.configInserted)
        // The merged path touches an existing config.
        try h.advance(.hours(1))
        let again = try h.store.createJob(F.newJob(config: F.config(1), iterations: 5), upserting: F.config(1))
        #expect(!again.configInserted)
        let touched = try #require(try h.store.config(F.config(1).hash))
        #expect(touched.lastUsedAt - touched.createdAt >= .hours(3))
        #expect(try h.store.config(F.config(7).hash) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func jobsOfUserNewestFirst(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let a = try h.store.createJob(F.newJob(iterations: 1), upserting: F.config(1))
        try h.advance(.seconds(5))
        let b = try h.store.createJob(F.newJob(iterations: 1), upserting: F.config(1))
        let c = try h.store.createJob(F.newJob(iterations: 1), upserting: F.config(1))
        _ = try h.store.createJob(F.newJob(user: F.user(2), iterations: 1), upserting: F.config(1))
        #expect(try h.store.jobs(ofUser: F.user(1)).map(\.id) == [c.jobID, b.jobID, a.jobID])
        #expect(try h.store.jobs(ofUser: F.user(3)).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func rotationsAndUsers(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        try h.store.upsertRotation(id: "r", canonicalJSON: "{\"v\":1}")
        let first = try #require(try h.store.rotation("r"))
        try h.advance(.hours(1))
        try h.store.upsertRotation(id: "r", canonicalJSON: "{\"v\":2}")
        let second = try #require(try h.store.rotation("r"))
        try h.store.upsertRotation(id: "s", canonicalJSON: "{}")
        let later = try #require(try h.store.rotation("s"))
        #expect(second.canonicalJSON == "{\"v\":2}" && second.id == "r")
        #expect(later.createdAt - second.createdAt >= .hours(1))  // the first created_at is kept
        #expect(first.canonicalJSON == "{\"v\":1}")
        #expect(try h.store.rotation("x") == nil)
        try h.store.upsertUser(UserRow(id: F.user(1), discordID: "123"))
        try h.store.upsertUser(UserRow(id: F.user(1), discordID: "456"))
        #expect(try h.store.user(F.user(1))?.discordID == "456")
        #expect(try h.store.user(F.user(2)) == nil)
    }

    // MARK: Nodes

    @Test(arguments: StoreKind.allCases)
    func registerIsIdempotentPerKey(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let first = try h.store.registerNode(F.registration(1))
        #expect(first.created && first.node.status == .pending && first.node.userID == nil && first.node.lastSeenAt == nil)
        #expect(first.node.publicKey == F.key(1) && first.node.claimCode == "C1" && first.node.capacity == 4)
        var changed = F.registration(1)
        changed.name = "renamed"
        let second = try h.store.registerNode(changed)
        #expect(!second.created && second.node == first.node)
        #expect(try h.store.node(publicKey: F.key(1)) == first.node)
        #expect(try h.store.node(first.node.id) == first.node)
        #expect(try h.store.node(publicKey: F.key(2)) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func claimCodes(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let a = try h.store.registerNode(F.registration(1, code: "AAAAAA")).node
        // A colliding key registered later (e.g. ground on purpose) does not take the claim:
        // several unclaimed nodes showing a code go to the earliest registered.
        try h.advance(.seconds(1))
        let b = try h.store.registerNode(F.registration(2, code: "AAAAAA")).node
        _ = try h.store.registerNode(F.registration(3, code: "BBBBBB"))
        #expect(try h.store.claimNode(claimCode: "AAAAAA", by: F.user(1)).id == a.id)
        #expect(try h.store.node(b.id)?.userID == nil)
        #expect(try h.store.claimNode(claimCode: "AAAAAA", by: F.user(2)).id == b.id)
        #expect(throws: StoreError.claimCodeNotFound("ZZZZZZ")) { try h.store.claimNode(claimCode: "ZZZZZZ", by: F.user(1)) }
        let claimed = try h.store.claimNode(claimCode: "BBBBBB", by: F.user(1))
        #expect(claimed.userID == F.user(1) && claimed.status == .pending)
        #expect(throws: StoreError.nodeAlreadyClaimed(claimed.id)) { try h.store.claimNode(claimCode: "BBBBBB", by: F.user(2)) }
        // A fourth node showing AAAAAA, unclaimed for over an hour, is cleaned up; claimed ones stay.
        let c = try h.store.registerNode(F.registration(4, code: "AAAAAA")).node
        try h.advance(.hours(2))
        let counts = try h.store.cleanupStaleData(CleanupAges(unclaimedNode: .hours(1), offlineNode: .days(30), unusedConfig: .days(7)))
        #expect(counts.unclaimedNodes == 1 && counts.offlineNodes == 0)
        #expect(try h.store.node(c.id) == nil && h.store.node(a.id) != nil && h.store.node(claimed.id) != nil)
    }

    @Test(arguments: StoreKind.allCases)
    func heartbeatRulesAndOfflineMarking(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let node = try h.store.registerNode(F.registration(1)).node
        #expect(throws: StoreError.nodeNotClaimed(node.id)) { try h.store.heartbeat(node.id) }
        #expect(throws: StoreError.nodeNotFound) { try h.store.heartbeat(NodeID(Identifier(high: 1, low: 2))) }
        _ = try h.store.claimNode(claimCode: node.claimCode, by: F.user(1))
        let beat = try h.store.heartbeat(node.id)
        #expect(beat.status == .online && beat.lastSeenAt != nil)
        let fresh = try F.onlineNode(&h.store, 2)
        let unclaimed = try h.store.registerNode(F.registration(3)).node.id
        try h.advance(.minutes(6))
        _ = try h.store.heartbeat(fresh)
        #expect(try h.store.markNodesOffline(silence: .minutes(5)) == 1)
        #expect(try h.store.node(node.id)?.status == .offline)
        #expect(try h.store.node(fresh)?.status == .online)
        #expect(try h.store.node(unclaimed)?.status == .pending)
        #expect(try h.store.markNodesOffline(silence: .minutes(5)) == 0)
        #expect(try h.store.heartbeat(node.id).status == .online)
    }

    /// The heartbeat's lookup by key and its statement by caller (`nodeCaller(publicKey:)`,
    /// `heartbeat(_: NodeCaller)`: the embedded store's handle path, PostgreSQL's defaults)
    /// follow `node(publicKey:)` and `heartbeat(_: NodeID)`: the same node, the same errors, the
    /// same row afterwards.
    @Test(arguments: StoreKind.allCases)
    func heartbeatByCaller(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let node = try h.store.registerNode(F.registration(1)).node
        let other = try h.store.registerNode(F.registration(2)).node
        #expect(try h.store.nodeCaller(publicKey: F.registration(9).publicKey) == nil)
        let caller = try #require(try h.store.nodeCaller(publicKey: node.publicKey))
        #expect(caller.id == node.id)
        #expect(try h.store.nodeCaller(publicKey: other.publicKey)?.id == other.id)
        #expect(throws: StoreError.nodeNotClaimed(node.id)) { try h.store.heartbeat(caller) }
        let refused = try #require(try h.store.node(node.id))  // a refused heartbeat changes nothing
        #expect(refused.status == .pending && refused.lastSeenAt == nil)
        #expect(throws: StoreError.nodeNotFound) { try h.store.heartbeat(NodeCaller(id: NodeID(Identifier(high: 1, low: 2)))) }
        _ = try h.store.claimNode(claimCode: node.claimCode, by: F.user(1))
        try h.advance(.seconds(5))
        let beat = try h.store.heartbeat(caller)
        let row = try #require(try h.store.node(node.id))
        #expect(beat == NodeHeartbeat(row))
        #expect(beat.status == .online && beat.name == node.name && beat.maxParallel == node.maxParallel)
        #expect(row.lastSeenAt != nil && row.status == .online)
        // A handle that is not the node's (another node's, out of range, none) is only a hint:
        // the node is found by its id.
        _ = try h.store.claimNode(claimCode: other.claimCode, by: F.user(1))
        for handle in [caller.handle, -1, 1_000_000] {
            let stale = NodeCaller(id: other.id, handle: handle)
            #expect(try h.store.heartbeat(stale) == NodeHeartbeat(try #require(try h.store.node(other.id))))
        }
        #expect(try h.store.node(node.id) == row)  // the other node's heartbeats left it alone
        // A caller whose node is gone (cleaned up) is not found, whatever its handle says.
        var g = try StoreHarness.make(kind)
        let gone = try g.store.registerNode(F.registration(3)).node
        let goneCaller = try #require(try g.store.nodeCaller(publicKey: gone.publicKey))
        try g.advance(.hours(2))
        _ = try g.store.cleanupStaleData(CleanupAges(unclaimedNode: .hours(1), offlineNode: .days(30), unusedConfig: .days(7)))
        #expect(try g.store.nodeCaller(publicKey: gone.publicKey) == nil)
        #expect(throws: StoreError.nodeNotFound) { try g.store.heartbeat(goneCaller) }
    }

    @Test(arguments: StoreKind.allCases)
    func permissionsAppearInSnapshot(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let node = try F.onlineNode(&h.store, 1)
        let p1 = try h.store.grantPermission(node: node, type: .user, target: F.user(9).uuidString)
        let p2 = try h.store.grantPermission(node: node, type: .user, target: F.user(3).uuidString)
        let p3 = try h.store.grantPermission(node: node, type: .guild, target: "777")
        _ = try h.store.grantPermission(node: node, type: .user, target: F.user(3).uuidString)
        #expect(try h.store.permissions(of: node).prefix(3).map(\.id) == [p1.id, p2.id, p3.id])
        #expect(try h.store.permissions(of: node).count == 4)
        try h.store.upsertUser(UserRow(id: F.user(1), discordID: "42"))
        _ = try h.store.createJob(F.newJob(iterations: 1_000), upserting: F.config(1))  // no chunk, no node listed
        let snap = try h.store.assignmentSnapshot(limit: 10, onlineWindow: .seconds(45))
        #expect(snap.nodes.first?.permittedUsers == [F.user(3), F.user(9)].sorted())
        #expect(snap.nodes.first?.ownerDiscordID == "42" && snap.nodes.first?.userID == F.user(1))
        #expect(throws: StoreError.nodeNotFound) {
            try h.store.grantPermission(node: NodeID(Identifier(high: 5, low: 5)), type: .public, target: nil)
        }
    }

    // MARK: Snapshot and assignment

    @Test(arguments: StoreKind.allCases)
    func snapshotReadsQueueInPendingOrder(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let stale = try F.onlineNode(&h.store, 2)
        try h.advance(.minutes(5))
        let a = try h.store.createJob(F.newJob(iterations: 3_000), upserting: F.config(1))
        let b = try h.store.createJob(F.newJob(user: F.user(2), iterations: 2_000), upserting: F.config(1))
        let n1 = try F.onlineNode(&h.store, 1)
        let all = try h.store.chunks(ofJob: a.jobID) + h.store.chunks(ofJob: b.jobID)
        let snap = try h.store.assignmentSnapshot(limit: 4, onlineWindow: .seconds(45))
        #expect(snap.chunks.map(\.id) == Array(all.prefix(4)).map(\.id))
        #expect(snap.chunks.map(\.jobID) == [a.jobID, a.jobID, a.jobID, b.jobID])
        #expect(snap.morePending)
        #expect(snap.nodes.map(\.id) == [n1])
        #expect(snap.jobs.map(\.id) == [a.jobID, b.jobID].sorted())
        #expect(snap.jobs.first { $0.id == b.jobID }?.userID == F.user(2))
        let wide = try h.store.assignmentSnapshot(limit: 10, onlineWindow: .minutes(10))
        #expect(!wide.morePending && wide.chunks.count == 5)
        #expect(wide.nodes.map(\.id) == [n1, stale].sorted())
        // A chunk taken and reaped goes back to its place by creation, the front of the queue
        // (today's ORDER BY created_at: a reaped chunk keeps its created_at).
        _ = try h.store.applyAssignments([PlannedAssignment(chunkID: all[0].id, nodeID: n1)], guarded: true)
        #expect(try h.store.assignmentSnapshot(limit: 10, onlineWindow: .hours(1)).chunks.map(\.id) == all.dropFirst().map(\.id))
        try h.advance(.minutes(6))
        #expect(try h.store.reapStaleChunks(claimTimeout: .minutes(5)) == [all[0].id])
        let after = try h.store.assignmentSnapshot(limit: 10, onlineWindow: .hours(1))
        #expect(after.chunks.map(\.id) == all.map(\.id))
        #expect(after.chunks.first?.lastNodeID == n1)
        #expect(try h.store.assignmentSnapshot(limit: 0, onlineWindow: .hours(1)).chunks.isEmpty)
        #expect(h.problems.isEmpty)
    }

    @Test(arguments: StoreKind.allCases, [false, true])
    func interleavedSnapshots(kind: StoreKind, guarded: Bool) throws {
        var h = try StoreHarness.make(kind)
        let job = try h.store.createJob(F.newJob(iterations: 1_000), upserting: F.config(1))
        let n1 = try F.onlineNode(&h.store, 1)
        let n2 = try F.onlineNode(&h.store, 2)
        let chunk = try h.store.chunks(ofJob: job.jobID)[0].id
        _ = try h.notifications()
        // Two sentinels read the same snapshot, then both apply.
        let s1 = try h.store.assignmentSnapshot(limit: 100, onlineWindow: .seconds(45))
        let s2 = try h.store.assignmentSnapshot(limit: 100, onlineWindow: .seconds(45))
        #expect(s1 == s2 && s1.chunks.map(\.id) == [chunk])
        let first = try h.store.applyAssignments([PlannedAssignment(chunkID: chunk, nodeID: n1)], guarded: guarded)
        let second = try h.store.applyAssignments([PlannedAssignment(chunkID: chunk, nodeID: n2)], guarded: guarded)
        #expect(first.map(\.nodeID) == [n1] && first.first?.attempt == 1)
        let row = try #require(try h.store.chunk(chunk))
        if guarded {
            #expect(second.isEmpty)
            #expect(row.nodeID == n1 && row.attempt == 1)
        } else {
            // Today's batch update gives the chunk to both nodes: n1 is computing it too.
            #expect(second.map(\.nodeID) == [n2] && second.first?.attempt == 2)
            #expect(row.nodeID == n2 && row.attempt == 2 && row.lastNodeID == n2)
        }
        #expect(try h.store.runningChunks().map(\.id) == [chunk])
        #expect(try h.backlog(n1) == (guarded ? 1 : 0))
        #expect(try h.backlog(n2) == (guarded ? 0 : 1))
        #expect(try h.notifications().isEmpty)
        #expect(h.problems.isEmpty)
    }

    /// The snapshot lists exactly the online nodes with a free slot (capacity above running),
    /// with their counts, and counts every online node: full, over-full (today's unguarded
    /// batch ignores capacity) and free alike; silent and never-seen nodes are neither listed
    /// nor counted. A snapshot without chunks lists none. The planner can use no other node.
    @Test(arguments: StoreKind.allCases)
    func snapshotListsOnlineNodesWithAFreeSlot(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let silent = try F.onlineNode(&h.store, 6, capacity: 3)
        try h.advance(.minutes(5))
        let job = try h.store.createJob(F.newJob(iterations: 9_000), upserting: F.config(1))
        let chunks = try h.store.chunks(ofJob: job.jobID).map(\.id)
        let full = try F.onlineNode(&h.store, 1, capacity: 2)
        try h.advance(.seconds(1))
        let free = try F.onlineNode(&h.store, 2, capacity: 3)
        let idle = try F.onlineNode(&h.store, 3, capacity: 1)
        let over = try F.onlineNode(&h.store, 4, capacity: 1)
        _ = try h.store.registerNode(F.registration(5, capacity: 4))  // never seen
        let plan = [
            PlannedAssignment(chunkID: chunks[0], nodeID: full), PlannedAssignment(chunkID: chunks[1], nodeID: full),
            PlannedAssignment(chunkID: chunks[2], nodeID: free), PlannedAssignment(chunkID: chunks[3], nodeID: over),
        ]
        #expect(try h.store.applyAssignments(plan, guarded: true).count == 4)
        #expect(try h.store.applyAssignments([PlannedAssignment(chunkID: chunks[4], nodeID: over)], guarded: false).count == 1)

        for limit in [1, 3, 100] {
            let snap = try h.store.assignmentSnapshot(limit: limit, onlineWindow: .seconds(45))
            #expect(snap.onlineNodes == 4)
            #expect(snap.stalestOnlineNode == full)  // seen first, not listed
            #expect(snap.nodes.map(\.id) == [free, idle].sorted())
            let listed = Dictionary(uniqueKeysWithValues: snap.nodes.map { ($0.id, $0) })
            #expect(listed[free]?.capacity == 3 && listed[free]?.running == 1)
            #expect(listed[idle]?.capacity == 1 && listed[idle]?.running == 0)
            #expect(snap.chunks.count == min(limit, 4))
        }
        let empty = try h.store.assignmentSnapshot(limit: 0, onlineWindow: .seconds(45))
        #expect(empty.onlineNodes == 4 && empty.nodes.isEmpty && empty.chunks.isEmpty && empty.morePending)
        // The silent node is counted (and listed: it has free slots) once the window reaches it.
        let wide = try h.store.assignmentSnapshot(limit: 10, onlineWindow: .minutes(10))
        #expect(wide.onlineNodes == 5 && wide.nodes.map(\.id) == [free, idle, silent].sorted())
        #expect(wide.stalestOnlineNode == silent)

        // A node that gets a slot back is listed again; with every node full none is listed,
        // and the count is still given.
        try h.advance(.minutes(6))
        #expect(try h.store.reapStaleChunks(claimTimeout: .minutes(5)).count == 5)
        for node in [full, free, idle, over] { _ = try h.store.heartbeat(node) }
        let back = try h.store.assignmentSnapshot(limit: 10, onlineWindow: .seconds(45))
        #expect(back.onlineNodes == 4 && back.nodes.map(\.id) == [full, free, idle, over].sorted())
        let fill = try h.store.chunks(ofJob: job.jobID).prefix(7).map(\.id)
        let all = zip(fill, [full, full, free, free, free, idle, over]).map { PlannedAssignment(chunkID: $0, nodeID: $1) }
        #expect(try h.store.applyAssignments(all, guarded: true).count == 7)
        let none = try h.store.assignmentSnapshot(limit: 10, onlineWindow: .seconds(45))
        #expect(none.onlineNodes == 4 && none.nodes.isEmpty)
        #expect(none.chunks.count == 2 && !none.morePending)
        #expect(h.problems.isEmpty)
    }

    /// When every chunk of the snapshot belongs to a public job, only the best `chunks + 1`
    /// free nodes by (most free slots, lowest id) are listed (`AssignmentSnapshot.nodesWanted`:
    /// the planner can reach no other); one restricted job among them and every free node is.
    @Test(arguments: StoreKind.allCases)
    func aPublicBatchListsOnlyTheBestFreeNodes(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        // Free slots by node: n1 1, n2 3, n3 2, n4 3, n5 2, n6 0 (full).
        let capacities = [1, 3, 2, 3, 2, 1]
        var nodes: [NodeID] = []
        for (k, c) in capacities.enumerated() { nodes.append(try F.onlineNode(&h.store, UInt8(k + 1), capacity: c)) }
        let filler = try h.store.createJob(F.newJob(iterations: 1_000), upserting: F.config(1))
        let fillerChunk = try h.store.chunks(ofJob: filler.jobID)[0].id
        #expect(try h.store.applyAssignments([PlannedAssignment(chunkID: fillerChunk, nodeID: nodes[5])], guarded: true).count == 1)
        let job = try h.store.createJob(F.newJob(iterations: 10_000), upserting: F.config(1))
        // By (free desc, id asc) among n1..n5, whatever order the ids fall in.
        let ranked = (0..<5).sorted { (capacities[$0], nodes[$1]) > (capacities[$1], nodes[$0]) }.map { nodes[$0] }
        for limit in 1...5 {
            let snap = try h.store.assignmentSnapshot(limit: limit, onlineWindow: .seconds(45))
            #expect(snap.chunks.count == limit && snap.jobs.map(\.id) == [job.jobID])
            #expect(snap.onlineNodes == 6)
            #expect(snap.nodes.map(\.id) == Array(ranked.prefix(limit + 1)).sorted(), "limit \(limit)")
        }
        // A private job's chunk in the batch: every free node.
        let restricted = try h.store.createJob(F.newJob(iterations: 1_000, access: .private), upserting: F.config(1))
        let mixed = try h.store.assignmentSnapshot(limit: 11, onlineWindow: .seconds(45))
        #expect(mixed.jobs.map(\.id) == [job.jobID, restricted.jobID].sorted())
        #expect(mixed.jobs.contains { $0.accessType == .private })
        #expect(mixed.nodes.map(\.id) == Array(nodes.prefix(5)).sorted())
        #expect(h.problems.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func guardedAssignmentRespectsCapacity(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let job = try h.store.createJob(F.newJob(iterations: 5_000), upserting: F.config(1))
        let node = try F.onlineNode(&h.store, 1, capacity: 2)
        let plan = try h.store.chunks(ofJob: job.jobID).map { PlannedAssignment(chunkID: $0.id, nodeID: node) }
        let made = try h.store.applyAssignments(plan, guarded: true)
        #expect(made.map(\.chunkID) == plan.prefix(2).map(\.chunkID))
        #expect(made.allSatisfy { $0.claimedAt == made[0].claimedAt && $0.attempt == 1 && $0.nodeID == node })
        #expect(try h.backlog(node) == 2)
        #expect(try h.store.pendingChunkCount() == 3)
        // Unguarded ignores capacity.
        let rest = try h.store.applyAssignments(Array(plan.dropFirst(2)), guarded: false)
        #expect(rest.count == 3)
        #expect(try h.store.runningChunks().count == 5 && h.store.pendingChunkCount() == 0)
        #expect(try h.notifications().count == 5)  // the inserts only
        #expect(h.problems.isEmpty)
    }

    /// What a node's assignment channel lists when it (re)subscribes: its running chunks only,
    /// in creation order, as the assignments that were pushed.
    @Test(arguments: StoreKind.allCases)
    func runningChunksOfOneNode(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let job = try h.store.createJob(F.newJob(iterations: 5_000), upserting: F.config(1))
        let n1 = try F.onlineNode(&h.store, 1, capacity: 2)
        let n2 = try F.onlineNode(&h.store, 2, capacity: 2)
        let chunks = try h.store.chunks(ofJob: job.jobID)
        let made = try h.store.applyAssignments(
            [PlannedAssignment(chunkID: chunks[0].id, nodeID: n2), PlannedAssignment(chunkID: chunks[1].id, nodeID: n1),
             PlannedAssignment(chunkID: chunks[2].id, nodeID: n2)], guarded: true)
        #expect(made.count == 3)
        #expect(try h.store.runningChunks(ofNode: n2).compactMap(ChunkAssignment.init(running:)) == [made[0], made[2]])
        #expect(try h.store.runningChunks(ofNode: n1).compactMap(ChunkAssignment.init(running:)) == [made[1]])
        #expect(try h.store.runningChunks(ofNode: NodeID(Identifier(high: 77, low: 77))).isEmpty)
        #expect(h.problems.isEmpty)
    }

    /// A guarded apply re-checks the node is online on the store's clock: a node can fall
    /// silent between the sentinel's snapshot and its apply (found by the swarm, seed 161).
    @Test(arguments: StoreKind.allCases)
    func guardedAssignmentSkipsANodeThatWentSilentSinceTheSnapshot(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let job = try h.store.createJob(F.newJob(iterations: 2_000), upserting: F.config(1))
        let node = try F.onlineNode(&h.store, 1)
        let chunks = try h.store.chunks(ofJob: job.jobID)
        try h.advance(.seconds(44))
        #expect(try h.store.applyAssignments([PlannedAssignment(chunkID: chunks[0].id, nodeID: node)], guarded: true, onlineWindow: .seconds(45)).count == 1)
        try h.advance(.seconds(2))
        #expect(try h.store.applyAssignments([PlannedAssignment(chunkID: chunks[1].id, nodeID: node)], guarded: true, onlineWindow: .seconds(45)).isEmpty)
        #expect(try h.store.chunk(chunks[1].id)?.status == .pending)
        // Without the window the guarded apply does not look at last_seen_at; unguarded checks nothing.
        #expect(try h.store.applyAssignments([PlannedAssignment(chunkID: chunks[1].id, nodeID: node)], guarded: false, onlineWindow: .seconds(45)).count == 1)
        #expect(h.problems.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func assignmentPayloadAndUnknownRows(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let job = try h.store.createJob(F.newJob(iterations: 1_500), upserting: F.config(1))
        let node = try F.onlineNode(&h.store, 1)
        let chunks = try h.store.chunks(ofJob: job.jobID)
        let made = try h.store.applyAssignments([PlannedAssignment(chunkID: chunks[1].id, nodeID: node)], guarded: true)
        let row = try #require(try h.store.chunk(chunks[1].id))
        #expect(made == [ChunkAssignment(
            chunkID: chunks[1].id, jobID: job.jobID, nodeID: node, attempt: 1, configHash: F.config(1).hash,
            iterations: 500, seedOffset: 1_000, claimedAt: row.claimedAt!)])
        #expect(row.status == .running && row.nodeID == node && row.lastNodeID == node)
        _ = try h.notifications()
        let ghost = ChunkID(Identifier(high: 9, low: 9))
        for guarded in [true, false] {
            #expect(throws: StoreError.chunkNotFound(ghost)) {
                try h.store.applyAssignments(
                    [PlannedAssignment(chunkID: chunks[0].id, nodeID: node), PlannedAssignment(chunkID: ghost, nodeID: node)],
                    guarded: guarded)
            }
            #expect(throws: StoreError.nodeNotFound) {
                try h.store.applyAssignments(
                    [PlannedAssignment(chunkID: chunks[0].id, nodeID: NodeID(Identifier(high: 1, low: 1)))], guarded: guarded)
            }
        }
        #expect(try h.store.chunk(chunks[0].id)?.status == .pending)
        #expect(try h.store.chunks(ofJob: job.jobID).map(\.attempt) == [0, 1])
        #expect(try h.notifications().isEmpty)
    }

    // MARK: Completion

    struct Setup {
        var h: StoreHarness
        var job: JobID
        var chunks: [ChunkID]
        var n1: NodeID
        var n2: NodeID
    }

    /// One job of `chunks` chunks of 100 iterations, two online nodes, chunk 0 assigned to n1.
    static func completionSetup(_ kind: StoreKind, chunks: Int = 2, trigger: Bool = true) throws -> Setup {
        var h = try StoreHarness.make(kind, trigger: trigger)
        let job = try h.store.createJob(F.newJob(iterations: chunks * 100, chunk: 100), upserting: F.config(1))
        let n1 = try F.onlineNode(&h.store, 1)
        let n2 = try F.onlineNode(&h.store, 2)
        let ids = try h.store.chunks(ofJob: job.jobID).map(\.id)
        _ = try h.store.applyAssignments([PlannedAssignment(chunkID: ids[0], nodeID: n1)], guarded: true)
        _ = try h.notifications()
        return Setup(h: h, job: job.jobID, chunks: ids, n1: n1, n2: n2)
    }

    /// Today's unguarded batch update checks no status: PostgreSQL writes a completed chunk
    /// back to running (keeping its result), the job has an unfinished chunk again, and the
    /// chunk's next completion counts again. The guarded apply skips it.
    @Test(arguments: StoreKind.allCases)
    func unguardedWritesACompletedChunkBackToRunning(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let job = try h.store.createJob(F.newJob(iterations: 2_000), upserting: F.config(1))
        let node = try F.onlineNode(&h.store, 1)
        let chunks = try h.store.chunks(ofJob: job.jobID)
        let a = try h.store.applyAssignments([PlannedAssignment(chunkID: chunks[0].id, nodeID: node)], guarded: true)
        let result = F.result(iterations: 1_000)
        _ = try h.store.completeChunk(
            Completion(nodeID: node, chunkID: chunks[0].id, attempt: a[0].attempt, result: result), rules: CompletionRules())
        #expect(try h.store.applyAssignments([PlannedAssignment(chunkID: chunks[0].id, nodeID: node)], guarded: true).isEmpty)
        let written = try h.store.applyAssignments(
            [PlannedAssignment(chunkID: chunks[1].id, nodeID: node), PlannedAssignment(chunkID: chunks[0].id, nodeID: node)],
            guarded: false)
        #expect(written.map(\.chunkID) == [chunks[1].id, chunks[0].id])
        let resurrected = try #require(try h.store.chunk(chunks[0].id))
        #expect(resurrected.status == .running && resurrected.nodeID == node && resurrected.result == result)
        #expect(resurrected.attempt == 2)
        _ = try h.store.completeChunk(
            Completion(nodeID: node, chunkID: chunks[0].id, attempt: 2, result: result), rules: CompletionRules())
        #expect(try h.store.job(job.jobID)?.completedIterations == 2_000)
        #expect(try h.store.chunk(chunks[1].id)?.status == .running)
    }

    @Test(arguments: StoreKind.allCases)
    func completionOutcomes(kind: StoreKind) throws {
        var s = try Self.completionSetup(kind)
        let (job, chunks, n1, n2) = (s.job, s.chunks, s.n1, s.n2)
        let r = F.result(iterations: 100)
        func complete(_ node: NodeID, _ chunk: ChunkID, _ attempt: Int?) throws -> CompletionOutcome {
            try s.h.store.completeChunk(Completion(nodeID: node, chunkID: chunk, attempt: attempt, result: r), rules: CompletionRules())
        }
        #expect(try complete(n2, chunks[0], 1) == .staleClaim(jobID: job))  // not its claim
        #expect(try complete(n1, chunks[0], 2) == .staleClaim(jobID: job))  // wrong attempt
        #expect(try complete(n1, chunks[0], nil) == .staleClaim(jobID: job))  // no claim presented
        #expect(try complete(n1, chunks[1], 0) == .staleClaim(jobID: job))  // never assigned
        #expect(try s.h.store.job(job)?.status == .pending)
        #expect(try complete(n1, chunks[0], 1) == .accepted(jobID: job, jobCompleted: false))
        #expect(try complete(n1, chunks[0], 1) == .duplicate(jobID: job))
        #expect(try complete(n2, chunks[0], 1) == .alreadyCompleted(jobID: job))
        #expect(try complete(n1, chunks[0], 7) == .alreadyCompleted(jobID: job))
        let row = try #require(try s.h.store.chunk(chunks[0]))
        #expect(row.status == .completed && row.result == r && row.completedAt != nil && row.nodeID == n1)
        let jobRow = try #require(try s.h.store.job(job))
        #expect(jobRow.status == .running && jobRow.completedIterations == 100)
        #expect(try s.h.store.runningChunks().isEmpty)
        #expect(try s.h.backlog(n1) == 0)
        #expect(throws: StoreError.chunkNotFound(ChunkID(Identifier(high: 3, low: 3)))) {
            try complete(n1, ChunkID(Identifier(high: 3, low: 3)), 1)
        }
        #expect(throws: StoreError.nodeNotFound) { try complete(NodeID(Identifier(high: 3, low: 3)), chunks[1], 1) }
        #expect(try s.h.notifications().isEmpty)
        #expect(s.h.problems.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func lateResultAfterReapIsAcceptedOnceUnlessReassigned(kind: StoreKind) throws {
        var s = try Self.completionSetup(kind, chunks: 3)
        let (job, chunks, n1, n2) = (s.job, s.chunks, s.n1, s.n2)
        _ = try s.h.store.applyAssignments([PlannedAssignment(chunkID: chunks[1], nodeID: n1)], guarded: true)
        try s.h.advance(.minutes(6))
        let reaped = try s.h.store.reapStaleChunks(claimTimeout: .minutes(5))
        #expect(Set(reaped) == [chunks[0], chunks[1]])
        #expect(try s.h.notifications() == F.pending(reaped))
        #expect(try s.h.store.chunk(chunks[0])?.status == .pending && s.h.store.chunk(chunks[0])?.lastNodeID == n1)
        // Chunk 1 is reassigned to n2 before n1's late result arrives: n1's claim is stale.
        _ = try s.h.store.heartbeat(n2)
        _ = try s.h.store.applyAssignments([PlannedAssignment(chunkID: chunks[1], nodeID: n2)], guarded: true)
        let rules = CompletionRules()
        let r = F.result(iterations: 100)
        #expect(try s.h.store.completeChunk(Completion(nodeID: n1, chunkID: chunks[0], attempt: 1, result: r), rules: rules)
            == .accepted(jobID: job, jobCompleted: false))
        #expect(try s.h.store.completeChunk(Completion(nodeID: n1, chunkID: chunks[1], attempt: 1, result: r), rules: rules)
            == .staleClaim(jobID: job))
        #expect(try s.h.store.chunk(chunks[0])?.status == .completed)
        #expect(try s.h.store.pendingChunkCount() == 1)
        #expect(try !s.h.store.assignmentSnapshot(limit: 10, onlineWindow: .hours(1)).chunks.map(\.id).contains(chunks[0]))
        _ = try s.h.store.completeChunk(Completion(nodeID: n2, chunkID: chunks[1], attempt: 2, result: r), rules: rules)
        #expect(try s.h.store.completeChunk(Completion(nodeID: n1, chunkID: chunks[0], attempt: 1, result: r), rules: rules)
            == .duplicate(jobID: job))
        #expect(try s.h.store.job(job)?.completedIterations == 200)
        #expect(s.h.problems.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func jobLifecycleProgressAndAggregate(kind: StoreKind) throws {
        var s = try Self.completionSetup(kind, chunks: 3)
        let (job, chunks, n1) = (s.job, s.chunks, s.n1)
        _ = try s.h.store.applyAssignments(chunks.dropFirst().map { PlannedAssignment(chunkID: $0, nodeID: n1) }, guarded: true)
        let results = (0..<3).map { F.result(iterations: 100, base: 1_000_000 + UInt64($0) * 5_000) }
        // Complete out of order: the aggregate is still over chunk index order.
        for (step, i) in [2, 0, 1].enumerated() {
            let outcome = try s.h.store.completeChunk(
                Completion(nodeID: n1, chunkID: chunks[i], attempt: 1, result: results[i]), rules: CompletionRules())
            #expect(outcome == .accepted(jobID: job, jobCompleted: step == 2))
            let row = try #require(try s.h.store.job(job))
            #expect(row.completedIterations == 100 * (step + 1))
            #expect(row.status == (step == 2 ? .completed : .running))
            #expect((row.completedAt != nil) == (step == 2))
        }
        let row = try #require(try s.h.store.job(job))
        #expect(row.result == SimulationResult.aggregate(results))
        #expect(row.result?.iterations == 300)
        #expect(s.h.problems.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func oneChunkJobGoesStraightToCompleted(kind: StoreKind) throws {
        var s = try Self.completionSetup(kind, chunks: 1)
        let outcome = try s.h.store.completeChunk(
            Completion(nodeID: s.n1, chunkID: s.chunks[0], attempt: 1, result: F.result(iterations: 100)), rules: CompletionRules())
        #expect(outcome == .accepted(jobID: s.job, jobCompleted: true))
        #expect(try s.h.store.job(s.job)?.status == .completed)
        #expect(try s.h.store.job(s.job)?.result == SimulationResult(F.result(iterations: 100)))
    }

    @Test(arguments: StoreKind.allCases)
    func defectSwitchesInCompletion(kind: StoreKind) throws {
        var s = try Self.completionSetup(kind, chunks: 1)
        // Today: no aggregate, no progress, today's guard; the job still completes.
        let today = CompletionRules(aggregateResult: false, countProgress: false, requireClaim: false)
        #expect(try s.h.store.completeChunk(
            Completion(nodeID: s.n1, chunkID: s.chunks[0], attempt: nil, result: F.result(iterations: 100)), rules: today)
            == .accepted(jobID: s.job, jobCompleted: true))
        let row = try #require(try s.h.store.job(s.job))
        #expect(row.status == .completed && row.result == nil && row.completedIterations == 0)
    }

    /// Today's guard (`requireClaim` off): `UPDATE … WHERE id AND node_id AND status =
    /// 'running'`. Another node's completion is refused (403 `notHeld`), as is a pending chunk
    /// nobody was given; a completed chunk answers an idempotent success to anyone and changes
    /// nothing.
    @Test(arguments: StoreKind.allCases)
    func todaysGuardAcceptsOnlyTheRunningHolder(kind: StoreKind) throws {
        var s = try Self.completionSetup(kind, chunks: 2)
        let (job, chunks, n1, n2) = (s.job, s.chunks, s.n1, s.n2)
        let rules = CompletionRules(aggregateResult: true, countProgress: true, requireClaim: false)
        let r1 = F.result(iterations: 100, base: 1_000), r2 = F.result(iterations: 100, base: 2_000)
        #expect(try s.h.store.completeChunk(Completion(nodeID: n2, chunkID: chunks[0], attempt: nil, result: r1), rules: rules)
            == .notHeld(jobID: job))
        #expect(try s.h.store.completeChunk(Completion(nodeID: n2, chunkID: chunks[1], attempt: nil, result: r1), rules: rules)
            == .notHeld(jobID: job))
        #expect(try s.h.store.chunk(chunks[0])?.status == .running && s.h.store.chunk(chunks[1])?.status == .pending)
        #expect(try s.h.store.completeChunk(Completion(nodeID: n1, chunkID: chunks[0], attempt: nil, result: r1), rules: rules)
            == .accepted(jobID: job, jobCompleted: false))
        try s.h.advance(.hours(1))
        #expect(try s.h.store.completeChunk(Completion(nodeID: n2, chunkID: chunks[0], attempt: 1, result: r2), rules: rules)
            == .duplicate(jobID: job))
        #expect(try s.h.store.chunk(chunks[0])?.result == r1)
        let row = try #require(try s.h.store.job(job))
        #expect(row.completedIterations == 100 && row.status == .running)
    }

    // MARK: Reaper, reclaim, clean-up, replay cache

    /// Heartbeats renew the claims of the chunks they name; the fixed reaper keeps a claim its
    /// holder renewed within the window (up to the live-claim limit), today's rule (no window)
    /// reaps every old claim, and a renewal belongs to its claim (attempt).
    @Test(arguments: StoreKind.allCases)
    func claimRenewalKeepsLiveClaims(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let job = try h.store.createJob(F.newJob(iterations: 300, chunk: 100), upserting: F.config(1))
        let node = try F.onlineNode(&h.store, 1)
        let other = try F.onlineNode(&h.store, 2)
        let ids = try h.store.chunks(ofJob: job.jobID).map(\.id)
        _ = try h.store.applyAssignments(ids.map { PlannedAssignment(chunkID: $0, nodeID: node) }, guarded: true)
        try h.advance(.minutes(1))
        #expect(try h.store.renewClaims(node, chunks: [ids[1]]) == 1)  // long before the reap
        try h.advance(.seconds(510))
        // A chunk not the caller's, or not a chunk at all, renews nothing; an unknown node fails.
        #expect(try h.store.renewClaims(other, chunks: [ids[2]]) == 0)
        #expect(try h.store.renewClaims(node, chunks: [ids[0], ChunkID(Identifier(high: 9, low: 9))]) == 1)
        #expect(throws: StoreError.nodeNotFound) { try h.store.renewClaims(NodeID(Identifier(high: 7, low: 7)), chunks: ids) }
        try h.advance(.seconds(30))  // t0 + 10 min: chunk 0 renewed 30 s ago, chunk 1 9 min ago
        #expect(try h.store.reapStaleChunks(claimTimeout: .minutes(5), renewalWindow: .seconds(45), liveClaimLimit: .minutes(30))
            == [ids[1], ids[2]].sorted())
        #expect(try h.store.chunk(ids[0])?.status == .running)
        // Today's rule: the renewed claim goes too.
        #expect(try h.store.reapStaleChunks(claimTimeout: .minutes(5)) == [ids[0]])
        // A new claim is not covered by the old claim's renewal.
        _ = try h.store.heartbeat(node)
        _ = try h.store.applyAssignments([PlannedAssignment(chunkID: ids[0], nodeID: node)], guarded: true)
        try h.advance(.minutes(6))
        #expect(try h.store.reapStaleChunks(claimTimeout: .minutes(5), renewalWindow: .hours(1), liveClaimLimit: .minutes(30))
            == [ids[0]])
        #expect(h.problems.isEmpty)
    }


    /// `renewClaims(_: NodeCaller, chunks:)` renews what `renewClaims(_: NodeID, chunks:)`
    /// renews, whatever the caller's handle says (its own, another node's, none), and the reaper
    /// sees the renewals the same way.
    @Test(arguments: StoreKind.allCases)
    func claimRenewalByCaller(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let job = try h.store.createJob(F.newJob(iterations: 300, chunk: 100), upserting: F.config(1))
        let node = try F.onlineNode(&h.store, 1)
        _ = try F.onlineNode(&h.store, 2)
        let caller = try #require(try h.store.nodeCaller(publicKey: F.registration(1).publicKey))
        let other = try #require(try h.store.nodeCaller(publicKey: F.registration(2).publicKey))
        #expect(caller.id == node)
        let ids = try h.store.chunks(ofJob: job.jobID).map(\.id)
        _ = try h.store.applyAssignments(ids.map { PlannedAssignment(chunkID: $0, nodeID: node) }, guarded: true)
        try h.advance(.minutes(1))
        #expect(try h.store.renewClaims(caller, chunks: [ids[1]]) == 1)
        try h.advance(.seconds(510))
        #expect(try h.store.renewClaims(other, chunks: [ids[2]]) == 0)  // not the other node's chunk
        let misdirected = NodeCaller(id: node, handle: other.handle)  // another node's handle
        #expect(try h.store.renewClaims(misdirected, chunks: [ids[0], ChunkID(Identifier(high: 9, low: 9))]) == 1)
        #expect(try h.store.renewClaims(NodeCaller(id: node), chunks: []) == 0)
        #expect(throws: StoreError.nodeNotFound) {
            try h.store.renewClaims(NodeCaller(id: NodeID(Identifier(high: 7, low: 7)), handle: caller.handle), chunks: ids)
        }
        try h.advance(.seconds(30))  // chunk 0 renewed 30 s ago, chunk 1 9 min ago, chunk 2 never
        #expect(try h.store.reapStaleChunks(claimTimeout: .minutes(5), renewalWindow: .seconds(45), liveClaimLimit: .minutes(30))
            == [ids[1], ids[2]].sorted())
        #expect(try h.store.chunk(ids[0])?.status == .running)
        #expect(h.problems.isEmpty)
    }

    /// `completeChunk(_:by:rules:)` decides and writes what `completeChunk(_:rules:)` does,
    /// whatever the caller says (its own handle, another node's handle, none, or another node
    /// altogether, which is ignored rather than trusted or trapped on): the same outcomes,
    /// chunk and job rows as a twin store completing by id, and the same errors in the same
    /// order (an unknown chunk before an unknown node, a node unknown by id even with a live
    /// handle). `prepareForClaims` with any handle changes nothing.
    @Test(arguments: StoreKind.allCases)
    func completionByCaller(kind: StoreKind) throws {
        var s = try Self.completionSetup(kind, chunks: 4)
        // The twin is an embedded store whatever `kind` is: a second PostgreSQL harness would
        // truncate the database `s` lives in (the contract holds the two stores to the same
        // answers, so the embedded twin completing by id is the reference for both).
        var twin = try Self.completionSetup(.embedded, chunks: 4)
        _ = try s.h.store.applyAssignments(s.chunks.dropFirst().map { PlannedAssignment(chunkID: $0, nodeID: s.n1) }, guarded: true)
        _ = try twin.h.store.applyAssignments(
            twin.chunks.dropFirst().map { PlannedAssignment(chunkID: $0, nodeID: twin.n1) }, guarded: true)
        let caller = try #require(try s.h.store.nodeCaller(publicKey: F.registration(1).publicKey))
        let other = try #require(try s.h.store.nodeCaller(publicKey: F.registration(2).publicKey))
        #expect(caller.id == s.n1)
        let running = try s.h.store.runningChunks()
        for hint in [caller, other, NodeCaller(id: s.n1, handle: 1 << 40), NodeCaller(id: s.n1)] {
            s.h.store.prepareForClaims(of: hint)
        }
        #expect(try s.h.store.runningChunks() == running)
        let r = F.result(iterations: 100)
        let callers = [caller, NodeCaller(id: s.n1, handle: other.handle), NodeCaller(id: s.n1), other]
        let unknownNode = NodeID(Identifier(high: 7, low: 7)), unknownChunk = ChunkID(Identifier(high: 9, low: 9))
        #expect(throws: StoreError.chunkNotFound(unknownChunk)) {
            try s.h.store.completeChunk(
                Completion(nodeID: unknownNode, chunkID: unknownChunk, attempt: 1, result: r),
                by: NodeCaller(id: unknownNode, handle: caller.handle), rules: CompletionRules())
        }
        #expect(throws: StoreError.nodeNotFound) {
            try s.h.store.completeChunk(
                Completion(nodeID: unknownNode, chunkID: s.chunks[0], attempt: 1, result: r),
                by: NodeCaller(id: unknownNode, handle: caller.handle), rules: CompletionRules())
        }
        for (k, by) in callers.enumerated() {
            let outcome = try s.h.store.completeChunk(
                Completion(nodeID: s.n1, chunkID: s.chunks[k], attempt: 1, result: r), by: by, rules: CompletionRules())
            let reference = try twin.h.store.completeChunk(
                Completion(nodeID: twin.n1, chunkID: twin.chunks[k], attempt: 1, result: r), rules: CompletionRules())
            #expect(outcome == .accepted(jobID: s.job, jobCompleted: k == 3))
            #expect(reference == .accepted(jobID: twin.job, jobCompleted: k == 3))
            let row = try #require(try s.h.store.chunk(s.chunks[k]))
            let twinRow = try #require(try twin.h.store.chunk(twin.chunks[k]))
            #expect(row.status == twinRow.status && row.result == twinRow.result && row.attempt == twinRow.attempt)
            #expect(row.nodeID == s.n1 && twinRow.nodeID == twin.n1)
            #expect(try s.h.store.runningChunks().count == twin.h.store.runningChunks().count)
        }
        #expect(try s.h.store.completeChunk(
            Completion(nodeID: s.n1, chunkID: s.chunks[0], attempt: 1, result: r), by: caller, rules: CompletionRules())
            == .duplicate(jobID: s.job))
        let job = try #require(try s.h.store.job(s.job)), twinJob = try #require(try twin.h.store.job(twin.job))
        #expect(job.status == .completed && twinJob.status == .completed)
        #expect(job.result == twinJob.result && job.completedIterations == twinJob.completedIterations)
        #expect(s.h.problems.isEmpty && twin.h.problems.isEmpty)
    }

    /// `chunk(_:reportedBy:)` answers `chunk(_:)`'s row whatever the caller (the holder's
    /// handle, another node's, a stale or absent one), for chunks running on either node,
    /// pending or completed, and nil for an unknown id: the caller's claims are a shortcut to
    /// the same chunk, never another answer.
    @Test(arguments: StoreKind.allCases)
    func chunkReadByReporter(kind: StoreKind) throws {
        var s = try Self.completionSetup(kind, chunks: 6)
        _ = try s.h.store.applyAssignments(s.chunks[1...2].map { PlannedAssignment(chunkID: $0, nodeID: s.n1) }, guarded: true)
        _ = try s.h.store.applyAssignments(s.chunks[3...4].map { PlannedAssignment(chunkID: $0, nodeID: s.n2) }, guarded: true)
        let n1 = try #require(try s.h.store.nodeCaller(publicKey: F.registration(1).publicKey))
        let n2 = try #require(try s.h.store.nodeCaller(publicKey: F.registration(2).publicKey))
        let callers = [
            n1, n2, NodeCaller(id: s.n1), NodeCaller(id: s.n1, handle: n2.handle), NodeCaller(id: s.n2, handle: 1 << 40),
            NodeCaller(id: NodeID(Identifier(high: 7, low: 7)), handle: n1.handle),
        ]
        func check() throws {
            for id in s.chunks + [ChunkID(Identifier(high: 9, low: 9))] {
                let reference = try s.h.store.chunk(id)
                for caller in callers {
                    s.h.store.prepareForClaims(of: caller)
                    #expect(try s.h.store.chunk(id, reportedBy: caller) == reference)
                }
            }
        }
        try check()
        _ = try s.h.store.completeChunk(
            Completion(nodeID: s.n1, chunkID: s.chunks[1], attempt: 1, result: F.result(iterations: 100)), by: n1,
            rules: CompletionRules())
        try check()
        #expect(s.h.problems.isEmpty)
    }

    @Test(arguments: StoreKind.allCases, [true, false])
    func reaperOldestClaimFirstAndNotifies(kind: StoreKind, trigger: Bool) throws {
        var h = try StoreHarness.make(kind, trigger: trigger)
        let job = try h.store.createJob(F.newJob(iterations: 400, chunk: 100), upserting: F.config(1))
        let node = try F.onlineNode(&h.store, 1)
        let ids = try h.store.chunks(ofJob: job.jobID).map(\.id)
        // Claims in the order 1, 2, 0 a second apart, chunk 3 much later.
        for i in [1, 2, 0] {
            _ = try h.store.applyAssignments([PlannedAssignment(chunkID: ids[i], nodeID: node)], guarded: true)
            try h.advance(.seconds(1))
        }
        _ = try h.store.completeChunk(
            Completion(nodeID: node, chunkID: ids[2], attempt: 1, result: F.result(iterations: 100)), rules: CompletionRules())
        try h.advance(.minutes(4))
        _ = try h.store.applyAssignments([PlannedAssignment(chunkID: ids[3], nodeID: node)], guarded: true)
        _ = try h.notifications()
        let seqsBefore = try h.store.chunks(ofJob: job.jobID).map(\.pendingSeq)
        try h.advance(.minutes(2))
        let reaped = try h.store.reapStaleChunks(claimTimeout: .minutes(5))
        #expect(reaped == [ids[1], ids[0]])
        let rows = try reaped.map { try h.store.chunk($0)! }
        #expect(rows.allSatisfy { $0.status == .pending && $0.nodeID == nil && $0.claimedAt == nil })
        // They keep their places by creation: the queue is oldest chunk first, not oldest reap.
        #expect(rows.map(\.pendingSeq) == [seqsBefore[1], seqsBefore[0]])
        #expect(try h.store.assignmentSnapshot(limit: 10, onlineWindow: .hours(1)).chunks.map(\.id) == [ids[0], ids[1]])
        #expect(rows.allSatisfy { $0.attempt == 1 && $0.lastNodeID == node })
        #expect(try h.notifications() == (trigger ? F.pending(reaped) : []))
        #expect(try h.store.chunk(ids[3])?.status == .running && h.store.chunk(ids[2])?.status == .completed)
        #expect(try h.store.reapStaleChunks(claimTimeout: .minutes(5)).isEmpty)
        #expect(h.problems.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func reclaimChunksOfSilentNodes(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let job = try h.store.createJob(F.newJob(iterations: 300, chunk: 100), upserting: F.config(1))
        let silent = try F.onlineNode(&h.store, 1)
        let alive = try F.onlineNode(&h.store, 2)
        let ids = try h.store.chunks(ofJob: job.jobID).map(\.id)
        _ = try h.store.applyAssignments(
            [PlannedAssignment(chunkID: ids[0], nodeID: silent), PlannedAssignment(chunkID: ids[1], nodeID: alive),
             PlannedAssignment(chunkID: ids[2], nodeID: silent)], guarded: true)
        _ = try h.notifications()
        try h.advance(.seconds(70))
        _ = try h.store.heartbeat(alive)
        let reclaimed = try h.store.reclaimChunksOfSilentNodes(silence: .seconds(60))
        #expect(reclaimed == [ids[0], ids[2]].sorted())
        #expect(try h.notifications() == F.pending(reclaimed))
        #expect(try h.store.runningChunks().map(\.id) == [ids[1]])
        #expect(try h.backlog(silent) == 0)
        #expect(h.problems.isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func cleanupDeletesOnlyStaleRows(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let ages = CleanupAges(unclaimedNode: .hours(1), offlineNode: .days(30), unusedConfig: .days(7))
        #expect(try h.store.upsertConfig(F.config(1), checkThenInsert: false))  // unused, will be old
        _ = try h.store.createJob(F.newJob(config: F.config(2), iterations: 1), upserting: F.config(2))  // referenced
        let offline = try F.onlineNode(&h.store, 1)
        let busy = try F.onlineNode(&h.store, 2)
        let job = try h.store.createJob(F.newJob(config: F.config(2), iterations: 1), upserting: F.config(2))
        _ = try h.store.applyAssignments(
            [PlannedAssignment(chunkID: try h.store.chunks(ofJob: job.jobID)[0].id, nodeID: busy)], guarded: true)
        _ = try h.store.grantPermission(node: offline, type: .public, target: nil)
        try h.advance(.days(31))
        #expect(try h.store.markNodesOffline(silence: .minutes(5)) == 2)
        let unclaimedOld = try h.store.registerNode(F.registration(3)).node.id
        try h.advance(.hours(2))
        let unclaimedNew = try h.store.registerNode(F.registration(4)).node.id
        #expect(try h.store.upsertConfig(F.config(3), checkThenInsert: false))  // unused but fresh
        let counts = try h.store.cleanupStaleData(ages)
        #expect(counts.unclaimedNodes == 1 && counts.offlineNodes == 1 && counts.unusedConfigs == 1)
        #expect(try h.store.node(offline) == nil && h.store.node(unclaimedOld) == nil)
        #expect(try h.store.node(busy) != nil && h.store.node(unclaimedNew) != nil)  // a chunk runs on busy
        #expect(try h.store.permissions(of: offline).isEmpty)
        #expect(try h.store.config(F.config(1).hash) == nil)
        #expect(try h.store.config(F.config(2).hash) != nil && h.store.config(F.config(3).hash) != nil)
        #expect(try h.store.cleanupStaleData(ages) == CleanupCounts())
    }

    @Test(arguments: StoreKind.allCases)
    func replayCache(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let a = Signature(bytes: [UInt8](repeating: 1, count: 64))!, b = Signature(bytes: [UInt8](repeating: 2, count: 64))!
        let soon = Timestamp(micros: 4_000_000_000_000_000)  // far in any store's future
        #expect(try h.store.rememberSignature(a, expiresAt: soon))
        #expect(try !h.store.rememberSignature(a, expiresAt: soon))
        // An entry whose expiry has passed on the store's clock is forgotten.
        let past = Timestamp(micros: 1_000_000)
        #expect(try h.store.rememberSignature(b, expiresAt: past))
        #expect(try h.store.rememberSignature(b, expiresAt: past))
        #expect(try !h.store.rememberSignature(a, expiresAt: soon))
    }

    /// `prepareToAuthenticate` (the handlers' hint once a signed request's headers are parsed)
    /// changes no answer: the same node by key, the same caller, the same replay verdicts,
    /// whether the hint names the signature then remembered, another one, or none.
    @Test(arguments: StoreKind.allCases)
    func preparingToAuthenticateChangesNoAnswer(kind: StoreKind) throws {
        var h = try StoreHarness.make(kind)
        let registered = try h.store.registerNode(F.registration(7))
        let a = Signature(bytes: [UInt8](repeating: 3, count: 64))!, b = Signature(bytes: [UInt8](repeating: 4, count: 64))!
        let soon = Timestamp(micros: 4_000_000_000_000_000)
        h.store.prepareToAuthenticate(publicKey: F.key(7), signature: a)
        #expect(try h.store.node(publicKey: F.key(7))?.id == registered.node.id)
        #expect(try h.store.nodeCaller(publicKey: F.key(7))?.id == registered.node.id)
        #expect(try h.store.rememberSignature(a, expiresAt: soon))
        h.store.prepareToAuthenticate(publicKey: F.key(7), signature: a)
        #expect(try !h.store.rememberSignature(a, expiresAt: soon))
        h.store.prepareToAuthenticate(publicKey: F.key(8), signature: a)  // an unknown key, then another signature
        #expect(try h.store.nodeCaller(publicKey: F.key(8)) == nil)
        #expect(try h.store.rememberSignature(b, expiresAt: soon))
        h.store.prepareToAuthenticate(publicKey: F.key(7), signature: nil)
        #expect(try !h.store.rememberSignature(b, expiresAt: soon))
    }
}
