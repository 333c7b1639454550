/// A handle to a scheduled event, used to cancel it.
///
/// It names a slot in the queue's slab and the generation the slot had when the event was
/// scheduled; cancelling bumps the generation, so a stale handle (already fired or cancelled)
/// is harmless and a reused slot is never confused with an old event.
public struct EventHandle: Hashable, Sendable {
    @usableFromInline let slot: UInt32
    @usableFromInline let generation: UInt32
    @inlinable init(slot: UInt32, generation: UInt32) {
        self.slot = slot
        self.generation = generation
    }
    /// A handle that refers to nothing; cancelling it does nothing.
    public static let none = EventHandle(slot: .max, generation: .max)
}

/// The simulation's priority queue: events ordered by (time, insertion sequence), so that
/// events due at the same instant run in the order they were scheduled, as in swift-nio's
/// `EmbeddedEventLoop`.
///
/// It is the hottest structure of the project, shaped for that:
/// - the heap holds small 24-byte keys `(time, seq, slot, generation)`; payloads sit still in
///   a slab (an array with a free list) and never move during sift operations;
/// - the heap is 4-ary (half the depth of a binary heap, and a node's children share one or two
///   cache lines), and a pop uses Floyd's bottom-up sift: the root's hole goes down along the
///   smallest children to a leaf, then the last key is sifted up from there (usually 0-1 levels);
/// - cancellation is O(1): it bumps the slot's generation and frees the slot; the stale heap
///   key is skipped when it surfaces (lazy deletion), so no search through the heap; when stale
///   keys reach a quarter of the live ones they are all dropped at once (O(1) per cancel);
/// - in the steady state nothing is allocated: the heap, the slab and the free list keep their
///   capacity (they never shrink; their logical sizes are counters) and freed slots are reused.
/// Invariant: a slot's generation changes exactly when its event fires or is cancelled, so a
/// heap key or a handle is live iff its generation equals its slot's.
/// Pop order depends only on the keys' total order (time, seq), never on the heap's layout.
/// swift-collections' `Heap` is a min-max heap over whole elements; a min-heap of small keys
/// does fewer comparisons per pop and moves no payloads. `simharness bench engine` measures
/// this structure under the project's workload.
public struct EventQueue<Payload> {
    @usableFromInline struct Key {
        @usableFromInline var time: Int64
        @usableFromInline var seq: UInt64
        @usableFromInline var slot: UInt32
        @usableFromInline var generation: UInt32
        @inlinable init(time: Int64, seq: UInt64, slot: UInt32, generation: UInt32) {
            self.time = time
            self.seq = seq
            self.slot = slot
            self.generation = generation
        }
        /// `(time, seq) < (o.time, o.seq)`, as one 128-bit comparison: it compiles to a
        /// compare and subtract-with-borrow, with no data-dependent branch. Which child of a
        /// heap node is smaller is a coin flip, so branches here mispredict about half the time.
        @inlinable @inline(__always) func precedes(_ o: Key) -> Bool {
            order < o.order
        }
        /// The key's position in the total order: time (sign bit flipped, so that unsigned order
        /// is signed order) above the sequence number.
        @inlinable @inline(__always) var order: UInt128 {
            UInt128(UInt64(bitPattern: time) ^ (1 << 63)) << 64 | UInt128(seq)
        }
    }

    /// The heap's keys in `heap[0..<heapCount]`; the array never shrinks.
    @usableFromInline var heap: [Key] = []
    @usableFromInline var heapCount: Int = 0
    /// Per slot: its generation, bumped when the slot's event fires or is cancelled.
    @usableFromInline var generations: [UInt32] = []
    /// Per slot: the payload while its event is pending, nil while the slot is free.
    @usableFromInline var payloads: [Payload?] = []
    /// Free slots in `freeSlots[0..<freeCount]`; the array never shrinks.
    @usableFromInline var freeSlots: [UInt32] = []
    @usableFromInline var freeCount: Int = 0
    @usableFromInline var nextSeq: UInt64 = 0
    /// Events scheduled and neither fired nor cancelled.
    @usableFromInline var _liveCount: Int = 0
    public var liveCount: Int { _liveCount }

    public init() {}

    @inlinable public var isEmpty: Bool { _liveCount == 0 }

    /// Schedules `payload` at `time`. Events at equal times fire in scheduling order.
    @inlinable
    public mutating func schedule(at time: Int64, _ payload: Payload) -> EventHandle {
        let slot: Int
        if freeCount > 0 {
            freeCount &-= 1
            slot = Int(freeSlots[freeCount])
            payloads[slot] = payload
        } else {
            slot = generations.count
            generations.append(0)
            payloads.append(payload)
        }
        let gen = generations[slot]
        let key = Key(time: time, seq: nextSeq, slot: UInt32(truncatingIfNeeded: slot), generation: gen)
        nextSeq &+= 1
        _liveCount &+= 1
        if heapCount < heap.count {
            heap[heapCount] = key
        } else {
            heap.append(key)
        }
        heapCount &+= 1
        siftUp(heapCount &- 1)
        return EventHandle(slot: UInt32(truncatingIfNeeded: slot), generation: gen)
    }

