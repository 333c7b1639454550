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
///   Payloads sit still in pages of slots and never move during sifts;
/// - time is cut into buckets of `2^bucketShift` time units (about 4 ms by default).
///   Below `cursor`, the first bucket not yet opened, keys are in `near`, a 4-ary heap (`KeyHeap`);
///   keys of the next `wheelSize` buckets hang in a timer wheel, one unordered list per bucket
///   (`wheelInsert`); keys beyond the wheel are in `far`, a second heap. When `near` runs empty,
///   `advance` opens the next bucket that holds anything (found in the wheel's occupancy bitmap,
///   or `far`'s root if earlier): its keys move into `near`, and `cursor` passes it.
///   A pop takes `near`'s root. Order: every key in `near` is in a bucket below `cursor`, every
///   other key in a bucket at or after it, so `near`'s root is the minimum of all, and `near`
///   orders exactly by (time, seq). Where a key waits changes only the cost, never the order;
/// - lanes (`KeyLane`): a key at least `laneDistance` buckets ahead of `cursor` whose bucket is
///   not before the last one appended to a lane of about its distance (a stream of timers set
///   at one delay: heartbeats, request timeouts) is appended to that lane instead of the wheel.
///   A lane's buckets never decrease from front to back, so its smallest bucket is its front's
///   (`laneFronts`, their minimum `laneNext`): `advance` compares `laneNext` with the wheel and
///   `far`, and moves the keys of the opened bucket from the lanes' fronts into `near` like the
///   wheel's. Which keys go to a lane (`laneFor`) is a guess about cost only: any key may go to
///   any structure that keeps these rules, and the order is the same;
/// - why the wheel: a fleet's queue is mostly timers 10-15 s ahead (a heartbeat per node, a
///   request timeout per request, cancelled when its answer comes) while most events are
///   messages due 10-100 ms ahead. In one heap, or in a heap of the timers, every timer's pop
///   sank its hole through six to eight cold levels, and every cancelled timeout surfaced at the
///   root and paid a pop too; in the wheel a timer costs a list insertion and a move into the
///   small `near` heap. A cancelled timer in a lane is dropped when its bucket opens, at no
///   sift; one in the wheel now moves into `near` with the live keys (the drain no longer
///   reads each key's slot word, a cache miss per key at 10,000 nodes) and is dropped when it
///   surfaces there: cheap while most cancelled timers are in lanes (request timeouts are),
///   a push and a pop each when they are not (a delay under about a second, more than four
///   streams; see part I, "the kernel", in the README);
/// - limits: 2^40 - 1 events scheduled per queue (a million a second for 12 days of CPU time)
///   and 2^24 (16.7 million) events pending at once; both are checked by preconditions;
/// - a slot's word (its pending event's word) sits in a dense array apart from the payloads,
///   so the liveness check of the root (every pop) touches few cache lines;
/// - cancellation is O(1): it marks the slot free; the stale key is skipped when it surfaces
///   in `near` or when its lane's bucket opens (lazy deletion), so no search; when stale keys outnumber
///   the live ones they are all dropped at once (O(1) per cancel);
/// - in the steady state nothing is allocated: every array keeps its capacity (their logical
///   sizes are counters), freed slots and list nodes are reused;
/// - all the memory belongs to one `EventQueueStorage`, made unique (copied if shared) once per
///   operation; the queue is a value.
/// Invariant: a slot's word is its pending event's word, `heldWord` while its event is held
/// (popped by `holdNext`, payload still in the slot: at most one slot), or `freeWord` while the
/// slot is free; so a key or a handle is live iff its word equals its slot's, and a slot's
/// payload is initialised iff its word is not `freeWord`. A wheel bucket's bit is set iff its
/// list is non-empty; `wheelCount` is the number of keys in all lists (stale ones included),
/// `laneKeyCount` in all lanes; every key of the wheel, `far` and the lanes is in a bucket at or
/// after `cursor`, every key of `near` in one before it.
/// Pop order depends only on the keys' total order (time, seq), never on the layout, the
/// bucket width or the wheel size (`QueueModelTests` checks several against a sorted
/// reference). `simharness bench engine` and `bench fleet` measure this structure under the
/// project's workloads.
public struct EventQueue<Payload> {
    /// Bits of a word that hold the slot.
    @inlinable static var slotBits: UInt64 { 24 }
    @inlinable static var slotMask: UInt64 { (1 << slotBits) - 1 }
    /// Sequence numbers are below this.
    @inlinable static var seqLimit: UInt64 { (1 << (64 - slotBits)) - 1 }
    /// The word of a free slot; no event has it (its sequence number would be `seqLimit`).
    @inlinable static var freeWord: UInt64 { .max }
    /// The end of a wheel bucket's list.
    @inlinable static var noNode: UInt32 { .max }

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
    /// The bucket of a key: its time's unsigned form over the bucket width.
    @inlinable @inline(__always) func bucket(of key: Key) -> UInt64 {
        UInt64(truncatingIfNeeded: key >> 64) &>> bucketShift
    }

