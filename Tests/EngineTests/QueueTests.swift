import Testing
import Engine

/// Ordering and cancellation of the event queue, directly and through the simulation.
@Suite struct QueueTests {
    @Test func simultaneousEventsFireInSchedulingOrder() {
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        let b = sim.addActor(named: "b")
        // Interleave actors, kinds and scheduling APIs at one instant.
        for i in 0..<50 {
            if i % 3 == 0 {
                sim.setTimer(for: i % 2 == 0 ? a : b, after: ms(5), Tag(i))
            } else {
                sim.schedule(at: at(ms: 5), for: i % 2 == 0 ? a : b, Tag(i))
            }
        }
        let events = drain(&sim)
        #expect(events.map(\.payload.value) == Array(0..<50))
        #expect(events.allSatisfy { $0.time == at(ms: 5) })
    }

    @Test func eventsFireInTimeOrderRegardlessOfSchedulingOrder() {
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        let times: [Int64] = [30, 10, 20, 10, 0, 30, 5]
        for (i, t) in times.enumerated() { sim.schedule(at: at(ms: t), for: a, Tag(i)) }
        let events = drain(&sim)
        // Stable sort by time: ties keep scheduling order.
        let expected = times.enumerated().sorted { ($0.element, $0.offset) < ($1.element, $1.offset) }.map(\.offset)
        #expect(events.map(\.payload.value) == expected)
        #expect(events.map(\.time.nanoseconds) == expected.map { times[$0] * 1_000_000 })
        #expect(sim.now == at(ms: 30))
    }

