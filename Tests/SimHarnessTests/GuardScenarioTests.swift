import Engine
import Scenarios
@testable import SimHarness
import JobSystem
import Testing

/// The scenarios that make a guard the only thing between a run and a violation (issue 12's
/// surviving mutants 003/004 and 037): they reach the state they were built for, and the rules
/// they rest on hold on hand-made snapshots.
@Suite("Guard scenarios")
struct GuardScenarioTests {
    static func id(_ n: UInt64) -> Identifier { Identifier(high: 0, low: n) }
    static let owner = UserID(id(100)), stranger = UserID(id(200))

    /// Three idle nodes of `owner` (capacity 4); a private job of `owner` (chunks 1-2) pending
    /// before a public job of `stranger` (chunks 3-5), as in one `mixed-snapshot` pass.
    static var mixed: AssignmentSnapshot {
        let nodes = (1...3).map { n in
            AssignmentSnapshot.Node(
                id: NodeID(id(UInt64(n))), userID: owner, ownerDiscordID: nil, capacity: 4, running: 0, permittedUsers: [])
        }
        let privateJob = AssignmentSnapshot.Job(id: JobID(id(10)), userID: owner, accessType: .private, discordServerID: nil)
        let publicJob = AssignmentSnapshot.Job(id: JobID(id(11)), userID: stranger, accessType: .public, discordServerID: nil)
        let chunks = (1...5).map { k in
            AssignmentSnapshot.Chunk(
                id: ChunkID(id(UInt64(1_000 + k))), jobID: k <= 2 ? privateJob.id : publicJob.id, pendingSeq: Int64(k))
        }
        return AssignmentSnapshot(chunks: chunks, nodes: nodes, jobs: [privateJob, publicJob], morePending: false)
    }

    /// The private chunks take n1 and n2 by the scan (4 free each, ties to the lowest id),
    /// leaving their entries in the public heap's top bucket stale; the first public chunk must
    /// go to n3, the only node still at 4, then n1 and n2 (3 free each, lowest id first).
    @Test func aRestrictedScanBeforePublicChunksLeavesNoStaleChoice() {
        let s = Self.mixed
        let plan = AssignmentPlanner.plan(s, guilds: GuildDirectory())
        #expect(plan.map(\.chunkID.raw.low) == [1_001, 1_002, 1_003, 1_004, 1_005])
        #expect(plan.map(\.nodeID.raw.low) == [1, 2, 3, 1, 2])
        let observer = Observer(profile: .fixed, compute: .standIn)
        #expect(observer.planProblem(plan, from: s) == nil)
        // A planner that takes n1's stale entry (4 free when pushed, 3 now) for chunk 3.
        var stale = plan
        stale[2].nodeID = NodeID(Self.id(1))
        #expect(observer.planProblem(stale, from: s) != nil)
    }

    /// `sentinels-out-of-step` makes the guarded apply refuse rows for their node's capacity
    /// alone (the chunk still pending, the node online), and stays clean: without the capacity
    /// check those rows would put a node beyond its capacity (`eligible-assignment`).
    @Test(arguments: [UInt64(1), 2])
    func outOfStepSentinelsMeetTheCapacityCheck(seed: UInt64) throws {
        let plan = try #require(Catalogue.named("sentinels-out-of-step")).plan(seed: seed, profile: .fixed)
        let (_, o) = World.run(plan)
        #expect(o.violated.isEmpty, "\(o.violations.first?.description ?? "")")
        #expect(o.jobsCompleted == o.jobsTotal)
        #expect(o.measures.guardedCapacitySkips > 0)
    }

    /// A channel open that reaches the store counts toward `store-load-bounded` like any
    /// request: a fleet reopening its channels in step (no jitter in the backoff, mutant 063)
    /// is what `thundering-herd` then catches.
    @Test func channelOpensCountAsStoreLoad() {
        var observer = Observer(profile: .fixed, compute: .standIn)
        observer.maxRequestsPerSecond = 3
        for _ in 0..<3 { observer.noteChannelOpen() }
        #expect(observer.violations.isEmpty)
        #expect(observer.measures.apiPeakPerSecond == 3)
        observer.noteChannelOpen()
        #expect(observer.violatedInvariants == [.storeLoadBounded])
    }

    @Test func mixedSnapshotIsClean() throws {
        let v = try #require(Catalogue.named("mixed-snapshot")).check(seed: 3, profile: .fixed)
        #expect(v.violated.isEmpty, "\(v.outcome.violations.first?.description ?? "")")
        #expect(v.outcome.jobsCompleted == v.outcome.jobsTotal && v.outcome.jobsTotal == 9)
    }
}
