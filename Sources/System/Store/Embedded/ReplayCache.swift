/// The embedded store's replay cache: which signatures were used, until when.
///
/// Every signed node request passes through it, and a node chooses what it signs, so it is
/// built to cost the same for any traffic:
/// - **Bounded and allocation-free.** Signatures are held inline (`Bytes64`) in one dense entry
///   array, found through an open-addressing table of entry indices (linear probing, load at
///   most one half, deletion by backward shift: no tombstones), and forgotten in expiry order
///   through a min-heap. The arrays grow (doubling) only while the cache grows towards the most
///   it has held, and never beyond `capacity` entries; a request in steady state allocates
///   nothing and retains nothing.
/// - **Flood-resistant.** Table positions come from SipHash-2-4 under a 128-bit key drawn from
///   the store's seed, so a node cannot grind signatures that collide in the table.
/// - **Deterministic.** The key comes from the seed, not from the process, so the layout (and
///   the instruction count of a run) is the same on every run; and nothing ever iterates the
///   table: answers depend only on the signatures, their expiries, the clock and the capacity.
///
/// The answers are those of `EmbeddedStore.rememberSignature` (documented there), which the
/// earlier dictionary-plus-heap form gave: the same floor, the same choice of what to forget.
struct ReplayCache: Sendable {
    /// Most signatures remembered at once (at least one is always allowed).
    var capacity: Int
    /// Every signature expiring at or before this instant (micros) may have been forgotten to
    /// make room: such a signature is refused as a possible replay.
    private(set) var forgottenThrough: Int64 = .min

    private let hasher: SipHash24

    /// One remembered signature and its keyed hash (kept so that moving it in the table never
    /// hashes it again). Free entries (in `free`) keep stale contents that nothing reads.
    private struct Entry: Sendable {
        var signature: Bytes64
        var hash: UInt64
    }

    /// A remembered signature's place in the expiry order; ties by the order they were
    /// remembered (`seq`), so the heap's order is fully determined by what was pushed.
    private struct Expiry: Comparable, Sendable {
        var expiresAt: Int64
        var seq: UInt64
        var entry: Int32

        static func < (a: Expiry, b: Expiry) -> Bool { (a.expiresAt, a.seq) < (b.expiresAt, b.seq) }
        static func == (a: Expiry, b: Expiry) -> Bool { a.expiresAt == b.expiresAt && a.seq == b.seq }
    }

    private var entries: [Entry] = []
    /// Indices of `entries` not in use (reused before `entries` grows).
    private var free: [Int32] = []
    /// Open addressing: an index of `entries`, or -1 for an empty slot. A power of two long.
    private var slots: [Int32] = []
    private var expiries = MinHeap<Expiry>()
    private var nextSeq: UInt64 = 0