    /// Many random schedules, with many ties, against a stable sort.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func randomSchedulesMatchSortedReference(seed: UInt64) {
        var rng = Xoshiro256StarStar(seed: seed)
        var q = EventQueue<Int>()
        let n = 5_000
        var reference: [(time: Int64, index: Int)] = []
        for i in 0..<n {
            let t = Int64(rng.nextBelow(200))  // few distinct times: lots of ties
            _ = q.schedule(at: t, i)
            reference.append((t, i))
        }
        reference.sort { ($0.time, $0.index) < ($1.time, $1.index) }
        var popped: [(time: Int64, index: Int)] = []
        while let (t, p) = q.pop() { popped.append((t, p)) }
        #expect(popped.count == n)
        #expect(popped.map(\.index) == reference.map(\.index))
        #expect(popped.map(\.time) == reference.map(\.time))
        #expect(q.isEmpty)
    }

    /// Interleaved schedules, pops and cancels against a naive model (linear scan for the
    /// minimum (time, seq)); enough cancels to trigger the queue's compaction of stale keys.
    @Test(arguments: [UInt64(11), 12, 13])
    func interleavedOperationsMatchNaiveModel(seed: UInt64) {
        var rng = Xoshiro256StarStar(seed: seed)
        var q = EventQueue<Int>()
        struct Entry { var time: Int64; var seq: Int; var handle: EventHandle }
        var model: [Entry] = []
        var now: Int64 = 0
        var seq = 0
        var fired: [Int] = []
        var expectedFired: [Int] = []
        for _ in 0..<20_000 {
            let r = rng.nextBelow(100)
            if r < 50 {
                let t = now + Int64(rng.nextBelow(50))
                let h = q.schedule(at: t, seq)
                model.append(Entry(time: t, seq: seq, handle: h))
                seq += 1
            } else if r < 80, !model.isEmpty {
                let k = Int(rng.nextBelow(UInt64(model.count)))
                let c1 = q.cancel(model[k].handle)
                #expect(c1)
                #expect(!q.isPending(model[k].handle))
                let c2 = q.cancel(model[k].handle)
                #expect(!c2)
                model.remove(at: k)
            } else if !model.isEmpty {
                var m = 0
                for j in 1..<model.count
                where (model[j].time, model[j].seq) < (model[m].time, model[m].seq) { m = j }
                expectedFired.append(model[m].seq)
                let h = model[m].handle
                model.remove(at: m)
                #expect(q.peekTime() != nil)
                if let (t, p) = q.pop() {
                    fired.append(p)
                    #expect(t >= now)
                    now = t
                }
                if q.isPending(h) { Issue.record("a popped event is still pending") }
            }
            if q.liveCount != model.count { Issue.record("liveCount \(q.liveCount) != \(model.count)") }
        }
        #expect(fired == expectedFired)
        // Drain the rest.
        model.sort { ($0.time, $0.seq) < ($1.time, $1.seq) }
        var rest: [Int] = []
        while let (_, p) = q.pop() { rest.append(p) }
        #expect(rest == model.map(\.seq))
    }

    @Test func popNextRespectsTheLimit() {
        var q = EventQueue<String>()
        _ = q.schedule(at: 10, "a")
        _ = q.schedule(at: 20, "b")
        #expect(q.popNext(notAfter: 5) == nil)
        #expect(q.popNext(notAfter: 10)?.payload == "a")
        #expect(q.popNext(notAfter: 19) == nil)
        #expect(q.peekTime() == 20)
        #expect(q.pop()?.payload == "b")
        #expect(q.pop() == nil)
        #expect(q.peekTime() == nil)
    }

    @Test func cancelledTimerNeverFires() {
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        let keep = sim.setTimer(for: a, after: ms(10), Tag(1))
        let drop = sim.setTimer(for: a, after: ms(5), Tag(2))
        #expect(sim.isPending(drop))
        let c3 = sim.cancel(drop)
        #expect(c3)
        #expect(!sim.isPending(drop))
        let c4 = sim.cancel(drop)
        #expect(!c4, "cancelling twice reports false")
        let events = drain(&sim)
        #expect(events.map(\.payload.value) == [1])
        #expect(!sim.isPending(keep))
        let c5 = sim.cancel(keep)
        #expect(!c5, "cancelling a fired timer reports false")
        let c6 = sim.cancel(.none)
        #expect(!c6)
    }

    @Test func reusedSlotIsNotConfusedWithTheOldEvent() {
        var q = EventQueue<String>()
        let old = q.schedule(at: 10, "old")
        let c7 = q.cancel(old)
        #expect(c7)
        // The freed slot is reused by the next event, with a new generation.
        let new = q.schedule(at: 20, "new")
        #expect(new != old)
        #expect(!q.isPending(old))
        let c8 = q.cancel(old)
        #expect(!c8, "a stale handle must not cancel the slot's new event")
        #expect(q.isPending(new))
        #expect(q.pop()?.payload == "new")
        // Fired, then reused again.
        let third = q.schedule(at: 30, "third")
        let c9 = q.cancel(new)
        #expect(!c9)
        #expect(q.isPending(third))
        #expect(q.pop()?.payload == "third")
        #expect(q.isEmpty)
    }

    @Test func cancellingManyTimersKeepsOrderAndCounts() {
        // Enough stale keys to trigger compaction (more than 1,024 and than the live ones).
        var q = EventQueue<Int>()
        var handles: [EventHandle] = []
        for i in 0..<10_000 { handles.append(q.schedule(at: Int64(10_000 - i), i)) }
        for i in stride(from: 0, to: 10_000, by: 10) where i % 100 != 0 { _ = q.cancel(handles[i]) }
        var allCancelled = true
        for i in 0..<10_000 where i % 10 != 0 { allCancelled = q.cancel(handles[i]) && allCancelled }
        #expect(allCancelled)
        let survivors = (0..<10_000).filter { $0 % 100 == 0 }
        #expect(q.liveCount == survivors.count)
        var popped: [Int] = []
        while let (_, p) = q.pop() { popped.append(p) }
        #expect(popped == survivors.reversed())
    }

    @Test func controlEventsScheduledInThePastRunNow() {
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        sim.schedule(at: at(ms: 100), for: a, Tag(1))
        _ = drain(&sim)
        sim.schedule(at: at(ms: 50), for: a, Tag(2))
        let e = drain(&sim)
        #expect(e.map(\.time) == [at(ms: 100)])
    }

    @Test func nextStopsAtTheLimitAndTimeNeverGoesBack() {
        var sim = Simulation<Tag>(seed: 1)
        let a = sim.addActor(named: "a")
        for t in [10, 20, 30] as [Int64] { sim.schedule(at: at(ms: t), for: a, Tag(Int(t))) }
        #expect(drain(&sim, until: at(ms: 20)).map(\.payload.value) == [10, 20])
        #expect(sim.nextEventTime() == at(ms: 30))
        sim.advance(to: at(ms: 25))
        #expect(sim.now == at(ms: 25))
        #expect(drain(&sim).map(\.payload.value) == [30])
        #expect(sim.isIdle)
        #expect(sim.eventsDelivered == 3)
    }
}
