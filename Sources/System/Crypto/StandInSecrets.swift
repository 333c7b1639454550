/// The stand-in scheme's registry of public key → secret (`StandInSignatureScheme`), looked up
/// on every verified request of a simulated fleet.
///
/// Open addressing with linear probing, at most half full, on the key's first eight bytes as
/// they are: a stand-in public key is a SHA-256 output (`SHA-256("pk" ‖ seed)`), so those bytes
/// are already uniformly spread and hashing them again (a `Dictionary` runs SipHash over all 32
/// bytes on every lookup) buys nothing. Only `makeSigner` inserts, so only SHA-256 outputs
/// decide where entries sit: a key presented by an attacker is only ever looked up, and a
/// lookup's probe ends at the first empty slot of a table at most half full, whatever the key.
/// Lookups only: no order of entries ever reaches behaviour.
struct StandInSecrets {
    private var keys: [PublicKey?]
    private var secrets: [Bytes32]
    private(set) var count = 0

    init() {
        keys = Array(repeating: nil, count: 16)
        secrets = Array(repeating: Bytes32(), count: 16)
    }

    /// Where `key` sits, or the empty slot where it would go.
    private func slot(of key: PublicKey) -> Int {
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: UInt64(littleEndian: key.storage.lanes.0)) & mask
        while let present = keys[i], present != key { i = (i + 1) & mask }
        return i
    }

    /// The secret registered for `key`, if any.
    func secret(for key: PublicKey) -> Bytes32? {
        let i = slot(of: key)
        return keys[i] == nil ? nil : secrets[i]
    }

    /// Registers `secret` for `key`, replacing the secret it had.
    mutating func set(_ secret: Bytes32, for key: PublicKey) {
        if 2 * (count + 1) > keys.count { grow() }
        let i = slot(of: key)
        if keys[i] == nil {
            keys[i] = key
            count += 1
        }
        secrets[i] = secret
    }

    /// Twice the slots, every entry placed again.
    private mutating func grow() {
        let oldKeys = keys, oldSecrets = secrets
        keys = Array(repeating: nil, count: 2 * oldKeys.count)
        secrets = Array(repeating: Bytes32(), count: 2 * oldKeys.count)
        for (i, key) in oldKeys.enumerated() {
            guard let key else { continue }
            let j = slot(of: key)
            keys[j] = key
            secrets[j] = oldSecrets[i]
        }
    }
}
