import PropertyBased
import Testing

@testable import System

/// The embedded store's own tests: the same cases the two-store contract suite covers, written
/// at exact instants of the store's clock (`EmbeddedStore+TestClock`), plus what only an
/// in-memory store can show (copies, identifiers from the seed, its consistency report).
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case embedded

    func make(seed: UInt64 = 7, trigger: Bool = true) -> EmbeddedStore {
        switch self {
        case .embedded: return EmbeddedStore(seed: seed, triggerInstalled: trigger)
        }
    }

    var testDescription: String { rawValue }
}

/// Rows and values shared by the store and handler tests.
enum StoreFixtures {
    static let t0 = Timestamp(unixSeconds: 1_700_000_000)
    static let sha = SodiumSHA256()

    static func user(_ n: UInt64) -> UserID { UserID(Identifier(high: n, low: n)) }

    static func key(_ n: UInt8) -> PublicKey { PublicKey(bytes: [UInt8](repeating: n, count: 32))! }

    static func config(_ n: Int) -> NewConfig {
        let text = "{\"n\":\(n)}"
        return NewConfig(hash: ConfigHash(digest: sha.sha256(Array(text.utf8))), canonicalJSON: text, rotationID: nil)
    }

    static func newJob(
        user: UserID = user(1), config: NewConfig = config(1), iterations: Int, chunk: Int = 1_000,
        access: AccessType = .public
    ) -> NewJob {
        NewJob(
            userID: user, configHash: config.hash, totalIterations: iterations, chunkIterations: chunk,
            accessType: access, discordServerID: nil)
    }

    /// A tally of `iterations` fights of 300 s whose damages are `base`, `base+1`, ….
    static func result(iterations: Int, base: UInt64 = 1_000_000, fight: Int = 300) -> ChunkResult {
        ChunkResult(tally: DamageTally(
            fightLengthSeconds: fight, iterationDamages: (0..<UInt64(iterations)).map { base + $0 }))
    }

    static func registration(_ n: UInt8, code: String? = nil, cores: Int = 4, parallel: Int = 4) -> NodeRegistration {
        NodeRegistration(
            publicKey: key(n), claimCode: code ?? "C\(String(n, radix: 10).leftPadded(5))", name: "node\(n)",
            totalCores: cores, maxParallel: parallel, platform: "linux", version: "1.0")
    }

    /// Registers, claims (by `owner`) and heartbeats a node; returns its id.
    static func onlineNode(
        _ store: inout EmbeddedStore, _ n: UInt8, owner: UserID = user(1), capacity: Int = 4, at now: Timestamp = t0
    ) throws -> NodeID {
        let registered = try store.registerNode(registration(n, cores: capacity, parallel: capacity), now: now)
        _ = try store.claimNode(claimCode: registered.node.claimCode, by: owner, now: now)
        _ = try store.heartbeat(registered.node.id, now: now)
        return registered.node.id
    }

    /// The embedded store's own consistency report (other stores: nothing to check here).
    static func problems(_ store: EmbeddedStore) -> [String] {
        store.checkConsistency()
    }

