/// What one iteration of a config can cost and produce, derived from the config alone: the
/// validation bounds of job-create (cost) and chunk-complete (results).
///
/// Both follow the model (`DPSModel`): haste applied and rounded the same way; an ability's
/// casts start at least `max(cast, cooldown)` apart (its cooldown runs from the start of a
/// cast, and the caster is busy for the cast), and a cast counts only if it completes within
/// the fight. They are upper bounds, not estimates: no iteration the model runs exceeds them.
extension SimConfig {
    /// The most casts of each ability in one fight, in config order.
    private var castsPerAbility: [(casts: Int, castMs: Int)] {
        let hasteFactor = 1 + hastePercent / 100
        let fightMs = fightLengthSeconds * 1000
        return abilities.map { a in
            let cast = DPSModel.hasted(a.castTimeMs, by: hasteFactor)
            let period = Swift.max(1, cast, DPSModel.hasted(a.cooldownMs, by: hasteFactor))
            // A cast starts before the fight's end and completes by it: start ≤ fight − max(cast, 1).
            let lastStart = fightMs - Swift.max(cast, 1)
            let casts = lastStart < 0 ? 0 : lastStart / period + 1
            return (casts, cast)
        }
    }

    /// An upper bound on the casts of one fight: every instant ability as often as its cooldown
    /// allows, plus the abilities with a cast time, which share the caster's time (at most
    /// `fight / shortest cast` of them). The cost of an iteration is proportional to it.
    public var castsPerFightBound: Int {
        let fightMs = fightLengthSeconds * 1000
        var instant = 0
        var timed = 0
        var shortestCast = Int.max
        for (casts, cast) in castsPerAbility {
            if cast == 0 {
                instant += casts
            } else {
                timed += casts
                shortestCast = Swift.min(shortestCast, cast)
            }
        }
        if shortestCast != Int.max { timed = Swift.min(timed, fightMs / shortestCast) }
        return instant + timed
    }

    /// The most damage one iteration can deal: each ability cast as often as it can be, every
    /// hit at its maximum, a crit (rounded as the model rounds it) and on every target if aoe.
    /// At most ~7·10^14 within `SimLimits`, so it and its square fit the exact accumulators.
    public var maxIterationDamage: UInt64 {
        var total: UInt64 = 0
        for (a, bound) in zip(abilities, castsPerAbility) {
            let crit = UInt64((Double(a.maxDamage) * critMultiplier).rounded(.toNearestOrAwayFromZero))
            let hit = Swift.max(UInt64(a.maxDamage), crit) * (a.aoe ? UInt64(targets) : 1)
            total += UInt64(bound.casts) * hit
        }
        return total
    }
}
