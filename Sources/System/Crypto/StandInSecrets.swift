import CPrefetch

/// The stand-in scheme's registry of public key → secret (`StandInSignatureScheme`), looked up
/// on every verified request of a simulated fleet.
///
/// Open addressing with linear probing, at most three quarters full, on the key's first eight
/// bytes as they are: a stand-in public key is a SHA-256 output (`SHA-256("pk" ‖ seed)`), so
/// those bytes are already uniformly spread and hashing them again (a `Dictionary` runs SipHash
/// over all 32 bytes on every lookup) buys nothing. Only `makeSigner` inserts, so only SHA-256
/// outputs decide where entries sit: a key presented by an attacker is only ever looked up, and
/// a lookup's probe ends at the first empty slot of a table at most three quarters full,
/// whatever the key. Lookups only: no order of entries ever reaches behaviour.
///
/// Memory (a simulated fleet registers one key per node): one table of 64-byte (key, secret)
/// slots, an all-zero key marking an empty slot, at most 3/4 full. It was two arrays (an
/// optional key, 40 bytes with its tag, and a secret: 72 bytes a slot) at most half full, so
/// at 10,000 keys 32,768 slots (2.36 MB) where 16,384 of 64 bytes (1.05 MB) now do. The
/// all-zero key itself (never a SHA-256 output in practice, but `set` takes any key) is kept
/// aside in `zeroKeySecret`.
///
/// Each slot is one 64-byte cache line (the table is allocated 64-byte aligned; in an `Array`
/// the 32-byte header put every slot across two lines), so a lookup that finds its key at the
/// home slot touches one line, and `prefetch` can ask for that line, and the next one a probe
/// may move on to, before the lookup. At N = 10,000 the table is a megabyte and a lookup was a
/// cache miss on every verified request (`perf`: 1.9 % of the fleet run in `slot(of:)`);
/// `StandInSignatureScheme.prepareToVerify` prefetches (from the table's place as last
/// published, without the scheme's lock) as soon as the verifier has parsed the key, so the
/// miss overlaps the building of the signed message. Noncopyable: it owns its memory.
struct StandInSecrets: ~Copyable {
    private struct Slot {
        var key: PublicKey
        var secret: Bytes32
        var isEmpty: Bool { key.storage == Bytes32() }
    }

    /// `capacity` slots (a power of two), 64-byte aligned, all-zero bytes marking an empty one.
    private var slots: UnsafeMutablePointer<Slot>
    private var capacity: Int
    private var zeroKeySecret: Bytes32?
    private(set) var count = 0

    init() {
        // The table is raw memory, freed without deinitialising its slots and read a line per
        // slot: both hold only while a slot is plain bytes, exactly one cache line wide.
        precondition(_isPOD(Slot.self) && MemoryLayout<Slot>.stride == 64)
        capacity = 16
        slots = Self.allocate(capacity)
    }

    deinit { slots.deallocate() }

    /// `capacity` empty slots, 64-byte aligned.
    private static func allocate(_ capacity: Int) -> UnsafeMutablePointer<Slot> {
        let bytes = capacity * MemoryLayout<Slot>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        return raw.bindMemory(to: Slot.self, capacity: capacity)
    }

    /// The slot a lookup of `key` starts at.
    @inline(__always)
    private func home(of key: PublicKey) -> Int { Self.home(of: key, capacity: capacity) }

    /// The slot a lookup of `key` starts at in a table of `capacity` slots (a power of two):
    /// one function for the lookup and for `prefetch`'s hint, so the hint cannot drift from it.
    @inline(__always)
    static func home(of key: PublicKey, capacity: Int) -> Int {
        Int(truncatingIfNeeded: UInt64(littleEndian: key.storage.lanes.0)) & (capacity &- 1)
    }

    /// Where `key` (not all-zero) sits, or the empty slot where it would go.
    private func slot(of key: PublicKey) -> Int {
        let mask = capacity &- 1
        var i = home(of: key)
        while !slots[i].isEmpty, slots[i].key != key { i = (i &+ 1) & mask }
        return i
    }

    /// Where the table lies: its address and its slots (one 64-byte line each), for `prefetch`
    /// by a holder that does not hold the table (`StandInSignatureScheme.prepareToVerify`).
    var lines: (base: UInt, capacity: Int) { (UInt(bitPattern: slots), capacity) }

    /// A hint that `key` will be looked up soon in the table that lay at `lines` (`capacity` a
    /// power of two; nothing if zero): its home slot's line and the next (where a probe goes
    /// on to) are requested from memory. Only the addresses are computed and hinted, nothing
    /// is read, so a table since grown (and freed) costs a useless hint, never a wrong value.
    /// Changes nothing but timing.
    static func prefetch(_ key: PublicKey, base: UInt, capacity: Int) {
        guard base != 0, capacity > 0 else { return }
        let mask = UInt(bitPattern: capacity &- 1)
        let i = UInt(bitPattern: home(of: key, capacity: capacity))
        let stride = UInt(MemoryLayout<Slot>.stride)
        if let line = UnsafeRawPointer(bitPattern: base &+ i &* stride) { cprefetch_read(line) }
        if let next = UnsafeRawPointer(bitPattern: base &+ ((i &+ 1) & mask) &* stride) { cprefetch_read(next) }
    }

    /// The secret registered for `key`, if any.
    func secret(for key: PublicKey) -> Bytes32? {
        if key.storage == Bytes32() { return zeroKeySecret }
        let i = slot(of: key)
        return slots[i].isEmpty ? nil : slots[i].secret
    }

    /// Registers `secret` for `key`, replacing the secret it had.
    mutating func set(_ secret: Bytes32, for key: PublicKey) {
        if key.storage == Bytes32() {
            if zeroKeySecret == nil { count += 1 }
            zeroKeySecret = secret
            return
        }
        if 4 * (count + 1) > 3 * capacity { grow() }
        let i = slot(of: key)
        if slots[i].isEmpty {
            slots[i].key = key
            count += 1
        }
        slots[i].secret = secret
    }

    /// Twice the slots, every entry placed again.
    private mutating func grow() {
        let old = slots, oldCapacity = capacity
        capacity = 2 * oldCapacity
        slots = Self.allocate(capacity)
        for j in 0..<oldCapacity where !old[j].isEmpty {
            slots[slot(of: old[j].key)] = old[j]
        }
        old.deallocate()
    }
}