    /// Cancels a scheduled event. Returns false if it had already fired or been cancelled.
    @inlinable @discardableResult
    public mutating func cancel(_ handle: EventHandle) -> Bool {
        let i = Int(handle.slot)
        guard i < generations.count, generations[i] == handle.generation else { return false }
        payloads[i] = nil
        release(slot: i)
        // Every cancel leaves one stale key in the heap. When stale keys reach a quarter of the
        // live ones, drop them all at once (O(n) after n/4 cancels: O(1) per cancel) rather than
        // paying a sift for each as it surfaces; the heap stays small, too.
        if heapCount &- _liveCount > Swift.max(_liveCount / 4, 1_024) { compact() }
        return true
    }

    /// Whether the event behind `handle` is still due to fire.
    @inlinable public func isPending(_ handle: EventHandle) -> Bool {
        let i = Int(handle.slot)
        return i < generations.count && generations[i] == handle.generation
    }

    /// The time of the next live event, discarding cancelled keys on the way.
    @inlinable
    public mutating func peekTime() -> Int64? {
        while heapCount > 0 {
            let top = heap[0]
            if generations[Int(top.slot)] == top.generation { return top.time }
            popKey()
        }
        return nil
    }

    /// Removes and returns the next live event.
    @inlinable
    public mutating func pop() -> (time: Int64, payload: Payload)? {
        popNext(notAfter: .max)
    }

    /// Removes and returns the next live event if it is due at or before `limit`, discarding
    /// cancelled keys on the way; nil if the queue is empty or the next event is later.
    @inlinable
    public mutating func popNext(notAfter limit: Int64) -> (time: Int64, payload: Payload)? {
        while heapCount > 0 {
            let top = heap[0]
            let i = Int(top.slot)
            if generations[i] == top.generation {
                if top.time > limit { return nil }
                popKey()
                var p: Payload? = nil
                swap(&p, &payloads[i])
                release(slot: i)
                return (top.time, p.unsafelyUnwrapped)
            }
            popKey()
        }
        return nil
    }

    /// Marks slot `i` free (its payload already taken or cleared).
    @inlinable mutating func release(slot i: Int) {
        generations[i] &+= 1
        if freeCount < freeSlots.count {
            freeSlots[freeCount] = UInt32(truncatingIfNeeded: i)
        } else {
            freeSlots.append(UInt32(truncatingIfNeeded: i))
        }
        freeCount &+= 1
        _liveCount &-= 1
    }

    /// Removes every stale key and rebuilds the heap bottom-up.
    @usableFromInline mutating func compact() {
        var kept = 0
        generations.withUnsafeBufferPointer { g in
            heap.withUnsafeMutableBufferPointer { h in
                for j in 0..<heapCount where g[Int(h[j].slot)] == h[j].generation {
                    h[kept] = h[j]
                    kept += 1
                }
            }
        }
        heapCount = kept
        if kept > 1 {
            var i = (kept - 2) / 4 + 1
            while i > 0 {
                i -= 1
                siftDown(i)
            }
        }
    }

    /// Removes the root key (Floyd's bottom-up variant, see the type's notes).
    @inlinable mutating func popKey() {
        let n = heapCount &- 1
        heapCount = n
        if n == 0 { return }
        heap.withUnsafeMutableBufferPointer { h in
            let base = h.baseAddress.unsafelyUnwrapped
            let last = base[n]
            var i = 0
            while true {
                let c0 = 4 &* i &+ 1
                if c0 &+ 3 < n {
                    // A full node: a tournament of the four children, selected arithmetically
                    // (no branch on the comparisons' outcomes).
                    let a = c0 &+ Int(base[c0 &+ 1].order < base[c0].order ? 1 : 0)
                    let b = c0 &+ 2 &+ Int(base[c0 &+ 3].order < base[c0 &+ 2].order ? 1 : 0)
                    let c = base[b].order < base[a].order ? b : a
                    base[i] = base[c]
                    i = c
                } else {
                    if c0 < n {
                        var c = c0
                        var j = c0 &+ 1
                        while j < n {
                            if base[j].precedes(base[c]) { c = j }
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
                if !last.precedes(p) { break }
                base[i] = p
                i = parent
            }
            base[i] = last
        }
    }

    @inlinable mutating func siftUp(_ start: Int) {
        heap.withUnsafeMutableBufferPointer { h in
            let base = h.baseAddress.unsafelyUnwrapped
            var i = start
            let key = base[i]
            while i > 0 {
                let parent = (i &- 1) >> 2
                let p = base[parent]
                if !key.precedes(p) { break }
                base[i] = p
                i = parent
            }
            base[i] = key
        }
    }

    @inlinable mutating func siftDown(_ start: Int) {
        let n = heapCount
        heap.withUnsafeMutableBufferPointer { h in
            let base = h.baseAddress.unsafelyUnwrapped
            var i = start
            let key = base[i]
            while true {
                let c0 = 4 &* i &+ 1
                if c0 >= n { break }
                var c: Int
                if c0 &+ 3 < n {
                    let a = c0 &+ Int(base[c0 &+ 1].order < base[c0].order ? 1 : 0)
                    let b = c0 &+ 2 &+ Int(base[c0 &+ 3].order < base[c0 &+ 2].order ? 1 : 0)
                    c = base[b].order < base[a].order ? b : a
                } else {
                    c = c0
                    var j = c0 &+ 1
                    while j < n {
                        if base[j].precedes(base[c]) { c = j }
                        j &+= 1
                    }
                }
                if !base[c].precedes(key) { break }
                base[i] = base[c]
                i = c
            }
            base[i] = key
        }
    }
}
