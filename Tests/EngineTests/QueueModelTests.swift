import Testing
import Engine

/// The event queue against a plain reference: an array kept sorted by (time, scheduling
/// sequence), over long seeded sequences of schedules (near, far, streams of timers at fixed
/// delays, equal times, times before the last pop, the far future up to `Int64.max`), cancels
/// (pending, fired, cancelled twice, `.none`), bounded pops and peeks, for bucket widths, wheel
/// sizes and lane distances that put most keys in the wheel, in the far heap, in lanes or in one
/// bucket. The order must be exactly the reference's, whatever the layout.
@Suite struct QueueModelTests {
    /// The reference: pending events sorted by (time, seq); a pop removes the first.
    struct Reference {
        struct Event { var time: Int64; var seq: Int; var handle: EventHandle }
        var pending: [Event] = []
        /// By seq: the event's time, and whether it is pending.
        var times: [Int64] = []
        var isPending: [Bool] = []

        /// Where (time, seq) is or would go in `pending`.
        func index(_ time: Int64, _ seq: Int) -> Int {
            var lo = 0
            var hi = pending.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if (pending[mid].time, pending[mid].seq) < (time, seq) { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        mutating func insert(_ e: Event) {
            precondition(e.seq == times.count)
            times.append(e.time)
            isPending.append(true)
            pending.insert(e, at: index(e.time, e.seq))
        }
        mutating func remove(seq: Int) -> Bool {
            guard isPending[seq] else { return false }
            let k = index(times[seq], seq)
            precondition(pending[k].seq == seq)
            pending.remove(at: k)
            isPending[seq] = false
            return true
        }
        mutating func removeFirst() -> Event {
            let e = pending.removeFirst()
            isPending[e.seq] = false
            return e
        }
    }

    /// Runs `steps` random operations on a queue with buckets of `2^shift`, `2^wheelBits` of
    /// them and lanes for keys `laneDistance` buckets ahead or more, and on the reference,
    /// checking every answer; returns the (seq) order in which events fired, for cross-layout
    /// checks, and the most keys the lanes held at once (so that a test knows they were used).
    /// At step `copyAt` the queue and the reference are copied; the run goes on with the
    /// original, and at the end the copy is drained against the reference's copy: a queue is a
    /// value, whatever its keys' places (heaps, wheel chunks, lanes) when it was copied.
    static func run(
        seed: UInt64, shift: Int, wheelBits: Int, laneDistance: UInt64 = 256, steps: Int, copyAt: Int = -1
    ) -> (order: [Int], mostInLanes: Int) {
        var rng = Xoshiro256StarStar(seed: seed)
        var q = EventQueue<Int>(bucketShift: shift, wheelBits: wheelBits, laneDistance: laneDistance)
        var mostInLanes = 0
        var ref = Reference()
        var handles: [EventHandle] = []  // by seq, including fired and cancelled ones
        var now: Int64 = 0
        var fired: [Int] = []
        var copy: (queue: EventQueue<Int>, reference: Reference)? = nil
        for step in 0..<steps {
            if step == copyAt { copy = (q, ref) }
            let r = rng.nextBelow(1_000)
            if r < 500 {
                // Schedule: mostly near (messages), some far (timers: at random delays, and five
                // streams at fixed delays, one with a jitter of a few units, as a fleet's
                // heartbeats and request timeouts, one whose delay drifts down and jumps back,
                // so that its keys' buckets can fall before its lane's last; five streams for
                // four lanes), ties, the past, the far future.
                let kind = rng.nextBelow(100)
                let time: Int64
                switch kind {
                case 0..<45: time = now + Int64(rng.nextBelow(100))
                case 45..<51: time = now + 1_000 + Int64(rng.nextBelow(20_000))
                case 51..<53: time = now + 3_000
                case 53..<55: time = now + 12_000
                case 55..<58: time = now + 4_500 - Int64(handles.count % 2_000)
                case 58..<67: time = now + 9_000
                case 67..<75: time = now + 6_000 + Int64(rng.nextBelow(3))
                case 75..<90: time = now + Int64(rng.nextBelow(4)) * 10  // many ties
                case 90..<95: time = now - Int64(rng.nextBelow(500))  // before the last pop
                case 95..<98: time = Int64.max - Int64(rng.nextBelow(3))
                default: time = Int64.min / 2 + Int64(rng.nextBelow(3))
                }
                let seq = handles.count
                let h = q.schedule(at: time, seq)
                handles.append(h)
                ref.insert(.init(time: time, seq: seq, handle: h))
            } else if r < 650 {
                // Cancel a random handle ever issued (pending, fired or cancelled), or `.none`.
                if handles.isEmpty || rng.nextBelow(50) == 0 {
                    if q.cancel(.none) { Issue.record("cancelling .none reported true") }
                    continue
                }
                let seq = Int(rng.nextBelow(UInt64(handles.count)))
                let expected = ref.remove(seq: seq)
                let got = q.cancel(handles[seq])
                if got != expected { Issue.record("cancel of \(seq): \(got), reference \(expected)") }
                if q.isPending(handles[seq]) { Issue.record("cancelled \(seq) still pending") }
            } else if r < 999 {
                // Pop, sometimes with a limit below the next event.
                let limit: Int64 = rng.nextBelow(4) == 0 ? now + Int64(rng.nextBelow(50)) : .max
                let peek = q.peekTime()
                if peek != ref.pending.first?.time { Issue.record("peek \(String(describing: peek))") }
                let expected = ref.pending.first.flatMap { $0.time <= limit ? $0 : nil }
                let got: (time: Int64, payload: Int)?
                switch rng.nextBelow(4) {
                case 0:
                    // In two steps (`holdNext`, then `takeHeld`), with checks while it is held:
                    // neither pending nor live nor cancellable, and a schedule meanwhile takes
                    // another slot.
                    got = Self.holdAndTake(&q, limit: limit, expected: expected)
                case 1:
                    // Held, then destroyed where it lies (`dropHeld`): gone all the same. Its
                    // payload cannot be read here, so only its time is checked at once; had
                    // the wrong event gone, the pops that follow would differ from the reference.
                    got = q.holdNext(notAfter: limit).map { time in
                        let payload = expected?.seq ?? -1
                        if let e = expected, q.cancel(e.handle) { Issue.record("cancelled the held \(e.seq)") }
                        q.dropHeld()
                        return (time, payload)
                    }
                default:
                    got = q.popNext(notAfter: limit)
                }
                if got?.payload != expected?.seq || got?.time != expected?.time {
                    Issue.record("pop: \(String(describing: got)), reference \(String(describing: expected))")
                    return (fired, mostInLanes)
                }
                if let e = expected {
                    _ = ref.removeFirst()
                    fired.append(e.seq)
                    if q.isPending(e.handle) { Issue.record("fired \(e.seq) still pending") }
                    now = max(now, e.time == .max ? now : e.time)
                }
            } else {
                // Cancel 60% of what is pending, to force compactions of stale keys.
                for _ in 0..<(ref.pending.count * 3 / 5) {
                    let k = Int(rng.nextBelow(UInt64(ref.pending.count)))
                    let e = ref.pending[k]
                    _ = ref.remove(seq: e.seq)
                    if !q.cancel(e.handle) { Issue.record("cancel of pending \(e.seq) reported false") }
                }
            }
            if q.liveCount != ref.pending.count {
                Issue.record("liveCount \(q.liveCount), reference \(ref.pending.count)")
                return (fired, mostInLanes)
            }
            mostInLanes = max(mostInLanes, q.keysInLanes)
        }
        // Drain: the rest in reference order.
        for e in ref.pending {
            guard let got = q.pop() else {
                Issue.record("queue empty before the reference")
                return (fired, mostInLanes)
            }
            if got.payload != e.seq || got.time != e.time { Issue.record("drain: \(got), reference \(e.seq)") }
            fired.append(got.payload)
        }
        #expect(q.pop() == nil)
        #expect(q.isEmpty)
        #expect(q.keysInLanes == 0)
        if let (copiedQueue, reference) = copy {
            var queue = copiedQueue
            for e in reference.pending {
                guard let got = queue.pop() else {
                    Issue.record("the copy is empty before its reference")
                    break
                }
                if got.payload != e.seq || got.time != e.time { Issue.record("copy: \(got), reference \(e.seq)") }
            }
            #expect(queue.pop() == nil)
            #expect(queue.keysInLanes == 0)
        }
        return (fired, mostInLanes)
    }

    /// `holdNext` then `takeHeld`, checking the held event on the way (see `run`).
    static func holdAndTake(
        _ q: inout EventQueue<Int>, limit: Int64, expected: Reference.Event?
    ) -> (time: Int64, payload: Int)? {
        let liveBefore = q.liveCount
        guard let time = q.holdNext(notAfter: limit) else { return nil }
        if q.liveCount != liveBefore - 1 { Issue.record("a held event still counted live") }
        if let e = expected {
            if q.isPending(e.handle) { Issue.record("held \(e.seq) reported pending") }
            if q.cancel(e.handle) { Issue.record("cancelled the held \(e.seq)") }
        }
        // A schedule and its cancel while one is held: another slot, gone again.
        let extra = q.schedule(at: .min, -7)
        if !q.cancel(extra) { Issue.record("the event scheduled while one was held is not pending") }
        return (time, q.takeHeld())
    }

    @Test(arguments: [UInt64(101), 102, 103, 104])
    func matchesTheSortedReferenceForEveryLayout(seed: UInt64) {
        // (1, 6): buckets of 2, a wheel of 128 time units: near deltas (< 100) mostly in the
        // wheel, far ones (>= 1,000) in the far heap; (4, 8): a wheel of 4,096, split; (10, 6):
        // a wheel of 65,536, nearly everything in it; (62, 6): every time >= 0 in one or two
        // buckets (the far future in the next), so the near heap orders nearly everything.
        // Each without lanes (`.max`), and with lanes for keys 0, 1, 8 or 256 buckets ahead or
        // more (0: messages too, when their distances repeat).
        var orders: [[Int]] = []
        let layouts: [(Int, Int, UInt64)] = [
            (1, 6, .max), (1, 6, 8), (1, 6, 256), (4, 8, .max), (4, 8, 1), (4, 8, 64), (10, 6, .max), (10, 6, 0),
            (62, 6, .max), (62, 6, 0), (22, 13, 256),
        ]
        for (shift, bits, lanes) in layouts {
            let (order, mostInLanes) = Self.run(
                seed: seed, shift: shift, wheelBits: bits, laneDistance: lanes, steps: 60_000,
                copyAt: 20_000 + Int(seed % 7) * 3_000)
            orders.append(order)
            // Lanes take the two streams wherever the buckets are finer than their delays.
            if lanes == .max || shift >= 10 {
                if lanes == .max { #expect(mostInLanes == 0) }
            } else {
                #expect(mostInLanes > 100, "lanes used with buckets of 2^\(shift), distance \(lanes)")
            }
        }
        #expect(orders[0].count > 10_000, "the sequence fires many events")
        for o in orders.dropFirst() { #expect(o == orders[0]) }
    }

    /// Exactly the sorted order for the simulation's default layout in nanoseconds (buckets of
    /// about 4 ms, a wheel of about 34 s), with keys in the wheel and beyond it.
    @Test func defaultLayoutKeepsTheOrder() {
        var q = EventQueue<Int>()
        #expect(q.bucketShift == 22 && q.wheelBits == 13)
        // Far (15 s), near (50 ms) and equal times, scheduled interleaved.
        var reference: [(Int64, Int)] = []
        for i in 0..<3_000 {
            let t: Int64 = i % 3 == 0 ? 15_000_000_000 + Int64(i % 7) : 50_000_000 * Int64(i % 5)
            _ = q.schedule(at: t, i)
            reference.append((t, i))
        }
        reference.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        var popped: [(Int64, Int)] = []
        while let (t, p) = q.pop() {
            popped.append((t, p))
            // Reschedule a few after each pop, like timers and replies do.
            if p < 3_000 && p % 10 == 0 {
                let t2 = t + (p % 20 == 0 ? (p % 40 == 0 ? 20_000_000_000 : 50_000_000_000) : 30_000_000)
                _ = q.schedule(at: t2, p + 10_000)
                reference.append((t2, p + 10_000))
            }
        }
        reference.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        #expect(popped.map(\.0) == reference.map(\.0))
        #expect(popped.map(\.1) == reference.map(\.1))
    }
}
