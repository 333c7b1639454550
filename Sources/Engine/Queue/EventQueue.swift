/// A handle to a scheduled event, used to cancel it.
///
/// It holds the event's identity word: its scheduling sequence number and the slab slot that
/// holds its payload (see `EventQueue`). A slot remembers the word of its pending event and
/// forgets it when the event fires or is cancelled; since sequence numbers are never reused, a
/// stale handle (already fired or cancelled) is harmless and a reused slot is never confused
/// with an old event.
public struct EventHandle: Hashable, Sendable {
    @usableFromInline let word: UInt64
    @inlinable init(word: UInt64) {
        self.word = word
    }
    @inlinable var slot: Int { Int(truncatingIfNeeded: word & EventQueue<Never>.slotMask) }
    /// A handle that refers to nothing; cancelling it does nothing.
    public static let none = EventHandle(word: EventQueue<Never>.freeWord)
}

/// The simulation's priority queue: events ordered by (time, insertion sequence), so that
/// events due at the same instant run in the order they were scheduled, as in swift-nio's
/// `EmbeddedEventLoop`.
///
/// It is the hottest structure of the project, shaped for that:
/// - the heap holds 16-byte keys: the time, and one word holding the event's sequence number in
///   its high 40 bits and its slab slot in its low 24 bits. Sequence numbers are unique, so
///   comparing the words compares the sequence numbers: the order is (time, seq), one 128-bit
///   comparison. A node's four children fill one 64-byte cache line. Payloads sit still in a
///   slab (an array with a free list) and never move during sift operations;
/// - limits: 2^40 - 1 events scheduled per queue (a million a second for 12 days of CPU time)
///   and 2^24 (16.7 million) events pending at once; both are checked by preconditions;
/// - the heap is 4-ary (half the depth of a binary heap), and a pop uses Floyd's bottom-up
///   sift: the root's hole goes down along the smallest children to a leaf, then the last key
///   is sifted up from there (usually 0-1 levels);
/// - a slot stores its pending event's word next to its payload, so the liveness check of a
///   surfacing key and the payload read touch the same slab entry;
/// - cancellation is O(1): it marks the slot free; the stale heap key is skipped when it
///   surfaces (lazy deletion), so no search through the heap; when stale keys reach a quarter
///   of the live ones they are all dropped at once (O(1) per cancel);
/// - in the steady state nothing is allocated: the heap, the slab and the free list keep their
///   capacity (they never shrink; their logical sizes are counters) and freed slots are reused.
/// Invariant: a slot's word is its pending event's word, or `freeWord` while the slot is free;
/// so a heap key or a handle is live iff its word equals its slot's.
/// Pop order depends only on the keys' total order (time, seq), never on the heap's layout.
/// swift-collections' `Heap` is a min-max heap over whole elements; a min-heap of small keys
/// does fewer comparisons per pop and moves no payloads. `simharness bench engine` measures
/// this structure under the project's workload.
public struct EventQueue<Payload> {
    /// Bits of a word that hold the slot.
    @usableFromInline static var slotBits: UInt64 { 24 }
    @usableFromInline static var slotMask: UInt64 { (1 << slotBits) - 1 }
    /// Sequence numbers are below this.
    @usableFromInline static var seqLimit: UInt64 { (1 << (64 - slotBits)) - 1 }
    /// The word of a free slot; no event has it (its sequence number would be `seqLimit`).
    @usableFromInline static var freeWord: UInt64 { .max }

    /// A heap key: the time (sign bit flipped, so that unsigned order is signed order) in the
    /// high half, the event's word in the low half. `(time, seq)` order is the unsigned order
    /// of the 128-bit value: a compare and subtract-with-borrow, with no data-dependent branch
    /// (which child of a heap node is smaller is a coin flip, so branches would mispredict).
    @usableFromInline typealias Key = UInt128

    @usableFromInline struct Entry {
        /// The pending event's word, or `freeWord`.
        @usableFromInline var word: UInt64
        /// The payload while its event is pending, nil while the slot is free.
        @usableFromInline var payload: Payload?
        @inlinable init(word: UInt64, payload: Payload?) {
            self.word = word
            self.payload = payload
        }
    }

    @inlinable @inline(__always) static func key(time: Int64, word: UInt64) -> Key {
        UInt128(UInt64(bitPattern: time) ^ (1 << 63)) << 64 | UInt128(word)
    }
    @inlinable @inline(__always) static func time(of key: Key) -> Int64 {
        Int64(bitPattern: UInt64(truncatingIfNeeded: key >> 64) ^ (1 << 63))
    }
    @inlinable @inline(__always) static func word(of key: Key) -> UInt64 {
        UInt64(truncatingIfNeeded: key)
    }

