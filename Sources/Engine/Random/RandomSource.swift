/// Where simulated code gets randomness: a seeded, reproducible stream of 64-bit words.
///
/// Conforms to `RandomNumberGenerator`, so the standard library's `Int.random(in:using:)` and
/// friends work with it; the distributions below are written out so that their results do not
/// depend on the standard library's algorithm choices between versions.
public protocol RandomSource: RandomNumberGenerator {
    mutating func next() -> UInt64
}

/// SplitMix64 (Steele, Lea, Flood 2014): used only to expand seeds into generator states and
/// to derive independent stream seeds, as the xoshiro authors recommend.
public struct SplitMix64: RandomSource, Sendable {
    public var state: UInt64
    @inlinable public init(seed: UInt64) { state = seed }
    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// One round of the SplitMix64 finaliser: a good 64-bit mixing function.
    @inlinable public static func mix(_ x: UInt64) -> UInt64 {
        var s = SplitMix64(seed: x)
        return s.next()
    }
}

/// xoshiro256** 1.0 (Blackman and Vigna): the simulation's generator. Fast, 256 bits of state,
/// passes BigCrush; a value type, so each actor's stream lives inline in its state.
public struct Xoshiro256StarStar: RandomSource, Sendable {
    public var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Seeds the state through SplitMix64, so that nearby seeds give unrelated streams.
    @inlinable public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
        if (s0 | s1 | s2 | s3) == 0 { s0 = 1 }  // the all-zero state is a fixed point
    }

    /// An independent stream for `(seed, stream)`: actors, links and fault models each take
    /// their own, keyed by a stable identity, so adding an actor never shifts another's draws.
    @inlinable public init(seed: UInt64, stream: UInt64) {
        self.init(seed: SplitMix64.mix(seed ^ SplitMix64.mix(stream &+ 0x5EED)))
    }

    @inlinable @inline(__always) public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// Unchecked shifts: `k` is a constant in 1...63, and the checked form does not inline.
    @inlinable func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x &<< k) | (x &>> (64 &- k)) }
}

/// A stable 64-bit key for a stream name ("network", "faults", "node-17"): FNV-1a over UTF-8.
/// Never `hashValue`, which is randomised per process.
public func streamKey(_ name: String) -> UInt64 {
    // Over the contiguous UTF-8 when the string has it (native strings do): the same bytes,
    // without the view's per-byte iterator (the trace digest folds a name per event).
    name.utf8.withContiguousStorageIfAvailable { fnv1a64($0) } ?? fnv1a64(name.utf8)
}
