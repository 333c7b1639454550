/// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit hash, for tables whose keys an
/// adversary chooses.
///
/// The replay cache is keyed by signatures, and a node chooses what it signs: with an unkeyed
/// hash it could grind messages until its signatures collide in the table and turn every
/// lookup into a scan. Under a secret 128-bit key the positions are unpredictable. The key
/// comes from the store's seed (not from the OS, not from Swift's per-process `Hasher` seed) so
/// the table's layout, and hence the instruction count of a run, is the same on every run.
/// Written out here because `Hasher` cannot be given a key, and the layout matters only for
/// cost: nothing iterates the table.
public struct SipHash24: Sendable {
    /// The 128-bit key as two little-endian words.
    public let k0: UInt64, k1: UInt64

    public init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// The 64-bit SipHash-2-4 of `message` under this key (the reference algorithm: byte
    /// order is little-endian on every platform).
    public func hash(_ message: UnsafeRawBufferPointer) -> UInt64 {
        var v0 = k0 ^ 0x736F_6D65_7073_6575
        var v1 = k1 ^ 0x646F_7261_6E64_6F6D
        var v2 = k0 ^ 0x6C79_6765_6E65_7261
        var v3 = k1 ^ 0x7465_6462_7974_6573

        @inline(__always) func round() {
            v0 &+= v1; v1 = v1.rotl(13); v1 ^= v0; v0 = v0.rotl(32)
            v2 &+= v3; v3 = v3.rotl(16); v3 ^= v2
            v0 &+= v3; v3 = v3.rotl(21); v3 ^= v0
            v2 &+= v1; v1 = v1.rotl(17); v1 ^= v2; v2 = v2.rotl(32)
        }

        let count = message.count
        var offset = 0
        while offset &+ 8 <= count {
            let m = UInt64(littleEndian: message.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            v3 ^= m
            round()
            round()
            v0 ^= m
            offset &+= 8
        }
        var last = UInt64(truncatingIfNeeded: count) << 56
        var shift: UInt64 = 0
        while offset < count {
            last |= UInt64(message[offset]) << shift
            shift &+= 8
            offset &+= 1
        }
        v3 ^= last
        round()
        round()
        v0 ^= last
        v2 ^= 0xFF
        round()
        round()
        round()
        round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}

extension UInt64 {
    @inline(__always) fileprivate func rotl(_ n: UInt64) -> UInt64 { self << n | self >> (64 &- n) }
}
