import CPrefetch

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
    /// (Computed, not a stored global: no lazy-initialisation accessor on the hot path.)
    @inlinable public static var none: EventHandle { EventHandle(word: EventQueue<Never>.freeWord) }
}

/// The simulation's priority queue: events ordered by (time, insertion sequence), so that
/// events due at the same instant run in the order they were scheduled, as in swift-nio's
/// `EmbeddedEventLoop`.
///
/// It is the hottest structure of the project, shaped for that:
/// - keys are 16 bytes: the time, and one word holding the event's sequence number in its high
///   40 bits and its slab slot in its low 24 bits. Sequence numbers are unique, so comparing the
///   words compares the sequence numbers: the order is (time, seq), one 128-bit comparison.
///   Payloads sit still in a slab (`EventSlab`: pages that never move, and a free list of
///   slots) and never move during sifts;
/// - two 4-ary heaps of keys (`KeyHeap`): `near` for events due within `nearHorizon` of the
///   last event popped, `far` for the rest. A pop takes the smaller of the two roots. Which heap
///   a key sits in changes only the cost, never the order: both heads are minima of their
///   heaps, so the smaller is the minimum of all, whatever the split. The split pays because
///   a large fleet's queue is mostly far timers (a heartbeat every 15 s per node: ~30,000 keys
///   at 10,000 nodes, a 500 KB heap whose deep levels are cold in the cache) while most events
///   are messages due 10-100 ms ahead: in one heap, every pop's hole sinks through all eight
///   levels down to the far timers' leaves; with the split, a message's pop walks a heap of a
///   few hundred keys that stays in the L1/L2 cache, and a far timer's insertion lands near the
///   leaves of its own heap (it is later than most of it);
/// - limits: 2^40 - 1 events scheduled per queue (a million a second for 12 days of CPU time)
///   and 2^24 (16.7 million) events pending at once; both are checked by preconditions;
/// - a slot's word (its pending event's word) sits in a dense array apart from the payloads,
///   so the liveness checks of surfacing keys (both roots, every pop) touch few cache lines;
/// - cancellation is O(1): it marks the slot free; the stale heap key is skipped when it
///   surfaces (lazy deletion), so no search through the heaps; when stale keys reach a quarter
///   of the live ones they are all dropped at once (O(1) per cancel);
/// - in the steady state nothing is allocated: the heaps, the slab and the free list keep their
///   capacity (they never shrink; their logical sizes are counters) and freed slots are reused.
/// Invariant: a slot's word is its pending event's word, `heldWord` while its event is held
/// (popped by `holdNext`, payload still in the slot: at most one slot), or `freeWord` while the
/// slot is free; so a heap key or a handle is live iff its word equals its slot's, and a slot's
/// payload is initialised iff its word is not `freeWord`.
/// Pop order depends only on the keys' total order (time, seq), never on the heaps' layout or
/// on the horizon. swift-collections' `Heap` is a min-max heap over whole elements; a min-heap
/// of small keys does fewer comparisons per pop and moves no payloads. `simharness bench
/// engine` and `bench fleet` measure this structure under the project's workloads.
public struct EventQueue<Payload> {
    /// Bits of a word that hold the slot.
    @inlinable static var slotBits: UInt64 { 24 }
    @inlinable static var slotMask: UInt64 { (1 << slotBits) - 1 }
    /// Sequence numbers are below this.
    @inlinable static var seqLimit: UInt64 { (1 << (64 - slotBits)) - 1 }
    /// The word of a free slot; no event has it (its sequence number would be `seqLimit`).
    @inlinable static var freeWord: UInt64 { .max }

    /// A heap key: the time (sign bit flipped, so that unsigned order is signed order) in the
    /// high half, the event's word in the low half. `(time, seq)` order is the unsigned order
    /// of the 128-bit value.
    @usableFromInline typealias Key = UInt128

    @inlinable @inline(__always) static func key(time: Int64, word: UInt64) -> Key {
        UInt128(UInt64(bitPattern: time) ^ (1 << 63)) << 64 | UInt128(word)
    }
    @inlinable @inline(__always) static func time(of key: Key) -> Int64 {
        Int64(bitPattern: UInt64(truncatingIfNeeded: key >> 64) ^ (1 << 63))
    }
    @inlinable @inline(__always) static func word(of key: Key) -> UInt64 {
        UInt64(truncatingIfNeeded: key)
    }

