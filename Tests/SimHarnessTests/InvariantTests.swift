@testable import Engine
@testable import Scenarios
@testable import SimHarness
@testable import JobSystem
import Testing

/// Each invariant fires on a run built to break it. Those that catch one of today's defects are
/// shown by the scenarios (ScenarioExpectationTests); these are the rest, which no profile of
/// the system breaks, so they are broken by hand: a rogue client, a run that never heals, or
/// a corrupted store or change feed handed to the observer.
@Suite("Invariants fire")
struct InvariantTests {
    func smallWorld(nodes: Int, users: Int) -> WorldConfig {
        var w = WorldConfig(seed: 5, profile: .fixed)
        for u in 0..<users { w.users.append(UserSpec(name: "u\(u)", discordID: 500 + UInt64(u))) }
        for n in 0..<nodes { w.nodes.append(NodeSpec(name: "n\(n)")) }
        return w
    }

    @Test func jobsCompleteFiresWhenFaultsNeverHeal() {
        var w = smallWorld(nodes: 2, users: 1)
        w.users[0].submissions = [SubmissionSpec(at: .seconds(Int64(10)), config: Build.config(), iterations: 2_000)]
        var plan = RunPlan(world: w, horizon: .zero + .minutes(20))
        plan.at(.seconds(Int64(5)), .partition(label: "cut", from: [.node(0), .node(1)], to: [.store], oneWay: false))
        plan.livenessDeadline = .zero + .minutes(20)
        let (_, o) = World.run(plan)
        #expect(o.violated == [.jobsComplete])
    }

    @Test func eligibleAssignmentFiresOnARogueScheduler() throws {
        // User 1's private job can run only on user 1's nodes, and user 1 has none.
        var w = smallWorld(nodes: 2, users: 2)
        var s = SubmissionSpec(at: .seconds(Int64(10)), config: Build.config(), iterations: 1_000)
        s.accessType = .private
        w.users[1].submissions = [s]
        var world = World(w)
        world.run(until: .zero + .seconds(Int64(60)))
        #expect(world.observer.violations.isEmpty)
        let chunk = try #require(world.store.allJobs.first.flatMap { world.store.chunks(ofJob: $0.id).first })
        let node = try #require(world.nodeDurable(0).nodeID)
        world.inject(
            .storeCall(id: 1, .apply(plan: [PlannedAssignment(chunkID: chunk.id, nodeID: node)], guarded: true)),
            from: world.environment, to: world.storeActor)
        world.run(until: .zero + .seconds(Int64(61)))
        // The rogue plan also breaks most-free-slots (it puts a chunk on a node that no
        // snapshot offered for it); nothing else may fire.
        #expect(Set(world.observer.violatedInvariants) == [.eligibleAssignment, .mostFreeSlots])
    }

    @Test func legalTransitionsFiresOnAnIllegalChange() {
        var observer = Observer(profile: .fixed, compute: .realModel)
        let store = EmbeddedStore(seed: 1)
        let chunk = ChunkID(Identifier(high: 1, low: 1)), job = JobID(Identifier(high: 2, low: 2))
        observer.checkStore([
            .chunk(ChunkChange(
                id: chunk, jobID: job, from: .completed, to: .pending, fromNode: nil, toNode: nil, claimedAtBefore: nil,
                iterations: 1_000, attempt: 1, at: Timestamp(micros: 0)))
        ], store: store)
        #expect(observer.violatedInvariants.contains(.legalTransitions))
    }

    @Test func monotonicProgressFiresWhenTheUserSeesProgressGoBack() {
        var observer = Observer(profile: .fixed, compute: .realModel)
        observer.notePortalAnomaly(.progressWentBackwards(index: 0, from: 3_000, to: 2_000, at: Timestamp(micros: 0)))
        #expect(observer.violatedInvariants == [.monotonicProgress])
    }

    @Test func storeConsistencyFiresOnACorruptedCounter() throws {
        let s = try #require(Catalogue.named("happy-path"))
        var (world, outcome) = World.run(s.plan(seed: 1, profile: .fixed))
        #expect(outcome.violations.isEmpty)
        world.store.jobs[0].completedIterations += 7
        world.observer.finish(store: world.store)
        #expect(world.observer.violatedInvariants.contains(.storeConsistency))
    }

    /// Every completed job has a result: one that became `completed` with none breaks
    /// `result-aggregation` (issue 15: an overflowing aggregate once left a null result).
    @Test func resultAggregationFiresWhenACompletedJobHasNoResult() throws {
        let s = try #require(Catalogue.named("happy-path"))
        var (world, outcome) = World.run(s.plan(seed: 1, profile: .fixed))
        #expect(outcome.violations.isEmpty)
        let job = world.store.jobs[0]
        try #require(job.status == .completed && job.result != nil)
        world.store.jobs[0].result = nil
        world.observer.checkStore([.job(JobChange(id: job.id, from: .running, to: .completed, at: job.createdAt))], store: world.store)
        #expect(world.observer.violatedInvariants == [.resultAggregation])
        #expect(world.observer.violations.last?.message.contains("completed with no result") == true)
    }
}