    /// A bucket is `2^bucketShift` time units (nanoseconds in the simulation).
    public let bucketShift: UInt64
    /// The wheel has `2^wheelBits` buckets.
    public let wheelBits: Int
    @usableFromInline let wheelMask: UInt64
    /// Keys of buckets below this are in `near`; of `cursor ..< cursor + wheelSize`, in the
    /// wheel, a lane or (if scheduled when the wheel did not reach them) in `far`; later ones
    /// in `far` or a lane.
    @usableFromInline var cursor: UInt64
    @usableFromInline var near: KeyHeap
    @usableFromInline var far: KeyHeap
    /// Per wheel bucket (its number modulo the wheel size): the first node of its list.
    @usableFromInline var heads: UnsafeMutablePointer<UInt32>
    /// A bit per wheel bucket: set iff its list is non-empty.
    @usableFromInline var bitmap: UnsafeMutablePointer<UInt64>
    /// List nodes: a key and the next node. Nodes below `nodeCount` have been handed out; the
    /// free ones are chained from `nodeFree`.
    @usableFromInline var nodeKeys: UnsafeMutablePointer<UInt128>
    @usableFromInline var nodeNext: UnsafeMutablePointer<UInt32>
    @usableFromInline var nodeCount: Int = 0
    @usableFromInline var nodeCapacity: Int
    @usableFromInline var nodeFree: UInt32 = EventQueue.noNode
    /// Keys in the wheel's lists, stale ones included.
    @usableFromInline var wheelCount: Int = 0
    /// `EventQueueStorage.laneCount` lanes (the storage's), and the keys in them, stale ones
    /// included.
    @usableFromInline var lanes: UnsafeMutablePointer<KeyLane>
    @usableFromInline var laneKeyCount: Int = 0
    /// Per lane, its front key's bucket (`UInt64.max` when it is empty), and their minimum: so
    /// that opening a bucket compares one value with the wheel's and `far`'s, and touches a lane
    /// only when its front is due (a bucket opens for every second event at 1,000 nodes).
    /// (No bucket is `UInt64.max`: a bucket is a 64-bit time shifted right at least once.)
    @usableFromInline var laneFronts: UnsafeMutablePointer<UInt64>
    @usableFromInline var laneNext: UInt64 = .max
    /// The distances of the last two keys that could have joined a lane and found none, the
    /// latest first (`laneFor`).
    @usableFromInline var unlanedDistances: (UInt64, UInt64) = (.max, .max)
    /// Keys fewer buckets than this ahead of `cursor` never go to a lane (`UInt64.max`: none do).
    public let laneDistance: UInt64
    @usableFromInline var storage: EventQueueStorage<Payload>
    /// Per slot: its pending event's word; its payload in `pages`. Mirrors of the storage's.
    @usableFromInline var words: UnsafeMutablePointer<UInt64>
    @usableFromInline var pages: UnsafeMutablePointer<UnsafeMutablePointer<Payload>>
    @usableFromInline var slotCount: Int = 0
    @usableFromInline var slotCapacity: Int = 0
    /// Free slots in `freeSlots[0..<freeCount]`.
    @usableFromInline var freeSlots: UnsafeMutablePointer<UInt32>
    @usableFromInline var freeCount: Int = 0
    @usableFromInline var freeCapacity: Int
    @usableFromInline var nextSeq: UInt64 = 0
    /// Events scheduled and neither fired nor cancelled.
    @usableFromInline var _liveCount: Int = 0
    public var liveCount: Int { _liveCount }
    /// Keys waiting in lanes, stale ones included (for tests and measurements: whether the
    /// lanes are used).
    public var keysInLanes: Int { laneKeyCount }
    /// The slot of the event `holdNext` took off the heaps, until `takeHeld`/`dropHeld`; -1 when none.
    @usableFromInline var heldSlot: Int = -1

