import Testing
@testable import JobSystem

/// The store's snapshot lists only the online nodes with a free slot. These tests show that
/// leaving the full nodes out changes no plan: over seeded random snapshots (full and over-full
/// nodes, every access type, guild filters grown and today's, reaped chunks whose last node is
/// full, free or absent), the planner gives the same plan from the whole list as from the list
/// without its full nodes, with and without today's planner rules (`avoidReapedNode` off).
@Suite("Planner on free nodes")
struct PlannerFreeNodesTests {
    static func id(_ n: UInt64) -> Identifier { Identifier(high: 7, low: n) }

    /// A random snapshot that lists every online node, full ones included, and its guilds.
    static func randomSnapshot(_ rng: inout SystemTestRNG, growsFilters: Bool) -> (AssignmentSnapshot, GuildDirectory) {
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
                id: JobID(id(1_000 + UInt64(j))), userID: users[Int(rng.next() % 4)], accessType: access[Int(rng.next() % 4)],
                discordServerID: rng.next() % 2 == 0 ? "g1" : "g2")
        }
        let chunkCount = Int(rng.next() % 30) + 1
        let chunks = (0..<chunkCount).map { c in
            // A last node among the listed ones (full or free) or one not online at all.
            let last: NodeID? = rng.next() % 3 == 0 ? NodeID(id(rng.next() % UInt64(3 * nodeCount + 2))) : nil
            return AssignmentSnapshot.Chunk(
                id: ChunkID(id(10_000 + UInt64(c))), jobID: jobs[Int(rng.next() % 3)].id, pendingSeq: Int64(c),
                lastNodeID: last)
        }
        return (AssignmentSnapshot(chunks: chunks, nodes: nodes, jobs: jobs, morePending: false), guilds)
    }

    /// What the store now returns for the same rows: the nodes with a free slot, every online
    /// node counted.
    static func freeOnly(_ s: AssignmentSnapshot) -> AssignmentSnapshot {
        AssignmentSnapshot(
            chunks: s.chunks, nodes: s.nodes.filter { $0.capacity > $0.running }, jobs: s.jobs, morePending: s.morePending,
            onlineNodes: s.nodes.count)
    }

    @Test func leavingFullNodesOutChangesNoPlan() {
        var rng = SystemTestRNG(state: 11)
        var plannedRows = 0, fullNodes = 0, avoidedFullNodes = 0
        for round in 0..<2_000 {
            let (whole, guilds) = Self.randomSnapshot(&rng, growsFilters: round % 2 == 0)
            let free = Self.freeOnly(whole)
            #expect(free.onlineNodes == whole.nodes.count)
            fullNodes += whole.nodes.count - free.nodes.count
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
        #expect(fullNodes > 5_000 && plannedRows > 10_000 && avoidedFullNodes > 500)
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
