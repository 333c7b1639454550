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

    /// A copied queue is a value: each copy has its own pending events (the slab is copied
    /// when one of them first writes) and releases its references to the payloads once.
    @Test func copiesOfAQueueAreIndependentAndReleaseTheirPayloads() {
        let live = LiveCount()
        do {
            var a = EventQueue<Tracked>(bucketShift: 2, wheelBits: 6)
            var handles: [EventHandle] = []
            // Several pages of slots (a page is 1,024), times near and far.
            for i in 0..<3_000 { handles.append(a.schedule(at: Int64(i % 50), Tracked(i, live))) }
            for i in stride(from: 0, to: 3_000, by: 4) { _ = a.cancel(handles[i]) }
            #expect(live.count == 2_250)
            var b = a  // shares the slab until one writes
            // Writing through b copies the slab; a is untouched.
            let bFirst = b.pop()?.payload.value
            #expect(a.liveCount == 2_250)
            #expect(b.liveCount == 2_249)
            // Cancels in a do not reach b (b still holds those payloads), and b's new event does
            // not appear in a.
            for i in stride(from: 1, to: 3_000, by: 4) { _ = a.cancel(handles[i]) }
            #expect(live.count == 2_250)
            #expect(b.isPending(handles[1]) && !a.isPending(handles[1]))
            _ = b.schedule(at: 0, Tracked(-1, live))
            var fromA: [Int] = []
            while let (_, p) = a.pop() { fromA.append(p.value) }
            var fromB: [Int] = [bFirst ?? -2]
            while let (_, p) = b.pop() { fromB.append(p.value) }
            let byTime = { (x: Int, y: Int) in (x % 50, x) < (y % 50, y) }
            let expectedA = (0..<3_000).filter { $0 % 4 >= 2 }.sorted(by: byTime)
            let expectedB = (0..<3_000).filter { $0 % 4 != 0 }.sorted(by: byTime)
            #expect(fromA == expectedA)
            // b's extra event at time 0 comes after the time-0 events scheduled before it.
            var withExtra = expectedB
            withExtra.insert(-1, at: expectedB.firstIndex { $0 % 50 > 0 }!)
            #expect(fromB == withExtra)
            #expect(live.count == 0)
            // Left pending in two copies: released with them.
            for i in 0..<5 { _ = a.schedule(at: Int64(i), Tracked(i, live)) }
            b = a
            _ = b.schedule(at: 1, Tracked(99, live))
            #expect(live.count == 6)
            #expect(a.liveCount == 5 && b.liveCount == 6)
        }
        #expect(live.count == 0)
    }

    /// A held event (`holdNext`: off the heaps, payload still in its slot) is neither pending
    /// nor free: a copy of the queue copies its payload, `takeHeld` hands it over uniquely
    /// owned, `dropHeld` releases it once, and a queue that goes away while holding one
    /// releases it too.
    @Test func aHeldPayloadIsCopiedWithItsQueueAndReleasedOnce() {
        let live = LiveCount()
        do {
            var a = EventQueue<Tracked>(bucketShift: 2, wheelBits: 6)
            for i in 0..<40 { _ = a.schedule(at: Int64(i), Tracked(i, live)) }
            #expect(a.holdNext(notAfter: .max) == 0)
            #expect(live.count == 40)
            var b = a  // copies share the slab until one writes
            var taken = b.takeHeld()  // b's write copies the slab, the held payload with it
            #expect(taken.value == 0)
            #expect(isKnownUniquelyReferenced(&taken) == false, "a's slab still holds its own reference")
            a.dropHeld()
            #expect(isKnownUniquelyReferenced(&taken))
            #expect(live.count == 40)
            _ = consume taken
            #expect(live.count == 39)
            #expect(a.holdNext(notAfter: .max) == 1)
            #expect(b.holdNext(notAfter: .max) == 1)
            #expect(a.takeHeld().value == 1 && b.takeHeld().value == 1)
            #expect(live.count == 38)
            #expect(a.liveCount == 38 && b.liveCount == 38)
            // Held when the queue goes away: destroyed with it.
            #expect(a.holdNext(notAfter: .max) == 2)
            #expect(a.liveCount == 37)
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

    /// The two-step delivery (`nextHeader`, then `takePayload`): the payload uniquely owned,
    /// and undeliverable events (a crashed incarnation's timer, a message to an actor that is
    /// down) destroyed in their slots.
    @Test func twoStepDeliveryHandsOverEachPayloadAndDropsTheUndeliverable() {
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
            sim.deliver(from: a, to: b, after: .milliseconds(3), Boxed(tracked: Tracked(2, live)))
            sim.schedule(at: SimInstant.zero + .milliseconds(1), for: b, Boxed(tracked: Tracked(3, live)))
            sim.crash(a)  // its timer (1) is lost
            sim.crash(b)  // the message to it (2) is dropped; the control event (3) still comes
            #expect(live.count == 3)
            var values: [Int] = []
            while let header = sim.nextHeader() {
                var payload = sim.takePayload()
                #expect(isKnownUniquelyReferenced(&payload.tracked))
                #expect(header.actor == b && header.kind == .control)
                values.append(payload.tracked.value)
            }
            #expect(values == [3])
            #expect(live.count == 0, "the undeliverable payloads went in their slots")
            #expect(sim.timersLostToCrash == 1)
        }
        #expect(live.count == 0)
    }
}