    /// Everything observable through the protocol's reads, for "nothing changed" checks.
    static func fingerprint(_ store: EmbeddedStore, users: [UserID], nodes: [PublicKey]) -> String {
        var copy = store
        var lines: [String] = []
        for user in users {
            for job in store.jobs(ofUser: user) {
                lines.append("\(job)")
                lines += store.chunks(ofJob: job.id).map { "\($0)" }
            }
        }
        lines += nodes.map { "\(String(describing: store.node(publicKey: $0)))" }
        lines.append("pending \(store.pendingChunkCount()) running \(store.runningChunks().map(\.id))")
        lines.append("notifications \(copy.takeNotifications())")
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

@Suite("Embedded store")
struct EmbeddedStoreTests {
    typealias F = StoreFixtures

    // MARK: Jobs and chunks

    @Test(arguments: StoreKind.allCases)
    func createJobChunksAndNotifies(kind: StoreKind) throws {
        var store = kind.make()
        let created = try store.createJob(F.newJob(iterations: 2_500), upserting: F.config(1), now: F.t0)
        #expect(created.chunks == 3)
        #expect(created.configInserted)
        let job = try #require(store.job(created.jobID))
        #expect(job.status == .pending && job.totalIterations == 2_500 && job.completedIterations == 0)
        #expect(job.chunkCount == 3 && job.result == nil && job.createdAt == F.t0)
        let chunks = store.chunks(ofJob: created.jobID)
        #expect(chunks.map(\.iterations) == [1_000, 1_000, 500])
        #expect(chunks.map(\.seedOffset) == [0, 1_000, 2_000])
        #expect(chunks.map(\.index) == [0, 1, 2])
        #expect(chunks.allSatisfy { $0.status == .pending && $0.nodeID == nil && $0.attempt == 0 })
        #expect(chunks.map(\.pendingSeq) == chunks.map(\.pendingSeq).sorted() && Set(chunks.map(\.pendingSeq)).count == 3)
        let notes = store.takeNotifications()
        #expect(notes == chunks.map { StoreNotification(channel: "pending_chunk", payload: $0.id.uuidString) })
        #expect(store.takeNotifications().isEmpty)
        #expect(store.pendingChunkCount() == 3)
        #expect(F.problems(store).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func noNotificationsWithoutTrigger(kind: StoreKind) throws {
        var store = kind.make(trigger: false)
        #expect(!store.triggerInstalled)
        let created = try store.createJob(F.newJob(iterations: 2_000), upserting: F.config(1), now: F.t0)
        let node = try F.onlineNode(&store, 1)
        let chunk = store.chunks(ofJob: created.jobID)[0]
        _ = try store.applyAssignments([PlannedAssignment(chunkID: chunk.id, nodeID: node)], guarded: true, now: F.t0)
        _ = try store.reapStaleChunks(claimedBefore: F.t0 + .seconds(1), now: F.t0 + .seconds(1))
        #expect(store.chunk(chunk.id)?.status == .pending)
        #expect(store.takeNotifications().isEmpty)
    }

    @Test func chunkingTilesTheIterations() async {
        await propertyCheck(count: 200, input: Gen.int(in: 1...20_000), Gen.int(in: 1...3_000)) { total, size in
            var store = StoreKind.embedded.make()
            let created = try! store.createJob(
                F.newJob(iterations: total, chunk: size), upserting: F.config(1), now: F.t0)
            let chunks = store.chunks(ofJob: created.jobID)
            #expect(chunks.count == (total + size - 1) / size)
            var next: Int64 = 0
            for chunk in chunks {
                #expect(chunk.seedOffset == next)
                #expect(chunk.iterations >= 1 && chunk.iterations <= size)
                next += Int64(chunk.iterations)
            }
            #expect(next == Int64(total))
            #expect(chunks.dropLast().allSatisfy { $0.iterations == size })
        }
    }

    @Test(arguments: StoreKind.allCases)
    func createJobWithoutConfigFailsAndChangesNothing(kind: StoreKind) throws {
        var store = kind.make()
        let before = F.fingerprint(store, users: [F.user(1)], nodes: [])
        #expect(throws: StoreError.configNotFound(F.config(9).hash)) {
            try store.createJob(F.newJob(config: F.config(9), iterations: 10), upserting: nil, now: F.t0)
        }
        #expect(F.fingerprint(store, users: [F.user(1)], nodes: []) == before)
        #expect(store.jobs(ofUser: F.user(1)).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func configUpsertInsertsThenTouches(kind: StoreKind) throws {
        var store = kind.make()
        #expect(try store.upsertConfig(F.config(1), checkThenInsert: false, now: F.t0))
        #expect(try !store.upsertConfig(F.config(1), checkThenInsert: false, now: F.t0 + .hours(1)))
        let row = try #require(store.config(F.config(1).hash))
        #expect(row.createdAt == F.t0 && row.lastUsedAt == F.t0 + .hours(1))
        // Today's racy upsert ignores the duplicate: last_used_at is not refreshed.
        #expect(try !store.upsertConfig(F.config(1), checkThenInsert: true, now: F.t0 + .hours(2)))
        #expect(store.config(F.config(1).hash)?.lastUsedAt == F.t0 + .hours(1))
        #expect(row.canonicalJSON == F.config(1).canonicalJSON)
        #expect(try store.upsertConfig(F.config(2), checkThenInsert: true, now: F.t0))
        // The two-call path: the job needs the config to exist, and does not re-insert it.
        let created = try store.createJob(F.newJob(config: F.config(2), iterations: 5), upserting: nil, now: F.t0)
        #expect(!created.configInserted)
        // The merged path touches an existing config.
        let again = try store.createJob(
            F.newJob(config: F.config(1), iterations: 5), upserting: F.config(1), now: F.t0 + .hours(2))
        #expect(!again.configInserted)
        #expect(store.config(F.config(1).hash)?.lastUsedAt == F.t0 + .hours(2))
    }

    @Test(arguments: StoreKind.allCases)
    func jobsOfUserNewestFirst(kind: StoreKind) throws {
        var store = kind.make()
        let a = try store.createJob(F.newJob(iterations: 1), upserting: F.config(1), now: F.t0)
        let b = try store.createJob(F.newJob(iterations: 1), upserting: F.config(1), now: F.t0 + .seconds(5))
        let c = try store.createJob(F.newJob(iterations: 1), upserting: F.config(1), now: F.t0 + .seconds(5))
        _ = try store.createJob(F.newJob(user: F.user(2), iterations: 1), upserting: F.config(1), now: F.t0)
        #expect(store.jobs(ofUser: F.user(1)).map(\.id) == [c.jobID, b.jobID, a.jobID])
        #expect(store.jobs(ofUser: F.user(3)).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func sameSeedSameNames(kind: StoreKind) throws {
        func run(_ seed: UInt64) throws -> [String] {
            var store = kind.make(seed: seed)
            let job = try store.createJob(F.newJob(iterations: 3_000), upserting: F.config(1), now: F.t0)
            let node = try store.registerNode(F.registration(1), now: F.t0)
            return [job.jobID.uuidString, node.node.id.uuidString] + store.chunks(ofJob: job.jobID).map(\.id.uuidString)
        }
        #expect(try run(42) == run(42))
        #expect(try run(42) != run(43))
    }

    @Test(arguments: StoreKind.allCases)
    func rotationsAndUsers(kind: StoreKind) throws {
        var store = kind.make()
        try store.upsertRotation(RotationRow(id: "r", canonicalJSON: "{\"v\":1}", createdAt: F.t0))
        try store.upsertRotation(RotationRow(id: "r", canonicalJSON: "{\"v\":2}", createdAt: F.t0 + .hours(1)))
        #expect(store.rotation("r") == RotationRow(id: "r", canonicalJSON: "{\"v\":2}", createdAt: F.t0))
        #expect(store.rotation("x") == nil)
        try store.upsertUser(UserRow(id: F.user(1), discordID: "123"))
        try store.upsertUser(UserRow(id: F.user(1), discordID: "456"))
        #expect(store.user(F.user(1))?.discordID == "456")
    }

    // MARK: Nodes

    @Test(arguments: StoreKind.allCases)
    func registerIsIdempotentPerKey(kind: StoreKind) throws {
        var store = kind.make()
        let first = try store.registerNode(F.registration(1), now: F.t0)
        #expect(first.created && first.node.status == .pending && first.node.userID == nil && first.node.lastSeenAt == nil)
        var changed = F.registration(1)
        changed.name = "renamed"
        let second = try store.registerNode(changed, now: F.t0 + .hours(1))
        #expect(!second.created && second.node == first.node)
        #expect(store.node(publicKey: F.key(1)) == first.node)
        #expect(store.node(first.node.id) == first.node)
    }

    @Test(arguments: StoreKind.allCases)
    func heartbeatRules(kind: StoreKind) throws {
        var store = kind.make()
        let node = try store.registerNode(F.registration(1), now: F.t0).node
        #expect(throws: StoreError.nodeNotClaimed(node.id)) { try store.heartbeat(node.id, now: F.t0) }
        #expect(throws: StoreError.nodeNotFound) { try store.heartbeat(NodeID(Identifier(high: 1, low: 2)), now: F.t0) }
        _ = try store.claimNode(claimCode: node.claimCode, by: F.user(1), now: F.t0)
        let beat = try store.heartbeat(node.id, now: F.t0 + .seconds(10))
        #expect(beat.status == .online && beat.lastSeenAt == F.t0 + .seconds(10))
        #expect(try store.markNodesOffline(lastSeenBefore: F.t0 + .seconds(11), now: F.t0 + .minutes(6)) == 1)
        #expect(store.node(node.id)?.status == .offline)
        #expect(try store.heartbeat(node.id, now: F.t0 + .minutes(7)).status == .online)
    }

    @Test(arguments: StoreKind.allCases)
    func offlineMarkingOnlyOldOnlineNodes(kind: StoreKind) throws {
        var store = kind.make()
        let old = try F.onlineNode(&store, 1, at: F.t0)
        let fresh = try F.onlineNode(&store, 2, at: F.t0 + .minutes(5))
        let unclaimed = try store.registerNode(F.registration(3), now: F.t0).node.id
        #expect(try store.markNodesOffline(lastSeenBefore: F.t0 + .minutes(1), now: F.t0 + .minutes(6)) == 1)
        #expect(store.node(old)?.status == .offline)
        #expect(store.node(fresh)?.status == .online)
        #expect(store.node(unclaimed)?.status == .pending)
        #expect(try store.markNodesOffline(lastSeenBefore: F.t0 + .minutes(1), now: F.t0 + .minutes(7)) == 0)
    }

    @Test(arguments: StoreKind.allCases)
    func permissionsAppearInSnapshot(kind: StoreKind) throws {
        var store = kind.make()
        let node = try F.onlineNode(&store, 1)
        let p1 = try store.grantPermission(node: node, type: .user, target: F.user(9).uuidString, now: F.t0)
        let p2 = try store.grantPermission(node: node, type: .user, target: F.user(3).uuidString, now: F.t0)
        let p3 = try store.grantPermission(node: node, type: .guild, target: "777", now: F.t0)
        _ = try store.grantPermission(node: node, type: .user, target: F.user(3).uuidString, now: F.t0)
        #expect(store.permissions(of: node).prefix(3).map(\.id) == [p1.id, p2.id, p3.id])
        #expect(store.permissions(of: node).count == 4)
        try store.upsertUser(UserRow(id: F.user(1), discordID: "42"))
        let snap = store.assignmentSnapshot(limit: 10, onlineSince: F.t0 - .seconds(1))
        #expect(snap.nodes.first?.permittedUsers == [F.user(3), F.user(9)])
        #expect(snap.nodes.first?.ownerDiscordID == "42")
        #expect(throws: StoreError.nodeNotFound) {
            try store.grantPermission(node: NodeID(Identifier(high: 5, low: 5)), type: .public, target: nil, now: F.t0)
        }
    }

