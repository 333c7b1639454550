/// The distributions the harness draws from, written out explicitly so that a seed gives the
/// same draws with every toolchain and on every machine: only IEEE-754 basic operations and
/// `squareRoot` (correctly rounded everywhere) and the project's own `PortableMath` for `log`,
/// `exp` and `cos`, never the platform's maths library.
extension RandomSource {
    /// Uniform in [0, 1) with 53 random bits.
    @inlinable public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform integer in `0..<bound` without modulo bias (Lemire's multiply-and-reject).
    @inlinable public mutating func nextBelow(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "nextBelow(0)")
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return m.high
    }

    /// Uniform integer in a closed range.
    @inlinable public mutating func uniform(_ range: ClosedRange<Int64>) -> Int64 {
        let span = UInt64(bitPattern: range.upperBound &- range.lowerBound) &+ 1
        if span == 0 { return Int64(bitPattern: next()) }  // the full 64-bit range
        return range.lowerBound &+ Int64(bitPattern: nextBelow(span))
    }

    /// Uniform in [a, b).
    @inlinable public mutating func uniform(_ a: Double, _ b: Double) -> Double {
        a + (b - a) * nextUnit()
    }

    /// True with probability `p`.
    @inlinable public mutating func bernoulli(_ p: Double) -> Bool {
        if p <= 0 { return false }
        if p >= 1 { return true }
        return nextUnit() < p
    }

    /// Exponential with the given mean (inverse transform).
    @inlinable public mutating func exponential(mean: Double) -> Double {
        -mean * PortableMath.log(1 - nextUnit())
    }

    /// Standard normal by Box–Muller (one of the pair; simple and stateless).
    @inlinable public mutating func standardNormal() -> Double {
        let u1 = 1 - nextUnit()  // (0, 1]
        let u2 = nextUnit()
        return (-2 * PortableMath.log(u1)).squareRoot() * PortableMath.cosTwoPi(u2)
    }

    /// LogNormal: exp(mu + sigma * N(0, 1)).
    @inlinable public mutating func logNormal(mu: Double, sigma: Double) -> Double {
        PortableMath.exp(mu + sigma * standardNormal())
    }

    /// An index drawn with probability proportional to `weights[i]` (non-negative, not all 0).
    @inlinable public mutating func weightedIndex(_ weights: [Double]) -> Int {
        var total = 0.0
        for w in weights { total += w }
        precondition(total > 0, "weightedIndex needs a positive weight")
        var x = nextUnit() * total
        for (i, w) in weights.enumerated() {
            if x < w { return i }
            x -= w
        }
        return weights.lastIndex(where: { $0 > 0 })!
    }
}

/// A distribution of durations, as data, so that fault models and links can be described,
/// printed in trace headers and tuned from the command line.
public enum DurationDistribution: Sendable, Equatable, CustomStringConvertible {
    case constant(SimDuration)
    /// Uniform in [low, high].
    case uniform(SimDuration, SimDuration)
    case exponential(mean: SimDuration)
    /// LogNormal with the median `median` and shape `sigma`.
    case logNormal(median: SimDuration, sigma: Double)

    @inlinable public func draw<R: RandomSource>(_ rng: inout R) -> SimDuration {
        switch self {
        case .constant(let d): return d
        case .uniform(let a, let b):
            return .nanoseconds(rng.uniform(a.nanoseconds...b.nanoseconds))
        case .exponential(let mean):
            return .seconds(rng.exponential(mean: mean.seconds))
        case .logNormal(let median, let sigma):
            return .seconds(rng.logNormal(mu: PortableMath.log(median.seconds), sigma: sigma))
        }
    }

    public var description: String {
        switch self {
        case .constant(let d): return "constant(\(d))"
        case .uniform(let a, let b): return "uniform(\(a),\(b))"
        case .exponential(let m): return "exponential(mean:\(m))"
        case .logNormal(let m, let s): return "lognormal(median:\(m),sigma:\(s))"
        }
    }
}
