import Engine
import JobSystem
import Testing

@testable import SimHarness

/// The store's snapshot lists only the online nodes the planner can use (with a free slot; for
/// a batch of public jobs only the best chunk count plus one). The observer's `most-free-slots`
/// check must give the same verdict on a plan whether the snapshot it remembers lists every
/// node or only those: over seeded random snapshots (full and over-full
/// nodes, restricted jobs, reaped chunks whose last node is full), the planner's plan passes
/// both ways, and a plan changed in one row (another node, possibly a full one; a row left out)
/// fails both ways.
@Suite("Snapshot of free nodes")
struct SnapshotFreeNodesTests {
    static func id(_ n: UInt64) -> Identifier { Identifier(high: 5, low: n) }

    static func randomSnapshot(_ rng: inout SplitMix64, allPublic: Bool) -> AssignmentSnapshot {
        let users = (1...3).map { UserID(id(100 + UInt64($0))) }
        let nodeCount = Int(rng.next() % 16) + 1
        let nodes = (0..<nodeCount).map { k in
            AssignmentSnapshot.Node(
                id: NodeID(id(UInt64(k) * 2 + 1)), userID: rng.next() % 4 == 0 ? nil : users[Int(rng.next() % 3)],
                ownerDiscordID: nil, capacity: Int(rng.next() % 4), running: Int(rng.next() % 6),
                permittedUsers: users.filter { _ in rng.next() % 3 == 0 })
        }
        let access: [AccessType] = [.public, .private, .user]
        let jobs = (0..<2).map { j in
            AssignmentSnapshot.Job(
                id: JobID(id(1_000 + UInt64(j))), userID: users[Int(rng.next() % 3)],
                accessType: allPublic ? .public : access[Int(rng.next() % 3)],
                discordServerID: nil)
        }
        let chunks = (0..<(Int(rng.next() % 12) + 1)).map { c in
            AssignmentSnapshot.Chunk(
                id: ChunkID(id(10_000 + UInt64(c))), jobID: jobs[Int(rng.next() % 2)].id, pendingSeq: Int64(c),
                lastNodeID: rng.next() % 3 == 0 ? NodeID(id(rng.next() % UInt64(2 * nodeCount + 1))) : nil)
        }
        return AssignmentSnapshot(chunks: chunks, nodes: nodes, jobs: jobs, morePending: false)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func theVerdictIsTheSameWithoutTheFullNodes(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let observer = Observer(profile: .fixed, compute: .standIn)
        var checked = 0, failed = 0
        for round in 0..<300 {
            let whole = Self.randomSnapshot(&rng, allPublic: round % 2 == 0)
            var listed = whole.nodes.filter { $0.capacity > $0.running }
            if whole.jobs.allSatisfy({ $0.accessType == .public }) {
                // The store's rule for a public batch: the best chunk count plus one.
                listed.sort { ($0.capacity - $0.running, $1.id) > ($1.capacity - $1.running, $0.id) }
                listed = Array(listed.prefix(whole.chunks.count + 1)).sorted { $0.id < $1.id }
            }
            let free = AssignmentSnapshot(
                chunks: whole.chunks, nodes: listed, jobs: whole.jobs, morePending: false, onlineNodes: whole.nodes.count)
            for avoid in [true, false] {
                let plan = AssignmentPlanner.plan(whole, guilds: GuildDirectory(), avoidReapedNode: avoid)
                #expect(observer.planProblem(plan, from: whole) == nil)
                #expect(observer.planProblem(plan, from: free) == nil)
                guard !plan.isEmpty else { continue }
                var wrong = plan
                let row = Int(rng.next() % UInt64(plan.count))
                if rng.next() % 4 == 0 {
                    wrong.remove(at: row)
                } else {
                    wrong[row].nodeID = whole.nodes[Int(rng.next() % UInt64(whole.nodes.count))].id
                }
                let a = observer.planProblem(wrong, from: whole), b = observer.planProblem(wrong, from: free)
                #expect((a == nil) == (b == nil), "\(a ?? "nil") / \(b ?? "nil")")
                checked += 1
                if a != nil { failed += 1 }
            }
        }
        // Enough changed plans were checked, and most of them broke the rule.
        #expect(checked > 200 && failed > checked / 2)
    }
}