    // MARK: Snapshot and assignment

    @Test(arguments: StoreKind.allCases)
    func snapshotReadsQueueInPendingOrder(kind: StoreKind) throws {
        var store = kind.make()
        let a = try store.createJob(F.newJob(iterations: 3_000), upserting: F.config(1), now: F.t0)
        let b = try store.createJob(F.newJob(user: F.user(2), iterations: 2_000), upserting: F.config(1), now: F.t0)
        let n1 = try F.onlineNode(&store, 1, at: F.t0)
        let n2 = try F.onlineNode(&store, 2, at: F.t0 - .minutes(5))
        let all = store.chunks(ofJob: a.jobID) + store.chunks(ofJob: b.jobID)
        let snap = store.assignmentSnapshot(limit: 4, onlineSince: F.t0 - .seconds(45))
        #expect(snap.chunks.map(\.id) == Array(all.prefix(4)).map(\.id))
        #expect(snap.morePending)
        #expect(snap.nodes.map(\.id) == [n1])
        #expect(snap.jobs.map(\.id) == [a.jobID, b.jobID].sorted())
        let wide = store.assignmentSnapshot(limit: 10, onlineSince: F.t0 - .minutes(10))
        #expect(!wide.morePending && wide.chunks.count == 5)
        #expect(wide.nodes.map(\.id) == [n1, n2].sorted())

        // A chunk taken and reaped goes to the back of the queue.
        _ = try store.applyAssignments([PlannedAssignment(chunkID: all[0].id, nodeID: n1)], guarded: true, now: F.t0)
        _ = try store.reapStaleChunks(claimedBefore: F.t0 + .seconds(1), now: F.t0 + .minutes(6))
        let after = store.assignmentSnapshot(limit: 10, onlineSince: F.t0 - .seconds(45))
        #expect(after.chunks.map(\.id) == all.dropFirst().map(\.id) + [all[0].id])
        #expect(F.problems(store).isEmpty)
    }

