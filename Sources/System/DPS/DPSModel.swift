/// The deterministic DPS model: what a node runs for a chunk.
///
/// One iteration is one fight on an integer millisecond timeline. At each decision point the
/// caster starts the highest-priority ability that is off cooldown; its cooldown runs from the
/// start of the cast, and its damage lands when the cast completes (a cast that would complete
/// after the fight ends deals nothing and ends the iteration). If no ability is ready, the
/// caster waits until the first one is. A hit rolls an integer uniformly in [min, max], then a
/// crit (× critMultiplier, rounded half away from zero), then × targets if the ability is aoe.
///
/// Iteration `i` of a chunk with seed offset `s` draws from the random stream of global index
/// `s + i` alone, so a chunk is exactly a slice of the job: chunks with offsets 0, 1000, 2000, …
/// reproduce the all-at-once damage sequence. Both rolls are always drawn, so changing
/// `critChance` or `targets` changes only what the draws are multiplied by, never the draws.
public struct DPSModel: Sendable {
    public let config: SimConfig
    public let rotation: Rotation?

    /// One entry per priority slot, with haste already applied.
    private let slots: [Slot]
    private let fightMs: Int
    /// A crit happens iff 53 random bits are below this (critChance · 2^53; 2^53 = always).
    private let critThreshold: UInt64

    private struct Slot: Sendable {
        var castMs: Int
        var cooldownMs: Int
        var minDamage: UInt64
        /// maxDamage − minDamage + 1.
        var span: UInt64
        /// `targets` for aoe abilities, else 1.
        var hitCount: UInt64
    }

    /// Resolves the priority (validating the rotation against the config) and applies haste.
    public init(config: SimConfig, rotation: Rotation? = nil) throws(ConfigError) {
        let priority = try config.priority(with: rotation)
        let hasteFactor = 1 + config.hastePercent / 100
        self.config = config
        self.rotation = rotation
        fightMs = config.fightLengthSeconds * 1000
        critThreshold = UInt64(config.critChance * 0x1p53)
        slots = priority.map { index in
            let a = config.abilities[index]
            return Slot(
                castMs: Self.hasted(a.castTimeMs, by: hasteFactor),
                cooldownMs: Self.hasted(a.cooldownMs, by: hasteFactor),
                minDamage: UInt64(a.minDamage),
                span: UInt64(a.maxDamage - a.minDamage) + 1,
                hitCount: a.aoe ? UInt64(config.targets) : 1)
        }
    }

    /// One-shot convenience: `DPSModel(config:rotation:).run(seedOffset:iterations:)`.
    public static func simulate(
        config: SimConfig, rotation: Rotation? = nil, seedOffset: Int64, iterations: Int
    ) throws(ConfigError) -> ChunkResult {
        try DPSModel(config: config, rotation: rotation).run(seedOffset: seedOffset, iterations: iterations)
    }

    /// The chunk result of iterations `seedOffset ..< seedOffset + iterations` (iterations ≥ 1).
    public func run(seedOffset: Int64, iterations: Int) -> ChunkResult {
        precondition(iterations > 0, "a chunk has at least one iteration")
        var tally = DamageTally(fightLengthSeconds: config.fightLengthSeconds)
        forEachIteration(seedOffset: seedOffset, iterations: iterations) { tally.add($0) }
        return ChunkResult(tally: tally)
    }

    /// The total damage of each iteration of the range, in order (for tests and diagnostics).
    public func iterationDamages(seedOffset: Int64, iterations: Int) -> [UInt64] {
        var damages: [UInt64] = []
        damages.reserveCapacity(Swift.max(iterations, 0))
        forEachIteration(seedOffset: seedOffset, iterations: iterations) { damages.append($0) }
        return damages
    }

    /// Simulates the iterations in order, handing each one's damage to `body`. The slots and the
    /// per-slot ready times live in raw buffers for the hot loop: it is the cost of every chunk,
    /// and array accesses are not inlined in debug builds.
    private func forEachIteration(seedOffset: Int64, iterations: Int, _ body: (UInt64) -> Void) {
        slots.withUnsafeBufferPointer { slots in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: slots.count) { readyAt in
                for i in 0..<Swift.max(iterations, 0) {
                    body(iterationDamage(seedOffset &+ Int64(i), slots: slots, readyAt: readyAt))
                }
            }
        }
    }

    /// One fight. `readyAt` is scratch space, one entry per slot, reset here.
    private func iterationDamage(
        _ globalIndex: Int64, slots: UnsafeBufferPointer<Slot>, readyAt: UnsafeMutableBufferPointer<Int>
    ) -> UInt64 {
        var rng = DPSRandom(iteration: globalIndex)
        let count = slots.count
        let ready = readyAt.baseAddress!
        let slot = slots.baseAddress!
        ready.update(repeating: 0, count: count)
        let critMultiplier = config.critMultiplier
        let critThreshold = critThreshold
        let fightMs = fightMs
        var total: UInt64 = 0
        var now = 0
        while now < fightMs {
            var chosen = -1
            var nextReady = Int.max
            var j = 0
            while j < count {
                let r = ready[j]
                if r <= now {
                    chosen = j
                    break
                }
                if r < nextReady { nextReady = r }
                j += 1
            }
            guard chosen >= 0 else {
                now = nextReady  // ≥ fightMs ends the loop
                continue
            }
            let cast = slot[chosen]
            ready[chosen] = now + cast.cooldownMs
            now += cast.castMs
            if now > fightMs { break }
            var hit = cast.minDamage + rng.next(below: cast.span)
            if rng.next53() < critThreshold {
                hit = UInt64((Double(hit) * critMultiplier).rounded(.toNearestOrAwayFromZero))
            }
            total += hit * cast.hitCount
        }
        return total
    }

    /// A duration shortened by haste, rounded to the nearest ms; a non-zero duration stays at
    /// least 1 ms so the timeline always advances (`SimLimits.minAbilityPeriodMs`).
    static func hasted(_ ms: Int, by factor: Double) -> Int {
        guard ms > 0 else { return 0 }
        return Swift.max(1, Int((Double(ms) / factor).rounded(.toNearestOrAwayFromZero)))
    }
}
