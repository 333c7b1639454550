/// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash (a pseudorandom function), for
/// tables whose keys an adversary chooses, in its 64-bit and 128-bit output forms.
///
/// The replay cache is keyed by signatures, and a node chooses what it signs: with an unkeyed
/// hash it could grind messages until its signatures collide in the table and turn every
/// lookup into a scan. Under a secret 128-bit key the outputs are unpredictable. The cache
/// keeps only the 128-bit output of a signature (its fingerprint), not the signature itself
/// (see `ReplayCache` for the probability that two fingerprints agree). The key comes from the
/// store's seed (not from the OS, not from Swift's per-process `Hasher` seed) so the table's
/// layout, and hence the instruction count of a run, is the same on every run. Written out
/// here because `Hasher` cannot be given a key and has no 128-bit output.
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
        var s = State(k0: k0, k1: k1, wide: false)
        s.absorb(message)
        return s.finish()
    }

    /// The 128-bit SipHash-2-4 of `message` under this key (the reference's 128-bit variant:
    /// `low` is the tag's first eight bytes read little-endian, `high` its last eight).
    public func hash128(_ message: UnsafeRawBufferPointer) -> (low: UInt64, high: UInt64) {
        var s = State(k0: k0, k1: k1, wide: true)
        s.absorb(message)
        return s.finish128()
    }

    /// `hash128` of 64 bytes held inline (a signature: the replay cache's fingerprint), as
    /// straight-line code: the eight words compressed, then the length word (64 in the top
    /// byte; no tail bytes), with no loop, no buffer and no length test. The same tag as
    /// `hash128` of the same bytes (`ReplayCacheTests`), about 60 instructions fewer.
    public func hash128(_ bytes: Bytes64) -> (low: UInt64, high: UInt64) {
        var s = State(k0: k0, k1: k1, wide: true)
        let w = bytes.lanes  // each lane holds eight consecutive bytes in memory order
        s.compress(UInt64(littleEndian: w.0))
        s.compress(UInt64(littleEndian: w.1))
        s.compress(UInt64(littleEndian: w.2))
        s.compress(UInt64(littleEndian: w.3))
        s.compress(UInt64(littleEndian: w.4))
        s.compress(UInt64(littleEndian: w.5))
        s.compress(UInt64(littleEndian: w.6))
        s.compress(UInt64(littleEndian: w.7))
        s.compress(64 << 56)
        return s.finish128()
    }

    /// The four state words; `wide` selects the 128-bit variant's initialisation.
    private struct State {
        var v0: UInt64, v1: UInt64, v2: UInt64, v3: UInt64

        @inline(__always) init(k0: UInt64, k1: UInt64, wide: Bool) {
            v0 = k0 ^ 0x736F_6D65_7073_6575
            v1 = k1 ^ 0x646F_7261_6E64_6F6D ^ (wide ? 0xEE : 0)
            v2 = k0 ^ 0x6C79_6765_6E65_7261
            v3 = k1 ^ 0x7465_6462_7974_6573
        }

        @inline(__always) mutating func round() {
            v0 &+= v1; v1 = v1.rotl(13); v1 ^= v0; v0 = v0.rotl(32)
            v2 &+= v3; v3 = v3.rotl(16); v3 ^= v2
            v0 &+= v3; v3 = v3.rotl(21); v3 ^= v0
            v2 &+= v1; v1 = v1.rotl(17); v1 ^= v2; v2 = v2.rotl(32)
        }

        @inline(__always) mutating func compress(_ m: UInt64) {
            v3 ^= m
            round()
            round()
            v0 ^= m
        }

        /// Every whole word, then the final word (the length in the top byte).
        @inline(__always) mutating func absorb(_ message: UnsafeRawBufferPointer) {
            let count = message.count
            var offset = 0
            while offset &+ 8 <= count {
                compress(UInt64(littleEndian: message.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                offset &+= 8
            }
            var last = UInt64(truncatingIfNeeded: count) << 56
            var shift: UInt64 = 0
            while offset < count {
                last |= UInt64(message[offset]) << shift
                shift &+= 8
                offset &+= 1
            }
            compress(last)
        }

        @inline(__always) mutating func finish() -> UInt64 {
            v2 ^= 0xFF
            round(); round(); round(); round()
            return v0 ^ v1 ^ v2 ^ v3
        }

        @inline(__always) mutating func finish128() -> (low: UInt64, high: UInt64) {
            v2 ^= 0xEE
            round(); round(); round(); round()
            let low = v0 ^ v1 ^ v2 ^ v3
            v1 ^= 0xDD
            round(); round(); round(); round()
            return (low, v0 ^ v1 ^ v2 ^ v3)
        }
    }
}

extension UInt64 {
    @inline(__always) fileprivate func rotl(_ n: UInt64) -> UInt64 { self << n | self >> (64 &- n) }
}
