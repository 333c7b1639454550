import Engine

/// The tests' payload: a tag, folded into the digest.
struct Tag: TraceablePayload, Equatable, Sendable {
    var value: Int
    init(_ value: Int) { self.value = value }
    func fold(into digest: inout TraceDigest) { digest.fold(value) }
}

/// Convenience: durations from integer milliseconds and instants from milliseconds.
func ms(_ n: Int64) -> SimDuration { SimDuration.milliseconds(n) }
func at(ms n: Int64) -> SimInstant { SimInstant.zero + SimDuration.milliseconds(n) }

/// Drains a simulation until `limit`, returning every delivered event.
func drain(_ sim: inout Simulation<Tag>, until limit: SimInstant = .distantFuture) -> [Delivered<Tag>] {
    var out: [Delivered<Tag>] = []
    while let e = sim.next(until: limit) { out.append(e) }
    return out
}

/// The half-width of a 4-sigma band for a binomial count.
func binomialBand(n: Int, p: Double) -> Double {
    4 * (Double(n) * p * (1 - p)).squareRoot()
}

/// Whether `count` lies within 4 sigma of the binomial mean `n p`.
func withinBinomial(_ count: Int, n: Int, p: Double) -> Bool {
    abs(Double(count) - Double(n) * p) <= binomialBand(n: n, p: p)
}

/// Mean and (population) variance of samples.
func meanAndVariance(_ xs: [Double]) -> (mean: Double, variance: Double) {
    var sum = 0.0
    for x in xs { sum += x }
    let mean = sum / Double(xs.count)
    var sq = 0.0
    for x in xs { sq += (x - mean) * (x - mean) }
    return (mean, sq / Double(xs.count))
}

/// Whether a sample mean lies within 4 standard errors of the true mean.
func meanWithin(_ observed: Double, expected: Double, sd: Double, n: Int) -> Bool {
    abs(observed - expected) <= 4 * sd / Double(n).squareRoot()
}
