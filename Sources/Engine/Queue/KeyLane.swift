/// A lane of `EventQueue`: a FIFO ring of keys whose buckets never decrease from front to back,
/// for a stream of timers set at one delay (a fleet's heartbeats, 15 s ahead; its request
/// timeouts, 10 s ahead).
///
/// Why: such a stream arrives already in bucket order (the delay is constant and time only
/// moves forward), so it needs no sorting until its bucket opens. In the timer wheel each of
/// its keys hung on a list node handed out from a free list, at a scattered place; 10-15 s
/// later, at 10,000 nodes, opening its bucket waited on two cache misses per key (the node, then
/// the key's slot word: `perf annotate` put 80 % of `drainBucket`'s samples on those two loads),
/// one after the other, because the next node's place was known only from the current one. In a
/// lane the keys that open next are the ones right behind the front: they are read in address
/// order, and the queue asks for the slot word and payload of the key a few places behind the
/// front each time it takes one (`EventQueue.prefetchLaneAhead`), so they arrive before its
/// bucket opens.
///
/// Invariant: `bucket(key(at: j)) <= bucket(key(at: j + 1))` and `bucket(back) <= backBucket`.
/// Which keys are in a lane changes only the cost, never the order (see `EventQueue`).
/// The lane allocates its keys' memory itself (`init`, `grow`, `copy`) and does not free it
/// on its own: its owner (`EventQueueStorage`) calls `free()`; `base[0..<capacity]`, a power
/// of two, the front at `head`.
@usableFromInline struct KeyLane {
    @usableFromInline typealias Key = UInt128

    @usableFromInline var base: UnsafeMutablePointer<Key>
    /// `capacity - 1` (the capacity is a power of two).
    @usableFromInline var mask: Int
    @usableFromInline var head: Int = 0
    @usableFromInline var count: Int = 0
    /// The bucket of the last key appended (or a later one, after a compaction dropped it): a
    /// key joins the lane only at or after it.
    @usableFromInline var backBucket: UInt64 = 0
    /// How many buckets ahead of the queue's cursor the key that opened the lane was: the
    /// lane's delay, which a key must be close to to join (so that a timer of another delay
    /// does not push `backBucket` past the stream's next keys).
    @usableFromInline var distance: UInt64 = 0

    @usableFromInline init(capacity: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0)
        base = .allocate(capacity: capacity)
        base.initialize(repeating: 0, count: capacity)
        mask = capacity - 1
    }

    @inlinable var capacity: Int { mask &+ 1 }

    /// The key `j` places behind the front; `j < count`.
    @inlinable @inline(__always) func key(at j: Int) -> Key { base[(head &+ j) & mask] }

    /// The front key; `count > 0`.
    @inlinable @inline(__always) var front: Key { base[head] }

    /// Removes the front key; `count > 0`.
    @inlinable @inline(__always) mutating func dropFront() {
        head = (head &+ 1) & mask
        count &-= 1
    }

    /// Appends `key` of bucket `bucket` (not before `backBucket`); `count < capacity`.
    @inlinable @inline(__always) mutating func append(_ key: Key, bucket: UInt64) {
        base[(head &+ count) & mask] = key
        count &+= 1
        backBucket = bucket
    }

    /// Doubles the room, keeping the keys in order (the front moves to 0).
    @usableFromInline mutating func grow() {
        let bigger = UnsafeMutablePointer<Key>.allocate(capacity: capacity * 2)
        bigger.initialize(repeating: 0, count: capacity * 2)
        for j in 0..<count { bigger[j] = key(at: j) }
        base.deallocate()
        base = bigger
        mask = mask * 2 + 1
        head = 0
    }

    /// A copy with its own memory.
    @usableFromInline func copy() -> KeyLane {
        var c = self
        c.base = .allocate(capacity: capacity)
        c.base.initialize(from: base, count: capacity)
        return c
    }

    /// Drops every key for which `isStale` holds, keeping the others in order. (`backBucket`
    /// stays: at or after the last key's bucket is all it promises.)
    @usableFromInline mutating func removeAll(where isStale: (Key) -> Bool) {
        var kept = 0
        for j in 0..<count {
            let k = key(at: j)
            if !isStale(k) {
                base[(head &+ kept) & mask] = k
                kept += 1
            }
        }
        count = kept
    }

    @usableFromInline func free() { base.deallocate() }
}
