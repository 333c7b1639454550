import CPrefetch

/// The embedded store's replay cache: which signatures were used, until when.
///
/// Every signed node request passes through it, and a node chooses what it signs, so it is
/// built to cost the same for any traffic:
/// - **Fingerprints, not signatures.** An entry is the signature's 128-bit SipHash-2-4 under a
///   secret key drawn from the store's seed, with its lowest bit set (so the all-zero value can
///   mark an empty slot): 127 keyed bits, 16 bytes instead of 64. A replay has the very same
///   signature, hence the same fingerprint: a replay is never let through. The only new error
///   is the other way: a fresh signature refused as `replayed` because its fingerprint equals
///   a remembered one's. For signatures chosen without knowledge of the key (SipHash-2-4 taken
///   as a pseudorandom function: seeing the fingerprints, the timing or the answers for
///   signatures of its choice tells a node nothing about the fingerprint of another), each
///   request meets that with probability at most `count / 2^127` (at most 100,000 / 2^127 ≈
///   5.9e-34 at the default capacity), so at most `Q × 5.9e-34` over `Q` requests, whatever
///   signatures a flooding node picks: under 1e-18 for 10^15 requests (10,000 nodes, one
///   request per second each, for 3,000 years). Such a refusal costs a 401 `replayed_request`,
///   which the node answers by signing again with a fresh timestamp.
/// - **Bounded and allocation-free.** The table is open addressing (linear probing from a
///   position given by the fingerprint's top 32 bits, load at most two thirds, deletion by
///   backward shift: no tombstones). A slot is 8 bytes: those top 32 bits (the tag) and where
///   the whole fingerprint lies (its place in the ring, or in `strays` for a straggler), so a
///   line holds eight slots. A lookup reads a few adjacent slots, one line (rarely two), and
///   compares tags; only a slot whose tag is equal (a replay, or for a fresh fingerprint a
///   chance of about 2^-32 per slot passed) sends it to the whole fingerprint, so a fresh
///   fingerprint is answered from its home line alone, as when the slots held whole
///   fingerprints, in half the table. The fingerprints lie once, in the ring, which every entry
///   needs anyway (for its expiry order); before, each was also in a 16-byte slot. The arrays
///   grow only while the cache holds more than it ever has, towards the size `capacity`
///   entries need and never past it (no doubling slack), except that a table of 1 MiB or more
///   takes every slot of its whole 2 MiB pages (`slotsOnWholePages`; resident on every
///   platform since the table is zero-filled; the lower load shortens probes everywhere, the
///   whole pages save TLB entries only where huge pages are given); a request in steady state
///   allocates nothing and retains nothing. The table lies in `HugePageSlots`: from 2 MiB on
///   huge pages, so that its random reads at 10,000 nodes need one TLB entry rather than a
///   page walk each. At the default capacity that is 262,144 slots (2 MiB, one huge page) for
///   100,000 entries, a load of 0.38 (with 16-byte slots it took 4 MiB: `perf` at 10,000 nodes
///   had `remove` at 2.1 % of the run when 150,000 slots made a load of 0.67, 0.9 % at 0.38).
/// - **Expiry in order, mostly without a heap.** Signatures expire at their signed timestamp
///   plus the window, so they arrive almost in expiry order. An entry expiring no earlier than
///   every entry ever put in the ring (`ringWatermark`) is appended to a ring of fingerprints,
///   which is then sorted by expiry and, within an expiry, by arrival. Its expiries are kept
///   apart, one per run of equal expiries (one run per signed second: a few hundred for the
///   whole window, however many requests), so a ring entry costs 16 bytes. The rest
///   (stragglers: a request signed in one second that arrives after one signed in the next, or
///   a clock behind the others) go to a min-heap ordered by (expiry, arrival). The earliest
///   entry is the earlier of the ring's head and the heap's top, the ring's on a tie of
///   expiries: a straggler was remembered when the watermark already exceeded its expiry, and
///   the watermark never falls, so every ring entry with that expiry was remembered before it.
///   The heap stays as small as the stragglers are few; under any traffic the cost is at most
///   the heap's (what it was before). A straggler's fingerprint lies in `strays`, at an index
///   that does not move while it is remembered (freed indices are reused), so its table slot
///   can name it.
/// - **Flood-resistant.** Table positions come from the keyed fingerprint, so a node cannot
///   grind signatures that collide in the table.
/// - **Deterministic.** The key comes from the seed, not from the process, so the layout (and
///   the instruction count of a run) is the same on every run; and nothing iterates the table
///   but its own rebuilding (when it grows, and when the ring grows and re-lays its entries):
///   answers depend only on the signatures, their expiries, the clock and the capacity.
///
/// The answers are those of `EmbeddedStore.rememberSignature` (documented there), which the
/// earlier forms (a dictionary and a heap; whole signatures in a SipHash table and a heap) gave:
/// the same floor, the same choice of what to forget.
struct ReplayCache: Sendable {
    /// Most signatures remembered at once (at least one is always allowed).
    var capacity: Int
    /// Every signature expiring at or before this instant (micros) may have been forgotten to
    /// make room: such a signature is refused as a possible replay.
    private(set) var forgottenThrough: Int64 = .min

