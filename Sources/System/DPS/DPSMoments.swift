/// A Double-only summary of iteration DPS (count, mean, M2, min, max), as a classic streaming
/// implementation would keep it.
///
/// Exists for `mergedChan(with:)`, the textbook parallel merge (Chan, Golub, LeVeque 1979),
/// which the tests hold against the exact aggregation as an independent cross-check.
public struct DPSMoments: Equatable, Sendable {
    public var iterations: Int
    public var mean: Double
    /// Sum of squared deviations from the mean.
    public var m2: Double
    public var min: Double
    public var max: Double

    public init(iterations: Int, mean: Double, m2: Double, min: Double, max: Double) {
        self.iterations = iterations
        self.mean = mean
        self.m2 = m2
        self.min = min
        self.max = max
    }

    /// Sample variance M2 / (n − 1); 0 for fewer than two iterations.
    public var variance: Double { iterations > 1 ? m2 / Double(iterations - 1) : 0 }
    public var stddev: Double { variance.squareRoot() }

    /// Chan et al.: n = nA + nB, δ = meanB − meanA, mean = meanA + δ·nB/n,
    /// M2 = M2A + M2B + δ²·nA·nB/n.
    public func mergedChan(with other: DPSMoments) -> DPSMoments {
        if iterations == 0 { return other }
        if other.iterations == 0 { return self }
        let na = Double(iterations)
        let nb = Double(other.iterations)
        let n = na + nb
        let delta = other.mean - mean
        return DPSMoments(
            iterations: iterations + other.iterations,
            mean: mean + delta * nb / n,
            m2: m2 + other.m2 + delta * delta * na * nb / n,
            min: Swift.min(min, other.min),
            max: Swift.max(max, other.max))
    }
}
