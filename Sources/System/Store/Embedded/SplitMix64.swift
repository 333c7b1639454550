/// SplitMix64 (Steele, Lea, Flood 2014): the embedded store's own identifier stream, and the
/// one copy in `System` of its finaliser (`finalize`, `mix`), which the node's jitter stream,
/// the DPS model's seeder, the stand-in signature, the typed wire's digest and the store's key
/// index use too.
///
/// `System` must not import `Engine` (whose `SplitMix64` is the same generator), and
/// identifiers must come from a seeded generator so that the same seed names every row the
/// same way in every run. SplitMix64 is tiny, has a full 2^64 period and passes BigCrush,
/// which is plenty for naming rows.
struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The state advances by this constant per draw, so the generator `k` draws ahead of state
    /// `s` is `SplitMix64(seed: s &+ k &* gamma)`: any draw of the stream in O(1).
    static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    @inline(__always)
    mutating func next() -> UInt64 {
        state &+= Self.gamma
        return Self.finalize(state)
    }

    /// The finaliser (Stafford's "Mix13" variant of MurmurHash3's): a bijection of 64-bit
    /// words with full avalanche. The generator's output for state `s` is `finalize(s)`.
    @inline(__always)
    static func finalize(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// One step from state `x`: `finalize(x &+ gamma)`, the next output of a generator in state
    /// `x` (what `Engine`'s `SplitMix64.mix` computes).
    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 { finalize(x &+ gamma) }
}
