import CPrefetch

/// The embedded store's nodes by public key (`nodeByKey`): every signed node request looks its
/// caller up here, so it is built for that one lookup.
///
/// It was a `Dictionary<PublicKey, Int>`: Swift's `Hasher` (SipHash-1-3 over the key's four
/// words, about 150 instructions) and a probe of its buckets, about 400 instructions a request,
/// and at 10,000 nodes a cache miss that nothing could hide (`perf`: `find` 1.7 %, `Hasher`
/// 0.9 % of the fleet run). Now:
/// - **Open addressing on a keyed multiply hash.** Each slot holds the whole key and its
///   handle (40 bytes), so a lookup that finds its key at the home slot reads one slot, and
///   compares the key there (no second table). Linear probing, at most three quarters full,
///   deletion by backward shift (no tombstones).
/// - **Keyed, so a registrant cannot aim at a slot.** Keys are chosen by whoever registers a
///   node (an Ed25519 key can be ground until its bytes hit a chosen slot of an unkeyed
///   table). The position comes from NH (the universal hash of UMAC: `(w0 + s0)(w1 + s1) +
///   (w2 + s2)(w3 + s3)` over 128 bits, for two distinct keys equal with probability at most
///   2^-64 over the secret words) folded and mixed, under words drawn from the store's seed
///   (deterministic per run, unknown to a node).
/// - **Prefetchable.** `prefetch` asks for the key's home slot as soon as the request's
///   headers are parsed (`EmbeddedStore.prepareToAuthenticate`), so the miss overlaps the
///   signature's verification instead of stalling the lookup after it.
///
/// Nothing iterates it but its own growth: answers depend only on the keys and handles put in.
struct NodeKeyIndex: Sendable {
    private struct Slot: Sendable {
        var key: PublicKey
        /// The node's handle; -1 marks an empty slot.
        var handle: Int
    }

    private static let emptySlot = Slot(key: PublicKey(storage: Bytes32()), handle: -1)

    /// `capacity` slots (a power of two, or none before the first insertion).
    private var slots: [Slot] = []
    /// The NH key words.
    private let secret: (UInt64, UInt64, UInt64, UInt64)
    /// Keys held.
    private(set) var count = 0
    /// The key `prepare` last looked up and its handle (-1: none, or not found), so that the
    /// lookup of the same key after the signature's verification reads no slot and hashes
    /// nothing. Cleared by every insertion and removal, so it only ever repeats what a lookup
    /// of the unchanged index answered.
    private var preparedKey = PublicKey(storage: Bytes32())
    private var preparedHandle = -1

    /// - Parameter key: four secret words (the store derives them from its seed).
    init(key: (UInt64, UInt64, UInt64, UInt64)) {
        secret = key
    }

    /// The key's 64-bit position hash: NH over its four little-endian words, folded, then
    /// SplitMix64's finalizer so that every bit of the sum reaches the low bits the mask keeps.
    @inline(__always)
    private func hash(_ key: PublicKey) -> UInt64 { Self.hash(key, secret) }

    @inline(__always)
    private static func hash(_ key: PublicKey, _ s: (UInt64, UInt64, UInt64, UInt64)) -> UInt64 {
        let w = key.storage.lanes
        let a = (UInt64(littleEndian: w.0) &+ s.0).multipliedFullWidth(by: UInt64(littleEndian: w.1) &+ s.1)
        let b = (UInt64(littleEndian: w.2) &+ s.2).multipliedFullWidth(by: UInt64(littleEndian: w.3) &+ s.3)
        let (low, carry) = a.low.addingReportingOverflow(b.low)
        let high = a.high &+ b.high &+ (carry ? 1 : 0)
        return SplitMix64.finalize(low ^ (high &* SplitMix64.gamma))
    }

    /// The handle registered for `key`, if any; setting nil removes it.
    subscript(key: PublicKey) -> Int? {
        get {
            if preparedHandle >= 0, key == preparedKey { return preparedHandle }
            return lookup(key, hash: hash(key))
        }
        set {
            preparedHandle = -1
            if let handle = newValue {
                precondition(handle >= 0, "node handles are non-negative")
                insert(key, handle: handle)
            } else {
                remove(key)
            }
        }
    }

    /// `self[key]`, kept for the next lookup of the same key (until the index changes): the
    /// store looks its caller up here as soon as the request's headers are parsed
    /// (`EmbeddedStore.prepareToAuthenticate`), to prefetch the caller's dense entry while
    /// the signature is verified, and the lookup after the verification is then the memo's.
    /// `hash` is what `prefetch(key)` answered (the key's hash is computed once).
    mutating func prepare(_ key: PublicKey, hash: UInt64) -> Int? {
        let handle = lookup(key, hash: hash)
        preparedKey = key
        preparedHandle = handle ?? -1
        return handle
    }

