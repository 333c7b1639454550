import Engine
import JobSystem
import SimHarness
import Testing

/// `World.eventsByKind`, which `bench fleet` prints as `events_by_kind`: every delivered event is
/// counted under exactly one kind, so the counts add up to the Engine's own total, and a fleet's
/// request path shows its four hops (client → API server → store → API server → client).
@Suite("events by kind")
struct EventKindCountTests {
    @Test func theCountsAddUpToTheEnginesTotal() {
        let world = FleetWorkload(nodes: 40, jobs: 4, seed: 3).run()
        let counts = world.eventsByKind
        #expect(counts.count == WorldEvent.kindNames.count)
        #expect(counts.reduce(0, +) == world.sim.eventsDelivered)
        func count(_ name: String) -> UInt64 { counts[WorldEvent.kindNames.firstIndex(of: name)!] }
        // Every request crosses the four hops in order, so no hop counts more than the one
        // before it; the run stops right after the last job completes, so requests still on
        // their way make the only difference: at most a node's outstanding requests each (its
        // four slots' completions, a heartbeat and a channel open: 6), and no fault here loses one.
        let hops = ["api", "transaction", "transaction_done", "api_reply"].map(count)
        #expect(hops[0] > 0)
        for (earlier, later) in zip(hops, hops.dropFirst()) { #expect(later <= earlier) }
        #expect(hops[0] - hops[3] <= 6 * 40)
        // At least one computation per chunk of the four jobs (100 chunks of 1,000 iterations each).
        #expect(count("computed") >= 4 * 100)
    }

    @Test func namesAreDistinctAndKindIndexNamesEachCase() {
        #expect(Set(WorldEvent.kindNames).count == WorldEvent.kindNames.count)
        let samples: [WorldEvent] = [.wake, .listen, .listenAck, .listenLost]
        for e in samples { #expect(WorldEvent.kindNames[e.kindIndex] == e.kind) }
        #expect(WorldEvent.wake.kind == "wake")
    }
}