    private let hasher: SipHash24

    /// A signature's keyed 128-bit fingerprint; `low` always has its lowest bit set, so the
    /// all-zero value (`empty`) is never a fingerprint.
    struct Fingerprint: Hashable, Sendable {
        var low: UInt64
        /// Its top 32 bits are the table's tag, which gives the table position (scaled to the
        /// table's size).
        var high: UInt64

        static let empty = Fingerprint(low: 0, high: 0)
        @inline(__always) var isEmpty: Bool { low == 0 }
        /// What a table slot keeps of it: the high word's top 32 bits.
        @inline(__always) var tag: UInt32 { UInt32(truncatingIfNeeded: high >> 32) }
    }

    /// A table slot: a remembered fingerprint's tag and where the whole fingerprint lies
    /// (`ref`: its ring storage index plus one, or `strayFlag` and its index in `strays`);
    /// zero bytes (`ref` 0) mark an empty slot.
    struct Slot: Equatable, Sendable {
        var tag: UInt32
        var ref: UInt32
        @inline(__always) var isEmpty: Bool { ref == 0 }
    }

    /// Marks a slot's `ref` as an index in `strays` rather than in the ring.
    private static let strayFlag: UInt32 = 1 << 31

    /// Consecutive ring entries that expire at one instant.
    private struct Run: Sendable {
        var expiresAt: Int64
        var count: Int
    }

    /// An entry that arrived out of expiry order; ties by arrival (`seq`), so the heap's order
    /// is fully determined by what was pushed. Its fingerprint is `strays[stray]`.
    private struct Straggler: Comparable, Sendable {
        var expiresAt: Int64
        var seq: UInt64
        var stray: UInt32

        static func < (a: Straggler, b: Straggler) -> Bool { (a.expiresAt, a.seq) < (b.expiresAt, b.seq) }
        static func == (a: Straggler, b: Straggler) -> Bool { a.expiresAt == b.expiresAt && a.seq == b.seq }
    }

    /// Open addressing over tags. Any length (positions are scaled, not masked). On huge pages
    /// once it reaches 2 MiB (`HugePageSlots`); copied before a write while shared
    /// (`uniqueTable`).
    private var table = HugePageSlots<Slot>(zeroed: 0)
    /// The ring's fingerprints, in expiry order, and their expiries as runs (as many entries
    /// in `ring` as the runs count, in the same order).
    private var ring = BoundedRing<Fingerprint>(filler: .empty)
    private var runs = BoundedRing<Run>(filler: Run(expiresAt: 0, count: 0))
    /// The latest expiry ever put in the ring (never falls, even when the ring empties).
    private var ringWatermark = Int64.min
    private var stragglers = MinHeap<Straggler>()
    /// The stragglers' fingerprints (by `Straggler.stray`), and the indices free for reuse.
    private var strays: [Fingerprint] = []
    private var freeStrays: [UInt32] = []
    private var nextSeq: UInt64 = 0

