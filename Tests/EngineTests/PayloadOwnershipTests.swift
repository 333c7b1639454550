import Testing
import Engine

/// Payloads move into the queue's slab and out of it (`EventQueue.schedule` takes its payload,
/// `popNext` leaves the slot empty): every payload is released exactly once, whether it fires,
/// is cancelled, or sits in a reused slot, and the queue keeps no copy of a popped payload.
@Suite struct PayloadOwnershipTests {
    /// Counts its live instances in a counter of the test's own (tests run in parallel), so
    /// a leak or a double release shows.
    final class Tracked: @unchecked Sendable {
        let value: Int
        let live: LiveCount
        init(_ value: Int, _ live: LiveCount) {
            self.value = value
            self.live = live
            live.count += 1
        }
        deinit { live.count -= 1 }
    }
    final class LiveCount: @unchecked Sendable { var count = 0 }

    @Test func everyPayloadIsReleasedOnceWhetherFiredCancelledOrInAReusedSlot() {
        let live = LiveCount()
        do {
            var q = EventQueue<Tracked>()
            var handles: [EventHandle] = []
            for i in 0..<200 { handles.append(q.schedule(at: Int64(i % 17), Tracked(i, live))) }
            #expect(live.count == 200)
            // Cancel every third: their payloads go at once.
            var cancelled = 0
            for (i, h) in handles.enumerated() where i % 3 == 0 && q.cancel(h) { cancelled += 1 }
            #expect(cancelled == 67)
            #expect(live.count == 200 - 67)
            // Reuse the freed slots.
            for i in 200..<300 { _ = q.schedule(at: Int64(i % 13), Tracked(i, live)) }
            #expect(live.count == 233)
            // Pop half; each popped payload is ours alone (no copy left in the slab).
            var seen = Set<Int>()
            for _ in 0..<100 {
                guard var popped = q.pop() else { break }
                #expect(isKnownUniquelyReferenced(&popped.payload))
                seen.insert(popped.payload.value)
            }
            #expect(seen.count == 100)
            #expect(live.count == 133)
            // The rest go with the queue.
        }
        #expect(live.count == 0)
    }

    @Test func simulationDeliversTheScheduledPayloadUniquelyOwned() {
        struct Boxed: TraceablePayload {
            var tracked: Tracked
            func fold(into digest: inout TraceDigest) { digest.fold(tracked.value) }
        }
        let live = LiveCount()
        do {
            var sim = Simulation<Boxed>(seed: 1)
            let a = sim.addActor(named: "a")
            let b = sim.addActor(named: "b")
            sim.setTimer(for: a, after: .milliseconds(5), Boxed(tracked: Tracked(1, live)))
            sim.send(from: a, to: b, Boxed(tracked: Tracked(2, live)))
            sim.deliver(from: b, to: a, after: .milliseconds(1), Boxed(tracked: Tracked(3, live)))
            sim.schedule(at: SimInstant.zero + .milliseconds(2), for: b, Boxed(tracked: Tracked(4, live)))
            var values: [Int] = []
            while var e = sim.next() {
                #expect(isKnownUniquelyReferenced(&e.payload.tracked))
                values.append(e.payload.tracked.value)
            }
            #expect(values.sorted() == [1, 2, 3, 4])
        }
        #expect(live.count == 0)
    }
}