    /// Keys of events due before `nearLimit` when scheduled.
    @usableFromInline var near = KeyHeap()
    /// Keys of the other events.
    @usableFromInline var far = KeyHeap()
    /// How far ahead of the last popped event's time an event counts as near (see the notes).
    public let nearHorizon: Int64
    /// The last popped event's time (0 before the first pop) plus `nearHorizon` (saturating).
    @usableFromInline var nearLimit: Int64
    /// Per slot: its pending event's word and payload (see `EventSlab`). `words`, `pages` and
    /// `slotCount` mirror the slab's own, for the hot path; `slotCapacity` is the slots in pages.
    @usableFromInline var slab: EventSlab<Payload>
    @usableFromInline var words: UnsafeMutablePointer<UInt64>
    @usableFromInline var pages: UnsafeMutablePointer<UnsafeMutablePointer<Payload>>
    @usableFromInline var slotCount: Int = 0
    @usableFromInline var slotCapacity: Int = 0
    /// Free slots in `freeSlots[0..<freeCount]`; the array never shrinks.
    @usableFromInline var freeSlots: [UInt32] = []
    @usableFromInline var freeCount: Int = 0
    @usableFromInline var nextSeq: UInt64 = 0
    /// Events scheduled and neither fired nor cancelled.
    @usableFromInline var _liveCount: Int = 0
    public var liveCount: Int { _liveCount }
    /// The slot of the event `holdNext` took off the heaps, until `takeHeld`/`dropHeld`; -1 when none.
    @usableFromInline var heldSlot: Int = -1

    /// A queue whose near heap takes the events due within `nearHorizon` time units of the last
    /// popped one (the simulation's units are nanoseconds: one second by default). Any value
    /// gives the same order; it only moves cost between the two heaps.
    public init(nearHorizon: Int64 = 1_000_000_000) {
        precondition(nearHorizon >= 0, "EventQueue: negative near horizon")
        self.nearHorizon = nearHorizon
        self.nearLimit = nearHorizon
        let slab = EventSlab<Payload>(wordCapacity: EventSlab<Payload>.pageSize, pageCapacity: 8)
        self.slab = slab
        self.words = slab.words
        self.pages = slab.pages
    }

    /// Where slot `i`'s payload lives.
    @inlinable @inline(__always) func payloadAddress(_ i: Int) -> UnsafeMutablePointer<Payload> {
        pages[i &>> EventSlab<Payload>.pageShift] + (i & (EventSlab<Payload>.pageSize &- 1))
    }