    /// Signatures currently remembered.
    private(set) var count = 0

    /// The last signature `prepare` was given, and its fingerprint (`empty` before any), so
    /// that `remember` of that signature does not hash it again.
    private var preparedSignature = Signature(storage: Bytes64())
    private var preparedFingerprint = Fingerprint.empty

    /// - Parameters:
    ///   - capacity: most signatures remembered at once.
    ///   - key: the SipHash key (the store derives it from its seed).
    init(capacity: Int, key: (UInt64, UInt64)) {
        self.capacity = capacity
        self.hasher = SipHash24(k0: key.0, k1: key.1)
    }

    /// Remembers `signature` until `expiresAt` (micros; live through that instant) at time
    /// `now`; false if it is refused as a (possible) replay. See `EmbeddedStore.rememberSignature`.
    mutating func remember(_ signature: Signature, expiresAt: Int64, now: Int64) -> Bool {
        while let inRing = earliestIsInRing, expiry(ofEarliestInRing: inRing) < now { forgetEarliest(inRing: inRing) }
        guard expiresAt > forgottenThrough else { return false }
        let fingerprint =
            !preparedFingerprint.isEmpty && preparedSignature == signature ? preparedFingerprint : self.fingerprint(signature)
        guard slot(of: fingerprint) == nil else { return false }
        if count >= Swift.max(1, capacity), let inRing = earliestIsInRing {
            let oldest = expiry(ofEarliestInRing: inRing)
            guard oldest < expiresAt else {
                // The new signature is the first to expire: accepted, and forgotten at once.
                forgottenThrough = expiresAt
                return true
            }
            forgetEarliest(inRing: inRing)
            forgottenThrough = Swift.max(forgottenThrough, oldest)
        }
        insert(fingerprint, expiresAt: expiresAt)
        return true
    }

    /// A hint that `signature` is about to be remembered: its fingerprint is computed (and
    /// kept, for `remember` to recognise the same signature) and the lines `remember` will
    /// read are requested from memory: the fingerprint's home line, and the home line of the
    /// ring's first entry, which a full cache forgets to make room. At 10,000 nodes the table
    /// is 2 MiB and each of the two was a cache miss per request; given as soon as the
    /// request's headers are parsed, the loads overlap the signature's verification. Changes
    /// no answer.
    mutating func prepare(_ signature: Signature) {
        let fingerprint = self.fingerprint(signature)
        preparedSignature = signature
        preparedFingerprint = fingerprint
        let base = table.base, size = table.count
        guard size > 0 else { return }
        Self.prefetchProbe(from: Self.home(fingerprint.tag, size: size), base: base, size: size)
        if ring.count > 0 {
            Self.prefetchProbe(from: Self.home(ring.first.tag, size: size), base: base, size: size)
            // The ring's head is read by every full request and moves a line every four: its
            // lines are asked for two ahead (the head itself missed the cache, `perf`).
            ring.prefetch(ahead: 8)
        }
    }

    /// Asks for the line of slot `home` and, when `home` is one of its line's last two slots
    /// (the table is 64-byte aligned: eight slots a line), the next line too, which a probe
    /// or a removal's backward shift from there reaches often enough to be worth it (at a
    /// load of 0.38, from the last slot about every third time); from the other six a probe
    /// rarely leaves the line, and a line asked for in vain is memory traffic the run is
    /// bound by.
    @inline(__always)
    private static func prefetchProbe(from home: Int, base: UnsafeMutablePointer<Slot>, size: Int) {
        cprefetch_read(base + home)
        if home & 7 >= 6 { cprefetch_read(base + Swift.min(home &+ 2, size &- 1)) }
    }

