import Testing
import Engine

/// The event queue's lanes (`KeyLane`) under a fleet's pattern of events, in the simulation's
/// default layout (nanoseconds, 4 ms buckets): each node's heartbeat timer 15 s ahead, a request
/// timeout 10 s ahead that the answer, 10-100 ms later, cancels (most of the time), and the
/// messages in between. The pops must be exactly a stable sort's order (an independent plain
/// reference: pending events in an array, the earliest (time, seq) found by a scan), and the
/// same as a queue without lanes; and the timers must actually wait in lanes, or the test would
/// compare the wheel with itself.
@Suite struct QueueLaneTests {
    /// What a popped event asks for, as a fleet's node would.
    enum Event: Equatable { case heartbeat(node: Int), timeout(node: Int), answer(node: Int), message }

    struct Pending { var time: Int64; var seq: Int; var event: Event; var handle: EventHandle }

    /// Runs the pattern for `nodes` nodes and `pops` events on a queue with lanes for keys
    /// `laneDistance` buckets ahead (`.max`: none), checking each pop against the reference;
    /// returns the pops' sequence numbers and the most keys the lanes held at once.
    static func run(nodes: Int, pops: Int, laneDistance: UInt64, seed: UInt64) -> (order: [Int], mostInLanes: Int) {
        var rng = Xoshiro256StarStar(seed: seed)
        var q = EventQueue<Int>(laneDistance: laneDistance)
        var pending: [Pending] = []
        var events: [Event] = []  // by seq
        var timeouts: [EventHandle?] = Array(repeating: nil, count: nodes)
        var order: [Int] = []
        var mostInLanes = 0
        var now: Int64 = 0
        func schedule(_ at: Int64, _ e: Event) -> EventHandle {
            let seq = events.count
            events.append(e)
            let h = q.schedule(at: at, seq)
            pending.append(Pending(time: at, seq: seq, event: e, handle: h))
            return h
        }
        func cancel(_ h: EventHandle) {
            let cancelled = q.cancel(h)
            #expect(cancelled)
            pending.removeAll { $0.handle == h }
        }
        // Nodes start within the first 15 s, in a burst and then spread out.
        for n in 0..<nodes {
            _ = schedule(n < nodes / 4 ? Int64(n) * 1_000 : Int64(rng.nextBelow(15_000_000_000)), .heartbeat(node: n))
        }
        for _ in 0..<pops {
            // The reference's next: the smallest (time, seq).
            guard var best = pending.indices.first else { break }
            for i in pending.indices where (pending[i].time, pending[i].seq) < (pending[best].time, pending[best].seq) {
                best = i
            }
            let expected = pending.remove(at: best)
            guard let (time, seq) = q.pop() else {
                Issue.record("queue empty, reference has \(expected.seq)")
                break
            }
            if (time, seq) != (expected.time, expected.seq) {
                Issue.record("popped (\(time), \(seq)), reference (\(expected.time), \(expected.seq))")
                break
            }
            order.append(seq)
            now = time
            switch events[seq] {
            case .heartbeat(let n):
                // The request (a message), its timeout and the next heartbeat.
                _ = schedule(now + 10_000_000 + Int64(rng.nextBelow(90_000_000)), .answer(node: n))
                timeouts[n] = schedule(now + 10_000_000_000, .timeout(node: n))
                _ = schedule(now + 15_000_000_000, .heartbeat(node: n))
                // Now and then a message to another node at the same instant (ties).
                if rng.nextBelow(8) == 0 { _ = schedule(now, .message) }
            case .answer(let n):
                // Most answers come in time; one in ten is lost and its timeout fires.
                if rng.nextBelow(10) != 0, let h = timeouts[n] { cancel(h) }
                timeouts[n] = nil
            case .timeout(let n):
                timeouts[n] = nil
            case .message:
                break
            }
            mostInLanes = max(mostInLanes, q.keysInLanes)
        }
        return (order, mostInLanes)
    }

    @Test(arguments: [UInt64(1), 2])
    func aFleetsTimersWaitInLanesAndFireInTheSortedOrder(seed: UInt64) {
        let withLanes = Self.run(nodes: 300, pops: 12_000, laneDistance: 256, seed: seed)
        let without = Self.run(nodes: 300, pops: 12_000, laneDistance: .max, seed: seed)
        #expect(withLanes.order.count == 12_000)
        #expect(withLanes.order == without.order)
        // About 300 heartbeats and up to 300 timeouts wait at once: nearly all in lanes.
        #expect(withLanes.mostInLanes > 400)
        #expect(without.mostInLanes == 0)
    }

    /// A copy of a queue whose timers wait in lanes is a value: draining the original (and
    /// scheduling into its lanes) leaves the copy's events as they were.
    @Test func copiesOfAQueueWithLanesAreIndependent() {
        var a = EventQueue<Int>(bucketShift: 2, wheelBits: 6, laneDistance: 16)
        // A tick every 10 units sets two timers, 1,000 and 1,500 units ahead (buckets of 4, so
        // 250 and 375 buckets: lanes), and the next tick. Payload % 3: 0 a tick, 1 and 2 timers.
        var next = 0
        func add(_ q: inout EventQueue<Int>, _ t: Int64, _ kind: Int) {
            _ = q.schedule(at: t, next * 3 + kind)
            next += 1
        }
        add(&a, 0, 0)
        for _ in 0..<400 {
            guard let (t, p) = a.pop() else { break }
            if p % 3 == 0 {
                add(&a, t + 10, 0)
                add(&a, t + 1_000, 1)
                add(&a, t + 1_500, 2)
            }
        }
        #expect(a.keysInLanes > 150)
        var b = a
        add(&a, 3_000, 1)  // into one of a's lanes only
        let extra = (next - 1) * 3 + 1
        var fromA: [Int] = []
        var fromB: [Int] = []
        while let (_, p) = a.pop() {
            fromA.append(p)
            if fromA.count == 2_000 { break }  // the ticks go on for ever
        }
        while let (_, p) = b.pop() {
            fromB.append(p)
            if fromB.count == 2_000 { break }
        }
        #expect(fromA.contains(extra) && !fromB.contains(extra))
        #expect(fromA.filter { $0 != extra } == Array(fromB.prefix(fromA.count - 1)))
    }
}
