/// The accepted ranges of a `SimConfig`, in one place.
///
/// Beyond keeping inputs sane, the bounds make the exact statistics provably overflow-free: a
/// hit is at most `maxDamage × maxCritMultiplier × maxTargets` = 2·10^8, an ability occupies at
/// least `minAbilityPeriodMs / 3` ms of the timeline at maximum haste, so an iteration deals at
/// most ~7·10^14 damage (exact in a Double too), its square ~4.9·10^29, and a `UInt128` sum of
/// squares holds ~7·10^8 worst-case iterations — far beyond `Profile.maxJobIterations`.
public enum SimLimits {
    public static let fightLengthSeconds: ClosedRange<Int> = 1...3600
    public static let targets: ClosedRange<Int> = 1...20
    public static let hastePercent: ClosedRange<Double> = 0...200
    public static let critChance: ClosedRange<Double> = 0...1
    /// The brief asks only for ≥ 1; the cap bounds the exact integer accumulators.
    public static let critMultiplier: ClosedRange<Double> = 1...10
    public static let maxAbilities = 32
    /// Lengths are in bytes of UTF-8, not characters.
    public static let abilityNameLength: ClosedRange<Int> = 1...64
    public static let rotationIdLength: ClosedRange<Int> = 1...128
    public static let damage: ClosedRange<Int> = 0...1_000_000
    public static let cooldownMs: ClosedRange<Int> = 0...3_600_000
    public static let castTimeMs: ClosedRange<Int> = 0...60_000
    /// Every ability must occupy at least this much cast time plus cooldown, so a fight has a
    /// bounded number of casts (and a zero-time ability cannot stall the timeline).
    public static let minAbilityPeriodMs = 100
}
