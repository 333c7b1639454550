import CPrefetch

/// An `id → handle` index for rows whose ids the store draws itself (jobs, chunks, nodes): an
/// open-addressing table of 32-bit handles, linear probing, at most half full.
///
/// Why not `[ChunkID: Int]`: every lookup of a Swift dictionary runs SipHash over the key
/// (`Hasher`, several dozen instructions and calls), and each entry costs 24 bytes at a load of
/// at most 3/4 (so 32 to 64 bytes per row); the chunk index alone was 6 MB at 100,000 chunks and
/// its lookups a few percent of the fleet bench. Here a slot is 4 bytes (8 to 16 per row) and
/// a lookup is a multiply, a shift and, usually, one comparison with the row's own id.
///
/// Why no keyed hash: every key in the table is a version-4 UUID from the store's own seeded
/// SplitMix64 stream (`freshID`), uniformly distributed and never chosen by a client. A client
/// can only *look up* an id of its choice, which costs at most one probe run; it cannot insert,
/// so it cannot build the colliding cluster that hash flooding needs. The multiply mixes the
/// id's bits anyway (its version and variant nibbles are constant).
///
/// The table stores no ids: the caller passes `id(handle)`, reading the id from the row it
/// indexes (the row is read right after a lookup anyway). Nothing iterates the table, so its
/// layout never reaches behaviour.
struct HandleIndex: Sendable {
    /// `-1` for an empty slot, else a handle.
    private var slots: [Int32]
    private var shift: UInt64
    private(set) var count = 0

    init() {
        slots = Array(repeating: -1, count: 16)
        shift = 64 - 4
    }

    /// The home slot of an id: the top bits of a multiplicative hash of both halves.
    @inline(__always)
    private func home(_ key: Identifier) -> Int {
        Int(truncatingIfNeeded: ((key.high ^ (key.low &* 0x9E37_79B9_7F4A_7C15)) &* 0xD6E8_FEB8_6659_FD93) >> shift)
    }

    /// The handle indexed under `key`, if any.
    @inline(__always)
    func find(_ key: Identifier, id: (Int) -> Identifier) -> Int? {
        let mask = slots.count - 1
        var slot = home(key)
        while true {
            let handle = slots[slot]
            if handle < 0 { return nil }
            if id(Int(handle)) == key { return Int(handle) }
            slot = (slot + 1) & mask
        }
    }

    /// Indexes `handle` under `key`, which must not be indexed yet.
    mutating func insert(_ key: Identifier, handle: Int, id: (Int) -> Identifier) {
        precondition(handle >= 0 && handle < Int(Int32.max), "handle out of range")
        if (count + 1) * 2 > slots.count { grow(id: id) }
        let mask = slots.count - 1
        var slot = home(key)
        while slots[slot] >= 0 {
            precondition(id(Int(slots[slot])) != key, "id indexed twice")
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(handle)
        count += 1
    }

    /// Grows the table now, as `insert` would, so that it holds `total` entries without growing
    /// again: the home slots of keys about to be inserted are then final (`prefetchHome`).
    mutating func reserve(_ total: Int, id: (Int) -> Identifier) {
        while total * 2 > slots.count { grow(id: id) }
    }

    /// Asks for the cache line of `key`'s home slot (a hint: changes nothing but timing). A job's
    /// chunks are inserted in a row, each at a random slot of a table of about 1 MB at 100,000
    /// chunks: the first load of each home slot was most of `insertChunk`'s time at 10,000
    /// nodes; prefetched a few keys ahead, the misses overlap.
    @inline(__always)
    func prefetchHome(_ key: Identifier) {
        let slot = home(key)
        slots.withUnsafeBufferPointer { cprefetch_read($0.baseAddress! + slot) }
    }

    /// Removes the entry for `key` if present (backward-shift deletion: no tombstones, so
    /// lookups never slow down after deletions).
    mutating func remove(_ key: Identifier, id: (Int) -> Identifier) {
        let mask = slots.count - 1
        var slot = home(key)
        while true {
            let handle = slots[slot]
            if handle < 0 { return }
            if id(Int(handle)) == key { break }
            slot = (slot + 1) & mask
        }
        // Shift later members of the probe run back into the hole when their home allows it.
        var hole = slot
        var next = (hole + 1) & mask
        while slots[next] >= 0 {
            let want = home(id(Int(slots[next])))
            // `next` may move to `hole` iff its home is not cyclically within (hole, next].
            let distanceToNext = (next - want) & mask
            let distanceToHole = (hole - want) & mask
            if distanceToHole < distanceToNext {
                slots[hole] = slots[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        slots[hole] = -1
        count -= 1
    }

    private mutating func grow(id: (Int) -> Identifier) {
        let old = slots
        slots = Array(repeating: -1, count: old.count * 2)
        shift -= 1
        let mask = slots.count - 1
        for handle in old where handle >= 0 {
            var slot = home(id(Int(handle)))
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = handle
        }
    }

    /// Bytes held by the table (for the memory figures).
    var byteCount: Int { slots.capacity * MemoryLayout<Int32>.stride }
}