    /// Whether `signature` is remembered now (expired entries linger until the next
    /// `remember`, as the count does).
    func contains(_ signature: Signature) -> Bool {
        slot(of: fingerprint(signature)) != nil
    }

    @inline(__always) private func fingerprint(_ signature: Signature) -> Fingerprint {
        let (low, high) = hasher.hash128(signature.storage)
        return Fingerprint(low: low | 1, high: high)
    }

    /// The fingerprint `remember` keeps of `signature` (for tests: to find signatures whose
    /// fingerprints share a tag).
    func fingerprint(of signature: Signature) -> Fingerprint { fingerprint(signature) }

    /// The whole fingerprint a slot's `ref` names (a remembered entry's).
    @inline(__always) private func fingerprint(at ref: UInt32) -> Fingerprint {
        ref & Self.strayFlag == 0 ? ring[storageIndex: Int(ref &- 1)] : strays[Int(ref & ~Self.strayFlag)]
    }

    // MARK: Expiry order

    /// Whether the earliest entry (by expiry, then arrival) is the ring's head; nil if empty.
    private var earliestIsInRing: Bool? {
        @inline(__always) get {
            if ring.count > 0 {
                guard let top = stragglers.min else { return true }
                return runs.first.expiresAt <= top.expiresAt
            }
            return stragglers.isEmpty ? nil : false
        }
    }

    /// The earliest entry's expiry (`inRing` as `earliestIsInRing` answered).
    @inline(__always) private func expiry(ofEarliestInRing inRing: Bool) -> Int64 {
        inRing ? runs.first.expiresAt : stragglers.min!.expiresAt
    }

    /// Forgets the earliest entry (`inRing` as `earliestIsInRing` answered).
    private mutating func forgetEarliest(inRing: Bool) {
        if inRing {
            let tag = ring.first.tag, ref = UInt32(truncatingIfNeeded: ring.firstStorageIndex &+ 1)
            ring.removeFirst()
            if runs.first.count == 1 { runs.removeFirst() } else { runs.first.count &-= 1 }
            remove(ref: ref, tag: tag)
        } else if let top = stragglers.popMin() {
            remove(ref: Self.strayFlag | top.stray, tag: strays[Int(top.stray)].tag)
            strays[Int(top.stray)] = .empty
            freeStrays.append(top.stray)
        }
    }

    private mutating func insert(_ fingerprint: Fingerprint, expiresAt: Int64) {
        if count &+ 1 > Self.mostEntries(slots: table.count) { growTable() }
        count &+= 1
        let ref: UInt32
        if expiresAt >= ringWatermark {
            let bound = Swift.max(1, capacity)
            // A full ring grows on this append and re-lays its entries from index 0: every
            // ring slot's `ref` changes, so the table is laid again (a few times in a store's
            // life, as the ring grows).
            let relays = ring.count == ring.size
            let index = ring.append(fingerprint, bound: bound)
            if runs.count > 0, runs.last.expiresAt == expiresAt {
                runs.last.count &+= 1
            } else {
                runs.append(Run(expiresAt: expiresAt, count: 1), bound: bound)
            }
            ringWatermark = expiresAt
            if relays {
                rebuildTable(slots: table.count)  // places the new entry too
                return
            }
            precondition(index < Int(Self.strayFlag) &- 1, "the ring outgrew its slots' references")
            ref = UInt32(truncatingIfNeeded: index &+ 1)
        } else {
            let stray: UInt32
            if let free = freeStrays.popLast() {
                stray = free
                strays[Int(free)] = fingerprint
            } else {
                precondition(strays.count < Int(Self.strayFlag), "the stragglers outgrew their slots' references")
                stray = UInt32(truncatingIfNeeded: strays.count)
                strays.append(fingerprint)
            }
            stragglers.push(Straggler(expiresAt: expiresAt, seq: nextSeq, stray: stray))
            nextSeq &+= 1
            ref = Self.strayFlag | stray
        }
        uniqueTable()
        Self.place(Slot(tag: fingerprint.tag, ref: ref), in: table)
    }