    /// The handle registered for `key` (whose hash is `hash`), by probing the table.
    @inline(__always)
    private func lookup(_ key: PublicKey, hash: UInt64) -> Int? {
        slots.withUnsafeBufferPointer { slots -> Int? in
            guard !slots.isEmpty else { return nil }
            let mask = slots.count &- 1
            var i = Int(truncatingIfNeeded: hash) & mask
            while true {
                let s = slots[i]
                if s.handle < 0 { return nil }
                if s.key == key { return s.handle }
                i = (i &+ 1) & mask
            }
        }
    }

    /// A hint that `key` will be looked up soon: the line(s) of its home slot are requested
    /// from memory. Changes nothing but timing. Answers the key's hash, for `prepare`.
    @inline(__always) @discardableResult
    func prefetch(_ key: PublicKey) -> UInt64 {
        let h = hash(key)
        slots.withUnsafeBufferPointer { slots in
            guard let base = slots.baseAddress else { return }
            let slot = UnsafeRawPointer(base + (Int(truncatingIfNeeded: h) & (slots.count &- 1)))
            cprefetch_read(slot)
            cprefetch_read(slot + (MemoryLayout<Slot>.size &- 1))  // a slot may straddle two lines
        }
        return h
    }

    /// The slot holding `key`, or the empty slot where it would go.
    private static func find(_ key: PublicKey, hash: UInt64, in slots: UnsafeMutableBufferPointer<Slot>) -> Int {
        let mask = slots.count &- 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i].handle >= 0, slots[i].key != key { i = (i &+ 1) & mask }
        return i
    }

    private mutating func insert(_ key: PublicKey, handle: Int) {
        if 4 * (count &+ 1) > 3 * slots.count { grow() }
        let h = hash(key)
        let added = slots.withUnsafeMutableBufferPointer { slots -> Bool in
            let i = Self.find(key, hash: h, in: slots)
            let added = slots[i].handle < 0
            slots[i] = Slot(key: key, handle: handle)
            return added
        }
        if added { count &+= 1 }
    }

    private mutating func remove(_ key: PublicKey) {
        guard !slots.isEmpty else { return }
        let h = hash(key), secret = self.secret
        let removed = slots.withUnsafeMutableBufferPointer { slots -> Bool in
            let mask = slots.count &- 1
            var hole = Self.find(key, hash: h, in: slots)
            guard slots[hole].handle >= 0 else { return false }
            // Backward shift: move back each later entry of the run whose home does not lie
            // cyclically in (hole, i], so that no probe ever stops short of its key.
            var i = hole
            while true {
                i = (i &+ 1) & mask
                let e = slots[i]
                if e.handle < 0 { break }
                let home = Int(truncatingIfNeeded: Self.hash(e.key, secret)) & mask
                let homeAfterHole = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i)
                if !homeAfterHole {
                    slots[hole] = e
                    hole = i
                }
            }
            slots[hole] = Self.emptySlot
            return true
        }
        if removed { count &-= 1 }
    }

    /// Twice the slots (16 at first), every entry placed again.
    @inline(never) private mutating func grow() {
        let old = slots, secret = self.secret
        slots = [Slot](repeating: Self.emptySlot, count: Swift.max(16, old.count &* 2))
        slots.withUnsafeMutableBufferPointer { slots in
            for e in old where e.handle >= 0 {
                slots[Self.find(e.key, hash: Self.hash(e.key, secret), in: slots)] = e
            }
        }
    }

    // MARK: Checks

    /// Whether every entry is found from its home without passing an empty slot, keys are
    /// distinct, the count matches and the load is at most three quarters (for tests).
    func isConsistent() -> Bool {
        guard !slots.isEmpty else { return count == 0 }
        let mask = slots.count &- 1
        var seen = Set<PublicKey>()
        var occupied = 0
        for (i, e) in slots.enumerated() where e.handle >= 0 {
            occupied += 1
            guard seen.insert(e.key).inserted else { return false }
            var j = Int(truncatingIfNeeded: hash(e.key)) & mask
            while j != i {
                guard slots[j].handle >= 0 else { return false }
                j = (j &+ 1) & mask
            }
        }
        // The memo of `prepare` repeats what a lookup of the index as it is answers.
        if preparedHandle >= 0, lookup(preparedKey, hash: hash(preparedKey)) != preparedHandle { return false }
        return occupied == count && 4 * count <= 3 * slots.count
    }

    /// The most slots any key's lookup visits (for tests).
    var longestProbe: Int {
        let size = slots.count
        var longest = 0
        for (i, e) in slots.enumerated() where e.handle >= 0 {
            let home = Int(truncatingIfNeeded: hash(e.key)) & (size - 1)
            longest = Swift.max(longest, (i - home + size) % size + 1)
        }
        return longest
    }
}
