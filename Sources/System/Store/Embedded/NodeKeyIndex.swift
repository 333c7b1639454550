import CPrefetch

/// The embedded store's nodes by public key (`nodeByKey`): every signed node request looks its
/// caller up here, so it is built for that one lookup.
///
/// It was a `Dictionary<PublicKey, Int>`: Swift's `Hasher` (SipHash-1-3 over the key's four
/// words, about 150 instructions) and a probe of its buckets, about 400 instructions a request,
/// and at 10,000 nodes a cache miss that nothing could hide (`perf`: `find` 1.7 %, `Hasher`
/// 0.9 % of the fleet run). Now:
/// - **Open addressing on a keyed multiply hash.** Each slot holds the whole key, so a lookup
///   compares the key where it probes. Linear probing, at most three quarters full, deletion
///   by backward shift (no tombstones).
/// - **Keys on lines of their own, handles beside.** The keys lie in a 64-byte-aligned table
///   of 32-byte slots, two to a line, so a key never straddles two lines; the handles (plus
///   one; 0 marks an empty slot) in a table of their own, 4 bytes a slot (64 KB at 10,000
///   nodes, 16,384 slots: it stays in the caches far better than the keys' 512 KB). Both
///   together were one table of 40-byte slots, half of which straddled two lines: a lookup
///   read about 1.5 of its lines from memory, and the slot after the home (where a key pushed
///   on by another waits) was a line the hint had not asked for (`perf` at N = 10,000: 13 %
///   of `prepare`'s samples on that slot, 68 % on the home's). A probe now passes the slot
///   after an even home on the same line.
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
    /// A key's 32 bytes as they lie in a `PublicKey` (plain data, for `HugePageSlots`).
    private struct KeyWords: BitwiseCopyable, Sendable {
        var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

        @inline(__always) init(_ key: PublicKey) {
            let l = key.storage.lanes
            w0 = l.0
            w1 = l.1
            w2 = l.2
            w3 = l.3
        }

        @inline(__always) func matches(_ key: PublicKey) -> Bool {
            let l = key.storage.lanes
            return (w0 ^ l.0) | (w1 ^ l.1) | (w2 ^ l.2) | (w3 ^ l.3) == 0
        }

        var key: PublicKey {
            var bytes = Bytes32()
            bytes.lanes = (w0, w1, w2, w3)
            return PublicKey(storage: bytes)
        }
    }

    /// `capacity` slots each (a power of two, or none before the first insertion): the keys,
    /// and the handles plus one (0: an empty slot, whose key is zero bytes). Copied before a
    /// write while shared (`uniqueSlots`), as an `Array` would be.
    private var keys = HugePageSlots<KeyWords>(zeroed: 0)
    private var handles = HugePageSlots<UInt32>(zeroed: 0)
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
    private func hash(_ key: PublicKey) -> UInt64 { Self.hash(KeyWords(key), secret) }

    @inline(__always)
    private static func hash(_ w: KeyWords, _ s: (UInt64, UInt64, UInt64, UInt64)) -> UInt64 {
        let a = (UInt64(littleEndian: w.w0) &+ s.0).multipliedFullWidth(by: UInt64(littleEndian: w.w1) &+ s.1)
        let b = (UInt64(littleEndian: w.w2) &+ s.2).multipliedFullWidth(by: UInt64(littleEndian: w.w3) &+ s.3)
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
                precondition(handle >= 0 && handle < Int(UInt32.max), "node handles are non-negative and below 2^32 - 1")
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
        let size = keys.count
        guard size > 0 else { return nil }
        let keys = self.keys.base, handles = self.handles.base, mask = size &- 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let h = handles[i]
            if h == 0 { return nil }
            if keys[i].matches(key) { return Int(h &- 1) }
            i = (i &+ 1) & mask
        }
    }

    /// A hint that `key` will be looked up soon: the line of its home key slot and of its
    /// handle are requested from memory. Changes nothing but timing. Answers the key's hash,
    /// for `prepare`.
    @inline(__always) @discardableResult
    func prefetch(_ key: PublicKey) -> UInt64 {
        let h = hash(key)
        let size = keys.count
        if size > 0 {
            let i = Int(truncatingIfNeeded: h) & (size &- 1)
            cprefetch_read(keys.base + i)
            cprefetch_read(handles.base + i)
        }
        return h
    }

    /// The slot holding `key`, or the empty slot where it would go.
    private static func find(
        _ key: PublicKey, hash: UInt64, keys: UnsafeMutablePointer<KeyWords>, handles: UnsafeMutablePointer<UInt32>, size: Int
    ) -> Int {
        let mask = size &- 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while handles[i] != 0, !keys[i].matches(key) { i = (i &+ 1) & mask }
        return i
    }

    /// Makes both tables this index's own before a write (a copied index shares them until
    /// then).
    @inline(__always) private mutating func uniqueSlots() {
        if !isKnownUniquelyReferenced(&keys) { keys = HugePageSlots(copying: keys) }
        if !isKnownUniquelyReferenced(&handles) { handles = HugePageSlots(copying: handles) }
    }

    private mutating func insert(_ key: PublicKey, handle: Int) {
        if 4 * (count &+ 1) > 3 * keys.count { grow() }
        uniqueSlots()
        let size = keys.count, keys = self.keys.base, handles = self.handles.base
        let i = Self.find(key, hash: hash(key), keys: keys, handles: handles, size: size)
        if handles[i] == 0 { count &+= 1 }
        keys[i] = KeyWords(key)
        handles[i] = UInt32(truncatingIfNeeded: handle &+ 1)
    }

    private mutating func remove(_ key: PublicKey) {
        guard keys.count > 0 else { return }
        let h = hash(key), secret = self.secret
        let size = keys.count, mask = size &- 1
        var hole = Self.find(key, hash: h, keys: self.keys.base, handles: self.handles.base, size: size)
        guard self.handles.base[hole] != 0 else { return }
        uniqueSlots()
        let keys = self.keys.base, handles = self.handles.base
        // Backward shift: move back each later entry of the run whose home does not lie
        // cyclically in (hole, i], so that no probe ever stops short of its key.
        var i = hole
        while true {
            i = (i &+ 1) & mask
            if handles[i] == 0 { break }
            let home = Int(truncatingIfNeeded: Self.hash(keys[i], secret)) & mask
            let homeAfterHole = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i)
            if !homeAfterHole {
                keys[hole] = keys[i]
                handles[hole] = handles[i]
                hole = i
            }
        }
        keys[hole] = KeyWords(PublicKey(storage: Bytes32()))
        handles[hole] = 0
        count &-= 1
    }

    /// Twice the slots (16 at first), every entry placed again.
    @inline(never) private mutating func grow() {
        let oldKeys = keys, oldHandles = handles, secret = self.secret
        let size = Swift.max(16, oldKeys.count &* 2)
        let newKeys = HugePageSlots<KeyWords>(zeroed: size), newHandles = HugePageSlots<UInt32>(zeroed: size)
        for j in 0..<oldKeys.count where oldHandles.base[j] != 0 {
            let key = oldKeys.base[j].key
            let i = Self.find(key, hash: Self.hash(oldKeys.base[j], secret), keys: newKeys.base, handles: newHandles.base, size: size)
            newKeys.base[i] = oldKeys.base[j]
            newHandles.base[i] = oldHandles.base[j]
        }
        keys = newKeys
        handles = newHandles
    }

    // MARK: Checks

    /// Whether every entry is found from its home without passing an empty slot, keys are
    /// distinct, an empty slot's key is zero bytes, the count matches and the load is at most
    /// three quarters (for tests).
    func isConsistent() -> Bool {
        let size = keys.count
        guard size > 0 else { return count == 0 }
        let mask = size - 1
        var seen = Set<PublicKey>()
        var occupied = 0
        for i in 0..<size {
            guard handles.base[i] != 0 else {
                guard keys.base[i].matches(PublicKey(storage: Bytes32())) else { return false }
                continue
            }
            occupied += 1
            let key = keys.base[i].key
            guard seen.insert(key).inserted else { return false }
            var j = Int(truncatingIfNeeded: hash(key)) & mask
            while j != i {
                guard handles.base[j] != 0 else { return false }
                j = (j &+ 1) & mask
            }
        }
        // The memo of `prepare` repeats what a lookup of the index as it is answers.
        if preparedHandle >= 0, lookup(preparedKey, hash: hash(preparedKey)) != preparedHandle { return false }
        return occupied == count && 4 * count <= 3 * size
    }

    /// The most slots any key's lookup visits (for tests).
    var longestProbe: Int {
        let size = keys.count
        var longest = 0
        for i in 0..<size where handles.base[i] != 0 {
            let home = Int(truncatingIfNeeded: hash(keys.base[i].key)) & (size - 1)
            longest = Swift.max(longest, (i - home + size) % size + 1)
        }
        return longest
    }

    /// Where the two tables lie (for tests: the keys' slots never straddle a line).
    var keySlotAlignment: (address: UInt, stride: Int) {
        (UInt(bitPattern: keys.base), MemoryLayout<KeyWords>.stride)
    }
}