    // MARK: Table

    /// `slots`, or, for a table of at least half a 2 MiB page, as many slots as its whole 2 MiB
    /// pages hold, so that every slot is on a huge page and the slots that fill the last page
    /// lower the load: at the default capacity 262,144 slots (2 MiB) instead of 150,000
    /// (1.14 MiB) for 100,000 entries, a load of 0.38 instead of 0.67, which shortens the
    /// probes and the backward shift's scan. It costs the rounding's memory (under 2 MiB;
    /// 0.86 MiB there) on every platform: the slots are zero-filled, so resident, with or
    /// without huge pages.
    static func slotsOnWholePages(_ slots: Int) -> Int {
        let stride = MemoryLayout<Slot>.stride, page = HugePageSlots<Slot>.hugePage
        guard slots &* stride >= page / 2 else { return slots }
        return (slots &* stride &+ page &- 1) / page &* page / stride
    }

    /// Most entries a table of `slots` slots holds (load at most two thirds).
    private static func mostEntries(slots: Int) -> Int { slots &* 2 / 3 }

    /// The fewest slots that hold `entries` entries.
    private static func slotsNeeded(entries: Int) -> Int { (entries &* 3 &+ 1) / 2 }

    /// Where the probe for a tag starts in a table of `size` slots: the tag scaled to the size
    /// (a multiply, not a division; any size below 2^32 works).
    @inline(__always) private static func home(_ tag: UInt32, size: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(tag) &* UInt64(truncatingIfNeeded: size)) >> 32)
    }

    /// The slot holding `fingerprint`, or nil: the probe compares tags, and only a slot with
    /// an equal tag is compared whole.
    @inline(__always) private func slot(of fingerprint: Fingerprint) -> Int? {
        let slots = table.base, size = table.count
        guard size > 0 else { return nil }
        let tag = fingerprint.tag
        var i = Self.home(tag, size: size)
        while true {
            let s = slots[i]
            if s.isEmpty { return nil }
            if s.tag == tag, self.fingerprint(at: s.ref) == fingerprint { return i }
            i &+= 1
            if i == size { i = 0 }
        }
    }

    /// Puts `slot` in the first empty slot from its tag's home in `table` (not shared).
    @inline(__always) private static func place(_ slot: Slot, in table: HugePageSlots<Slot>) {
        let slots = table.base, size = table.count
        var i = home(slot.tag, size: size)
        while !slots[i].isEmpty {
            i &+= 1
            if i == size { i = 0 }
        }
        slots[i] = slot
    }

    /// Makes the table this cache's own before a write (a copied cache shares it until then).
    @inline(__always) private mutating func uniqueTable() {
        if !isKnownUniquelyReferenced(&table) { table = HugePageSlots(copying: table) }
    }

    /// Enlarges the table (twice as long, 16 slots at first, but never more than `capacity`
    /// entries need, then as many as fill the memory that takes: `slotsOnWholePages`) and
    /// places every entry again. Reached only while the cache holds more than it ever has, so
    /// a few times in a store's life.
    private mutating func growTable() {
        let bound = Self.slotsNeeded(entries: Swift.max(1, capacity))
        rebuildTable(slots: Self.slotsOnWholePages(
            Swift.max(Self.slotsNeeded(entries: count &+ 1), Swift.min(Swift.max(16, table.count &* 2), bound))))
    }

    /// A new table of `size` slots with every remembered entry placed: the ring's in order,
    /// then the stragglers' in the heap's storage order (so the layout depends only on what
    /// was remembered).
    @inline(never) private mutating func rebuildTable(slots size: Int) {
        let laid = HugePageSlots<Slot>(zeroed: size)
        for k in 0..<ring.count {
            Self.place(Slot(tag: ring[k].tag, ref: UInt32(truncatingIfNeeded: ring.storageIndex(k) &+ 1)), in: laid)
        }
        for s in stragglers.storage {
            Self.place(Slot(tag: strays[Int(s.stray)].tag, ref: Self.strayFlag | s.stray), in: laid)
        }
        table = laid
    }

    /// Forgets the entry named `ref` (in the table, with tag `tag`): empties its slot and
    /// shifts back the entries after it that probed past it, so no lookup ever stops short of
    /// its key.
    private mutating func remove(ref: UInt32, tag: UInt32) {
        uniqueTable()
        let slots = table.base, size = table.count
        var hole = Self.home(tag, size: size)
        while slots[hole].ref != ref {
            hole &+= 1
            if hole == size { hole = 0 }
        }
        var i = hole
        while true {
            i &+= 1
            if i == size { i = 0 }
            let e = slots[i]
            if e.isEmpty { break }
            let home = Self.home(e.tag, size: size)
            // `e` may move into the hole unless its home lies cyclically in (hole, i].
            let homeAfterHole = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i)
            if !homeAfterHole {
                slots[hole] = e
                hole = i
            }
        }
        slots[hole] = Slot(tag: 0, ref: 0)
        count &-= 1
    }

    // MARK: Checks

    /// Whether the table, the ring, the heap and the strays agree (for tests): every queued
    /// entry is a distinct fingerprint found by lookup, the ring is in expiry order below the
    /// watermark and every straggler below it, every slot names a queued entry under its tag,
    /// the strays are each live or free, the counts match, and the load stays at most two
    /// thirds.
    func isConsistent() -> Bool {
        var queued: [Fingerprint] = []
        var previous = Int64.min
        var k = 0
        for r in 0..<runs.count {
            let run = runs[r]
            guard run.count > 0, run.expiresAt > previous, run.expiresAt <= ringWatermark else { return false }
            previous = run.expiresAt
            k += run.count
        }
        guard k == ring.count else { return false }
        for r in 0..<ring.count { queued.append(ring[r]) }
        var strayUse = [Int](repeating: 0, count: strays.count)
        for s in stragglers.storage {
            guard s.expiresAt < ringWatermark, Int(s.stray) < strays.count else { return false }
            strayUse[Int(s.stray)] += 1
            queued.append(strays[Int(s.stray)])
        }
        for free in freeStrays {
            guard Int(free) < strays.count, strays[Int(free)].isEmpty else { return false }
            strayUse[Int(free)] += 1
        }
        guard strayUse.allSatisfy({ $0 == 1 }) else { return false }
        var distinct = Set<Fingerprint>()
        for fingerprint in queued {
            guard fingerprint.low & 1 == 1, slot(of: fingerprint) != nil, distinct.insert(fingerprint).inserted else { return false }
        }
        var liveRing = Set<Int>()
        for r in 0..<ring.count { liveRing.insert(ring.storageIndex(r)) }
        var occupied = 0
        for i in 0..<table.count where !table.base[i].isEmpty {
            let s = table.base[i]
            occupied += 1
            if s.ref & Self.strayFlag == 0 {
                guard liveRing.contains(Int(s.ref) - 1) else { return false }
            } else {
                let stray = Int(s.ref & ~Self.strayFlag)
                guard stray < strays.count, !strays[stray].isEmpty else { return false }
            }
            guard fingerprint(at: s.ref).tag == s.tag else { return false }
        }
        return queued.count == count && occupied == count && count <= Self.mostEntries(slots: table.count)
    }

    /// Slots in the table (for tests: bounded by the capacity).
    var tableSize: Int { table.count }

    /// Entries the ring has room for (for tests: bounded by the capacity).
    var ringSize: Int { ring.size }

    /// Runs of equal expiries the ring has room for (for tests: bounded by the capacity).
    var runsSize: Int { runs.size }

    /// Entries that arrived out of expiry order and wait in the heap (for tests and measures).
    var stragglerCount: Int { stragglers.count }

    /// The table as it lies, each slot's whole fingerprint (`empty` for an empty slot) (for
    /// tests: the same on every run for a seed).
    var layout: [Fingerprint] {
        (0..<table.count).map { table.base[$0].isEmpty ? .empty : fingerprint(at: table.base[$0].ref) }
    }

    /// The most slots any remembered signature's lookup visits (for tests: flood resistance).
    var longestProbe: Int {
        var longest = 0
        let size = table.count
        for i in 0..<size where !table.base[i].isEmpty {
            let home = Self.home(table.base[i].tag, size: size)
            longest = Swift.max(longest, (i - home + size) % size + 1)
        }
        return longest
    }
}