    @Test(arguments: StoreKind.allCases, [false, true])
    func interleavedSnapshots(kind: StoreKind, guarded: Bool) throws {
        var store = kind.make()
        let job = try store.createJob(F.newJob(iterations: 1_000), upserting: F.config(1), now: F.t0)
        let n1 = try F.onlineNode(&store, 1)
        let n2 = try F.onlineNode(&store, 2)
        let chunk = store.chunks(ofJob: job.jobID)[0].id
        // Two sentinels read the same snapshot, then both apply.
        let s1 = store.assignmentSnapshot(limit: 100, onlineSince: F.t0 - .seconds(1))
        let s2 = store.assignmentSnapshot(limit: 100, onlineSince: F.t0 - .seconds(1))
        #expect(s1 == s2 && s1.chunks.map(\.id) == [chunk])
        let first = try store.applyAssignments([PlannedAssignment(chunkID: chunk, nodeID: n1)], guarded: guarded, now: F.t0)
        let second = try store.applyAssignments(
            [PlannedAssignment(chunkID: chunk, nodeID: n2)], guarded: guarded, now: F.t0 + .seconds(1))
        #expect(first.map(\.nodeID) == [n1] && first.first?.attempt == 1)
        let row = try #require(store.chunk(chunk))
        if guarded {
            #expect(second.isEmpty)
            #expect(row.nodeID == n1 && row.attempt == 1)
        } else {
            // Today's batch update gives the chunk to both nodes: n1 is computing it too.
            #expect(second.map(\.nodeID) == [n2] && second.first?.attempt == 2)
            #expect(row.nodeID == n2 && row.attempt == 2 && row.lastNodeID == n2)
        }
        let running = store.runningChunks()
        #expect(running.map(\.id) == [chunk])
        #expect(store.runningCount(of: n1) == (guarded ? 1 : 0))
        #expect(store.runningCount(of: n2) == (guarded ? 0 : 1))
        #expect(F.problems(store).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func guardedAssignmentRespectsCapacity(kind: StoreKind) throws {
        var store = kind.make()
        let job = try store.createJob(F.newJob(iterations: 5_000), upserting: F.config(1), now: F.t0)
        let node = try F.onlineNode(&store, 1, capacity: 2)
        let plan = store.chunks(ofJob: job.jobID).map { PlannedAssignment(chunkID: $0.id, nodeID: node) }
        let made = try store.applyAssignments(plan, guarded: true, now: F.t0)
        #expect(made.map(\.chunkID) == plan.prefix(2).map(\.chunkID))
        #expect(made.allSatisfy { $0.claimedAt == F.t0 && $0.attempt == 1 && $0.nodeID == node })
        #expect(store.assignmentSnapshot(limit: 10, onlineSince: F.t0 - .seconds(1)).nodes.first?.running == 2)
        #expect(store.pendingChunkCount() == 3)
        // Unguarded ignores capacity.
        let rest = try store.applyAssignments(Array(plan.dropFirst(2)), guarded: false, now: F.t0)
        #expect(rest.count == 3 && store.runningChunks().count == 5 && store.pendingChunkCount() == 0)
        #expect(store.takeNotifications().count == 5)  // the inserts only
        #expect(F.problems(store).isEmpty)
    }

