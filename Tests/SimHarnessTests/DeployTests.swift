import Engine
import Scenarios
import SimHarness
import JobSystem
import Testing

/// Deploys that mix today's sentinel and ours: the transitions happen as the scenarios say.
@Suite("Deploy transitions")
struct DeployTests {
    /// Today's sentinel is stopped with an apply in flight and ours starts in its place: the
    /// apply commits, its answer finds nobody, and nothing is assigned twice or lost.
    @Test func upgradeMidPassStopsWithAnApplyInFlight() throws {
        let s = try #require(Catalogue.named("sentinel-upgrade-mid-pass"))
        let (w, o) = World.run(s.plan(seed: 1, profile: .fixed))
        #expect(o.measures.faults.contains { $0.action == .crash && $0.target == .sentinel(0) })
        #expect(w.sim.incarnation(of: w.actor(ofSentinel: 0)) == 1, "stopped once, restarted")
        let upgraded = try #require(w.sentinel(0))
        #expect(upgraded.profile == .fixed && upgraded.isReady)
        #expect(o.violations.isEmpty, "\(o.violations.prefix(2))")
        #expect(o.jobsTotal > 0 && o.jobsCompleted == o.jobsTotal)
    }

    /// Overlapping today's sentinel with ours double-assigns in both orders; stopping today's
    /// before starting ours does not, and both sentinels really scheduled in each.
    @Test func overlapDoubleAssignsAndTheStopThenStartPlanDoesNot() throws {
        for name in ["cutover-old-to-new", "cutover-new-to-old"] {
            let (_, o) = World.run(try #require(Catalogue.named(name)).plan(seed: 1, profile: .fixed))
            #expect(o.violated.contains(.singleAssignee), "\(name)")
            #expect(o.measures.assignmentsBySentinel.count == 2 && o.measures.assignmentsBySentinel.allSatisfy { $0 > 0 }, "\(name)")
            #expect(o.jobsCompleted == o.jobsTotal, "\(name): the work is done, some of it twice")
        }
        let (_, planned) = World.run(try #require(Catalogue.named("cutover-planned")).plan(seed: 1, profile: .fixed))
        #expect(planned.violations.isEmpty, "\(planned.violations.prefix(2))")
        #expect(planned.measures.assignmentsBySentinel.count == 2 && planned.measures.assignmentsBySentinel.allSatisfy { $0 > 0 })
        #expect(planned.measures.duplicateExecutions == 0)
    }

    /// The seeds' rollout options for signing nodes. Refusing unsigned requests at once and a
    /// window that closes too early both refuse today's nodes (their work waits for the reaper);
    /// option B loses progress through today's chunk-complete; option A with a window covering
    /// the rollout, the plan we recommend, refuses nothing and loses nothing.
    @Test func rolloutOptions() throws {
        func run(_ name: String) throws -> RunOutcome {
            World.run(try #require(Catalogue.named(name)).plan(seed: 1, profile: .fixed)).1
        }
        func refused(_ o: RunOutcome) -> Int { o.measures.apiRejections["bad_node_authentication", default: 0] }

        let none = try run("rolling-upgrade")
        #expect(refused(none) > 0)
        let short = try run("rolling-upgrade-short-window")
        #expect(refused(short) > 0)
        #expect(refused(short) < refused(none), "the window spared the first minute")
        let b = try run("rolling-upgrade-todays-handlers")
        #expect(refused(b) == 0)
        #expect(b.violated.contains(.progressAccounting))
        let a = try run("rolling-upgrade-window")
        #expect(refused(a) == 0)
        #expect(a.measures.wastedComputations == 0)
        #expect(a.violations.isEmpty, "\(a.violations.prefix(2))")
        #expect(a.jobsTotal > 0 && a.jobsCompleted == a.jobsTotal)
    }
}