/// A ring buffer (first in, first out) that grows only when full: to twice its size (16 at
/// first) but no further than `bound` elements, unless it must, so it ends exactly as long as
/// the bound, with no doubling slack. Growing re-lays the elements from index 0.
struct BoundedRing<Element: Sendable>: Sendable {
    private var storage: [Element] = []
    private var head = 0
    /// Elements in the ring.
    private(set) var count = 0
    /// What fills unused storage (never read).
    private let filler: Element

    init(filler: Element) { self.filler = filler }

    /// Elements the storage has room for.
    var size: Int { storage.count }

    @inline(__always) private func index(_ k: Int) -> Int {
        let i = head &+ k
        return i >= storage.count ? i &- storage.count : i
    }

    /// The `k`-th element from the first (0 ≤ k < count).
    subscript(k: Int) -> Element { storage[index(k)] }

    /// Where the `k`-th element from the first lies in the storage (0 ≤ k < count): it stays
    /// there until it is removed or the ring grows (which re-lays the elements from index 0).
    @inline(__always) func storageIndex(_ k: Int) -> Int { index(k) }

    /// Where the first element lies in the storage (the ring is not empty).
    var firstStorageIndex: Int { @inline(__always) get { head } }

    /// The element at storage index `i` (a live element's, as `storageIndex` answered).
    subscript(storageIndex i: Int) -> Element { @inline(__always) get { storage[i] } }