    /// A guarded apply re-checks the node is online on the store's clock: a node can fall
    /// silent between the sentinel's snapshot and its apply (found by the swarm, seed 161).
    @Test(arguments: StoreKind.allCases)
    func guardedAssignmentSkipsANodeThatWentSilentSinceTheSnapshot(kind: StoreKind) throws {
        var store = kind.make()
        let job = try store.createJob(F.newJob(iterations: 2_000), upserting: F.config(1), now: F.t0)
        let node = try F.onlineNode(&store, 1)  // last seen at t0
        let chunks = store.chunks(ofJob: job.jobID)
        let later = F.t0 + .seconds(46)
        let skipped = try store.applyAssignments(
            [PlannedAssignment(chunkID: chunks[0].id, nodeID: node)], guarded: true,
            onlineSince: later - .seconds(45), now: later)
        #expect(skipped.isEmpty)
        #expect(store.chunk(chunks[0].id)?.status == .pending)
        let made = try store.applyAssignments(
            [PlannedAssignment(chunkID: chunks[0].id, nodeID: node)], guarded: true,
            onlineSince: F.t0 + .seconds(44) - .seconds(45), now: F.t0 + .seconds(44))
        #expect(made.count == 1)
        // Today's unguarded batch update checks nothing.
        let blind = try store.applyAssignments(
            [PlannedAssignment(chunkID: chunks[1].id, nodeID: node)], guarded: false,
            onlineSince: later - .seconds(45), now: later)
        #expect(blind.count == 1)
        #expect(F.problems(store).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func assignmentPayloadAndUnknownRows(kind: StoreKind) throws {
        var store = kind.make()
        let job = try store.createJob(F.newJob(iterations: 1_500), upserting: F.config(1), now: F.t0)
        let node = try F.onlineNode(&store, 1)
        let chunk = store.chunks(ofJob: job.jobID)[1]
        let made = try store.applyAssignments([PlannedAssignment(chunkID: chunk.id, nodeID: node)], guarded: true, now: F.t0)
        #expect(made == [ChunkAssignment(
            chunkID: chunk.id, jobID: job.jobID, nodeID: node, attempt: 1, configHash: F.config(1).hash,
            iterations: 500, seedOffset: 1_000, claimedAt: F.t0)])
        let before = F.fingerprint(store, users: [F.user(1)], nodes: [F.key(1)])
        let ghost = ChunkID(Identifier(high: 9, low: 9))
        for guarded in [true, false] {
            #expect(throws: StoreError.chunkNotFound(ghost)) {
                try store.applyAssignments(
                    [PlannedAssignment(chunkID: store.chunks(ofJob: job.jobID)[0].id, nodeID: node),
                     PlannedAssignment(chunkID: ghost, nodeID: node)], guarded: guarded, now: F.t0)
            }
            #expect(throws: StoreError.nodeNotFound) {
                try store.applyAssignments(
                    [PlannedAssignment(chunkID: chunk.id, nodeID: NodeID(Identifier(high: 1, low: 1)))],
                    guarded: guarded, now: F.t0)
            }
        }
        #expect(F.fingerprint(store, users: [F.user(1)], nodes: [F.key(1)]) == before)
    }

    @Test(arguments: StoreKind.allCases)
    func unguardedNeverResurrectsCompletedChunk(kind: StoreKind) throws {
        var store = kind.make()
        let job = try store.createJob(F.newJob(iterations: 2_000), upserting: F.config(1), now: F.t0)
        let node = try F.onlineNode(&store, 1)
        let chunks = store.chunks(ofJob: job.jobID)
        let a = try store.applyAssignments([PlannedAssignment(chunkID: chunks[0].id, nodeID: node)], guarded: true, now: F.t0)
        _ = try store.completeChunk(
            Completion(nodeID: node, chunkID: chunks[0].id, attempt: a[0].attempt, result: F.result(iterations: 1_000)),
            rules: CompletionRules(), now: F.t0)
        let before = F.fingerprint(store, users: [F.user(1)], nodes: [F.key(1)])
        #expect(throws: StoreError.self) {
            try store.applyAssignments(
                [PlannedAssignment(chunkID: chunks[1].id, nodeID: node), PlannedAssignment(chunkID: chunks[0].id, nodeID: node)],
                guarded: false, now: F.t0)
        }
        #expect(F.fingerprint(store, users: [F.user(1)], nodes: [F.key(1)]) == before)
        // Guarded simply skips it.
        #expect(try store.applyAssignments([PlannedAssignment(chunkID: chunks[0].id, nodeID: node)], guarded: true, now: F.t0).isEmpty)
    }

    // MARK: Completion

    /// A store with one job of `chunks` chunks of 100 iterations, two online nodes, and chunk 0
    /// assigned to the first.
    static func completionSetup(
        _ kind: StoreKind, chunks: Int = 2, trigger: Bool = true
    ) throws -> (store: EmbeddedStore, job: JobID, chunks: [ChunkID], n1: NodeID, n2: NodeID) {
        var store = kind.make(trigger: trigger)
        let job = try store.createJob(F.newJob(iterations: chunks * 100, chunk: 100), upserting: F.config(1), now: F.t0)
        let n1 = try F.onlineNode(&store, 1)
        let n2 = try F.onlineNode(&store, 2)
        let ids = store.chunks(ofJob: job.jobID).map(\.id)
        _ = try store.applyAssignments([PlannedAssignment(chunkID: ids[0], nodeID: n1)], guarded: true, now: F.t0)
        _ = store.takeNotifications()
        return (store, job.jobID, ids, n1, n2)
    }

    @Test(arguments: StoreKind.allCases)
    func completionOutcomes(kind: StoreKind) throws {
        let setup = try Self.completionSetup(kind)
        var store = setup.store
        let (job, chunks, n1, n2) = (setup.job, setup.chunks, setup.n1, setup.n2)
        let r = F.result(iterations: 100)
        let rules = CompletionRules()
        func complete(_ node: NodeID, _ chunk: ChunkID, _ attempt: Int?, _ result: ChunkResult = r) throws -> CompletionOutcome {
            try store.completeChunk(Completion(nodeID: node, chunkID: chunk, attempt: attempt, result: result), rules: rules, now: F.t0 + .seconds(30))
        }
        #expect(try complete(n2, chunks[0], 1) == .staleClaim(jobID: job))  // not its claim
        #expect(try complete(n1, chunks[0], 2) == .staleClaim(jobID: job))  // wrong attempt
        #expect(try complete(n1, chunks[0], nil) == .staleClaim(jobID: job))  // no claim presented
        #expect(try complete(n1, chunks[1], 0) == .staleClaim(jobID: job))  // never assigned
        #expect(store.job(job)?.status == .pending)
        #expect(try complete(n1, chunks[0], 1) == .accepted(jobID: job, jobCompleted: false))
        #expect(try complete(n1, chunks[0], 1) == .duplicate(jobID: job))
        #expect(try complete(n2, chunks[0], 1) == .alreadyCompleted(jobID: job))
        #expect(try complete(n1, chunks[0], 7) == .alreadyCompleted(jobID: job))
        let row = try #require(store.chunk(chunks[0]))
        #expect(row.status == .completed && row.result == r && row.completedAt == F.t0 + .seconds(30))
        let jobRow = try #require(store.job(job))
        #expect(jobRow.status == .running && jobRow.completedIterations == 100)
        #expect(store.runningChunks().isEmpty)
        #expect(throws: StoreError.chunkNotFound(ChunkID(Identifier(high: 3, low: 3)))) {
            try complete(n1, ChunkID(Identifier(high: 3, low: 3)), 1)
        }
        #expect(throws: StoreError.nodeNotFound) { try complete(NodeID(Identifier(high: 3, low: 3)), chunks[1], 1) }
        #expect(F.problems(store).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func lateResultAfterReapIsAcceptedOnceUnlessReassigned(kind: StoreKind) throws {
        let setup = try Self.completionSetup(kind, chunks: 3)
        var store = setup.store
        let (job, chunks, n1, n2) = (setup.job, setup.chunks, setup.n1, setup.n2)
        _ = try store.applyAssignments([PlannedAssignment(chunkID: chunks[1], nodeID: n1)], guarded: true, now: F.t0)
        let reaped = try store.reapStaleChunks(claimedBefore: F.t0 + .minutes(1), now: F.t0 + .minutes(6))
        #expect(reaped == [chunks[0], chunks[1]].sorted())  // same claimed_at: by chunk id
        #expect(store.chunk(chunks[0])?.status == .pending && store.chunk(chunks[0])?.lastNodeID == n1)
        // Chunk 1 is reassigned to n2 before n1's late result arrives: n1's claim is stale.
        _ = try store.applyAssignments([PlannedAssignment(chunkID: chunks[1], nodeID: n2)], guarded: true, now: F.t0 + .minutes(7))
        let rules = CompletionRules()
        let r = F.result(iterations: 100)
        let late0 = try store.completeChunk(Completion(nodeID: n1, chunkID: chunks[0], attempt: 1, result: r), rules: rules, now: F.t0 + .minutes(8))
        let late1 = try store.completeChunk(Completion(nodeID: n1, chunkID: chunks[1], attempt: 1, result: r), rules: rules, now: F.t0 + .minutes(8))
        #expect(late0 == .accepted(jobID: job, jobCompleted: false))
        #expect(late1 == .staleClaim(jobID: job))
        #expect(store.chunk(chunks[0])?.status == .completed)
        #expect(store.pendingChunkCount() == 1)
        #expect(!store.assignmentSnapshot(limit: 10, onlineSince: F.t0).chunks.map(\.id).contains(chunks[0]))
        // n2 finishes chunk 1; the duplicate of chunk 0 counts nothing.
        _ = try store.completeChunk(Completion(nodeID: n2, chunkID: chunks[1], attempt: 2, result: r), rules: rules, now: F.t0 + .minutes(9))
        #expect(try store.completeChunk(Completion(nodeID: n1, chunkID: chunks[0], attempt: 1, result: r), rules: rules, now: F.t0 + .minutes(9)) == .duplicate(jobID: job))
        #expect(store.job(job)?.completedIterations == 200)
        #expect(F.problems(store).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func jobLifecycleProgressAndAggregate(kind: StoreKind) throws {
        let setup = try Self.completionSetup(kind, chunks: 3)
        var store = setup.store
        let (job, chunks, n1) = (setup.job, setup.chunks, setup.n1)
        _ = try store.applyAssignments(chunks.dropFirst().map { PlannedAssignment(chunkID: $0, nodeID: n1) }, guarded: true, now: F.t0)
        let results = (0..<3).map { F.result(iterations: 100, base: 1_000_000 + UInt64($0) * 5_000) }
        // Complete out of order: the aggregate is still over chunk index order.
        for (step, i) in [2, 0, 1].enumerated() {
            let outcome = try store.completeChunk(
                Completion(nodeID: n1, chunkID: chunks[i], attempt: 1, result: results[i]), rules: CompletionRules(),
                now: F.t0 + .minutes(Int64(step + 1)))
            #expect(outcome == .accepted(jobID: job, jobCompleted: step == 2))
            let row = try #require(store.job(job))
            #expect(row.completedIterations == 100 * (step + 1))
            #expect(row.status == (step == 2 ? .completed : .running))
        }
        let row = try #require(store.job(job))
        #expect(row.completedAt == F.t0 + .minutes(3))
        #expect(row.result == SimulationResult.aggregate(results))
        #expect(row.result?.iterations == 300)
        #expect(F.problems(store).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func oneChunkJobGoesStraightToCompleted(kind: StoreKind) throws {
        let setup = try Self.completionSetup(kind, chunks: 1)
        var store = setup.store
        let (job, chunks, n1) = (setup.job, setup.chunks, setup.n1)
        let outcome = try store.completeChunk(
            Completion(nodeID: n1, chunkID: chunks[0], attempt: 1, result: F.result(iterations: 100)), rules: CompletionRules(), now: F.t0)
        #expect(outcome == .accepted(jobID: job, jobCompleted: true))
        #expect(store.job(job)?.status == .completed)
        #expect(store.job(job)?.result == SimulationResult(F.result(iterations: 100)))
    }

    @Test(arguments: StoreKind.allCases)
    func defectSwitchesInCompletion(kind: StoreKind) throws {
        let setup = try Self.completionSetup(kind, chunks: 1)
        var store = setup.store
        let (job, chunks, n1) = (setup.job, setup.chunks, setup.n1)
        // Today: no aggregate, no progress; the job still completes.
        let today = CompletionRules(aggregateResult: false, countProgress: false, requireClaim: false)
        #expect(try store.completeChunk(
            Completion(nodeID: n1, chunkID: chunks[0], attempt: nil, result: F.result(iterations: 100)), rules: today, now: F.t0)
            == .accepted(jobID: job, jobCompleted: true))
        let row = try #require(store.job(job))
        #expect(row.status == .completed && row.result == nil && row.completedIterations == 0)
        #expect(F.problems(store).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func withoutClaimsAnyNodeCompletesAndRecompletesRewrite(kind: StoreKind) throws {
        let setup = try Self.completionSetup(kind, chunks: 2)
        var store = setup.store
        let (job, chunks, n1, n2) = (setup.job, setup.chunks, setup.n1, setup.n2)
        let rules = CompletionRules(aggregateResult: true, countProgress: true, requireClaim: false)
        let r1 = F.result(iterations: 100, base: 1_000), r2 = F.result(iterations: 100, base: 2_000)
        // n2 completes n1's running chunk and a pending chunk it was never given.
        #expect(try store.completeChunk(Completion(nodeID: n2, chunkID: chunks[0], attempt: nil, result: r1), rules: rules, now: F.t0)
            == .accepted(jobID: job, jobCompleted: false))
        #expect(store.runningChunks().isEmpty)
        #expect(try store.completeChunk(Completion(nodeID: n2, chunkID: chunks[1], attempt: nil, result: r1), rules: rules, now: F.t0)
            == .accepted(jobID: job, jobCompleted: true))
        // A second completion rewrites the result and completed_at and re-runs the job step.
        #expect(try store.completeChunk(Completion(nodeID: n1, chunkID: chunks[0], attempt: 1, result: r2), rules: rules, now: F.t0 + .hours(1))
            == .accepted(jobID: job, jobCompleted: true))
        #expect(store.chunk(chunks[0])?.result == r2 && store.chunk(chunks[0])?.completedAt == F.t0 + .hours(1))
        let row = try #require(store.job(job))
        #expect(row.completedIterations == 200)  // never twice
        #expect(row.completedAt == F.t0 + .hours(1))
        #expect(row.result == SimulationResult.aggregate([r2, r1]))
        #expect(F.problems(store).isEmpty)
    }

    // MARK: Reaper and reclaim

    @Test(arguments: StoreKind.allCases, [true, false])
    func reaperOldestClaimFirstAndNotifies(kind: StoreKind, trigger: Bool) throws {
        var store = kind.make(trigger: trigger)
        let job = try store.createJob(F.newJob(iterations: 400, chunk: 100), upserting: F.config(1), now: F.t0)
        let node = try F.onlineNode(&store, 1)
        let ids = store.chunks(ofJob: job.jobID).map(\.id)
        // Claims at t0+3, t0+1, t0+2 for chunks 0, 1, 2; chunk 3 at t0+10 is fresh.
        for (i, offset) in [(0, 3), (1, 1), (2, 2), (3, 10)] {
            _ = try store.applyAssignments([PlannedAssignment(chunkID: ids[i], nodeID: node)], guarded: true, now: F.t0 + .seconds(Int64(offset)))
        }
        _ = try store.completeChunk(
            Completion(nodeID: node, chunkID: ids[2], attempt: 1, result: F.result(iterations: 100)), rules: CompletionRules(), now: F.t0)
        _ = store.takeNotifications()
        let seqBefore = store.chunks(ofJob: job.jobID).map(\.pendingSeq).max()!
        let reaped = try store.reapStaleChunks(claimedBefore: F.t0 + .seconds(5), now: F.t0 + .minutes(6))
        #expect(reaped == [ids[1], ids[0]])
        let rows = reaped.map { store.chunk($0)! }
        #expect(rows.allSatisfy { $0.status == .pending && $0.nodeID == nil && $0.claimedAt == nil && $0.pendingSeq > seqBefore })
        #expect(rows[0].pendingSeq < rows[1].pendingSeq)
        #expect(rows.allSatisfy { $0.attempt == 1 && $0.lastNodeID == node })
        let notes = store.takeNotifications()
        #expect(notes == (trigger ? reaped.map { StoreNotification(channel: "pending_chunk", payload: $0.uuidString) } : []))
        #expect(store.chunk(ids[3])?.status == .running && store.chunk(ids[2])?.status == .completed)
        #expect(try store.reapStaleChunks(claimedBefore: F.t0 + .seconds(5), now: F.t0 + .minutes(7)).isEmpty)
        #expect(F.problems(store).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func reclaimChunksOfSilentNodes(kind: StoreKind) throws {
        var store = kind.make()
        let job = try store.createJob(F.newJob(iterations: 400, chunk: 100), upserting: F.config(1), now: F.t0)
        let silent = try F.onlineNode(&store, 1, at: F.t0)
        let alive = try F.onlineNode(&store, 2, at: F.t0 + .seconds(50))
        let ids = store.chunks(ofJob: job.jobID).map(\.id)
        _ = try store.applyAssignments(
            [PlannedAssignment(chunkID: ids[0], nodeID: silent), PlannedAssignment(chunkID: ids[1], nodeID: alive),
             PlannedAssignment(chunkID: ids[2], nodeID: silent)], guarded: true, now: F.t0 + .seconds(50))
        _ = store.takeNotifications()
        let reclaimed = try store.reclaimChunksOfSilentNodes(silentSince: F.t0 + .seconds(10), now: F.t0 + .seconds(70))
        #expect(reclaimed == [ids[0], ids[2]].sorted())
        #expect(store.takeNotifications().map(\.payload) == reclaimed.map(\.uuidString))
        #expect(store.runningChunks().map(\.id) == [ids[1]])
        #expect(store.pendingChunkCount() == 3)
        #expect(F.problems(store).isEmpty)
    }

    // MARK: Cleanup and replay cache

    @Test(arguments: StoreKind.allCases)
    func cleanupDeletesOnlyStaleRows(kind: StoreKind) throws {
        var store = kind.make()
        let now = F.t0 + .days(40)
        let oldUnclaimed = try store.registerNode(F.registration(1), now: F.t0).node.id
        let newUnclaimed = try store.registerNode(F.registration(2), now: now - .minutes(10)).node.id
        let claimedPending = try store.registerNode(F.registration(3), now: F.t0).node
        _ = try store.claimNode(claimCode: claimedPending.claimCode, by: F.user(1), now: F.t0)
        let longOffline = try F.onlineNode(&store, 4, at: F.t0)
        let recentlyOffline = try F.onlineNode(&store, 5, at: now - .days(2))
        _ = try store.markNodesOffline(lastSeenBefore: now, now: now)
        _ = try store.grantPermission(node: longOffline, type: .public, target: nil, now: F.t0)

        _ = try store.upsertConfig(F.config(1), checkThenInsert: false, now: F.t0)  // unused, old
        _ = try store.upsertConfig(F.config(2), checkThenInsert: false, now: now - .days(1))  // unused, recent
        _ = try store.createJob(F.newJob(config: F.config(3), iterations: 1), upserting: F.config(3), now: F.t0)  // used, old

        let counts = try store.cleanupStaleData(
            unclaimedBefore: now - .hours(1), offlineBefore: now - .days(30), unusedConfigBefore: now - .days(7), now: now)
        var expected = CleanupCounts()
        expected.unclaimedNodes = 1
        expected.offlineNodes = 1
        expected.unusedConfigs = 1
        #expect(counts == expected)
        #expect(store.node(oldUnclaimed) == nil && store.node(longOffline) == nil)
        #expect(store.node(publicKey: F.key(1)) == nil && store.permissions(of: longOffline).isEmpty)
        #expect(store.node(newUnclaimed) != nil && store.node(claimedPending.id) != nil && store.node(recentlyOffline) != nil)
        #expect(store.config(F.config(1).hash) == nil)
        #expect(store.config(F.config(2).hash) != nil && store.config(F.config(3).hash) != nil)
        // A deleted key can register afresh.
        #expect(try store.registerNode(F.registration(1), now: now).created)
        #expect(F.problems(store).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func replayCache(kind: StoreKind) throws {
        var store = kind.make()
        let a = Signature(bytes: [UInt8](repeating: 1, count: 64))!
        let b = Signature(bytes: [UInt8](repeating: 2, count: 64))!
        #expect(try store.rememberSignature(a, expiresAt: F.t0 + .seconds(300), now: F.t0))
        #expect(try !store.rememberSignature(a, expiresAt: F.t0 + .seconds(600), now: F.t0 + .seconds(1)))
        #expect(try store.rememberSignature(b, expiresAt: F.t0 + .seconds(100), now: F.t0 + .seconds(1)))
        // Live through its expiry instant, forgotten after.
        #expect(try !store.rememberSignature(a, expiresAt: F.t0 + .seconds(900), now: F.t0 + .seconds(300)))
        #expect(try store.rememberSignature(a, expiresAt: F.t0 + .seconds(900), now: F.t0 + .seconds(300) + Interval(micros: 1)))
        #expect(try store.rememberSignature(b, expiresAt: F.t0 + .seconds(900), now: F.t0 + .seconds(301)))
    }

    // MARK: The store's clock

    /// Calls carry intervals and the store measures them on its own clock: what "online" means
    /// depends on the store's `now`, never on the clock of whoever sent the call (a sentinel
    /// 3 s behind asks the very same question).
    @Test func windowsAreMeasuredOnTheStoreClock() throws {
        var store = StoreKind.embedded.make()
        let job = try store.createJob(F.newJob(iterations: 1_000), upserting: F.config(1), now: F.t0)
        let node = try F.onlineNode(&store, 1, at: F.t0)
        let call = StoreCall.snapshot(limit: 10, onlineWindow: .seconds(45))
        store.now = F.t0 + .seconds(44)
        guard case .snapshot(let seen) = call.perform(on: &store) else { Issue.record("no snapshot"); return }
        #expect(seen.nodes.map(\.id) == [node])
        store.now = F.t0 + .seconds(46)
        guard case .snapshot(let gone) = call.perform(on: &store) else { Issue.record("no snapshot"); return }
        #expect(gone.nodes.isEmpty && gone.chunks.map(\.jobID) == [job.jobID])
        // The guarded apply re-checks on the same clock.
        let chunk = store.chunks(ofJob: job.jobID)[0].id
        let apply = StoreCall.apply(plan: [PlannedAssignment(chunkID: chunk, nodeID: node)], guarded: true, onlineWindow: .seconds(45))
        #expect(apply.perform(on: &store) == .applied([]))
        store.now = F.t0 + .seconds(30)
        guard case .applied(let made) = apply.perform(on: &store) else { Issue.record("no apply"); return }
        #expect(made.map(\.claimedAt) == [F.t0 + .seconds(30)])
    }

    // MARK: Whole-store properties

    /// Random operation sequences keep every derived field consistent, and the same seed
    /// gives the same store.
    @Test func randomWorkloadsStayConsistent() async {
        await propertyCheck(count: 30, input: Gen.uint64(), Gen.int(in: 0...5).array(of: 20...120)) { seed, ops in
            func run() -> (String, [String]) {
                var store = EmbeddedStore(seed: seed)
                var now = F.t0
                var nodes: [NodeID] = []
                for n in 1...4 { nodes.append(try! F.onlineNode(&store, UInt8(n), capacity: n)) }
                var problems: [String] = []
                var step = 0
                for op in ops {
                    step += 1
                    now = now + .seconds(20)
                    switch op {
                    case 0:
                        _ = try! store.createJob(F.newJob(config: F.config(step % 3), iterations: 50 + step * 37, chunk: 100), upserting: F.config(step % 3), now: now)
                    case 1, 2:
                        let snap = store.assignmentSnapshot(limit: 5, onlineSince: now - .hours(1))
                        let plan = snap.chunks.enumerated().map { PlannedAssignment(chunkID: $1.id, nodeID: nodes[($0 + step) % nodes.count]) }
                        _ = try? store.applyAssignments(plan, guarded: op == 1, now: now)
                    case 3:
                        for chunk in store.runningChunks().prefix(3) {
                            let who = step % 5 == 0 ? nodes[step % nodes.count] : chunk.nodeID!
                            _ = try! store.completeChunk(
                                Completion(nodeID: who, chunkID: chunk.id, attempt: chunk.attempt, result: F.result(iterations: chunk.iterations)),
                                rules: CompletionRules(requireClaim: step % 7 != 0), now: now)
                        }
                    case 4:
                        _ = try! store.reapStaleChunks(claimedBefore: now - .minutes(2), now: now)
                    default:
                        _ = try! store.reclaimChunksOfSilentNodes(silentSince: now - .seconds(1), now: now)
                        for node in nodes { _ = try! store.heartbeat(node, now: now) }
                    }
                    problems += F.problems(store).map { "step \(step): \($0)" }
                }
                let digest = store.runningChunks().map { "\($0.id)@\($0.nodeID!)#\($0.attempt)" }.joined(separator: ",")
                    + " \(store.takeNotifications().count) \(store.pendingChunkCount())"
                return (digest, problems)
            }
            let first = run(), second = run()
            #expect(first.1.isEmpty, "\(first.1.prefix(5))")
            #expect(first.0 == second.0)
        }
    }
}