    /// Signatures currently remembered.
    private(set) var count = 0

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
        while let oldest = expiries.min, oldest.expiresAt < now {
            expiries.popMin()
            remove(entry: oldest.entry)
        }
        guard expiresAt > forgottenThrough else { return false }
        let hash = signature.storage.withUnsafeBytes { hasher.hash($0) }
        guard slot(of: signature.storage, hash: hash) == nil else { return false }
        if count >= Swift.max(1, capacity), let oldest = expiries.min {
            guard oldest.expiresAt < expiresAt else {
                // The new signature is the first to expire: accepted, and forgotten at once.
                forgottenThrough = expiresAt
                return true
            }
            expiries.popMin()
            remove(entry: oldest.entry)
            forgottenThrough = Swift.max(forgottenThrough, oldest.expiresAt)
        }
        insert(signature.storage, hash: hash, expiresAt: expiresAt)
        return true
    }

    /// Whether `signature` is remembered now (expired entries linger until the next
    /// `remember`, as the count does).
    func contains(_ signature: Signature) -> Bool {
        slot(of: signature.storage, hash: signature.storage.withUnsafeBytes { hasher.hash($0) }) != nil
    }

    // MARK: Table

    private var mask: Int { slots.count &- 1 }

    /// The slot holding `signature`, or nil.
    private func slot(of signature: Bytes64, hash: UInt64) -> Int? {
        guard !slots.isEmpty else { return nil }
        return slots.withUnsafeBufferPointer { slots in
            entries.withUnsafeBufferPointer { entries in
                let mask = slots.count &- 1
                var i = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let e = slots[i]
                    if e < 0 { return nil }
                    if entries[Int(e)].hash == hash, entries[Int(e)].signature == signature { return i }
                    i = (i &+ 1) & mask
                }
            }
        }
    }

    private mutating func insert(_ signature: Bytes64, hash: UInt64, expiresAt: Int64) {
        if (count &+ 1) &* 2 > slots.count { grow() }
        let index: Int32
        if let reused = free.popLast() {
            index = reused
            entries[Int(index)] = Entry(signature: signature, hash: hash)
        } else {
            index = Int32(entries.count)
            entries.append(Entry(signature: signature, hash: hash))
        }
        place(index, hash: hash)
        count &+= 1
        expiries.push(Expiry(expiresAt: expiresAt, seq: nextSeq, entry: index))
        nextSeq &+= 1
    }

    /// Puts entry `index` in the first empty slot from its home.
    private mutating func place(_ index: Int32, hash: UInt64) {
        let mask = self.mask
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] >= 0 { i = (i &+ 1) & mask }
        slots[i] = index
    }

    /// Doubles the table (16 slots at first) and re-places every entry. Reached only while the
    /// cache holds more than it ever has, so at most log2(capacity) times in a store's life.
    private mutating func grow() {
        let old = slots
        slots = [Int32](repeating: -1, count: Swift.max(16, old.count &* 2))
        for index in old where index >= 0 {
            place(index, hash: entries[Int(index)].hash)
        }
    }

    /// Forgets entry `index` (which is in the table): empties its slot and shifts back the
    /// entries after it that probed past it, so no lookup ever stops short of its key.
    private mutating func remove(entry index: Int32) {
        let mask = self.mask
        var hole = Int(truncatingIfNeeded: entries[Int(index)].hash) & mask
        while slots[hole] != index { hole = (hole &+ 1) & mask }
        var i = hole
        while true {
            i = (i &+ 1) & mask
            let e = slots[i]
            if e < 0 { break }
            let home = Int(truncatingIfNeeded: entries[Int(e)].hash) & mask
            // `e` may move into the hole unless its home lies cyclically in (hole, i].
            let homeAfterHole = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i)
            if !homeAfterHole {
                slots[hole] = e
                hole = i
            }
        }
        slots[hole] = -1
        free.append(index)
        count &-= 1
    }

    // MARK: Checks

    /// Whether the table, the entries and the heap agree (for tests): every heap element names
    /// a distinct live entry found by lookup, the count matches, and the load stays at most one
    /// half.
    func isConsistent() -> Bool {
        var seen = Set<Int32>()
        for e in expiries.storage {
            guard e.entry >= 0, Int(e.entry) < entries.count, seen.insert(e.entry).inserted else { return false }
            let entry = entries[Int(e.entry)]
            guard let at = slot(of: entry.signature, hash: entry.hash), slots[at] == e.entry else { return false }
        }
        let occupied = slots.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        return seen.count == count && occupied == count && free.count + count == entries.count && count * 2 <= Swift.max(slots.count, 0)
    }

    /// Slots in the table (for tests: bounded by the capacity).
    var tableSize: Int { slots.count }

    /// The table as it lies (for tests: the same on every run for a seed).
    var layout: [Int32] { slots }

    /// The most slots any remembered signature's lookup visits (for tests: flood resistance).
    var longestProbe: Int {
        var longest = 0
        for (i, e) in slots.enumerated() where e >= 0 {
            let home = Int(truncatingIfNeeded: entries[Int(e)].hash) & mask
            longest = Swift.max(longest, ((i &- home) & mask) &+ 1)
        }
        return longest
    }
}
