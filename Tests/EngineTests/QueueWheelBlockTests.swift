import Testing
import Engine

/// The wheel's buckets (`EventQueue.wheelInsert`, `drainBucket`, `compact`) against a plain
/// sorted array: buckets holding 0 to 40 keys, cancels enough to force a compaction that
/// rebuilds every bucket, keys added to the compacted buckets afterwards, and a copy of the
/// queue taken in between. No lanes, so every key ahead of the cursor waits in the wheel.
/// (Written for a wheel of blocks of seven keys, tried and reverted: README part L, kernel;
/// it holds for any bucket layout.)
@Suite struct QueueWheelBlockTests {
    @Test(arguments: [UInt64(21), 22, 23])
    func bucketsKeepEveryKeyThroughCompactionAndCopy(seed: UInt64) {
        var rng = Xoshiro256StarStar(seed: seed)
        // Buckets of 16 time units, a wheel of 256 buckets (4,096 units), no lanes.
        var q = EventQueue<Int>(bucketShift: 4, wheelBits: 8, laneDistance: .max)
        var reference: [(time: Int64, seq: Int)] = []
        var handles: [EventHandle] = []
        func schedule(_ time: Int64) {
            let seq = handles.count
            handles.append(q.schedule(at: time, seq))
            reference.append((time, seq))
        }
        // Bucket b gets (b * 7) % 41 keys: 0, 7, 14, 21, ..., 40, 6, 13, ...; 3,000 keys or so.
        for round in 0..<2 {
            for b in 1..<150 {
                let n = (b * 7 + round) % 41
                for _ in 0..<n { schedule(Int64(b) * 16 + Int64(rng.nextBelow(16))) }
            }
        }
        // Cancel about two thirds: stale keys then outnumber the live ones, and the queue
        // compacts every chain.
        var cancelled = Set<Int>()
        for seq in 0..<handles.count where rng.nextBelow(3) != 0 {
            let wasPending = q.cancel(handles[seq])
            #expect(wasPending)
            cancelled.insert(seq)
        }
        #expect(q.liveCount == handles.count - cancelled.count)
        // More keys into the compacted chains (some full, some partly, some emptied).
        for b in stride(from: 1, to: 150, by: 3) {
            for _ in 0..<(b % 11) { schedule(Int64(b) * 16 + Int64(rng.nextBelow(16))) }
        }
        let copy = q
        let expected = reference.filter { !cancelled.contains($0.seq) }.sorted { ($0.time, $0.seq) < ($1.time, $1.seq) }
        for var queue in [q, copy] {
            var popped: [(time: Int64, seq: Int)] = []
            while let (t, p) = queue.pop() { popped.append((t, p)) }
            #expect(popped.map(\.time) == expected.map(\.time))
            #expect(popped.map(\.seq) == expected.map(\.seq))
            #expect(queue.isEmpty)
        }
    }
}
