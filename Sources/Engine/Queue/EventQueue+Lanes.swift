import CPrefetch

/// The lanes of `EventQueue` (see `KeyLane` and the queue's notes): which lane a timer joins,
/// and how the keys of an opened bucket leave the lanes' fronts.
extension EventQueue {
    /// The lane a key of bucket `b`, `d` buckets after `cursor`, should join, or -1 for none:
    /// the first lane whose distance is close to `d` (`isNear`: the stream of timers the key
    /// most likely belongs to) and whose last bucket is not after `b`; else, if one of the last
    /// two keys that found no lane was at about the same distance (a stream, not a lone timer,
    /// which would hold a lane until it fires; two, for two streams set in turn, as a node's
    /// request timeout and next heartbeat are), an empty lane, which takes `d` as its distance.
    /// (A guess about cost only: the order does not depend on it.)
    ///
    /// A lane found after another that holds fewer keys changes places with it (`swapLanes`),
    /// so that the busiest streams are found first (the search was 40 instructions a timer at
    /// 1,000 nodes when the fleet's two streams had the third and fourth lanes).
    @inlinable @inline(__always) mutating func laneFor(bucket b: UInt64, distance d: UInt64) -> Int {
        var empty = -1
        for l in 0..<EventQueueStorage<Payload>.laneCount {
            let lane = lanes + l
            if lane.pointee.count == 0 {
                if empty < 0 { empty = l }
                continue
            }
            if Self.isNear(d, lane.pointee.distance) && lane.pointee.backBucket <= b {
                if l > 0 && lanes[l &- 1].count < lane.pointee.count {
                    swapLanes(l &- 1, l)
                    return l &- 1
                }
                return l
            }
        }
        if empty >= 0 && (Self.isNear(d, unlanedDistances.0) || Self.isNear(d, unlanedDistances.1)) {
            lanes[empty].distance = d
            return empty
        }
        unlanedDistances = (d, unlanedDistances.0)
        return -1
    }

    /// Exchanges lanes `i` and `j` and their fronts (which lane holds a stream is not part of
    /// the order: `advance` takes every lane's keys of the opened bucket).
    @inlinable mutating func swapLanes(_ i: Int, _ j: Int) {
        swap(&lanes[i], &lanes[j])
        swap(&laneFronts[i], &laneFronts[j])
    }

    /// Whether distance `d` is within a sixteenth of `reference` (a stream's distance varies by
    /// a bucket, as its keys' times fall within their buckets; two streams differ by seconds).
    @inlinable @inline(__always) static func isNear(_ d: UInt64, _ reference: UInt64) -> Bool {
        let tolerance = reference &>> 4
        return d &+ tolerance >= reference && d <= reference &+ tolerance
    }

    /// Appends `key` (of bucket `b`, not before the lane's last) to lane `l`.
    @inlinable @inline(__always) mutating func laneAppend(_ key: Key, bucket b: UInt64, lane l: Int) {
        let lane = lanes + l
        if lane.pointee.count == lane.pointee.capacity { lane.pointee.grow() }
        if lane.pointee.count == 0 {
            laneFronts[l] = b
            laneNext = Swift.min(laneNext, b)
        }
        lane.pointee.append(key, bucket: b)
        laneKeyCount &+= 1
    }

    /// Moves the keys of bucket `target` at the fronts of the lanes due then into `near` (live
    /// ones only), drops the stale keys that are then at their fronts, and updates `laneFronts`
    /// and `laneNext`.
    @inlinable mutating func drainLanes(_ target: UInt64) {
        var next = UInt64.max
        for l in 0..<EventQueueStorage<Payload>.laneCount {
            if laneFronts[l] == target {
                let lane = lanes + l
                var front = UInt64.max
                while lane.pointee.count > 0 {
                    let k = lane.pointee.front
                    let b = bucket(of: k)
                    let live = isLive(k)
                    if b != target && live {
                        front = b
                        break
                    }
                    lane.pointee.dropFront()
                    laneKeyCount &-= 1
                    prefetchLaneAhead(lane)
                    if live { pushNear(k) }
                }
                laneFronts[l] = front
            }
            next = Swift.min(next, laneFronts[l])
        }
        laneNext = next
    }

    /// Sets `laneFronts` and `laneNext` from the lanes' fronts (after a compaction).
    @inlinable mutating func resetLaneFronts() {
        var next = UInt64.max
        for l in 0..<EventQueueStorage<Payload>.laneCount {
            laneFronts[l] = lanes[l].count > 0 ? bucket(of: lanes[l].front) : .max
            next = Swift.min(next, laneFronts[l])
        }
        laneNext = next
    }

    /// How many places behind a lane's front the key whose slot is asked for is, each time the
    /// front is taken (so each key once, that many takes before its turn).
    @inlinable static var laneLookahead: Int { 4 }

    /// Asks the CPU for the slot word and payload of the key `laneLookahead` places behind the
    /// lane's new front: its bucket opens soon (a few buckets at 10,000 nodes), and both were
    /// last touched when it was scheduled, seconds ago. And for the lane's own keys four lines
    /// further on, read one line every few buckets: too slowly for the CPU's stream prefetcher
    /// to follow (the read of the key `laneLookahead` places on was 40 % of the lanes' samples
    /// at 10,000 nodes without it). A hint only.
    @inlinable @inline(__always) func prefetchLaneAhead(_ lane: UnsafeMutablePointer<KeyLane>) {
        let j = Self.laneLookahead &- 1
        let base = lane.pointee.base
        let head = lane.pointee.head
        let mask = lane.pointee.mask
        cprefetch_read(base + ((head &+ j &+ 16) & mask))
        if lane.pointee.count > j { prefetchSlot(of: base[(head &+ j) & mask]) }
    }
}
