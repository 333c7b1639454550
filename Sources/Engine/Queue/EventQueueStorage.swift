/// One trivially copyable array of `EventQueueStorage`: where it is and how many elements it
/// has room for. The storage owns the memory; the queue keeps copies of the bases for its hot
/// path. Allocated zeroed, so a copy is a plain copy of the whole capacity.
@usableFromInline struct RawBuffer<Element: FixedWidthInteger & BitwiseCopyable> {
    @usableFromInline var base: UnsafeMutablePointer<Element>
    @usableFromInline var capacity: Int

    @usableFromInline init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        base = .allocate(capacity: capacity)
        base.initialize(repeating: 0, count: capacity)
    }

    /// A copy with its own memory.
    @usableFromInline func copy() -> RawBuffer {
        let b = RawBuffer(capacity: capacity)
        b.base.update(from: base, count: capacity)
        return b
    }

    /// This buffer's elements in a new one of `newCapacity` (larger); this one is freed.
    @usableFromInline func grown(to newCapacity: Int) -> RawBuffer {
        precondition(newCapacity > capacity)
        let b = RawBuffer(capacity: newCapacity)
        b.base.update(from: base, count: capacity)
        base.deallocate()
        return b
    }

    @usableFromInline func free() { base.deallocate() }
}

/// The memory behind an `EventQueue`: per slot, the pending event's word and its payload; the
/// two heaps' keys; the timer wheel's buckets, occupancy bitmap and list nodes; the lanes; the
/// free slots.
///
/// Laid out for the queue's hot reads:
/// - the words are one dense array of 8-byte values. Every key that reaches the near heap's
///   root is checked against its slot's word (is it still pending?); a dense array keeps those
///   checks in a few cache lines (eight slots per line);
/// - the payloads sit in fixed-size pages of `pageSize` slots that never move: a growing queue
///   adds a page and copies nothing; a slot's page is `slot >> pageShift`. A payload is
///   initialised only while its slot holds a pending or held event (its word is not
///   `EventQueue.freeWord`), with no `Optional` around it;
/// - everything else is plain integers in `RawBuffer`s, and the lanes' keys in `KeyLane`s
///   (which allocate their own memory; this storage frees it).
///
/// Why one owner for all of it: the queue is a value type and must copy what it shares before
/// a write. With each array its own copy-on-write `Array`, every write to each of them paid a
/// uniqueness check (four to six per event); with one owner, one check per operation covers
/// them all, and the queue writes through plain pointers.
@usableFromInline final class EventQueueStorage<Payload> {
    @inlinable static var pageShift: Int { 10 }
    @inlinable static var pageSize: Int { 1 << pageShift }

    /// `words[0..<wordCapacity]`; `words[0..<count]` are the slots in use (pending or free).
    @usableFromInline var words: UnsafeMutablePointer<UInt64>
    @usableFromInline var wordCapacity: Int
    /// `pages[0..<pageCount]`, each `pageSize` payloads; `pageCapacity` pointers allocated.
    @usableFromInline var pages: UnsafeMutablePointer<UnsafeMutablePointer<Payload>>
    @usableFromInline var pageCount: Int
    @usableFromInline var pageCapacity: Int
    /// Slots handed out so far (those below it have a word; a payload if pending or held).
    @usableFromInline var count: Int = 0

    @usableFromInline var near: RawBuffer<UInt128>
    @usableFromInline var far: RawBuffer<UInt128>
    @usableFromInline var heads: RawBuffer<UInt32>
    @usableFromInline var bitmap: RawBuffer<UInt64>
    @usableFromInline var nodeKeys: RawBuffer<UInt128>
    @usableFromInline var nodeNext: RawBuffer<UInt32>
    @usableFromInline var freeSlots: RawBuffer<UInt32>
    /// `lanes[0..<laneCount]`, each with its own ring of keys.
    @usableFromInline var lanes: UnsafeMutablePointer<KeyLane>
    @usableFromInline static var laneCount: Int { 4 }
    /// Per lane, its front's bucket (see `EventQueue.laneFronts`).
    @usableFromInline var laneFronts: RawBuffer<UInt64>

