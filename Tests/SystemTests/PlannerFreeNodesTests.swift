import Testing
@testable import JobSystem

/// The store's snapshot lists only the online nodes the planner can use (with a free slot; for
/// a batch of public jobs only the best chunk count plus one). These tests show that leaving
/// the others out changes no plan: over seeded random snapshots (full and over-full nodes,
/// every access type and all-public batches, guild filters grown and today's, reaped chunks
/// whose last node is full, free, cut or absent), the planner gives the same plan from the
/// whole list as from the store's list, with and without today's planner rules
/// (`avoidReapedNode` off).
@Suite("Planner on free nodes")
struct PlannerFreeNodesTests {
    static func id(_ n: UInt64) -> Identifier { Identifier(high: 7, low: n) }

    /// A random snapshot that lists every online node, full ones included, and its guilds.
    static func randomSnapshot(_ rng: inout SystemTestRNG, growsFilters: Bool, allPublic: Bool) -> (AssignmentSnapshot, GuildDirectory) {
        let users = (1...4).map { UserID(id(100 + UInt64($0))) }
        var guilds = GuildDirectory(growsFilters: growsFilters)
        guilds.apply(.members(guild: "g1", members: [500_001, 500_002, 500_003]))
        guilds.apply(.memberJoined(guild: "g2", member: 500_004))
        guilds.apply(.memberJoined(guild: "g2", member: 500_005))
        let nodeCount = Int(rng.next() % 24) + 1
        var nodes: [AssignmentSnapshot.Node] = []
        for k in 0..<nodeCount {
            let capacity = Int(rng.next() % 5)
            // Running may exceed capacity: today's unguarded batch does not check it.
            let running = Int(rng.next() % 7)
            let owner: UserID? = rng.next() % 5 == 0 ? nil : users[Int(rng.next() % 4)]
            let discord: String? = rng.next() % 3 == 0 ? nil : String(500_001 + rng.next() % 8)
            let permitted = users.filter { _ in rng.next() % 4 == 0 }
            nodes.append(AssignmentSnapshot.Node(
                id: NodeID(id(UInt64(k) * 3 + 1)), userID: owner, ownerDiscordID: discord, capacity: capacity,
                running: running, permittedUsers: permitted))
        }
        let access: [AccessType] = [.public, .private, .user, .discord]
        let jobs = (0..<3).map { j in
            AssignmentSnapshot.Job(
                id: JobID(id(1_000 + UInt64(j))), userID: users[Int(rng.next() % 4)],
                accessType: allPublic ? .public : access[Int(rng.next() % 4)],
                discordServerID: rng.next() % 2 == 0 ? "g1" : "g2")
        }
        // Public batches short enough that the store's list of the best nodes is often cut.
        let chunkCount = Int(rng.next() % (allPublic ? 4 : 30)) + 1
        let chunks = (0..<chunkCount).map { c in
            // A last node among the listed ones (full or free) or one not online at all.
            let last: NodeID? = rng.next() % 3 == 0 ? NodeID(id(rng.next() % UInt64(3 * nodeCount + 2))) : nil
            return AssignmentSnapshot.Chunk(
                id: ChunkID(id(10_000 + UInt64(c))), jobID: jobs[Int(rng.next() % 3)].id, pendingSeq: Int64(c),
                lastNodeID: last)
        }
        return (AssignmentSnapshot(chunks: chunks, nodes: nodes, jobs: jobs, morePending: false), guilds)
    }

    /// What the store now returns for the same rows (the rule restated from
    /// `AssignmentSnapshot.nodes`): the nodes with a free slot; when every job is public, only
    /// the chunk count plus one best of them by (most free slots, lowest id); none without
    /// chunks; every online node counted.
    static func freeOnly(_ s: AssignmentSnapshot) -> AssignmentSnapshot {
        var free = s.nodes.filter { $0.capacity > $0.running }
        if s.chunks.isEmpty {
            free = []
        } else if s.jobs.allSatisfy({ $0.accessType == .public }) {
            free.sort { ($0.capacity - $0.running, $1.id) > ($1.capacity - $1.running, $0.id) }
            free = Array(free.prefix(s.chunks.count + 1)).sorted { $0.id < $1.id }
        }
        return AssignmentSnapshot(chunks: s.chunks, nodes: free, jobs: s.jobs, morePending: s.morePending, onlineNodes: s.nodes.count)
    }

    @Test func leavingFullNodesOutChangesNoPlan() {
        var rng = SystemTestRNG(state: 11)
        var plannedRows = 0, fullNodes = 0, avoidedFullNodes = 0, cutPublic = 0
        for round in 0..<2_000 {
            let (whole, guilds) = Self.randomSnapshot(&rng, growsFilters: round % 2 == 0, allPublic: round % 4 < 2)
            let free = Self.freeOnly(whole)
            #expect(free.onlineNodes == whole.nodes.count)
            fullNodes += whole.nodes.filter { $0.capacity <= $0.running }.count
            if whole.jobs.allSatisfy({ $0.accessType == .public }) && free.nodes.count < whole.nodes.filter({ $0.capacity > $0.running }).count {
                cutPublic += 1
            }
            avoidedFullNodes += whole.chunks.filter { c in
                whole.nodes.contains { $0.id == c.lastNodeID && $0.capacity <= $0.running }
            }.count
            for avoid in [true, false] {
                let a = AssignmentPlanner.plan(whole, guilds: guilds, avoidReapedNode: avoid)
                let b = AssignmentPlanner.plan(free, guilds: guilds, avoidReapedNode: avoid)
                #expect(a == b, "round \(round), avoidReapedNode \(avoid)")
                plannedRows += a.count
            }
        }
        // The rounds exercised what they are for: full nodes left out, plans made, reaped
        // chunks whose last node is full.
        #expect(fullNodes > 5_000 && plannedRows > 5_000 && avoidedFullNodes > 300 && cutPublic > 100)
    }

    /// Every node full: nothing listed, nothing planned, the count still given.
    @Test func everyNodeFullPlansNothing() {
        let job = AssignmentSnapshot.Job(id: JobID(Self.id(1)), userID: UserID(Self.id(2)), accessType: .public, discordServerID: nil)
        let chunk = AssignmentSnapshot.Chunk(id: ChunkID(Self.id(3)), jobID: job.id, pendingSeq: 0)
        let s = AssignmentSnapshot(chunks: [chunk], nodes: [], jobs: [job], morePending: true, onlineNodes: 10_000)
        #expect(AssignmentPlanner.plan(s, guilds: GuildDirectory()).isEmpty)
        #expect(s.onlineNodes == 10_000)
    }
}
