/// The statistics of a non-empty `DamageTally`, shared by `ChunkResult` and `SimulationResult`.
///
/// Every value is computed from the exact integers with a single rounding (see
/// `ExactUInt256.roundedQuotient`), so equal tallies give bit-identical statistics.
public protocol DPSStatistics: Sendable {
    /// Never empty.
    var tally: DamageTally { get }
}

extension DPSStatistics {
    public var iterations: Int { tally.iterations }
    public var fightLengthSeconds: Int { tally.fightLengthSeconds }
    public var damageSum: UInt128 { tally.damageSum }
    public var damageSquaresSum: UInt128 { tally.damageSquaresSum }
    public var minDamage: UInt64 { tally.minDamage }
    public var maxDamage: UInt64 { tally.maxDamage }

    /// Mean iteration DPS: Σx / (n·L).
    public var meanDPS: Double {
        ExactUInt256.roundedQuotient(ExactUInt256(damageSum), wideProduct(n, UInt128(fightLengthSeconds)))
    }

    /// Sum of squared deviations of iteration DPS from the mean (Welford's/Chan's M2):
    /// (n·Σx² − (Σx)²) / (n·L²).
    public var m2: Double {
        ExactUInt256.roundedQuotient(spreadNumerator, wideProduct(n, lengthSquared))
    }

    /// Sample variance of iteration DPS, M2 / (n − 1), rounded once from the exact ratio; 0 for
    /// a single iteration.
    public var variance: Double {
        guard iterations > 1 else { return 0 }
        return ExactUInt256.roundedQuotient(spreadNumerator, wideProduct(n * (n - 1), lengthSquared))
    }

    /// Sample standard deviation of iteration DPS (`sqrt` is correctly rounded, so still exact
    /// to the bit across platforms).
    public var stddev: Double { variance.squareRoot() }

    public var minDPS: Double { dps(minDamage) }
    public var maxDPS: Double { dps(maxDamage) }

    /// The Double summary, the input of the Chan cross-check.
    public var moments: DPSMoments {
        DPSMoments(iterations: iterations, mean: meanDPS, m2: m2, min: minDPS, max: maxDPS)
    }

    /// Chan et al.'s pairwise merge of the two Double summaries: the classic floating-point
    /// aggregation, kept as a cross-check of the exact one (it agrees to ~1e-12 relative but not
    /// bit for bit, and its rounding depends on merge order).
    public func mergedChan(with other: some DPSStatistics) -> DPSMoments {
        moments.mergedChan(with: other.moments)
    }

    private var n: UInt128 {
        precondition(tally.iterations > 0, "statistics of an empty tally")
        return UInt128(tally.iterations)
    }

    private var lengthSquared: UInt128 { UInt128(fightLengthSeconds) * UInt128(fightLengthSeconds) }

    /// n·Σx² − (Σx)², exact; non-negative by Cauchy–Schwarz.
    private var spreadNumerator: ExactUInt256 {
        ExactUInt256.product(n, damageSquaresSum) - ExactUInt256.product(damageSum, damageSum)
    }

    private func wideProduct(_ a: UInt128, _ b: UInt128) -> ExactUInt256 { .product(a, b) }

    private func dps(_ damage: UInt64) -> Double {
        ExactUInt256.roundedQuotient(ExactUInt256(UInt128(damage)), ExactUInt256(UInt128(fightLengthSeconds)))
    }
}
