/// The embedded store's own identifier stream: SplitMix64 (Steele, Lea, Flood 2014).
///
/// `System` must not import `Engine`, and identifiers must come from a seeded generator so that
/// the same seed names every row the same way in every run. SplitMix64 is tiny, has a full
/// 2^64 period and passes BigCrush, which is plenty for naming rows.
struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The state advances by this constant per draw, so the generator `k` draws ahead of state
    /// `s` is `SplitMix64(seed: s &+ k &* gamma)`: any draw of the stream in O(1).
    static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= Self.gamma
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
