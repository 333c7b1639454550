/// Exact integer accumulators of a set of iterations: the source of truth of every statistic.
///
/// Merging is plain integer addition plus min/max, hence associative and commutative: chunk
/// results merged in any grouping and completion order give the very same tally as running all
/// iterations at once, and every statistic is a pure function of the tally (`DPSStatistics`),
/// so the aggregated statistics are bit-identical too. Floating-point running means (Welford)
/// cannot give that, since their rounding depends on the merge order.
public struct DamageTally: Equatable, Hashable, Sendable {
    /// Every iteration of a tally simulates a fight of this length; DPS = damage / length.
    public let fightLengthSeconds: Int
    public private(set) var iterations: Int
    /// Σ of the iterations' total damage.
    public private(set) var damageSum: UInt128
    /// Σ of the squares of the iterations' total damage.
    public private(set) var damageSquaresSum: UInt128
    /// Smallest and largest iteration damage (`UInt64.max` and 0 while empty).
    public private(set) var minDamage: UInt64
    public private(set) var maxDamage: UInt64

    /// An empty tally.
    public init(fightLengthSeconds: Int) {
        precondition(fightLengthSeconds > 0, "fight length must be positive")
        self.fightLengthSeconds = fightLengthSeconds
        iterations = 0
        damageSum = 0
        damageSquaresSum = 0
        minDamage = .max
        maxDamage = 0
    }

    public init(fightLengthSeconds: Int, iterationDamages: some Sequence<UInt64>) {
        self.init(fightLengthSeconds: fightLengthSeconds)
        for damage in iterationDamages { add(damage) }
    }

    /// A tally read back from storage: checks the invariants any real set of iterations has, so a
    /// corrupt or forged record cannot make later statistics trap or lie.
    public init(
        validatingFightLengthSeconds fightLengthSeconds: Int, iterations: Int, damageSum: UInt128,
        damageSquaresSum: UInt128, minDamage: UInt64, maxDamage: UInt64
    ) throws(ResultDecodingError) {
        guard SimLimits.fightLengthSeconds.contains(fightLengthSeconds) else {
            throw .inconsistent("fightLengthSeconds \(fightLengthSeconds) outside \(SimLimits.fightLengthSeconds)")
        }
        guard iterations >= 1 else { throw .inconsistent("iterations must be at least 1") }
        guard minDamage <= maxDamage else { throw .inconsistent("minDamage above maxDamage") }
        let n = UInt128(iterations)
        let sum = ExactUInt256(damageSum)
        let squares = ExactUInt256(damageSquaresSum)
        guard ExactUInt256.product(n, UInt128(minDamage)) <= sum, sum <= ExactUInt256.product(n, UInt128(maxDamage))
        else { throw .inconsistent("damageSum outside [n·minDamage, n·maxDamage]") }
        let minSquare = UInt128(minDamage) * UInt128(minDamage)
        let maxSquare = UInt128(maxDamage) * UInt128(maxDamage)
        guard ExactUInt256.product(n, minSquare) <= squares, squares <= ExactUInt256.product(n, maxSquare)
        else { throw .inconsistent("damageSquaresSum outside [n·minDamage², n·maxDamage²]") }
        // Cauchy–Schwarz: n·Σx² ≥ (Σx)², i.e. the variance is not negative.
        guard ExactUInt256.product(n, damageSquaresSum) >= ExactUInt256.product(damageSum, damageSum) else {
            throw .inconsistent("damageSquaresSum below damageSum² / iterations")
        }
        self.init(
            restoringFightLengthSeconds: fightLengthSeconds, iterations: iterations, damageSum: damageSum,
            damageSquaresSum: damageSquaresSum, minDamage: minDamage, maxDamage: maxDamage)
    }

    /// The fields of a tally, put back as they were (the embedded store keeps results in a
    /// compact form, `StoredTally`): no checks, so only for fields read from a tally (or checked
    /// first, as `init(validatingFightLengthSeconds:…)` does).
    init(
        restoringFightLengthSeconds fightLengthSeconds: Int, iterations: Int, damageSum: UInt128,
        damageSquaresSum: UInt128, minDamage: UInt64, maxDamage: UInt64
    ) {
        self.fightLengthSeconds = fightLengthSeconds
        self.iterations = iterations
        self.damageSum = damageSum
        self.damageSquaresSum = damageSquaresSum
        self.minDamage = minDamage
        self.maxDamage = maxDamage
    }

    /// Adds one iteration. Traps on overflow, which `SimLimits` rules out for model output.
    public mutating func add(_ iterationDamage: UInt64) {
        let x = UInt128(iterationDamage)
        iterations += 1
        damageSum += x
        damageSquaresSum += x * x
        minDamage = Swift.min(minDamage, iterationDamage)
        maxDamage = Swift.max(maxDamage, iterationDamage)
    }

    /// The tally of both sets of iterations, or nil if they are of different fight lengths or
    /// an exact sum would overflow (only possible for forged inputs; unsigned sums overflow in
    /// every merge order or in none, so the outcome is order-independent too).
    public func merged(with other: DamageTally) -> DamageTally? {
        guard fightLengthSeconds == other.fightLengthSeconds else { return nil }
        let n = iterations.addingReportingOverflow(other.iterations)
        let sum = damageSum.addingReportingOverflow(other.damageSum)
        let squares = damageSquaresSum.addingReportingOverflow(other.damageSquaresSum)
        guard !n.overflow, !sum.overflow, !squares.overflow else { return nil }
        var result = self
        result.iterations = n.partialValue
        result.damageSum = sum.partialValue
        result.damageSquaresSum = squares.partialValue
        result.minDamage = Swift.min(minDamage, other.minDamage)
        result.maxDamage = Swift.max(maxDamage, other.maxDamage)
        return result
    }
}