    /// The heap's keys in `heap[0..<heapCount]`; the array never shrinks.
    @usableFromInline var heap: [Key] = []
    @usableFromInline var heapCount: Int = 0
    /// Per slot: its pending event's word and payload.
    @usableFromInline var slab: [Entry] = []
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
    ///
    /// The payload is taken (`consuming`): it moves into its slab slot, so an event with
    /// references in it costs no retain and release on the way in.
    @inlinable
    public mutating func schedule(at time: Int64, _ payload: consuming Payload) -> EventHandle {
        let seq = nextSeq
        precondition(seq < Self.seqLimit, "EventQueue: more than 2^40 - 1 events scheduled")
        nextSeq = seq &+ 1
        let slot: Int
        if freeCount > 0 {
            freeCount &-= 1
            slot = Int(freeSlots[freeCount])
        } else {
            slot = slab.count
            precondition(UInt64(slot) <= Self.slotMask, "EventQueue: more than 2^24 events pending")
            slab.append(Entry(word: Self.freeWord, payload: nil))
        }
        let word = seq << Self.slotBits | UInt64(truncatingIfNeeded: slot)
        var entry: Entry? = Entry(word: word, payload: consume payload)
        slab.withUnsafeMutableBufferPointer { s in
            // A free slot's payload is nil (holds no reference): initialising over it leaks
            // nothing, and skips a generic assignment that would destroy the nil first.
            (s.baseAddress.unsafelyUnwrapped + slot).initialize(to: entry.take().unsafelyUnwrapped)
        }
        _liveCount &+= 1
        if heapCount == heap.count { heap.append(0) }
        heapCount &+= 1
        siftUp(heapCount &- 1, Self.key(time: time, word: word))
        return EventHandle(word: word)
    }

    /// Cancels a scheduled event. Returns false if it had already fired or been cancelled.
    @inlinable @discardableResult
    public mutating func cancel(_ handle: EventHandle) -> Bool {
        guard isPending(handle) else { return false }
        let i = handle.slot
        slab.withUnsafeMutableBufferPointer { s in
            s.baseAddress.unsafelyUnwrapped[i] = Entry(word: Self.freeWord, payload: nil)
        }
        release(slot: i)
        // Every cancel leaves one stale key in the heap. When stale keys reach a quarter of the
        // live ones, drop them all at once (O(n) after n/4 cancels: O(1) per cancel) rather than
        // paying a sift for each as it surfaces; the heap stays small, too.
        if heapCount &- _liveCount > Swift.max(_liveCount / 4, 1_024) { compact() }
        return true
    }

    /// Whether the event behind `handle` is still due to fire.
    @inlinable public func isPending(_ handle: EventHandle) -> Bool {
        let i = handle.slot
        return handle.word != Self.freeWord && i < slab.count && slab[i].word == handle.word
    }

    /// The time of the next live event, discarding cancelled keys on the way.
    @inlinable
    public mutating func peekTime() -> Int64? {
        while heapCount > 0 {
            let top = heap[0]
            let word = Self.word(of: top)
            if slab[Int(truncatingIfNeeded: word & Self.slotMask)].word == word { return Self.time(of: top) }
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
            let word = Self.word(of: top)
            let i = Int(truncatingIfNeeded: word & Self.slotMask)
            if slab[i].word == word {
                let time = Self.time(of: top)
                if time > limit { return nil }
                popKey()
                // The payload moves out (the slot is left nil, as a free slot must be): no copy
                // and no destroy of a second copy.
                let p: Payload = slab.withUnsafeMutableBufferPointer { s in
                    let e = s.baseAddress.unsafelyUnwrapped + i
                    e.pointee.word = Self.freeWord
                    return e.pointee.payload.take().unsafelyUnwrapped
                }
                release(slot: i)
                return (time, p)
            }
            popKey()
        }
        return nil
    }

    /// Puts slot `i` on the free list (its word and payload already cleared).
    @inlinable @inline(__always) mutating func release(slot i: Int) {
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
        slab.withUnsafeBufferPointer { s in
            heap.withUnsafeMutableBufferPointer { h in
                for j in 0..<heapCount {
                    let word = Self.word(of: h[j])
                    if s[Int(truncatingIfNeeded: word & Self.slotMask)].word == word {
                        h[kept] = h[j]
                        kept += 1
                    }
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
    @inlinable @inline(__always) mutating func popKey() {
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
    }

    /// Places `key` at the hole `start`, sifting it up.
    @inlinable mutating func siftUp(_ start: Int, _ key: Key) {
        heap.withUnsafeMutableBufferPointer { h in
            let base = h.baseAddress.unsafelyUnwrapped
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
}
