import Engine
import Scenarios
import SimHarness
import JobSystem
import Testing

/// The API server's faults happen in their scenarios and the fixed system loses nothing and
/// counts nothing twice; the assignment channel resyncs a node that missed pushes.
@Suite("API server and assignment channel")
struct APIServerTests {
    func run(_ name: String, seed: UInt64 = 1) throws -> (World, RunOutcome) {
        let s = try #require(Catalogue.named(name))
        let (world, outcome) = World.run(s.plan(seed: seed, profile: .fixed))
        #expect(outcome.violations.isEmpty, "\(name): \(outcome.violations.prefix(3))")
        #expect(outcome.jobsTotal > 0 && outcome.jobsCompleted == outcome.jobsTotal)
        return (world, outcome)
    }

    @Test func apiServerCrashLosesRequestsNotWork() throws {
        let (w, o) = try run("api-server-crash")
        #expect(w.sim.incarnation(of: w.apiServerActor) == 2, "crashed twice")
        #expect(o.measures.apiRequestsLostInCrash > 0, "requests were in flight when it crashed")
        #expect(o.measures.channelsDropped > 0)
        let counters = (0..<w.nodeCount).compactMap { w.nodeAgent($0)?.counters }
        #expect(counters.reduce(0) { $0 + $1.requestTimeouts } > 0, "clients saw their requests vanish")
        #expect(counters.allSatisfy { $0.subscriptionsConfirmed >= 3 }, "every node resubscribed after each crash")
        // Pushes made while it was down went nowhere; the resubscribed nodes learnt them from
        // the channel's first message, so the reaper had nothing to take back.
        #expect(o.measures.assignmentsToUnsubscribed > 0 && o.measures.heldChunksRecovered > 0)
        #expect(o.measures.reclaimedByReaper == 0)
    }

    @Test func lostDatabaseConnectionsRollBackAndAreRetried() throws {
        let (w, o) = try run("db-connection-lost-mid-request")
        #expect(o.measures.transactionsRolledBack > 0)
        #expect(o.measures.apiRejections["store_error", default: 0] > 0, "clients were told 503 store_error")
        let counters = (0..<w.nodeCount).compactMap { w.nodeAgent($0)?.counters }
        #expect(counters.reduce(0) { $0 + $1.retries } > 0)
        #expect(counters.reduce(0) { $0 + $1.completionsRejected } == 0, "no result given up")
    }

    /// A partition drops the node's channel; it resubscribes after the heal.
    @Test func partitionsDropChannels() throws {
        let (w, o) = try run("network-blip")
        #expect(o.measures.channelsDropped > 0)
        #expect((w.nodeAgent(0)?.counters.channelLosses ?? 0) > 0)
        #expect((0..<w.nodeCount).allSatisfy { w.nodeAgent($0)?.isSubscribed == true })
    }
}