    /// Gives this queue its own copy of the slab before a write if another copy shares it.
    @inlinable @inline(__always) mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&slab) { adoptCopyOfSlab() }
    }

    @usableFromInline mutating func adoptCopyOfSlab() {
        slab = slab.clone()
        words = slab.words
        pages = slab.pages
    }

    /// A new slot at the end of the slab (a new page when the last one is full).
    @usableFromInline mutating func appendSlot() -> Int {
        let slot = slotCount
        precondition(UInt64(slot) <= Self.slotMask, "EventQueue: more than 2^24 events pending")
        if slot == slotCapacity {
            slab.grow()
            words = slab.words
            pages = slab.pages
            slotCapacity = slab.pageCount * EventSlab<Payload>.pageSize
        }
        words[slot] = Self.freeWord
        slotCount = slot + 1
        slab.count = slotCount
        return slot
    }

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
        makeUnique()
        let slot: Int
        if freeCount > 0 {
            freeCount &-= 1
            slot = Int(freeSlots[freeCount])
        } else {
            slot = appendSlot()
        }
        let word = seq << Self.slotBits | UInt64(truncatingIfNeeded: slot)
        words[slot] = word
        // A free slot's payload is uninitialised: the payload moves in.
        payloadAddress(slot).initialize(to: consume payload)
        _liveCount &+= 1
        if time < nearLimit {
            near.push(Self.key(time: time, word: word))
        } else {
            far.push(Self.key(time: time, word: word))
        }
        return EventHandle(word: word)
    }

    /// Cancels a scheduled event. Returns false if it had already fired or been cancelled.
    @inlinable @discardableResult
    public mutating func cancel(_ handle: EventHandle) -> Bool {
        guard isPending(handle) else { return false }
        makeUnique()
        let i = handle.slot
        words[i] = Self.freeWord
        payloadAddress(i).deinitialize(count: 1)
        release(slot: i)
        _liveCount &-= 1
        // Every cancel leaves one stale key in a heap. When stale keys reach a quarter of the
        // live ones, drop them all at once (O(n) after n/4 cancels: O(1) per cancel) rather than
        // paying a sift for each as it surfaces; the heaps stay small, too.
        if near.count &+ far.count &- _liveCount > Swift.max(_liveCount / 4, 1_024) { compact() }
        return true
    }

    /// Whether the event behind `handle` is still due to fire.
    @inlinable public func isPending(_ handle: EventHandle) -> Bool {
        let i = handle.slot
        return handle.word != Self.freeWord && i < slotCount && words[i] == handle.word
    }

    /// Whether `key`'s event is pending (not fired, not cancelled).
    @inlinable @inline(__always) func isLive(_ key: Key) -> Bool {
        let word = Self.word(of: key)
        return words[Int(truncatingIfNeeded: word & Self.slotMask)] == word
    }

    /// The smallest live key and whether it is `near`'s root (else `far`'s), discarding the
    /// cancelled keys found at either root on the way; nil when no event is pending.
    @inlinable @inline(__always)
    mutating func head() -> (key: Key, isNear: Bool)? {
        while true {
            if near.count > 0 {
                let a = near.top
                if !isLive(a) {
                    near.popTop()
                    continue
                }
                if far.count == 0 { return (a, true) }
                let b = far.top
                if !isLive(b) {
                    far.popTop()
                    continue
                }
                return a < b ? (a, true) : (b, false)
            }
            if far.count == 0 { return nil }
            let b = far.top
            if isLive(b) { return (b, false) }
            far.popTop()
        }
    }

    /// The time of the next live event, discarding cancelled keys on the way.
    @inlinable
    public mutating func peekTime() -> Int64? {
        head().map { Self.time(of: $0.key) }
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
        guard let time = holdNext(notAfter: limit) else { return nil }
        return (time, takeHeld())
    }

    /// The word of the slot whose event `holdNext` has taken off the heaps and whose payload
    /// waits for `takeHeld` or `dropHeld`. No event has it (its sequence number would be
    /// `seqLimit`), so the slot is neither pending (no key or handle matches it) nor free (a
    /// copy of the queue copies its payload, and a queue that goes away destroys it).
    @inlinable static var heldWord: UInt64 { .max &- 1 }

    /// Takes the next live event due at or before `limit` off the heaps, leaving its payload
    /// in its slot (`held`, readable in place through `heldPayload`) until `takeHeld()` moves
    /// it out or `dropHeld()` destroys it; returns its time, or nil (and holds nothing) if the
    /// queue is empty or the next event is later.
    ///
    /// Why in place: the kernel reads the envelope (is its actor up? its digest) and may drop
    /// it without the payload ever leaving its slot, and the one move out goes straight to the
    /// caller, instead of the payload travelling through an optional tuple and the kernel's
    /// frames (a 100-byte copy at each step). One event is held at a time: `holdNext` must
    /// not be called again before the held one is taken or dropped.
    @inlinable
    public mutating func holdNext(notAfter limit: Int64) -> Int64? {
        precondition(heldSlot < 0, "EventQueue: holdNext while an event is held")
        guard let (top, isNear) = head() else { return nil }
        let time = Self.time(of: top)
        if time > limit { return nil }
        if isNear { near.popTop() } else { far.popTop() }
        let (sum, overflow) = time.addingReportingOverflow(nearHorizon)
        nearLimit = overflow ? .max : sum
        makeUnique()
        let i = Int(truncatingIfNeeded: Self.word(of: top) & Self.slotMask)
        words[i] = Self.heldWord
        heldSlot = i
        _liveCount &-= 1
        prefetchRoots()
        return time
    }

    /// The held event's payload, in its slot (only between `holdNext` and `takeHeld`/`dropHeld`;
    /// valid until the queue is next mutated).
    @inlinable @inline(__always) var heldPayload: UnsafeMutablePointer<Payload> {
        precondition(heldSlot >= 0, "EventQueue: no event is held")
        return payloadAddress(heldSlot)
    }

    /// Moves the held event's payload out and frees its slot.
    @inlinable
    public mutating func takeHeld() -> Payload {
        precondition(heldSlot >= 0, "EventQueue: no event is held")
        makeUnique()
        let i = heldSlot
        heldSlot = -1
        words[i] = Self.freeWord
        // The payload moves out (the slot is left uninitialised, as a free slot must be): no
        // copy and no destroy of a second copy.
        let p = payloadAddress(i).move()
        release(slot: i)
        return p
    }

    /// Destroys the held event's payload in its slot and frees the slot.
    @inlinable
    public mutating func dropHeld() {
        precondition(heldSlot >= 0, "EventQueue: no event is held")
        makeUnique()
        let i = heldSlot
        heldSlot = -1
        words[i] = Self.freeWord
        payloadAddress(i).deinitialize(count: 1)
        release(slot: i)
    }

    /// Asks the CPU to fetch the slot words and payloads of both roots, one of which is
    /// usually the next event: the caller handles the current event meanwhile, so the next pop
    /// finds them in cache. (At 10,000 nodes the liveness check and the payload read of the root
    /// were cache misses, about half of `popNext`'s time.)
    @inlinable @inline(__always) func prefetchRoots() {
        if near.count > 0 { prefetchSlot(of: near.top) }
        if far.count > 0 { prefetchSlot(of: far.top) }
    }

    @inlinable @inline(__always) func prefetchSlot(of key: Key) {
        let i = Int(truncatingIfNeeded: Self.word(of: key) & Self.slotMask)
        cprefetch_read(words + i)
        let payload = UnsafeRawPointer(payloadAddress(i))
        cprefetch_read(payload)
        cprefetch_read(payload + (MemoryLayout<Payload>.size - 1))
    }

    /// Puts slot `i` on the free list (its word cleared, its payload gone). The caller has
    /// taken its event out of `liveCount`.
    @inlinable @inline(__always) mutating func release(slot i: Int) {
        if freeCount < freeSlots.count {
            freeSlots[freeCount] = UInt32(truncatingIfNeeded: i)
        } else {
            freeSlots.append(UInt32(truncatingIfNeeded: i))
        }
        freeCount &+= 1
    }

    /// Removes every stale key from both heaps.
    @usableFromInline mutating func compact() {
        let words = self.words
        let isStale = { (key: Key) -> Bool in
            let word = Self.word(of: key)
            return words[Int(truncatingIfNeeded: word & Self.slotMask)] != word
        }
        near.removeAll(where: isStale)
        far.removeAll(where: isStale)
    }
}
