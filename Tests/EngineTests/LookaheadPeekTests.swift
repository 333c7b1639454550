import Testing
import Engine

/// The read-only look at the next event (`Simulation.peekNext`, `EventQueue.peekRoot`) that the
/// World's look-ahead prefetches from. It is a guess, so what is checked is that it is right
/// whenever it answers and nothing intervenes, that it answers often enough to be worth having,
/// and that looking changes nothing: same events, same order, same digest.
@Suite struct LookaheadPeekTests {
    /// Random schedules over a few actors: timers (some more than a wheel ahead), messages
    /// (random latencies, some duplicated) and control events, with crashes and restarts.
    /// `peekBeforeEach` peeks before every step; the run's delivered events and digest are
    /// returned for comparison, with how often the peek answered and was right.
    static func run(seed: UInt64, steps: Int, peekBeforeEach: Bool) -> (events: [String], digest: TraceDigest, answered: Int, matched: Int) {
        var rng = Xoshiro256StarStar(seed: seed)
        var sim = Simulation<Tag>(seed: seed)
        sim.network.defaultLink = LinkModel(latency: .uniform(ms(1), ms(40)), duplication: 0.05)
        let actors = (0..<6).map { sim.addActor(named: "a\($0)") }
        var events: [String] = []
        var answered = 0
        var matched = 0
        var tag = 0
        for _ in 0..<steps {
            let a = actors[Int(rng.next() % 6)]
            tag += 1
            switch rng.next() % 8 {
            case 0, 1: sim.setTimer(for: a, after: ms(Int64(rng.next() % 50_000)), Tag(tag))
            case 2, 3: sim.send(from: a, to: actors[Int(rng.next() % 6)], Tag(tag))
            case 4: sim.schedule(at: sim.now + ms(Int64(rng.next() % 100)), for: a, Tag(tag))
            case 5: if rng.next() % 8 == 0 { sim.crash(a) } else if !sim.isUp(a) { sim.restart(a) }
            default:
                // Deliver one or a few events, peeking first if asked.
                for _ in 0..<(1 + rng.next() % 3) {
                    let peek = peekBeforeEach ? sim.peekNext() : nil
                    guard let h = sim.nextHeader() else { break }
                    let p = sim.takePayload()
                    if let peek {
                        answered += 1
                        // Nothing was scheduled in between: the peeked event is the one delivered,
                        // unless it was discarded on the way (a crashed incarnation's timer, a
                        // message to an actor that is down).
                        if peek.actor == h.actor && peek.from == h.from && peek.kind == h.kind {
                            matched += 1
                        } else {
                            #expect(!sim.isUp(peek.actor) || peek.kind == .timer, "peeked \(peek) but delivered \(h)")
                        }
                    }
                    events.append("\(h.time.nanoseconds) \(h.actor.index) \(h.from.index) \(h.kind) \(p.value)")
                }
            }
        }
        while let h = sim.nextHeader() { events.append("\(h.time.nanoseconds) \(h.actor.index) \(h.kind) \(sim.takePayload().value)") }
        return (events, sim.digest, answered, matched)
    }

    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func thePeekIsTheNextEventAndLookingChangesNothing(seed: UInt64) {
        let looked = Self.run(seed: seed, steps: 20_000, peekBeforeEach: true)
        let plain = Self.run(seed: seed, steps: 20_000, peekBeforeEach: false)
        #expect(looked.events == plain.events)
        #expect(looked.digest == plain.digest)
        #expect(looked.events.count > 5_000)
        // Right whenever nothing was discarded, and answering often (the queue's `near` heap
        // holds the rest of the current bucket, so a bucket's last event goes unanswered; these
        // schedules are sparse, a fleet's buckets hold tens of events).
        #expect(looked.answered > 1_000)
        #expect(looked.matched * 10 >= looked.answered * 9)
    }

    /// `peekRoot` against the queue's own pops over random schedules and cancels: when it
    /// answers, its payload is the next pop's.
    @Test func peekRootIsTheNextPopWhenItAnswers() {
        var rng = Xoshiro256StarStar(seed: 9)
        var q = EventQueue<Int>(bucketShift: 4, wheelBits: 6)
        #expect(q.peekRoot() == nil)
        var handles: [EventHandle] = []
        var now: Int64 = 0
        var answered = 0
        for n in 0..<50_000 {
            switch rng.next() % 4 {
            case 0, 1: handles.append(q.schedule(at: now + Int64(rng.next() % 3_000), n))
            case 2: if !handles.isEmpty { q.cancel(handles[Int(rng.next() % UInt64(handles.count))]) }
            default:
                let peeked = q.peekRoot()?.pointee
                guard let (time, payload) = q.pop() else {
                    #expect(peeked == nil)
                    continue
                }
                now = time
                if let peeked {
                    answered += 1
                    #expect(peeked == payload)
                }
            }
        }
        #expect(answered > 1_000)
    }

    /// `EventQueue.prefetch(_:)` (the hint asked for before a cancel) on live, fired, cancelled
    /// and `.none` handles, and on a slot past the slab, changes nothing: a queue that is asked
    /// for every handle before each step pops the same events at the same times, and answers
    /// `isPending` the same, as its twin that never is.
    @Test func prefetchingAHandleChangesNothing() {
        var rng = Xoshiro256StarStar(seed: 17)
        var plain = EventQueue<Int>(bucketShift: 4, wheelBits: 6)
        var hinted = EventQueue<Int>(bucketShift: 4, wheelBits: 6)
        hinted.prefetch(.none)
        var handles: [EventHandle] = [.none]
        var now: Int64 = 0
        for n in 0..<20_000 {
            for h in handles.suffix(8) { hinted.prefetch(h) }
            switch rng.next() % 4 {
            case 0, 1:
                let at = now + Int64(rng.next() % 3_000)
                let h = plain.schedule(at: at, n)
                #expect(hinted.schedule(at: at, n) == h)
                handles.append(h)
            case 2:
                let h = handles[Int(rng.next() % UInt64(handles.count))]
                #expect(plain.isPending(h) == hinted.isPending(h))
                #expect(plain.cancel(h) == hinted.cancel(h))
            default:
                let a = plain.pop(), b = hinted.pop()
                #expect(a?.0 == b?.0 && a?.1 == b?.1)
                if let a { now = a.0 }
            }
        }
        // A handle from a larger queue: its slot lies past this one's slab. The hint declines it, which
        // this cannot observe (a prefetch never faults): it shows only that nothing changes.
        var larger = EventQueue<Int>(bucketShift: 4, wheelBits: 6)
        var far = EventHandle.none
        for n in 0..<5_000 { far = larger.schedule(at: Int64(n), n) }
        var small = EventQueue<Int>(bucketShift: 4, wheelBits: 6)
        _ = small.schedule(at: 1, 1)
        small.prefetch(far)
        #expect(small.pop()?.1 == 1 && small.pop() == nil)
    }
}