    @usableFromInline init(wheelSize: Int) {
        wordCapacity = Self.pageSize
        words = .allocate(capacity: wordCapacity)
        pageCapacity = 8
        pages = .allocate(capacity: pageCapacity)
        pageCount = 0
        near = RawBuffer(capacity: 256)
        far = RawBuffer(capacity: 256)
        heads = RawBuffer(capacity: wheelSize)
        heads.base.update(repeating: .max, count: wheelSize)  // every bucket empty
        bitmap = RawBuffer(capacity: wheelSize / 64)
        nodeKeys = RawBuffer(capacity: 256)
        nodeNext = RawBuffer(capacity: 256)
        freeSlots = RawBuffer(capacity: 256)
        lanes = .allocate(capacity: Self.laneCount)
        for l in 0..<Self.laneCount { (lanes + l).initialize(to: KeyLane(capacity: 256)) }
        laneFronts = RawBuffer(capacity: Self.laneCount)
        laneFronts.base.update(repeating: .max, count: Self.laneCount)  // every lane empty
    }

    /// A copy of `other`, with its own memory (the pending and held payloads copied).
    @usableFromInline init(copying other: EventQueueStorage) {
        wordCapacity = other.wordCapacity
        words = .allocate(capacity: wordCapacity)
        words.initialize(from: other.words, count: other.count)
        pageCapacity = other.pageCapacity
        pages = .allocate(capacity: pageCapacity)
        pageCount = other.pageCount
        for p in 0..<pageCount { pages[p] = Self.allocatePage() }
        for slot in 0..<other.count where other.words[slot] != EventQueue<Payload>.freeWord {
            let page = slot >> Self.pageShift
            let offset = slot & (Self.pageSize - 1)
            (pages[page] + offset).initialize(to: other.pages[page][offset])
        }
        count = other.count
        near = other.near.copy()
        far = other.far.copy()
        heads = other.heads.copy()
        bitmap = other.bitmap.copy()
        nodeKeys = other.nodeKeys.copy()
        nodeNext = other.nodeNext.copy()
        freeSlots = other.freeSlots.copy()
        lanes = .allocate(capacity: Self.laneCount)
        for l in 0..<Self.laneCount { (lanes + l).initialize(to: other.lanes[l].copy()) }
        laneFronts = other.laneFronts.copy()
    }

    deinit {
        for slot in 0..<count where words[slot] != EventQueue<Payload>.freeWord {
            (pages[slot >> Self.pageShift] + (slot & (Self.pageSize - 1))).deinitialize(count: 1)
        }
        for p in 0..<pageCount { pages[p].deallocate() }
        pages.deallocate()
        words.deallocate()
        near.free()
        far.free()
        heads.free()
        bitmap.free()
        nodeKeys.free()
        nodeNext.free()
        freeSlots.free()
        for l in 0..<Self.laneCount { lanes[l].free() }
        lanes.deallocate()
        laneFronts.free()
    }

    /// A page of `pageSize` uninitialised payloads, on a cache line's boundary.
    ///
    /// Why aligned: a page is 128 KiB for the world's events, which `malloc` serves from `mmap`
    /// 16 bytes past a page boundary, so every 128-byte slot straddled three cache lines where
    /// two hold it. The queue prefetches a slot's first and last byte (`prefetchSlot`), and the
    /// line between was left to miss when the event was read at 10,000 nodes.
    static func allocatePage() -> UnsafeMutablePointer<Payload> {
        UnsafeMutableRawPointer.allocate(byteCount: pageSize * MemoryLayout<Payload>.stride, alignment: 64)
            .bindMemory(to: Payload.self, capacity: pageSize)
    }

    /// Adds a page of slots (`count` is at a page boundary: `pageCount * pageSize`).
    @usableFromInline func growSlots() {
        if (pageCount + 1) * Self.pageSize > wordCapacity {
            let bigger = UnsafeMutablePointer<UInt64>.allocate(capacity: wordCapacity * 2)
            bigger.initialize(from: words, count: count)
            words.deallocate()
            words = bigger
            wordCapacity *= 2
        }
        if pageCount == pageCapacity {
            let bigger = UnsafeMutablePointer<UnsafeMutablePointer<Payload>>.allocate(capacity: pageCapacity * 2)
            bigger.initialize(from: pages, count: pageCount)
            pages.deallocate()
            pages = bigger
            pageCapacity *= 2
        }
        pages[pageCount] = Self.allocatePage()
        pageCount += 1
    }
}
