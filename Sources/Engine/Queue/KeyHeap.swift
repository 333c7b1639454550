/// A 4-ary min-heap of 128-bit keys, the building block of `EventQueue` (which keeps two: the
/// events of the wheel's past buckets, and the events beyond the wheel).
///
/// - Keys are unsigned 128-bit values, compared as such: one compare and subtract-with-borrow,
///   with no data-dependent branch (which child of a node is smaller is a coin flip, so branches
///   would mispredict). A node's four children are 64 contiguous bytes.
/// - 4-ary: half the depth of a binary heap. Removing the root uses Floyd's bottom-up sift: the
///   root's hole goes down along the smallest children to a leaf, then the last key is sifted up
///   from there (usually 0-1 levels).
/// - The keys live in memory the heap does not own (`EventQueueStorage`, which the queue
///   copies before a write when shared): `base[0..<count]`, room for `capacity`. The queue
///   grows it (`EventQueue.growHeap`) before a push that would not fit; it never shrinks, so
///   a heap in its steady state allocates nothing.
/// The heap knows nothing of what a key means; `EventQueue` decides which keys are stale and
/// drops them with `removeAll(where:)`.
@usableFromInline struct KeyHeap {
    @usableFromInline typealias Key = UInt128

    @usableFromInline var base: UnsafeMutablePointer<Key>
    @usableFromInline var count: Int = 0
    @usableFromInline var capacity: Int

    @inlinable init(_ buffer: RawBuffer<Key>) {
        base = buffer.base
        capacity = buffer.capacity
    }

    /// The smallest key; only while `count > 0`.
    @inlinable @inline(__always) var top: Key { base[0] }

    /// Adds `key`; `count < capacity`.
    @inlinable @inline(__always) mutating func push(_ key: Key) {
        count &+= 1
        siftUp(count &- 1, key)
    }

    /// Removes the root key (Floyd's bottom-up variant, see the type's notes); `count > 0`.
    @inlinable @inline(__always) mutating func popTop() {
        let n = count &- 1
        count = n
        if n == 0 { return }
        let base = self.base
        let last = base[n]
        var i = 0
        while true {
            let c0 = 4 &* i &+ 1
            if c0 &+ 3 < n {
                // A full node: a tournament of the four children, selected arithmetically
                // (no branch on the comparisons' outcomes).
                let a = c0 &+ Int(base[c0 &+ 1] < base[c0] ? 1 : 0)
                let b = c0 &+ 2 &+ Int(base[c0 &+ 3] < base[c0 &+ 2] ? 1 : 0)
                let c = base[b] < base[a] ? b : a
                base[i] = base[c]
                i = c
            } else {
                if c0 < n {
                    var c = c0
                    var j = c0 &+ 1
                    while j < n {
                        if base[j] < base[c] { c = j }
                        j &+= 1
                    }
                    base[i] = base[c]
                    i = c
                }
                break
            }
        }
        while i > 0 {
            let parent = (i &- 1) >> 2
            let p = base[parent]
            if !(last < p) { break }
            base[i] = p
            i = parent
        }
        base[i] = last
    }

    /// Places `key` at the hole `start`, sifting it up.
    @inlinable @inline(__always) func siftUp(_ start: Int, _ key: Key) {
        let base = self.base
        var i = start
        while i > 0 {
            let parent = (i &- 1) >> 2
            let p = base[parent]
            if !(key < p) { break }
            base[i] = p
            i = parent
        }
        base[i] = key
    }

    /// Drops every key for which `isStale` holds and rebuilds the heap bottom-up (O(count)).
    @usableFromInline mutating func removeAll(where isStale: (Key) -> Bool) {
        var kept = 0
        for j in 0..<count where !isStale(base[j]) {
            base[kept] = base[j]
            kept += 1
        }
        count = kept
        if kept > 1 {
            var i = (kept - 2) / 4 + 1
            while i > 0 {
                i -= 1
                siftDown(i)
            }
        }
    }

    @usableFromInline func siftDown(_ start: Int) {
        let n = count
        var i = start
        let key = base[i]
        while true {
            let c0 = 4 &* i &+ 1
            if c0 >= n { break }
            var c: Int
            if c0 &+ 3 < n {
                let a = c0 &+ Int(base[c0 &+ 1] < base[c0] ? 1 : 0)
                let b = c0 &+ 2 &+ Int(base[c0 &+ 3] < base[c0 &+ 2] ? 1 : 0)
                c = base[b] < base[a] ? b : a
            } else {
                c = c0
                var j = c0 &+ 1
                while j < n {
                    if base[j] < base[c] { c = j }
                    j &+= 1
                }
            }
            if !(base[c] < key) { break }
            base[i] = base[c]
            i = c
        }
        base[i] = key
    }
}