    /// A queue with buckets of `2^bucketShift` time units (the simulation's units are
    /// nanoseconds: 4.19 ms by default), a wheel of `2^wheelBits` buckets (34.4 s by
    /// default: a fleet's heartbeat and timeout timers fit in it), and lanes for keys at least
    /// `laneDistance` buckets ahead (256 by default, 1.07 s: timers, not messages, whose
    /// latencies vary and whose wheel nodes are still in cache when they open). Any values give
    /// the same order; they only move cost between the heaps, the wheel and the lanes.
    /// (Measured with callgrind on `bench fleet`: 4 ms buckets beat 1 ms ones, which opened a
    /// bucket for nearly every event of a 1,000-node fleet, at N=1,000 and on the
    /// heartbeat-heavy run alike.)
    public init(bucketShift: Int = 22, wheelBits: Int = 13, laneDistance: UInt64 = 256) {
        precondition((1...62).contains(bucketShift), "EventQueue: bucket shift outside 1...62")
        precondition((6...24).contains(wheelBits), "EventQueue: wheel bits outside 6...24")
        self.bucketShift = UInt64(bucketShift)
        self.wheelBits = wheelBits
        wheelMask = (1 << UInt64(wheelBits)) - 1
        self.laneDistance = laneDistance
        // Time 0's bucket: earlier times are in `near` from the start.
        cursor = (UInt64(1) << 63) >> UInt64(bucketShift)
        let storage = EventQueueStorage<Payload>(wheelSize: 1 << wheelBits)
        self.storage = storage
        words = storage.words
        pages = storage.pages
        near = KeyHeap(storage.near)
        far = KeyHeap(storage.far)
        heads = storage.heads.base
        bitmap = storage.bitmap.base
        nodeKeys = storage.nodeKeys.base
        nodeNext = storage.nodeNext.base
        nodeCapacity = storage.nodeKeys.capacity
        freeSlots = storage.freeSlots.base
        freeCapacity = storage.freeSlots.capacity
        lanes = storage.lanes
        laneFronts = storage.laneFronts.base
    }

    /// Where slot `i`'s payload lives.
    @inlinable @inline(__always) func payloadAddress(_ i: Int) -> UnsafeMutablePointer<Payload> {
        pages[i &>> EventQueueStorage<Payload>.pageShift] + (i & (EventQueueStorage<Payload>.pageSize &- 1))
    }

