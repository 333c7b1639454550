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
/// Memory (a simulated fleet registers one key per node): one array of 64-byte (key, secret)
/// slots, an all-zero key marking an empty slot, at most 3/4 full. It was two arrays (an
/// optional key, 40 bytes with its tag, and a secret: 72 bytes a slot) at most half full, so
/// at 10,000 keys 32,768 slots (2.36 MB) where 16,384 of 64 bytes (1.05 MB) now do. The
/// all-zero key itself (never a SHA-256 output in practice, but `set` takes any key) is kept
/// aside in `zeroKeySecret`.
struct StandInSecrets {
    private struct Slot {
        var key: PublicKey
        var secret: Bytes32
        static let empty = Slot(key: PublicKey(storage: Bytes32()), secret: Bytes32())
        var isEmpty: Bool { key.storage == Bytes32() }
    }

    private var slots: [Slot]
    private var zeroKeySecret: Bytes32?
    private(set) var count = 0

    init() {
        slots = Array(repeating: .empty, count: 16)
    }

    /// Where `key` (not all-zero) sits, or the empty slot where it would go.
    private func slot(of key: PublicKey) -> Int {
        slots.withUnsafeBufferPointer { s in
            let mask = s.count - 1
            var i = Int(truncatingIfNeeded: UInt64(littleEndian: key.storage.lanes.0)) & mask
            while !s[i].isEmpty, s[i].key != key { i = (i + 1) & mask }
            return i
        }
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
        if 4 * (count + 1) > 3 * slots.count { grow() }
        let i = slot(of: key)
        if slots[i].isEmpty {
            slots[i].key = key
            count += 1
        }
        slots[i].secret = secret
    }

    /// Twice the slots, every entry placed again.
    private mutating func grow() {
        let old = slots
        slots = Array(repeating: .empty, count: 2 * old.count)
        for entry in old where !entry.isEmpty {
            slots[slot(of: entry.key)] = entry
        }
    }
}