    /// A hint that the `k`-th element from the first (0 ≤ k; none if `k` is not below the
    /// storage's size) will be read soon: its line is requested from memory. Changes nothing
    /// but timing.
    @inline(__always) func prefetch(ahead k: Int) {
        storage.withUnsafeBufferPointer { elements in
            guard let base = elements.baseAddress, k < elements.count else { return }
            let i = head &+ k
            cprefetch_read(base + (i >= elements.count ? i &- elements.count : i))
        }
    }

    /// The oldest element (the ring is not empty).
    var first: Element {
        @inline(__always) get { storage[head] }
        @inline(__always) set { storage[head] = newValue }
    }

    /// The newest element (the ring is not empty).
    var last: Element {
        @inline(__always) get { storage[index(count &- 1)] }
        @inline(__always) set { storage[index(count &- 1)] = newValue }
    }

    /// Appends `element` (growing first when full, to at most `bound` elements unless it must)
    /// and answers its storage index.
    @inline(__always) @discardableResult
    mutating func append(_ element: Element, bound: Int) -> Int {
        if count == storage.count { grow(bound: bound) }
        let i = index(count)
        storage[i] = element
        count &+= 1
        return i
    }

    /// Drops the oldest element (the ring is not empty).
    @inline(__always) mutating func removeFirst() {
        head &+= 1
        if head == storage.count { head = 0 }
        count &-= 1
    }

    @inline(never) private mutating func grow(bound: Int) {
        let size = Swift.max(count &+ 1, Swift.min(Swift.max(16, storage.count &* 2), bound))
        var grown: [Element] = []
        grown.reserveCapacity(size)
        for k in 0..<count { grown.append(storage[index(k)]) }
        grown.append(contentsOf: repeatElement(filler, count: size &- count))
        storage = grown
        head = 0
    }
}