    /// Gives this queue its own copy of the storage before a write if another copy shares it.
    @inlinable @inline(__always) mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { adoptCopyOfStorage() }
    }

    @usableFromInline mutating func adoptCopyOfStorage() {
        storage = EventQueueStorage(copying: storage)
        words = storage.words
        pages = storage.pages
        near.base = storage.near.base
        far.base = storage.far.base
        heads = storage.heads.base
        bitmap = storage.bitmap.base
        nodeKeys = storage.nodeKeys.base
        nodeNext = storage.nodeNext.base
        freeSlots = storage.freeSlots.base
        lanes = storage.lanes
        laneFronts = storage.laneFronts.base
    }

    /// A new slot at the end of the slab (a new page when the last one is full).
    @usableFromInline mutating func appendSlot() -> Int {
        let slot = slotCount
        precondition(UInt64(slot) <= Self.slotMask, "EventQueue: more than 2^24 events pending")
        if slot == slotCapacity {
            storage.growSlots()
            words = storage.words
            pages = storage.pages
            slotCapacity = storage.pageCount * EventQueueStorage<Payload>.pageSize
        }
        words[slot] = Self.freeWord
        slotCount = slot + 1
        storage.count = slotCount
        return slot
    }

    /// Doubles the room of `near` (or `far`), keeping its keys.
    @usableFromInline mutating func growHeap(near isNear: Bool) {
        if isNear {
            storage.near = storage.near.grown(to: storage.near.capacity * 2)
            near.base = storage.near.base
            near.capacity = storage.near.capacity
        } else {
            storage.far = storage.far.grown(to: storage.far.capacity * 2)
            far.base = storage.far.base
            far.capacity = storage.far.capacity
        }
    }

    @usableFromInline mutating func growNodes() {
        storage.nodeKeys = storage.nodeKeys.grown(to: nodeCapacity * 2)
        storage.nodeNext = storage.nodeNext.grown(to: nodeCapacity * 2)
        nodeKeys = storage.nodeKeys.base
        nodeNext = storage.nodeNext.base
        nodeCapacity *= 2
    }

    @usableFromInline mutating func growFreeSlots() {
        storage.freeSlots = storage.freeSlots.grown(to: freeCapacity * 2)
        freeSlots = storage.freeSlots.base
        freeCapacity *= 2
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
        let key = Self.key(time: time, word: word)
        let b = bucket(of: key)
        if b < cursor {
            pushNear(key)
            return EventHandle(word: word)
        }
        let d = b &- cursor
        if d >= laneDistance {
            let l = laneFor(bucket: b, distance: d)
            if l >= 0 {
                laneAppend(key, bucket: b, lane: l)
                return EventHandle(word: word)
            }
        }
        if d <= wheelMask {
            wheelInsert(key, bucketIndex: Int(truncatingIfNeeded: b & wheelMask))
        } else {
            if far.count == far.capacity { growHeap(near: false) }
            far.push(key)
        }
        return EventHandle(word: word)
    }

    @inlinable @inline(__always) mutating func pushNear(_ key: Key) {
        if near.count == near.capacity { growHeap(near: true) }
        near.push(key)
    }

    /// Hangs `key` on wheel bucket `i`'s list (at its head: a bucket's keys are unordered).
    @inlinable @inline(__always) mutating func wheelInsert(_ key: Key, bucketIndex i: Int) {
        var n = nodeFree
        if n != Self.noNode {
            nodeFree = nodeNext[Int(n)]
        } else {
            if nodeCount == nodeCapacity { growNodes() }
            n = UInt32(truncatingIfNeeded: nodeCount)
            nodeCount &+= 1
        }
        nodeKeys[Int(n)] = key
        nodeNext[Int(n)] = heads[i]
        heads[i] = n
        bitmap[i &>> 6] |= 1 &<< UInt64(i & 63)
        wheelCount &+= 1
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
        // Every cancel leaves one stale key behind. When stale keys outnumber the live ones,
        // drop them all at once (O(n) after n cancels: O(1) per cancel) rather than letting
        // them pile up. Not sooner: most stale keys are cancelled timeouts in a lane, dropped
        // for free when their bucket opens (at 10,000 nodes about 7,000 of them wait there
        // against 30,000 live keys; at a quarter, the queue compacted every few seconds).
        if near.count &+ far.count &+ wheelCount &+ laneKeyCount &- _liveCount > Swift.max(_liveCount, 1_024) {
            compact()
        }
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

    /// The smallest live key (left at `near`'s root), discarding the cancelled keys found on
    /// the way and opening buckets while `near` is empty; nil when no event is pending.
    @inlinable @inline(__always)
    mutating func head() -> Key? {
        while true {
            if near.count > 0 {
                let a = near.top
                if isLive(a) { return a }
                near.popTop()
                continue
            }
            if !advance() { return nil }
        }
    }

    /// Opens the next bucket that holds keys (with `near` empty): its wheel list and the keys of
    /// `far` and of the lanes' fronts in it move into `near` (live ones only), and `cursor`
    /// passes it. False if no key is left anywhere.
    @inlinable mutating func advance() -> Bool {
        while far.count > 0 && !isLive(far.top) { far.popTop() }
        // No bucket is `UInt64.max` (a bucket is a 64-bit time shifted right at least once).
        var target = UInt64.max
        if wheelCount > 0 { target = cursor &+ Self.nextOccupiedDistance(bitmap, from: cursor, mask: wheelMask) }
        if far.count > 0 { target = Swift.min(target, bucket(of: far.top)) }
        target = Swift.min(target, laneNext)
        if target == .max { return false }
        // The keys of `far`, of the wheel and of the lanes are never before `cursor`, so
        // target >= cursor.
        if target &- cursor <= wheelMask { drainBucket(Int(truncatingIfNeeded: target & wheelMask)) }
        while far.count > 0 {
            let k = far.top
            if bucket(of: k) != target { break }
            far.popTop()
            if isLive(k) { pushNear(k) }
        }
        if laneNext == target { drainLanes(target) }
        cursor = target &+ 1
        return true
    }

    /// How many buckets after `cursor` the first non-empty wheel bucket is (one must be).
    /// (Static: a method on `self` made the mutating caller copy the whole queue for the call.)
    @inlinable static func nextOccupiedDistance(
        _ bitmap: UnsafeMutablePointer<UInt64>, from cursor: UInt64, mask wheelMask: UInt64
    ) -> UInt64 {
        let start = Int(truncatingIfNeeded: cursor & wheelMask)
        let lastWord = Int(truncatingIfNeeded: wheelMask >> 6)
        var w = start >> 6
        var bits = bitmap[w] & (~UInt64(0) &<< UInt64(start & 63))
        while bits == 0 {
            w = w == lastWord ? 0 : w &+ 1
            bits = bitmap[w]
        }
        let slot = w << 6 | bits.trailingZeroBitCount
        return UInt64(truncatingIfNeeded: slot &- start) & wheelMask
    }

    /// Moves wheel bucket `i`'s keys into `near` and frees its nodes, asking the CPU for each
    /// key's slot word and payload on the way.
    ///
    /// Without a liveness check: a stale key is dropped when it reaches `near`'s root (`head`),
    /// as one cancelled after its bucket opened always was. The wheel's keys are nearly all live:
    /// messages cannot be cancelled, and the timers that usually are (request timeouts) wait in
    /// a lane, which drops them before they reach `near`. The check here was a load of a slot
    /// word last touched when the key was scheduled, waited for before the next key (40 % of
    /// `drainBucket`'s samples at 10,000 nodes); the prefetches let those misses overlap, and the
    /// pops that follow find the words and payloads in cache.
    @inlinable mutating func drainBucket(_ i: Int) {
        var n = heads[i]
        if n == Self.noNode { return }
        heads[i] = Self.noNode
        bitmap[i &>> 6] &= ~(1 &<< UInt64(i & 63))
        while n != Self.noNode {
            let k = nodeKeys[Int(n)]
            let next = nodeNext[Int(n)]
            prefetchSlot(of: k)
            pushNear(k)
            nodeNext[Int(n)] = nodeFree
            nodeFree = n
            wheelCount &-= 1
            n = next
        }
    }

    /// The time of the next live event, discarding cancelled keys on the way.
    @inlinable
    public mutating func peekTime() -> Int64? {
        makeUnique()
        return head().map { Self.time(of: $0) }
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
    @inlinable @inline(__always)
    public mutating func holdNext(notAfter limit: Int64) -> Int64? {
        precondition(heldSlot < 0, "EventQueue: holdNext while an event is held")
        makeUnique()
        guard let top = head() else { return nil }
        let time = Self.time(of: top)
        if time > limit { return nil }
        near.popTop()
        let i = Int(truncatingIfNeeded: Self.word(of: top) & Self.slotMask)
        words[i] = Self.heldWord
        heldSlot = i
        _liveCount &-= 1
        prefetchRoot()
        return time
    }

    /// The held event's payload, in its slot (only between `holdNext` and `takeHeld`/`dropHeld`;
    /// valid until the queue is next mutated).
    @inlinable @inline(__always) var heldPayload: UnsafeMutablePointer<Payload> {
        precondition(heldSlot >= 0, "EventQueue: no event is held")
        return payloadAddress(heldSlot)
    }

    /// Moves the held event's payload out and frees its slot.
    @inlinable @inline(__always)
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

    /// Asks the CPU to fetch the slot word and payload of `near`'s root, usually the next
    /// event: the caller handles the current event meanwhile, so the next pop finds them in
    /// cache. (At 10,000 nodes the liveness check and the payload read of the root were cache
    /// misses, about half of the pop's time.)
    @inlinable @inline(__always) func prefetchRoot() {
        if near.count > 0 { prefetchSlot(of: near.top) }
    }

    @inlinable @inline(__always) func prefetchSlot(of key: Key) {
        let i = Int(truncatingIfNeeded: Self.word(of: key) & Self.slotMask)
        cprefetch_read(words + i)
        let payload = UnsafeRawPointer(payloadAddress(i))
        cprefetch_read(payload)
        cprefetch_read(payload + (MemoryLayout<Payload>.size - 1))
    }

    /// Asks the CPU for the slot word and envelope of the event behind `handle`, for a caller
    /// that will cancel it shortly (`cancel` reads the word and destroys the envelope): at
    /// 10,000 nodes a node's request timeout, armed a round trip earlier, is cold when its
    /// answer cancels it. Does nothing for `.none` or a slot past the slab. A hint only: nothing
    /// is read through the addresses.
    @inlinable @inline(__always) public func prefetch(_ handle: EventHandle) {
        let i = handle.slot
        guard handle.word != Self.freeWord, i < slotCount else { return }
        cprefetch_read(words + i)
        let payload = UnsafeRawPointer(payloadAddress(i))
        cprefetch_read(payload)
        cprefetch_read(payload + (MemoryLayout<Payload>.size - 1))
    }

    /// Read-only look-ahead (for a dispatcher that prefetches what the next event will touch):
    /// the payload of `near`'s root if that key is live, else nil (`near` empty, or its root a
    /// cancelled key). The root is usually the next event, but not always: an event scheduled
    /// before it while the current one is handled comes first, and when `near` is empty the next
    /// event is in a bucket not yet opened. So what it returns is a guess, for hints only. It
    /// moves nothing and opens no bucket; the pointer is valid until the queue is next mutated.
    @inlinable @inline(__always) public func peekRoot() -> UnsafePointer<Payload>? {
        guard near.count > 0 else { return nil }
        let key = near.top
        guard isLive(key) else { return nil }
        return UnsafePointer(payloadAddress(Int(truncatingIfNeeded: Self.word(of: key) & Self.slotMask)))
    }

    /// Asks the CPU for the slot word and envelope of the smallest of `near`'s root's children:
    /// the event after the root, if nothing is scheduled before it meanwhile and `near` holds it
    /// (the next event's slot is fetched by `holdNext`, one event ahead; this starts the one
    /// after it, two events ahead, so that a look-ahead reading the root's payload finds it in
    /// cache). Reads only the heap's first keys (one or two lines, always warm). A hint only.
    @inlinable @inline(__always) public func prefetchAfterRoot() {
        let n = near.count
        if n < 2 { return }
        let base = near.base
        var c = 1
        if n > 4 {
            let a = 1 &+ Int(base[2] < base[1] ? 1 : 0)
            let b = 3 &+ Int(base[4] < base[3] ? 1 : 0)
            c = base[b] < base[a] ? b : a
        } else {
            var j = 2
            while j < n {
                if base[j] < base[c] { c = j }
                j &+= 1
            }
        }
        // The word (the peek's liveness check) and the envelope's first line (actor, sender,
        // kind, and the payload's first words); `holdNext` asks for the rest one event later.
        let i = Int(truncatingIfNeeded: Self.word(of: base[c]) & Self.slotMask)
        cprefetch_read(words + i)
        cprefetch_read(UnsafeRawPointer(payloadAddress(i)))
    }

    /// Puts slot `i` on the free list (its word cleared, its payload gone). The caller has
    /// taken its event out of `liveCount`.
    @inlinable @inline(__always) mutating func release(slot i: Int) {
        if freeCount == freeCapacity { growFreeSlots() }
        freeSlots[freeCount] = UInt32(truncatingIfNeeded: i)
        freeCount &+= 1
    }

    /// Removes every stale key from both heaps, the wheel and the lanes. (Inlinable so that it is
    /// specialised: the generic copy was 0.5 % of `perf` samples at N=10,000.)
    @inlinable mutating func compact() {
        let words = self.words
        let isStale = { (key: Key) -> Bool in
            let word = Self.word(of: key)
            return words[Int(truncatingIfNeeded: word & Self.slotMask)] != word
        }
        near.removeAll(where: isStale)
        far.removeAll(where: isStale)
        for l in 0..<EventQueueStorage<Payload>.laneCount {
            let before = lanes[l].count
            lanes[l].removeAll(where: isStale)
            laneKeyCount &-= before &- lanes[l].count
        }
        resetLaneFronts()
        for w in 0...Int(truncatingIfNeeded: wheelMask >> 6) {
            var bits = bitmap[w]
            while bits != 0 {
                let i = w << 6 | bits.trailingZeroBitCount
                bits &= bits &- 1
                // Rebuild bucket i's list from its live keys.
                var n = heads[i]
                var kept = Self.noNode
                while n != Self.noNode {
                    let next = nodeNext[Int(n)]
                    if isStale(nodeKeys[Int(n)]) {
                        nodeNext[Int(n)] = nodeFree
                        nodeFree = n
                        wheelCount &-= 1
                    } else {
                        nodeNext[Int(n)] = kept
                        kept = n
                    }
                    n = next
                }
                heads[i] = kept
                if kept == Self.noNode { bitmap[w] &= ~(1 &<< UInt64(i & 63)) }
            }
        }
    }
}
