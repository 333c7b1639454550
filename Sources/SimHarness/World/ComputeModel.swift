import CStandIn
import Engine
import JobSystem

/// How a simulated node turns a chunk into its result.
///
/// `realModel` runs the System's `DPSModel`, as production nodes do. `standIn` is for fleets of
/// thousands, where the model's CPU time would dominate the run: a cheap deterministic function
/// of (config, seed offset, iteration) whose per-iteration damage has roughly the model's mean
/// (an analytic estimate from the config) and a ±10 % spread. Both are exact tallies, so chunk
/// results aggregate to the all-at-once result in either mode. Production never uses the
/// stand-in.
public enum ComputeModel {
    public static func result(
        _ choice: ComputeChoice, config: SimConfig, rotation: Rotation?, configKey: UInt64, seedOffset: Int64, iterations: Int
    ) -> ChunkResult? {
        switch choice {
        case .realModel:
            return try? DPSModel(config: config, rotation: rotation).run(seedOffset: seedOffset, iterations: iterations)
        case .standIn:
            let mean = estimatedDamage(config)
            let spread = max(1, mean / 10)
            if let tally = standInTally(config, configKey: configKey, seedOffset: seedOffset, iterations: iterations, mean: mean, spread: spread) {
                return ChunkResult(tally: tally)
            }
            var tally = DamageTally(fightLengthSeconds: config.fightLengthSeconds)
            for i in 0..<Int64(iterations) {
                let r = SplitMix64.mix(configKey ^ UInt64(bitPattern: seedOffset &+ i))
                tally.add(mean - spread + r % (2 * spread + 1))
            }
            return ChunkResult(tally: tally)
        }
    }

    /// The stand-in's tally summed in local integers and checked into a `DamageTally` once: the
    /// very integers `DamageTally.add` sums one iteration at a time (a call across modules per
    /// iteration was a tenth of a fleet run). Nil where the checked tally refuses them (no
    /// iterations, a fight length outside `SimLimits`) or where the sums' bounds below do not
    /// hold: the caller then adds one by one.
    ///
    /// The sums wrap (`&+=`) instead of trapping, and each square is one 64×64 → 128-bit multiply:
    /// with every damage below 2^50 and fewer than 2^28 iterations, Σx < 2^78 and Σx² < 2^128,
    /// so nothing can wrap and the sums are the checked ones (`estimatedDamage` is at most 10^15,
    /// so `mean + spread` ≤ 1.1·10^15 < 2^50 for every config). The loop is bound by its
    /// multiplies and the division (`r % width`, exact, kept: see the README's node-side
    /// subsections for the reciprocal tricks that were slower); the overflow checks were a
    /// tenth of its instructions. Where the CPU has AVX-512, `vectorTally` sums the same
    /// integers eight iterations at a time.
    static func standInTally(
        _ config: SimConfig, configKey: UInt64, seedOffset: Int64, iterations: Int, mean: UInt64, spread: UInt64
    ) -> DamageTally? {
        guard iterations > 0, iterations < 1 << 28, spread <= mean, mean < (1 << 50) - spread else { return nil }
        let width = 2 * spread + 1
        let lowestDamage = mean - spread
        if width >= 1 << 16,
            let tally = vectorTally(config, configKey: configKey, seedOffset: seedOffset, iterations: iterations, lowestDamage: lowestDamage, width: width)
        {
            return tally
        }
        var sum: UInt128 = 0, squares: UInt128 = 0
        var lowest = UInt64.max, highest: UInt64 = 0
        for i in 0..<Int64(iterations) {
            let r = SplitMix64.mix(configKey ^ UInt64(bitPattern: seedOffset &+ i))
            let damage = lowestDamage &+ r % width
            let square = damage.multipliedFullWidth(by: damage)
            sum &+= UInt128(damage)
            squares &+= UInt128(square.high) << 64 | UInt128(square.low)
            lowest = min(lowest, damage)
            highest = max(highest, damage)
        }
        return try? DamageTally(
            validatingFightLengthSeconds: config.fightLengthSeconds, iterations: iterations, damageSum: sum,
            damageSquaresSum: squares, minDamage: lowest, maxDamage: highest)
    }

    /// Whether this CPU runs `vectorTally` (AVX-512 F and DQ), asked once.
    static var vectorTallyAvailable: Bool { cstandin_vector_available() != 0 }

    /// `standInTally`'s loop eight iterations at a time on AVX-512 (`CStandIn`): the same
    /// damages, each remainder computed exactly without a division (see `cstandin.c` for the
    /// bound that makes its estimate exact after one correction, and the check that declines
    /// otherwise). Nil where that path declines (no AVX-512; a width below 2^16: the workload's
    /// widths are far above) or the checked tally refuses the sums. The Swift loop was 4.8 % of
    /// a fleet run at N = 10,000, bound by its multiplies and division: this runs it in 0.4 of
    /// the time. Valgrind has no AVX-512, so callgrind counts the Swift loop.
    static func vectorTally(
        _ config: SimConfig, configKey: UInt64, seedOffset: Int64, iterations: Int, lowestDamage: UInt64, width: UInt64
    ) -> DamageTally? {
        var out = cstandin_tally()
        guard cstandin_tally_vector(configKey, seedOffset, Int64(iterations), lowestDamage, width, &out) == 1 else {
            return nil
        }
        return try? DamageTally(
            validatingFightLengthSeconds: config.fightLengthSeconds, iterations: iterations,
            damageSum: UInt128(out.sum_high) << 64 | UInt128(out.sum_low),
            damageSquaresSum: UInt128(out.squares_high) << 64 | UInt128(out.squares_low), minDamage: out.lowest,
            maxDamage: out.highest)
    }

    /// The expected total damage of one iteration, ignoring rotation conflicts: each ability
    /// cast as often as its cooldown (or cast time) allows, at its mean damage, crits and
    /// targets applied.
    static func estimatedDamage(_ c: SimConfig) -> UInt64 {
        let haste = 1 + c.hastePercent / 100
        let crit = 1 + c.critChance * (c.critMultiplier - 1)
        var total = 0.0
        for a in c.abilities {
            let period = Double(max(a.cooldownMs, a.castTimeMs, 100)) / haste
            let casts = (Double(c.fightLengthSeconds) * 1000 / period).rounded(.down) + 1
            total += casts * Double(a.minDamage + a.maxDamage) / 2 * crit * (a.aoe ? Double(c.targets) : 1)
        }
        return UInt64(max(1, min(total, 1e15)))
    }
}

/// The reference the result invariant compares a job's result with: all its iterations run at
/// once (one chunk of the whole job).
public enum ReferenceResults {
    public static func allAtOnce(
        _ job: JobRow, store: borrowing EmbeddedStore, compute: ComputeChoice
    ) -> SimulationResult? {
        guard let row = store.config(job.configHash), let json = try? JSONValue.parse(Array(row.canonicalJSON.utf8)),
            let config = try? SimConfig(json: json)
        else { return nil }
        let rotation = config.rotationId.flatMap { store.rotation($0) }.flatMap {
            (try? JSONValue.parse(Array($0.canonicalJSON.utf8))).flatMap { try? Rotation(json: $0) }
        }
        return ComputeModel.result(
            compute, config: config, rotation: rotation, configKey: streamKey(job.configHash.hex), seedOffset: 0,
            iterations: job.totalIterations
        ).map(SimulationResult.init)
    }
}
